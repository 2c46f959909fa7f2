"""A self-contained HTML report of one or more scored JSONL files, side by side.

:class:`RunStats` reads the rows ``verify score`` writes, one at a time, and keeps what the
report draws: each reward's values (as float32), the count of each status, each prompt's number
of samples and of correct ones (for the pass@k curve, :func:`verifiers.evaluation.pass_at_k`),
a table per ``data_source``, and a seeded reservoir sample of (completion length, reward)
pairs. :func:`render` draws the plots with matplotlib (the optional extra ``report``) as inline
SVG: the page loads nothing from the network.

>>> stats = RunStats("run")
>>> stats.add({"prompt_id": "q", "completion": "ab", "verify": {"reward": 1.0, "status": "scored",
...     "rewards": {"accuracy": {"reward": 1.0, "status": "correct"}}}})
>>> stats.rows, stats.statuses["accuracy"], stats.pass_curve()
(1, {'correct': 1}, [(1, 1.0)])
"""

from __future__ import annotations

import html
import io
import json
import math
import random
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from verifiers.errors import require
from verifiers.evaluation import pass_at_k

__all__ = ["RunStats", "render"]

#: Points kept for the length-against-reward plot, per file.
SCATTER_POINTS = 4000


@dataclass
class RunStats:
    """What the report shows of one scored file, gathered row by row.

    Args:
        name: The file's label in the report.
        key: The field holding the scores (``verify``).
        part: The reward whose status ``correct`` counts as a pass (default: ``accuracy``,
            else the first reward of the first row).
        id_field: The prompt id column (rows without it are grouped by ``prompt``).
        by: The grouping column of the per-source table.
    """

    name: str
    key: str = "verify"
    part: str | None = None
    id_field: str = "prompt_id"
    by: str = "data_source"
    rows: int = 0
    signature: str = ""
    values: dict[str, array] = field(default_factory=dict)
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    prompts: dict[Any, list[int]] = field(default_factory=dict)
    sources: dict[str, list[float]] = field(default_factory=dict)  # source -> [rows, reward sum, scored, correct]
    scatter: list[tuple[int, float]] = field(default_factory=list)
    _rng: random.Random = field(default_factory=lambda: random.Random(0))
    _seen: int = 0

    def add(self, row: dict[str, Any]) -> None:
        """Take one scored row (a row without the ``key`` object raises ``ValueError``)."""
        obj = row.get(self.key)
        if not isinstance(obj, dict) or not isinstance(obj.get("rewards"), dict):
            raise ValueError(f"no {self.key!r} object with the rewards: score the file with verify score first")
        self.rows += 1
        self.signature = self.signature or str(obj.get("signature", ""))
        parts: dict[str, Any] = obj["rewards"]
        for name, verdict in parts.items():
            if not isinstance(verdict, dict):
                continue
            status = str(verdict.get("status"))
            counts = self.statuses.setdefault(name, {})
            counts[status] = counts.get(status, 0) + 1
            if isinstance(verdict.get("reward"), (int, float)):
                self.values.setdefault(name, array("f")).append(float(verdict["reward"]))
        if self.part is None:
            self.part = "accuracy" if "accuracy" in parts else next(iter(parts), "accuracy")
        judged = parts.get(self.part)
        graded = isinstance(judged, dict) and judged.get("reward") is not None
        correct = graded and judged.get("status") == "correct"  # type: ignore[union-attr]
        prompt = row.get(self.id_field)
        if prompt is None:
            prompt = json.dumps(row.get("prompt"), sort_keys=True)
        elif not isinstance(prompt, (str, int, float)):
            prompt = json.dumps(prompt, sort_keys=True)
        if graded:
            counts_nc = self.prompts.setdefault(prompt, [0, 0])
            counts_nc[0] += 1
            counts_nc[1] += bool(correct)
        total = obj.get("reward")
        source = str(row.get(self.by, "(none)"))
        entry = self.sources.setdefault(source, [0, 0.0, 0, 0])
        entry[0] += 1
        if isinstance(total, (int, float)):
            entry[1] += float(total)
            entry[2] += 1
        entry[3] += bool(correct)
        if isinstance(total, (int, float)):
            self._sample(len(_text(row.get("completion"))), float(total))

    def _sample(self, length: int, reward: float) -> None:
        # reservoir sampling (algorithm R) with a fixed seed: a bounded, reproducible sample
        self._seen += 1
        if len(self.scatter) < SCATTER_POINTS:
            self.scatter.append((length, reward))
        else:
            j = self._rng.randrange(self._seen)
            if j < SCATTER_POINTS:
                self.scatter[j] = (length, reward)

    def pass_curve(self, points: int = 12) -> list[tuple[int, float]]:
        """``(k, pass@k)`` for k = 1, 2, 4, ... up to the fewest samples of a prompt (and that
        number itself), averaged over prompts."""
        if not self.prompts:
            return []
        n_min = min(n for n, _ in self.prompts.values())
        ks = sorted({*(2**i for i in range(points) if 2**i <= n_min), n_min})
        return [
            (k, math.fsum(pass_at_k(n, c, k) for n, c in self.prompts.values()) / len(self.prompts)) for k in ks
        ]


