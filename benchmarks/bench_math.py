"""``accuracy_reward`` against math-verify (``parse`` + ``verify`` per row), both in the same run.

Run: python benchmarks/bench_math.py [--repeats 3] [--corpus tests/golden/math_corpus.jsonl]

1. **All-distinct answers**: every non-hostile row of the hand-labelled corpus, one row per
   call for both graders (so no batch cache can help us), on one core. Reported: rows/s and the
   p50/p99 latency of one row. Our parse caches are cleared before each repeat.
2. **A GRPO-shaped batch**: 16 prompts × 64 completions. Each prompt is a corpus row; its 64
   completions are that row's completion and 63 R1-style variants with a unique first line
   (half with the right answer, half with a wrong one). We score the 1024 rows in one call (as
   TRL calls a reward); math-verify is called per row, as TRL's and open-r1's rewards do.
3. **Accuracy** on the whole corpus (hostile rows included for us; math-verify's verdict on
   them depends on its 5 s signal timeout, so they are left out of its count).

The symbolic tail runs in a helper process; its time is included in ours (we wait for it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from pathlib import Path

from verifiers import accuracy_reward
from verifiers.math.normalize import parse_latex

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "golden" / "math_corpus.jsonl"


def build(completion: str | dict) -> str:
    if isinstance(completion, str):
        return completion
    return "".join(text * count for text, count in completion["parts"])


def math_verify_grade(completion: str, solution: object, timeout: int = 5) -> float | None:
    """math-verify's verdict as its README calls it (LaTeX gold gets $...$ delimiters)."""
    from math_verify import parse, verify

    gold = solution if isinstance(solution, str) else ("" if solution is None else str(solution))
    if gold.strip() and "$" not in gold and "\\boxed" not in gold and "####" not in gold:
        gold = f"${gold}$"
    parsed_gold = parse(gold, parsing_timeout=timeout)
    if not parsed_gold:
        return None
    return 1.0 if verify(parsed_gold, parse(completion, parsing_timeout=timeout), timeout_seconds=timeout) else 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed_per_row(fn, rows: list[tuple[str, object]]) -> tuple[float, list[float]]:
    latencies = []
    start = time.perf_counter()
    for text, sol in rows:
        t0 = time.perf_counter()
        fn(text, sol)
        latencies.append(time.perf_counter() - t0)
    return len(rows) / (time.perf_counter() - start), latencies


def ours_one(text: str, sol: object) -> None:
    accuracy_reward(completions=[text], solution=[sol])


def grpo_batch(rows: list[dict]) -> tuple[list[str], list[object]]:
    texts, sols = [], []
    for p, r in enumerate(rows[:16]):
        for j in range(64):
            if j == 0:
                body = build(r["completion"])
            elif j % 2:
                body = f"<think>\nWorking on it, step {j}.\n</think>\n{build(r['completion'])}"
            else:
                body = f"<think>\nI tried {j} ways.\n</think>\n<answer>\\boxed{{{1000 + 7 * j + p}}}</answer>"
            texts.append(f"Attempt {p}-{j}:\n{body}")
            sols.append(r["solution"])
    return texts, sols


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    rows = [json.loads(line) for line in args.corpus.open(encoding="utf-8") if line.strip()]
    normal = [r for r in rows if r["kind"] != "hostile"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"corpus: {len(rows)} rows ({len(normal)} non-hostile)")

    # warm both up (imports, antlr tables, our tail helper)
    accuracy_reward(completions=[r"\boxed{\frac{1}{2}}", r"\boxed{6}"], solution=["0.5", r"\sum_{k=1}^{3} k"])
    math_verify_grade(r"\boxed{\frac{1}{2}}", "0.5")

    distinct = [(build(r["completion"]), r["solution"]) for r in normal]
    print(f"\n1. all-distinct answers, one row per call ({len(distinct)} rows; best of {args.repeats})")
    best = {}
    for name, fn in (("ours", ours_one), ("math-verify", lambda t, s: math_verify_grade(t, s))):
        runs = []
        for _ in range(args.repeats):
            parse_latex.cache_clear()
            runs.append(timed_per_row(fn, distinct))
        rate, lat = max(runs, key=lambda x: x[0])
        best[name] = rate
        print(
            f"  {name:<12} {rate:9.0f} rows/s   p50 {statistics.median(lat) * 1e3:7.3f} ms"
            f"   p99 {percentile(lat, 0.99) * 1e3:8.3f} ms   max {max(lat) * 1e3:8.1f} ms"
        )
    print(f"  ratio        {best['ours'] / best['math-verify']:9.1f}x")

    texts, sols = grpo_batch(normal)
    print(f"\n2. GRPO-shaped batch: 16 prompts x 64 completions = {len(texts)} rows (best of {args.repeats})")
    ours_times = []
    for _ in range(args.repeats):
        parse_latex.cache_clear()
        t0 = time.perf_counter()
        accuracy_reward(completions=texts, solution=sols)
        ours_times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for text, sol in zip(texts, sols):
        math_verify_grade(text, sol)
    theirs = time.perf_counter() - t0
    ours = min(ours_times)
    print(f"  ours         {len(texts) / ours:9.0f} rows/s   ({ours:.3f} s for the batch, one call)")
    print(f"  math-verify  {len(texts) / theirs:9.0f} rows/s   ({theirs:.3f} s, one call per row)")
    print(f"  ratio        {theirs / ours:9.1f}x")

    print("\n3. accuracy on the labelled corpus")
    got = accuracy_reward(completions=[build(r["completion"]) for r in rows], solution=[r["solution"] for r in rows])
    ours_right = sum(g == r["expected"] for g, r in zip(got, rows))
    ours_fp = sum(g == 1.0 and r["expected"] != 1.0 for g, r in zip(got, rows))
    theirs_right = theirs_fp = 0
    for text, r in zip((t for t, _ in distinct), normal):
        t = math_verify_grade(text, r["solution"])
        theirs_right += (t is None) if r["expected"] is None else (t == r["expected"])
        theirs_fp += t == 1.0 and r["expected"] != 1.0
    print(f"  ours         {ours_right}/{len(rows)} = {ours_right / len(rows):.1%}, false positives {ours_fp}")
    print(
        f"  math-verify  {theirs_right}/{len(normal)} = {theirs_right / len(normal):.1%} (non-hostile rows),"
        f" false positives {theirs_fp}"
    )


if __name__ == "__main__":
    main()
