"""Rows/s of ``accuracy_reward`` vs math-verify (``parse`` + ``verify`` per row), same run.

Run: python benchmarks/bench_math.py [--budget 150]

Rows are the golden corpus (``tests/golden/math.jsonl``) without its hostile rows, repeated to
batch sizes 1, 64, 1024 and 65536. Each completion gets a unique first line (``Attempt i:``) so
our engine cannot skip repeated rows; gold strings repeat, as they do in GRPO groups. Our
LaTeX parse cache is cleared before every timed run (answers that recur within one run still
hit it; math-verify has no cache). The golden rows hold only ~70 distinct answers, so at the
large sizes most of our parses are cache hits: on all-distinct answers expect the batch-1 rate.
math-verify is timed only while the estimated time fits ``--budget`` seconds; a size it is not
run at is reported with the reason.

The hostile rows are timed once each, separately: math-verify ends them with its 5 s signal
timeout, we with the size, depth and length guards.

The agreement rate is over every golden row: do both say "correct"?
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import time
from pathlib import Path

from verifiers import accuracy_reward
from verifiers.math.normalize import parse_latex

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden" / "math.jsonl"
SIZES = (1, 64, 1024, 65536)


def build(completion: str | dict) -> str:
    if isinstance(completion, str):
        return completion
    return "".join(text * count for text, count in completion["parts"])


def math_verify_says(completion: str, solution: object, timeout: int = 5) -> bool:
    """math-verify's verdict, as in tests/test_math.py (LaTeX gold gets $...$ delimiters)."""
    from math_verify import parse, verify

    gold = solution if isinstance(solution, str) else ("" if solution is None else str(solution))
    if gold.strip() and "$" not in gold and "\\boxed" not in gold and "####" not in gold:
        gold = f"${gold}$"
    parsed_gold = parse(gold, parsing_timeout=timeout)
    if not parsed_gold:
        return False
    return bool(verify(parsed_gold, parse(completion, parsing_timeout=timeout), timeout_seconds=timeout))


def ours_rate(texts: list[str], sols: list, batch: int) -> float:
    parse_latex.cache_clear()
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        accuracy_reward(completions=texts[i : i + batch], solution=sols[i : i + batch])
    return len(texts) / (time.perf_counter() - start)


def theirs_rate(texts: list[str], sols: list) -> float:
    start = time.perf_counter()
    for text, sol in zip(texts, sols):
        math_verify_says(text, sol)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=150.0, help="seconds allowed for math-verify in total")
    args = parser.parse_args()
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    rows = [json.loads(line) for line in GOLDEN.open(encoding="utf-8") if line.strip()]
    normal = [r for r in rows if not r["id"].startswith("hostile")]
    hostile = [r for r in rows if r["id"].startswith("hostile")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"golden rows: {len(rows)} ({len(normal)} timed in batches, {len(hostile)} hostile timed once each)")

    # warm up both (imports, antlr parser construction)
    accuracy_reward(completions=[r"\boxed{\frac{1}{2}}"], solution=["0.5"])
    math_verify_says(r"\boxed{\frac{1}{2}}", "0.5")

    agree = 0
    for r in rows:
        text = build(r["completion"])
        ours = accuracy_reward(completions=[text], solution=[r["solution"]])[0] == accuracy_reward.config.high
        agree += ours == math_verify_says(text, r["solution"], timeout=1 if r["id"].startswith("hostile") else 5)
    print(f"agreement with math-verify on 'correct': {agree}/{len(rows)} = {agree / len(rows):.1%}")

    print(f"\n{'batch':>6} {'rows':>6} {'ours rows/s':>12} {'math-verify rows/s':>19} {'ratio':>7}")
    spent = 0.0
    for size in SIZES:
        n = max(size, 64) if size == 1 else size  # batch size 1: 64 calls of one row
        picked = [normal[i % len(normal)] for i in range(n)]
        texts = [f"Attempt {i}:\n{build(r['completion'])}" for i, r in enumerate(picked)]
        sols = [r["solution"] for r in picked]
        ours = ours_rate(texts, sols, size)
        theirs_est = n / theirs_rate(texts[:64], sols[:64]) if size > 64 else 0.0
        if size > 64 and spent + theirs_est > args.budget:
            print(
                f"{size:>6} {n:>6} {ours:>12.0f} {'not run':>19} {'-':>7}   "
                f"(math-verify would take ~{theirs_est:.0f}s, over the {args.budget:.0f}s budget)"
            )
            continue
        start = time.perf_counter()
        theirs = theirs_rate(texts, sols)
        spent += time.perf_counter() - start
        print(f"{size:>6} {n:>6} {ours:>12.0f} {theirs:>19.0f} {ours / theirs:>6.1f}x")

    print("\nhostile rows (one call each; seconds):")
    for r in hostile:
        text = build(r["completion"])
        parse_latex.cache_clear()
        start = time.perf_counter()
        accuracy_reward(completions=[text], solution=[r["solution"]])
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        math_verify_says(text, r["solution"])
        theirs_s = time.perf_counter() - start
        print(f"  {r['id']:<32} ours {ours_s:7.3f}s   math-verify {theirs_s:7.3f}s")


if __name__ == "__main__":
    main()