def _text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        return "".join(str(m.get("content", "")) for m in completion if isinstance(m, dict))
    return ""


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)  # matplotlib's RDF credits
    return text[text.index("<svg") :]


def render(runs: Sequence[RunStats], *, title: str = "verify report") -> str:
    """The HTML page for ``runs`` (side by side): reward distribution per reward, status
    breakdown, pass@k over k, a per-source table, and completion length against reward.

    Raises:
        BackendUnavailable: matplotlib is not installed (``pip install 'reasoning-verifiers[report]'``).
    """
    require("matplotlib", "report", "verify report")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: smaller pages, no embedded glyphs
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    sections: list[str] = []

    rewards = sorted({name for run in runs for name in run.values})
    if rewards:
        fig, axes = plt.subplots(1, len(rewards), figsize=(4.2 * len(rewards), 3.2), squeeze=False)
        for ax, name in zip(axes[0], rewards):
            for i, run in enumerate(runs):
                data = run.values.get(name)
                if data:
                    ax.hist(data, bins=30, alpha=0.55, color=colors[i % len(colors)], label=run.name,
                            weights=[1 / len(data)] * len(data))
            ax.set_title(name)
            ax.set_xlabel("reward")
            ax.set_ylabel("share of rows")
        axes[0][0].legend()
        sections.append(_section("Reward distribution", _svg(fig)))
        plt.close(fig)

        fig, axes = plt.subplots(1, len(rewards), figsize=(4.2 * len(rewards), 3.2), squeeze=False)
        for ax, name in zip(axes[0], rewards):
            statuses = sorted({s for run in runs for s in run.statuses.get(name, {})})
            width = 0.8 / max(1, len(runs))
            for i, run in enumerate(runs):
                counts = [run.statuses.get(name, {}).get(s, 0) for s in statuses]
                shares = [c / (sum(counts) or 1) for c in counts]
                ax.bar([x + i * width for x in range(len(statuses))], shares, width, label=run.name,
                       color=colors[i % len(colors)])
            ax.set_xticks([x + width * (len(runs) - 1) / 2 for x in range(len(statuses))], statuses, rotation=30)
            ax.set_title(name)
            ax.set_ylabel("share of rows")
        axes[0][0].legend()
        sections.append(_section("Status breakdown", _svg(fig)))
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.4))
    for i, run in enumerate(runs):
        curve = run.pass_curve()
        if curve:
            ks, values = [k for k, _ in curve], [v for _, v in curve]
            ax.plot(ks, values, marker="o", label=run.name, color=colors[i % len(colors)])
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k (unbiased)")
    ax.set_ylim(0, 1.02)
    ax.legend()
    sections.append(_section("pass@k over k", _svg(fig)))
    plt.close(fig)

    sections.append(_section("Per source", _table(runs)))

    fig, ax = plt.subplots(figsize=(5, 3.4))
    for i, run in enumerate(runs):
        if run.scatter:
            ax.scatter([x for x, _ in run.scatter], [y for _, y in run.scatter], s=6, alpha=0.4, label=run.name,
                       color=colors[i % len(colors)])
    ax.set_xlabel("completion length (characters)")
    ax.set_ylabel("total reward")
    ax.legend()
    sections.append(_section("Length against reward", _svg(fig)))
    plt.close(fig)

    files = "".join(
        f"<li><b>{html.escape(r.name)}</b>: {r.rows:,} rows, {len(r.prompts):,} prompts; "
        f"<code>{html.escape(r.signature)}</code></li>"
        for r in runs
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><ul>{files}</ul>{''.join(sections)}</body></html>\n"
    )


def _section(heading: str, body: str) -> str:
    return f"<section><h2>{html.escape(heading)}</h2>{body}</section>"


def _table(runs: Sequence[RunStats]) -> str:
    sources = sorted({s for run in runs for s in run.sources})
    head = "".join(f"<th colspan=3>{html.escape(r.name)}</th>" for r in runs)
    sub = "<th>rows</th><th>mean reward</th><th>correct</th>" * len(runs)
    body = []
    for source in sources:
        cells = []
        for run in runs:
            rows, total, scored, correct = run.sources.get(source, [0, 0.0, 0, 0])
            mean = f"{total / scored:.4f}" if scored else "-"
            share = f"{correct / rows:.4f}" if rows else "-"
            cells.append(f"<td>{int(rows):,}</td><td>{mean}</td><td>{share}</td>")
        body.append(f"<tr><th>{html.escape(source)}</th>{''.join(cells)}</tr>")
    return f"<table><tr><th></th>{head}</tr><tr><th>source</th>{sub}</tr>{''.join(body)}</table>"


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}section{margin:1.5em 0}"
    "svg{max-width:100%;height:auto}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}code{font-size:.8em}"
)
