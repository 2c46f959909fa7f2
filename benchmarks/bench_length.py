"""Rows/s of the length rewards and the repetition penalty, against their references.

Run: python benchmarks/bench_length.py [--quick] [--runs 5] [--sizes 64,1024]

For each batch size (1, 64, 1024, 65536) it measures, in the same run:

* overlong: our numpy kernel on a precomputed length array; our full ``__call__`` on TRL's
  ``completion_ids`` (lists of token ids); TRL's ``get_soft_overlong_punishment`` on the same
  ``completion_ids`` when trl is importable (values checked equal first).
* cosine / kimi: the numpy kernel on precomputed lengths and correctness, vs a per-row Python
  statement of open-r1's formula on the same precomputed inputs (open-r1's functions parse math
  inline, so they cannot be timed on precomputed correctness); then the full ``__call__``, which
  includes the inner ``MathAccuracy`` on distinct completions (so it measures the accuracy reward).
* cosine / kimi again with an inner reward that reads precomputed correctness from a column
  (``ColumnCorrect`` below): the full ``__call__`` cost without the math grading.
* repetition: our full ``__call__`` vs a per-row Python statement of open-r1's
  ``get_repetition_penalty_reward`` (values checked equal first).

Each figure is the best of several runs (fewer for big batches), in rows per second. With
``--runs N`` the whole measurement is repeated N times (sizes interleaved) and each figure is
printed as the median over the N, with min-max.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from verifiers import RewardConfig, Status, Verdict
from verifiers.base import Batch, BatchReward, Scores
from verifiers.shaping.length import CosineLength, KimiLength, SoftOverlong, cosine_kernel, kimi_kernel, overlong_kernel
from verifiers.shaping.repetition import RepetitionPenalty

SIZES = (1, 64, 1024, 65536)
MAX_LEN = 4096


# -- references (re-stated from open-r1's src/open_r1/rewards.py, per row, in plain Python) -----


def openr1_cosine(lengths: list[int], correct: list[bool], max_len: int = MAX_LEN) -> list[float]:
    out = []
    for gen_len, ok in zip(lengths, correct):
        cosine = math.cos(gen_len / max_len * math.pi)
        lo, hi = (0.5, 1.0) if ok else (-0.5, -1.0)
        out.append(lo + 0.5 * (hi - lo) * (1.0 + cosine))
    return out


def openr1_len(lengths: list[int], correct: list[bool]) -> list[float]:
    lo, hi = min(lengths), max(lengths)
    if lo == hi:
        return [0.0] * len(lengths)
    out = []
    for k, ok in zip(lengths, correct):
        lam = 0.5 - (k - lo) / (hi - lo)
        out.append(lam if ok else min(0.0, lam))
    return out


def openr1_repetition(texts: list[str], ngram_size: int = 3, max_penalty: float = -1.0) -> list[float]:
    out = []
    for text in texts:
        if text == "" or len(text.split()) < ngram_size:
            out.append(0.0)
            continue
        words = text.lower().split()
        grams = set()
        total = 0
        for gram in zip(*[words[i:] for i in range(ngram_size)]):
            grams.add(gram)
            total += 1
        out.append((1 - len(grams) / total) * max_penalty)
    return out


class ColumnCorrect(BatchReward[RewardConfig]):
    """An inner accuracy reward that reads precomputed correctness from a ``correct`` column."""

    name = "column_correct"
    columns = ("correct",)

    def grade_batch(self, batch: Batch) -> Scores:
        values = [1.0 if ok else 0.0 for ok in batch.column("correct") or []]

        def describe(i: int, value: float) -> Verdict:
            return Verdict(value, Status.CORRECT if value else Status.INCORRECT)

        return Scores.from_values(values, {}, describe)


# -- timing -------------------------------------------------------------------------------------


def rate(fn: Callable[[], Any], rows: int, budget: float) -> float:
    """Rows/s: best of as many runs as fit in ``budget`` seconds (at least 1, at most 200)."""
    best = float("inf")
    spent = 0.0
    runs = 0
    while runs < 200 and (runs == 0 or spent < budget):
        start = time.perf_counter()
        fn()
        took = time.perf_counter() - start
        best, spent, runs = min(best, took), spent + took, runs + 1
    return rows / best


def fmt(x: float) -> str:
    return f"{x / 1e6:8.2f}M" if x >= 1e6 else f"{x / 1e3:8.1f}k"


WORDS = ["the", "of", "answer", "so", "we", "x", "y", "equals", "plus", "minus", "step", "then", "compute", "sum"]


def make_text(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller time budget per figure")
    parser.add_argument("--runs", type=int, default=1, help="repeat every figure; print median (min-max) over runs")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated batch sizes")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    budget = 0.1 if args.quick else 0.4
    try:
        from trl.rewards import get_soft_overlong_punishment
    except ImportError:
        get_soft_overlong_punishment = None
    print(f"# python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    print("# rows/s (best of runs); ratio = ours / reference")
    rng = random.Random(0)
    big = max(SIZES)
    all_lengths = [rng.randrange(0, 2 * MAX_LEN, 16) for _ in range(big)]
    all_correct = [rng.random() < 0.5 for _ in range(big)]
    # token id lists shared between rows of equal length (65536 distinct lists would take 2 GB)
    shared = {k: [0] * k for k in set(all_lengths)}
    all_ids = [shared[k] for k in all_lengths]
    all_groups = [i // 16 for i in range(big)]  # 16 samples per prompt, like GRPO
    # distinct completions so the engine's de-duplication does not flatter the full call
    all_completions = [rf"step {i}: so \boxed{{{i % 7}}}" for i in range(big)]
    all_solutions = [str(i % 7) if ok else str(i % 7 + 1) for i, ok in enumerate(all_correct)]
    all_texts = [make_text(rng, rng.randint(20, 400)) for _ in range(big)]

    overlong = SoftOverlong(max_len=MAX_LEN, cache=1024)
    cosine = CosineLength(max_len=MAX_LEN)
    kimi = KimiLength()
    cosine_pre = CosineLength(max_len=MAX_LEN, accuracy=ColumnCorrect())
    kimi_pre = KimiLength(accuracy=ColumnCorrect())
    repetition = RepetitionPenalty()
    trl = get_soft_overlong_punishment(MAX_LEN, 1024) if get_soft_overlong_punishment else None

    figs: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    for n in [n for _ in range(args.runs) for n in sizes]:
        lengths, correct, ids = all_lengths[:n], all_correct[:n], all_ids[:n]
        arr_len, arr_ok, arr_grp = np.array(lengths), np.array(correct), np.array(all_groups[:n])
        comps, sols, texts = all_completions[:n], all_solutions[:n], all_texts[:n]
        b = budget if n < big else budget / 2
        fig: dict[str, float] = {}

        def run(
            name: str, fn: Callable[..., Any], *a: Any, _f: dict = fig, _n: int = n, _b: float = b, **kw: Any
        ) -> None:
            _f[name] = rate(partial(fn, *a, **kw), _n, _b)

        # overlong
        run("overlong kernel", overlong_kernel, arr_len, max_len=MAX_LEN, cache=1024)
        run("overlong call", overlong, completions=comps, completion_ids=ids)
        if trl is not None:
            assert overlong(completions=comps, completion_ids=ids) == trl(completion_ids=ids)
            run("overlong TRL", trl, completion_ids=ids)

        # cosine
        ours = cosine_kernel(arr_len, arr_ok, max_len=MAX_LEN).tolist()
        ref = openr1_cosine(lengths, correct)
        assert all(abs(a - c) < 1e-12 for a, c, k in zip(ours, ref, lengths) if k <= MAX_LEN)
        run("cosine kernel", cosine_kernel, arr_len, arr_ok, max_len=MAX_LEN)
        run("cosine open-r1 formula", openr1_cosine, lengths, correct)
        run("cosine call (column acc.)", cosine_pre, completions=comps, correct=correct, completion_ids=ids)
        run("cosine call (MathAccuracy)", cosine, completions=comps, solution=sols, completion_ids=ids)

        # kimi (groups of 16 samples per prompt for ours; open-r1 takes the whole batch)
        pid = all_groups[:n]
        run("kimi kernel", kimi_kernel, arr_len, arr_ok, arr_grp)
        run("kimi open-r1 formula", openr1_len, lengths, correct)
        run("kimi call (column acc.)", kimi_pre, completions=comps, correct=correct, completion_ids=ids, prompt_id=pid)
        run("kimi call (MathAccuracy)", kimi, completions=comps, solution=sols, completion_ids=ids, prompt_id=pid)

        # repetition
        assert repetition(completions=texts) == openr1_repetition(texts)
        run("repetition call", repetition, completions=texts)
        run("repetition open-r1", openr1_repetition, texts)
        figs[n].append(fig)

    ratios = {
        "overlong call / TRL": ("overlong call", "overlong TRL"),
        "overlong kernel / TRL": ("overlong kernel", "overlong TRL"),
        "cosine kernel / open-r1": ("cosine kernel", "cosine open-r1 formula"),
        "kimi kernel / open-r1": ("kimi kernel", "kimi open-r1 formula"),
        "repetition / open-r1": ("repetition call", "repetition open-r1"),
    }
    if args.runs > 1:
        print(f"# every figure: median (min-max) over {args.runs} runs of the whole measurement")
    for n in sizes:
        runs = figs[n]
        print(f"\n## batch {n}")
        for name in runs[0]:
            values = [f[name] for f in runs]
            extra = f"  ({fmt(min(values)).strip()}-{fmt(max(values)).strip()})" if len(runs) > 1 else ""
            print(f"  {name:28s} {fmt(statistics.median(values))} rows/s{extra}")
        for label, (a, b) in ratios.items():
            if b in runs[0]:
                values = [f[a] / f[b] for f in runs]
                extra = f"  ({min(values):.2f}-{max(values):.2f})" if len(runs) > 1 else ""
                print(f"  ratio {label:24s} {statistics.median(values):6.2f}x{extra}")


if __name__ == "__main__":
    main()
