"""Throughput of the format rewards against the incumbents, measured in the same run.

* ``think_format_reward`` (ours) vs TRL's ``trl.rewards.think_format_reward`` (a per-row regex,
  ``^<think>(?!.*<think>)(.*?)</think>.*$``);
* ``format_reward`` (ours) vs open-r1's ``format_reward``, rewritten here from its documented
  regex ``^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$`` (open-r1 is not on PyPI);
* ``tag_count_reward`` (ours) vs open-r1's ``tag_count_reward``, rewritten here the same way.

Completions are conversational (``[{"role": "assistant", "content": ...}]``, the only input TRL's
and open-r1's functions accept), 1-4k characters, about a third well-formed and the rest broken
in the usual ways (unclosed or repeated tags, text around the blocks, no tags, CRLF line
endings). Batch sizes 1, 64, 1024, 65536; the figures are rows per second (best of the
repeats), the ratio ours / reference, and on how many rows the two disagree.

Run: ``python benchmarks/bench_format.py`` (needs ``trl`` for the first comparison).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable

from verifiers.shaping.format import format_reward, tag_count_reward, think_format_reward

PROSE = (
    "so the sum is then we have x = 3 therefore let us check wait maybe I made an error "
    "compute 12 * 7 = 84 hence \\frac{1}{2} and $x^2 + 1$ the answer should be 42 < 43 ok"
)
WORDS = PROSE.split()
BATCHES = (1, 64, 1024, 65536)
BUDGET_ROWS = 70_000  # rows per repeat of a small batch size, so each timing lasts long enough


def _prose(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
        if rng.random() < 0.06:
            out.append("\n")
    return " ".join(out)


def make_completions(n: int, seed: int = 0) -> list[list[dict[str, str]]]:
    """``n`` conversational completions of 1-4k characters, about half of them well-formed."""
    rng = random.Random(seed)
    kinds = ["ok", "ok", "ok", "ok", "crlf", "no_close", "twice", "after", "before", "no_tags", "no_answer", "close2"]
    pool = []
    for _ in range(512):
        think = _prose(rng, rng.randint(900, 3800))
        answer = _prose(rng, rng.randint(2, 80))
        text = f"<think>\n{think}\n</think>\n<answer>\n{answer}\n</answer>"
        kind = rng.choice(kinds)
        if kind == "no_close":
            text = text.replace("</think>", "", 1)
        elif kind == "twice":
            text += f"\n<answer>\n{answer}\n</answer>"
        elif kind == "after":
            text += "\nHope this helps!"
        elif kind == "before":
            text = "Okay, let me think.\n" + text
        elif kind == "no_tags":
            text = f"{think}\nThe answer is {answer}."
        elif kind == "crlf":
            text = text.replace("\n", "\r\n")
        elif kind == "close2":
            text = text.replace("</think>", "</think>\nWait.\n</think>", 1)
        elif kind == "no_answer":
            text = text[: text.index("<answer>")] + answer
        pool.append([{"role": "assistant", "content": text}])
    return [pool[i % len(pool)] for i in range(n)]


# open-r1's format_reward and tag_count_reward, rewritten from src/open_r1/rewards.py.
_OPEN_R1_FORMAT = r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$"


def open_r1_format_reward(completions, **kwargs):
    contents = [completion[0]["content"] for completion in completions]
    return [1.0 if re.match(_OPEN_R1_FORMAT, c, re.DOTALL | re.MULTILINE) else 0.0 for c in contents]


def open_r1_tag_count_reward(completions, **kwargs):
    def count(text: str) -> float:
        return 0.25 * (
            (text.count("<think>\n") == 1)
            + (text.count("\n</think>\n") == 1)
            + (text.count("\n<answer>\n") == 1)
            + (text.count("\n</answer>") == 1)
        )

    return [count(completion[0]["content"]) for completion in completions]


def rows_per_second(fn: Callable, data: list, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        loops = max(1, BUDGET_ROWS // (len(data) * 8)) if len(data) < 4096 else 1
        start = time.perf_counter()
        for _ in range(loops):
            fn(completions=data)
        best = min(best, (time.perf_counter() - start) / loops)
    return len(data) / best


def main() -> None:
    try:
        from trl.rewards import think_format_reward as trl_think_format_reward
    except ImportError:  # pragma: no cover - depends on the environment
        trl_think_format_reward = None
        print("trl is not installed: the think_format comparison is skipped")
    pairs = [("format vs open-r1 regex", format_reward, open_r1_format_reward)]
    if trl_think_format_reward is not None:
        pairs.insert(0, ("think_format vs TRL", think_format_reward, trl_think_format_reward))
    pairs.append(("tag_count vs open-r1", tag_count_reward, open_r1_tag_count_reward))
    full = make_completions(max(BATCHES))
    chars = sum(len(c[0]["content"]) for c in full[:512]) / 512
    print(f"completions: mean {chars:.0f} chars, conversational; rows/s, best of repeats")
    print(f"{'comparison':<26}{'batch':>7}{'ours rows/s':>14}{'ref rows/s':>14}{'ratio':>8}")
    for label, ours, ref in pairs:
        for size in BATCHES:
            data = full[:size]
            repeats = 3 if size >= 65536 else 5
            a = rows_per_second(ours, data, repeats)
            b = rows_per_second(ref, data, repeats)
            print(f"{label:<26}{size:>7}{a:>14,.0f}{b:>14,.0f}{a / b:>7.2f}x")
        sample = full[:1024]
        differ = sum(x != y for x, y in zip(ours(completions=sample), ref(completions=sample)))
        print(f"{'':<26}(ours and the reference disagree on {differ} of 1024 rows)")


if __name__ == "__main__":
    main()
