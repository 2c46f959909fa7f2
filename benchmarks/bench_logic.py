"""Rows/s of ``choice_reward``, ``countdown_reward`` and ``knights_knaves_reward`` against the
incumbents' scripts, measured in the same run.

Run: python benchmarks/bench_logic.py [--repeat 5]

References (re-written from their published behaviour in ``tests/reference_scripts.py``, one
source for the parity tests and this benchmark):

* countdown: TinyZero's ``compute_score`` (last line, regex, ``eval``, 1e-5 float tolerance);
* knights_knaves: Logic-RL's ``compute_score`` (format gate, count check, ``NAME is a ROLE``);
* choice: OpenAI simple-evals' multiple-choice regex (``Answer: X``, the last match), the
  common baseline for GPQA/MMLU (written here; it reads one form only).

Rows are the golden corpora without their hostile rows (and without the rows TinyZero must not
evaluate), each given a unique first line (``Attempt i:``) so that our engine cannot skip
repeated rows, repeated to the batch sizes below. Each figure is the best of ``--repeat`` runs.
The hostile rows are timed once each, separately (ours only: TinyZero's eval of a power tower
does not return).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from verifiers import choice_reward, countdown_reward, knights_knaves_reward  # noqa: E402
from verifiers.extract.messages import completion_text  # noqa: E402

from reference_scripts import logic_rl_score, tinyzero_score  # noqa: E402

warnings.filterwarnings("ignore", category=SyntaxWarning)  # TinyZero's eval of "2(3+4)"

SIZES = (1, 64, 1024)
_SIMPLE_EVALS = re.compile(r"(?i)Answer[ \t]*:[ \t]*\$?([A-J])\$?")


def simple_evals_choice(text: str, answer: str) -> float:
    """OpenAI simple-evals: the last ``Answer: X`` in the text."""
    found = _SIMPLE_EVALS.findall(text)
    return 1.0 if found and found[-1].upper() == answer else 0.0


def load(name: str) -> list[dict]:
    path = ROOT / "tests" / "golden" / f"{name}.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    keep = []
    for row in rows:
        if row["kind"] == "hostile" or "config" in row or row["expected"] is None:
            continue
        if isinstance(row["completion"], dict):
            continue
        row["text"] = completion_text(row["completion"])
        keep.append(row)
    return keep


def hostile(name: str) -> list[dict]:
    path = ROOT / "tests" / "golden" / f"{name}.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    out = []
    for row in rows:
        if row["kind"] != "hostile":
            continue
        c = row["completion"]
        row["text"] = "".join(t * n for t, n in c["parts"]) if isinstance(c, dict) else completion_text(c)
        out.append(row)
    return out


def batches(rows: list[dict], size: int) -> list[list[dict]]:
    total = max(size, len(rows)) if size > 1 else len(rows)
    picked = [dict(rows[i % len(rows)], text=f"Attempt {i}:\n" + rows[i % len(rows)]["text"]) for i in range(total)]
    return [picked[i : i + size] for i in range(0, len(picked), size)]


def best_rate(run: Callable[[], int], repeat: int) -> float:
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        n = run()
        best = max(best, n / (time.perf_counter() - start))
    return best


def ours(reward, columns: tuple[str, ...]) -> Callable[[list[list[dict]]], Callable[[], int]]:
    def make(groups):
        def run() -> int:
            n = 0
            for group in groups:
                cols = {c: [r["columns"].get(c) for r in group] for c in columns}
                reward(completions=[r["text"] for r in group], **cols)
                n += len(group)
            return n
        return run
    return make


def theirs(score: Callable[[dict], float]) -> Callable[[list[list[dict]]], Callable[[], int]]:
    def make(groups):
        def run() -> int:
            n = 0
            for group in groups:
                for row in group:
                    score(row)
                n += len(group)
            return n
        return run
    return make


def _tz(row: dict) -> float:
    return tinyzero_score("Assistant:\n" + row["text"], row["columns"]["target"], row["columns"]["nums"])


def _gold_format(row: dict) -> str:
    cols = row["columns"]
    if "solution" in cols:
        truth = [s if isinstance(s, bool) else s == "knight" for s in cols["solution"]]
        return "\n".join(f"({i + 1}) {n} is a {'knight' if t else 'knave'}" for i, (n, t) in
                         enumerate(zip(cols["names"], truth)))
    return cols.get("solution_text_format") or cols.get("solution_text") or ""


def _lr(row: dict) -> float:
    return logic_rl_score("<|im_start|>assistant\n" + row["text"], _gold_format(row))


def _choice_letter(row: dict) -> str:
    answer = row["columns"]["answer"]
    return "ABCDEFGHIJ"[answer] if isinstance(answer, int) else str(answer).strip("().").upper()[:1]


def _se(row: dict) -> float:
    return simple_evals_choice(row["text"], _choice_letter(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    suites = [
        ("countdown", countdown_reward, ("target", "nums"), "TinyZero", _tz,
         lambda r: "tinyzero" not in r or "differs" in r.get("tinyzero", {})),
        ("knights_knaves", knights_knaves_reward, ("names", "solution", "solution_text_format", "solution_text"),
         "Logic-RL", _lr, lambda r: True),
        ("choice", choice_reward, ("answer", "choices", "options"), "simple-evals regex", _se, lambda r: True),
    ]
    for name, reward, columns, ref_name, ref, usable in suites:
        rows = [r for r in load(name) if usable(r)]
        print(f"\n## {name}: {len(rows)} golden rows (hostile ones below)")
        print(f"| batch | ours rows/s | {ref_name} rows/s | ratio |")
        print("|---:|---:|---:|---:|")
        for size in SIZES:
            groups = batches(rows, size)
            a = best_rate(ours(reward, columns)(groups), args.repeat)
            b = best_rate(theirs(ref)(groups), args.repeat)
            print(f"| {size} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |")
        slowest = 0.0
        hostile_rows = hostile(name)
        for row in hostile_rows:
            cols = {c: [row["columns"].get(c)] for c in columns}
            start = time.perf_counter()
            reward(completions=[row["text"]], **cols)
            slowest = max(slowest, time.perf_counter() - start)
        if hostile_rows:
            print(f"hostile rows: {len(hostile_rows)}, slowest {slowest * 1000:.1f} ms (ours)")


if __name__ == "__main__":
    main()
