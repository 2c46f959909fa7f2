"""Write a realistic GRPO-style JSONL file of R1 completions to score (deterministic).

Run: python benchmarks/make_realistic.py [OUT] [--rows 20000] [--group 16] [--seed 0] [--no-ids]

Default OUT: /tmp/verifiers_realistic.jsonl. Each line is one sampled completion::

    {"prompt_id": "p00012", "prompt": "...", "completion": "<think>\\n...\\n</think>\\n<answer>\\n...\\n</answer>",
     "solution": "...", "language": "en", "completion_ids": [...]}

What it looks like, so that no cache or shortcut makes scoring it trivial:

* ``--group`` samples per prompt (GRPO), consecutive rows; every prompt has its own gold answer
  (integers, fractions, radicals, multiples of pi, decimals, polynomials, ordered pairs,
  intervals, see below), so answers are distinct across the file. The ``solution`` is sometimes the bare
  answer, sometimes a worked MATH-style solution ending in ``\\boxed{}``, sometimes GSM8K
  ``#### answer``.
* About 45% of samples are correct (a third of those written in an equivalent but different form,
  e.g. ``0.25`` for ``\\frac{1}{4}``, so numeric/symbolic comparison is exercised), 37% wrong
  (mostly a perturbed answer of the gold's kind, sometimes one of another kind), 18% without
  a final answer (truncated inside the think block, or gave up). Of the answered ones, 12% break
  the template (no ``<answer>`` tags, or text after them). Gold answers are mostly integers
  (as in MATH / DAPO data), then fractions, radicals, multiples of pi, decimals, polynomials,
  ordered pairs and intervals.
* Chains of thought of 500-6,000 characters, written from step templates filled with the
  row's own numbers (so every row is distinct). About 85% of prompts are English (``language``
  ``en``), 15% Chinese (``zh``); a tenth of the English samples drift into Chinese for some
  sentences, and a fifth of the Chinese ones into English.
* ``completion_ids``: a stand-in list of token ids (about 3.7 characters per token for English,
  1.5 for Chinese), as a trainer's dump would carry; ``--no-ids`` leaves it out.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from fractions import Fraction
from typing import Any

EN_STEPS = [
    "First, let me restate the problem: we need to find {q}.",
    "Let me compute {a} times {b}, which is {ab}.",
    "Adding {a} and {b} gives {apb}, so the sum is {apb}.",
    "Wait, I should double-check whether the case n = {a} is allowed.",
    "Hmm, that seems too large, because we counted each pair twice; dividing by 2 gives {half}.",
    "Now substitute x = {a} back into the equation: $x^2 - {b}x = {sq}$.",
    "So the number of valid arrangements is $\\binom{{{a}}}{{2}} = {c2}$.",
    "Let me try a different approach using the identity "
    "$\\frac{{a}}{{b}} + \\frac{{c}}{{d}} = \\frac{{ad+bc}}{{bd}}$ with a = {a}.",
    "The function is increasing on $[{a}, {b}]$, so the minimum is at x = {a}.",
    "Therefore the remainder when {ab} is divided by {b} is {rem}.",
    "Let me verify: {a}^2 = {sq2}, which matches what we found in step {step}.",
    "Okay, so far we have {apb} candidates; now remove the {a} that violate the condition.",
    "Actually, I made an arithmetic error: {a} + {b} is {apb}, not {apb1}.",
    "By the Pythagorean theorem, the hypotenuse squared is {a}^2 + {b}^2 = {pyth}.",
    "Let me set up the equation $ {a}x + {b} = {ab} $ and solve for x.",
]
ZH_STEPS = [
    "首先，我们需要求出{q}。",
    "计算 {a} 乘以 {b}，结果是 {ab}。",
    "把 {a} 和 {b} 相加，得到 {apb}。",
    "等一下，我需要再检查一下 n = {a} 的边界情况是否满足条件。",
    "这个结果似乎太大了，因为每一对都被算了两次，除以二得到 {half}。",
    "把 x = {a} 代回原方程：$x^2 - {b}x = {sq}$。",
    "所以满足条件的排列数是 $\\binom{{{a}}}{{2}} = {c2}$。",
    "函数在区间 $[{a}, {b}]$ 上单调递增，所以最小值在 x = {a} 处取得。",
    "因此 {ab} 除以 {b} 的余数是 {rem}。",
    "验证一下：{a} 的平方是 {sq2}，和第 {step} 步的结果一致。",
    "换一种方法，设 {a}x + {b} = {ab}，解出 x。",
]
EN_QUESTIONS = [
    "the value of the expression",
    "the number of positive integers satisfying the condition",
    "the exact value of the area",
    "the minimum of the function on the given interval",
    "all real solutions of the equation",
]
ZH_QUESTIONS = ["这个表达式的值", "满足条件的正整数的个数", "这个图形的面积", "函数在给定区间上的最小值"]
EN_CLOSINGS = [
    "So the final answer is {ans}.",
    "Putting it together, the answer is {ans}.",
    "Thus we get {ans}, which satisfies every condition.",
]
ZH_CLOSINGS = ["所以最终答案是 {ans}。", "综上所述，答案是 {ans}。"]


# -- answers: (gold, an equivalent spelling, a wrong one) ------------------------------------------


def _frac(f: Fraction) -> str:
    sign = "-" if f < 0 else ""
    f = abs(f)
    return f"{sign}\\frac{{{f.numerator}}}{{{f.denominator}}}" if f.denominator != 1 else f"{sign}{f.numerator}"


KINDS = ["int"] * 11 + ["frac"] * 3 + ["sqrt", "sqrt", "pi", "dec", "poly", "pair", "interval"]


def make_answer(k: int, delta: int = 0) -> tuple[str, str]:
    """Prompt ``k``'s gold answer (``delta=0``) or a wrong one of the same kind (``delta != 0``),
    and an equivalent spelling of it. Distinct across prompts."""
    rng = random.Random(k)
    kind = rng.choice(KINDS)
    if kind == "int":
        n = (1000 * k + rng.randrange(1, 1000)) * rng.choice([1, 1, 1, -1]) + delta
        return str(n), f"{n:,}" if abs(n) >= 10_000 and rng.random() < 0.5 else f"{n}.0"
    if kind == "frac":
        den = rng.choice([2, 4, 5, 8, 16, 20, 25])  # terminating decimals, so 0.25 == \\frac{1}{4}
        num = 1 + (7 * k + rng.randrange(den * 50)) % (den * 50) + delta
        while Fraction(num, den).denominator == 1:
            num += 1
        f = Fraction(num, den)
        equiv = f"{float(f):g}" if rng.random() < 0.6 else f"\\dfrac{{{f.numerator}}}{{{f.denominator}}}"
        return _frac(f), equiv
    if kind == "sqrt":
        a, b = 2 + k % 37 + abs(delta), rng.choice([2, 3, 5, 6, 7, 10, 11, 13])
        return f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{a * a * b}}}"
    if kind == "pi":
        a, b = 2 + k % 53 + abs(delta), rng.choice([3, 4, 5, 6, 12])
        return f"\\frac{{{a}\\pi}}{{{b}}}", f"\\frac{{{a}}}{{{b}}}\\pi"
    if kind == "dec":
        x = (k * 1009 + rng.randrange(1000) + 50 * delta) / 100
        return f"{x:.2f}", f"{x:.2f}0"
    if kind == "poly":
        a, b, c = 1 + k % 9, k % 97 + 1 + delta, rng.randrange(1, 50)
        return f"{a}x^2 + {b}x + {c}", f"{c} + {b}x + {a}x^2"
    if kind == "pair":
        a, b = k % 211, rng.randrange(-50, 50) + delta
        return f"({a}, {b})", f"\\left({a},{b}\\right)"
    lo, hi = -(k % 89), rng.randrange(1, 200) + delta
    return f"[{lo}, {hi})", f"[{lo},{hi})"


def make_solution(rng: random.Random, gold: str) -> str:
    style = rng.random()
    if style < 0.55:
        return gold
    if style < 0.9:
        return f"We simplify step by step and check the constraints. Hence the answer is $\\boxed{{{gold}}}$."
    if any(c.isalpha() or c in "\\([" for c in gold):
        return gold
    return f"Adding the parts gives the total.\n#### {gold}"


# -- completions -----------------------------------------------------------------------------------


def _fill(rng: random.Random, template: str, q: str, step: int) -> str:
    a, b = rng.randrange(2, 400), rng.randrange(2, 90)
    return template.format(
        q=q,
        a=a,
        b=b,
        ab=a * b,
        apb=a + b,
        apb1=a + b + 1,
        half=a * b // 2,
        sq=a * a - b * a,
        c2=a * (a - 1) // 2,
        rem=(a * b + step) % b,
        sq2=a * a,
        step=step,
        pyth=a * a + b * b,
    )


def make_cot(rng: random.Random, lang: str, drift: bool, q_en: str, q_zh: str, chars: int) -> str:
    out: list[str] = []
    size, step = 0, 1
    main, other = (EN_STEPS, ZH_STEPS) if lang == "en" else (ZH_STEPS, EN_STEPS)
    q_main, q_other = (q_en, q_zh) if lang == "en" else (q_zh, q_en)
    while size < chars:
        switch = drift and rng.random() < 0.3
        template = rng.choice(other if switch else main)
        sentence = _fill(rng, template, q_other if switch else q_main, step)
        out.append(sentence)
        size += len(sentence) + 1
        step += 1
        if rng.random() < 0.15:
            out.append("\n\n")
    return " ".join(out).replace(" \n\n ", "\n\n")


def make_completion(rng: random.Random, lang: str, cot: str, answer: str | None, layout: str) -> str:
    closing = rng.choice(EN_CLOSINGS if lang == "en" else ZH_CLOSINGS)
    if answer is None:  # truncated or gave up: no final answer
        if layout == "truncated":
            return f"<think>\n{cot}"
        return f"<think>\n{cot}\n</think>\n\nI could not finish the computation in time."
    boxed = f"$\\boxed{{{answer}}}$"
    if layout == "no_answer_tags":
        return f"<think>\n{cot}\n</think>\n\n{closing.format(ans=boxed)}"
    if layout == "text_after":
        return f"<think>\n{cot}\n</think>\n<answer>\n{closing.format(ans=boxed)}\n</answer>\nI hope this helps!"
    return f"<think>\n{cot}\n</think>\n<answer>\n{closing.format(ans=boxed)}\n</answer>"


def token_ids(text: str, lang: str, seed: int) -> list[int]:
    n = max(1, int(len(text) / (3.7 if lang == "en" else 1.5)))
    return [(seed * 7919 + i * 104729) % 151_643 for i in range(n)]


def rows(n: int, *, group: int = 16, seed: int = 0, ids: bool = True, start: int = 0) -> list[dict[str, Any]]:
    """``n`` rows in prompt groups of ``group`` (the first prompt is number ``start``)."""
    rng = random.Random(seed * 1_000_003 + start)
    out: list[dict[str, Any]] = []
    k = start
    while len(out) < n:
        lang = "zh" if rng.random() < 0.15 else "en"
        gold, equiv = make_answer(k)
        solution = make_solution(rng, gold)
        q_en, q_zh = rng.choice(EN_QUESTIONS), rng.choice(ZH_QUESTIONS)
        prompt = (
            f"Problem {k}: find {q_en}. Put the final answer in \\boxed{{}}."
            if lang == "en"
            else f"第{k}题：求{q_zh}。请把最终答案写在 \\boxed{{}} 中。"
        )
        for s in range(min(group, n - len(out))):
            outcome = rng.random()
            if outcome < 0.30:
                answer: str | None = gold
            elif outcome < 0.45:
                answer = equiv
            elif outcome < 0.82:
                # mostly a wrong answer of the same kind; sometimes one of another kind
                delta = rng.choice([-1, 1]) * rng.randrange(1, 40)
                answer = make_answer(k, delta)[0] if rng.random() < 0.85 else make_answer(k + 7 * s + 1)[0]
            else:
                answer = None
            layout = rng.choices(
                ["ok", "no_answer_tags", "text_after", "truncated"],
                weights=[80, 8, 4, 8] if answer is None else [88, 8, 4, 0],
            )[0]
            drift = rng.random() < (0.10 if lang == "en" else 0.20)
            chars = int(min(6000, max(500, rng.lognormvariate(7.6, 0.55))))
            cot = make_cot(rng, lang, drift, q_en, q_zh, chars)
            completion = make_completion(rng, lang, cot, answer, layout)
            row: dict[str, Any] = {
                "prompt_id": f"p{k:05d}",
                "prompt": prompt,
                "completion": completion,
                "solution": solution,
                "language": lang,
            }
            if ids:
                row["completion_ids"] = token_ids(completion, lang, k * 64 + s)
            out.append(row)
        k += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="/tmp/verifiers_realistic.jsonl")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--group", type=int, default=16, help="samples per prompt (consecutive rows)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ids", action="store_true", help="leave out the completion_ids column")
    args = parser.parse_args()
    data = rows(args.rows, group=args.group, seed=args.seed, ids=not args.no_ids)
    with open(args.out, "w", encoding="utf-8") as f:
        for row in data:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    chars = sum(len(r["completion"]) for r in data) / len(data)
    zh = sum(r["language"] == "zh" for r in data)
    print(
        f"wrote {len(data)} rows to {args.out}: {len(data) // args.group} prompts, mean completion {chars:,.0f} chars, "
        f"{zh} rows with language zh",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
