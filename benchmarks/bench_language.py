"""Rows/s and accuracy of the language-consistency reward against per-row langdetect.

Run: python benchmarks/bench_language.py [--quick]

The reference is what the issue calls "plain per-row langdetect": ``1.0 if detect(cot) == target
else 0.0`` with langdetect 1.0.9 seeded (``DetectorFactory.seed = 0``), on the same CoT text
(the think block, found by ``verifiers.extract.tags.think_content``, the reader the reward uses).

Speed: synthetic reasoning rows, all distinct (a step number in every sentence, so neither our
batch de-duplication nor a cache of whole rows helps). About 70% English, 12% English/Chinese
mixed, 10% Chinese, 5% French and 3% LaTeX-heavy English; 300 to 4,000 characters each. The
detector cache is cleared before each timed run. At batch size 65536 langdetect is not run: its
rows/s is extrapolated from the 1024-row run (it is per-row work, so it scales linearly).

Accuracy: on tests/golden/language.jsonl (hand-labelled rows; mixed rows carry the known
proportion), the mean absolute error and the share of rows within TOLERANCE (0.01, the one
tolerance tests/test_language.py uses for every row), for every row with a numeric expected
value, and for the mixed rows alone. Also: how many golden
rows unseeded langdetect answers differently across 10 calls.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langdetect import DetectorFactory
from langdetect import detect as ld_detect
from langdetect.lang_detect_exception import LangDetectException

from verifiers.extract.tags import think_content
from verifiers.shaping import language as lang_mod
from verifiers.shaping.language import LanguageConsistency

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden" / "language.jsonl"
#: One absolute tolerance for every golden row (tests/test_language.py's TOLERANCE).
TOLERANCE = 0.01

EN = [
    "Let me think about how to set up the equation for this problem.",
    "We know the total is fixed, so the two unknowns must add up to it.",
    "Wait, I should double check whether the boundary case is included.",
    "So the number of valid arrangements is the product of the two counts.",
    "Hmm, that seems too large, because we counted each pair twice.",
    "Dividing by two fixes the double counting, which gives the final count.",
    "Now substitute the value back into the original equation to verify it.",
    "The function is increasing on this interval, so the minimum is at the left end.",
]
ZH = [
    "我们先列出方程，然后求解未知数。",
    "根据题意，两个数的和是固定的。",
    "等一下，我需要再检查一下边界情况。",
    "所以满足条件的排列数是两个计数的乘积。",
    "把结果代回原方程进行验证。",
]
FR = [
    "Il faut d'abord trouver le nombre de solutions possibles.",
    "Ensuite, on vérifie que la condition est bien satisfaite.",
    "Donc la réponse est le produit des deux nombres trouvés.",
]
LATEX = [r"$x^2 + y^2 = {n}$", r"\[ \frac{{a+b}}{{2}} \ge \sqrt{{ab}} + {n} \]", r"$$\sum_{{k=1}}^{{{n}}} k$$"]


def make_rows(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` distinct synthetic completions and their target languages."""
    rng = random.Random(seed)
    completions, targets = [], []
    for i in range(n):
        kind = rng.random()
        k = rng.randint(4, 45)
        sentences = []
        for j in range(k):
            step = f"Step {i}.{j}: " if kind < 0.82 else f"第{i}.{j}步："
            if kind < 0.70:
                body = rng.choice(EN)
            elif kind < 0.82:
                body = rng.choice(EN) if rng.random() < 0.6 else rng.choice(ZH)
            elif kind < 0.92:
                body = rng.choice(ZH)
            elif kind < 0.97:
                body = rng.choice(FR)
            else:
                body = rng.choice(EN) + " " + rng.choice(LATEX).format(n=i * 100 + j)
            sentences.append(step + body)
        completions.append("<think>" + " ".join(sentences) + "</think>\nThe answer is " + str(i))
        targets.append("zh" if 0.82 <= kind < 0.92 else "en")
    return completions, targets


# -- the reference ----------------------------------------------------------------------------------


def langdetect_reward(completions: Sequence[str], language: Sequence[str]) -> list[float]:
    """Per-row seeded langdetect: 1.0 when the CoT's detected language is the target."""
    out = []
    for text, target in zip(completions, language):
        cot = think_content(text) or ""
        try:
            code = ld_detect(cot).split("-")[0]
        except LangDetectException:
            code = None
        out.append(1.0 if code == target else 0.0)
    return out


def rows_per_second(fn: Callable[[], Any], n: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        lang_mod._detect_cached.cache_clear()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def bench_speed(quick: bool) -> None:
    ours = LanguageConsistency()
    sizes = (1, 64, 1024) if quick else (1, 64, 1024, 65536)
    print(f"{'batch':>7} {'ours rows/s':>13} {'langdetect rows/s':>18} {'ratio':>7}")
    pool, targets = make_rows(max(sizes) if not quick else 1024, seed=1)
    ours(pool[:8], language=targets[:8])  # warm-up: loads langdetect profiles, compiles regexes
    langdetect_reward(pool[:8], targets[:8])
    ld_rate_1024 = None
    for size in sizes:
        c, t = pool[:size], targets[:size]
        ours_reps = {1: 300, 64: 20, 1024: 3}.get(size, 1)
        ld_reps = {1: 100, 64: 5, 1024: 1}.get(size, 0)
        r_ours = rows_per_second(lambda c=c, t=t: ours(completions=c, language=t), size, ours_reps)
        if ld_reps:
            r_ld = rows_per_second(lambda c=c, t=t: langdetect_reward(c, t), size, ld_reps)
            note = ""
            if size == 1024:
                ld_rate_1024 = r_ld
        else:
            r_ld = ld_rate_1024 or float("nan")
            note = "  (langdetect extrapolated from the 1024-row run)"
        print(f"{size:>7} {r_ours:>13,.0f} {r_ld:>18,.0f} {r_ours / r_ld:>6.1f}x{note}")
    chars = sum(len(x) for x in pool[:1024]) / 1024
    print(f"(mean completion length of the first 1024 rows: {chars:,.0f} characters)")


# -- accuracy ---------------------------------------------------------------------------------------


def bench_accuracy() -> None:
    cases = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    cases = [c for c in cases if c["expected"] is not None and "config" not in c and c.get("language")]
    completions = [c["completion"] for c in cases]
    targets = [str(c["language"]).split("-")[0].lower() for c in cases]
    ours = LanguageConsistency()(completions, language=targets)
    ref = langdetect_reward(completions, targets)
    print(f"\nagreement with {len(cases)} labelled golden rows (tests/golden/language.jsonl)")
    within_label = f"within {TOLERANCE}"
    print(f"{'':>28} {'MAE':>7} {within_label:>11} {'pure within':>12} {'mixed MAE':>10} {'mixed within':>13}")
    mixed = [i for i, c in enumerate(cases) if 0.0 < c["expected"] < 1.0]
    pure = [i for i in range(len(cases)) if i not in set(mixed)]
    for label, got in (("ours", ours), ("langdetect (seeded, per row)", ref)):
        errs = [abs(g - c["expected"]) for g, c in zip(got, cases)]
        within = [e <= TOLERANCE + 1e-9 for e in errs]
        m_err = [errs[i] for i in mixed]
        m_within = [within[i] for i in mixed]
        p_within = [within[i] for i in pure]
        print(
            f"{label:>28} {sum(errs) / len(errs):>7.3f} {sum(within) / len(within):>10.0%} "
            f"{sum(p_within) / len(p_within):>11.0%} "
            f"{sum(m_err) / len(m_err):>10.3f} {sum(m_within) / len(m_within):>12.0%}"
        )
    # flakiness of unseeded langdetect: answers that change across calls
    saved = DetectorFactory.seed
    DetectorFactory.seed = None
    flaky = 0
    for text in completions:
        cot = think_content(text) or ""
        answers = set()
        for _ in range(10):
            try:
                answers.add(ld_detect(cot))
            except LangDetectException:
                answers.add(None)
        flaky += len(answers) > 1
    DetectorFactory.seed = saved
    print(f"unseeded langdetect changed its answer across 10 calls on {flaky} of {len(completions)} rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip batch size 65536")
    args = parser.parse_args()
    DetectorFactory.seed = 0  # the reference is seeded, as the issue asks
    print(f"bench_language: python {platform.python_version()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}")
    start = time.perf_counter()
    bench_speed(args.quick)
    bench_accuracy()
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
