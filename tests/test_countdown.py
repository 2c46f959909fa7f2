"""Tests of ``countdown_reward``: the hand-labelled golden corpus, TinyZero's script on the same
rows (agreeing where it is right, and the rows where it is wrong), Hypothesis invariants, bounded
time on hostile input, pickling and threads.

Golden rows (``tests/golden/countdown.jsonl``): ``completion`` (text, a conversation, or
``{"parts": [[text, count], ...]}`` for megabyte inputs), ``columns`` (``target``, ``nums``),
``expected``, ``status``, ``kind``, ``source``, ``why``; optional ``config`` (overrides) and
``tinyzero`` (``{"differs": why}``: TinyZero's verdict differs from ours, or ``{"skip": why}``:
it must not be run on this row).
"""

from __future__ import annotations

import contextlib
import json
import pickle
import random
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifiers import ConfigError, CountdownReward, countdown_reward
from verifiers.extract.messages import completion_text
from verifiers.puzzles.arith import ParseError, parse_expression
from verifiers.types import Status

from reference_scripts import tinyzero_filter_accepts, tinyzero_score

GOLDEN = Path(__file__).parent / "golden" / "countdown.jsonl"
ROWS = [json.loads(line) for line in GOLDEN.open(encoding="utf-8") if line.strip()]
IDS = [r["id"] for r in ROWS]
#: Not a speed test: only a hang or a runaway exceeds it (rows take microseconds).
ROW_BUDGET_S = 2.0
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(completion):
    if isinstance(completion, dict):
        return "".join(text * count for text, count in completion["parts"])
    return completion


def reward_for(row):
    return CountdownReward(**row.get("config", {}))


def test_golden_file_is_well_formed():
    assert len(ROWS) >= 80
    assert len(set(IDS)) == len(IDS)
    for r in ROWS:
        assert {"id", "completion", "columns", "expected", "status", "kind", "source", "why"} <= set(r), r["id"]
        assert set(r) <= {"id", "completion", "columns", "expected", "status", "kind", "source", "why", "config",
                          "tinyzero"}, r["id"]
        assert (r["expected"] is None) == (Status(r["status"]).fault.value == "data"), r["id"]
        assert r["why"].strip() and r["kind"] in {"realistic", "form", "hack", "hole", "hostile", "config",
                                                  "reference"}, r["id"]


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_golden(row):
    text = build(row["completion"])
    start = time.perf_counter()
    verdict = reward_for(row).score([text], **{k: [v] for k, v in row["columns"].items()})[0]
    elapsed = time.perf_counter() - start
    assert (verdict.reward, verdict.status.value) == (row["expected"], row["status"]), (row["why"], verdict)
    assert elapsed < ROW_BUDGET_S, f"{row['id']} took {elapsed:.2f}s"


def test_golden_as_one_batch_reversed_and_from_threads():
    plain = [r for r in ROWS if "config" not in r]
    texts = [build(r["completion"]) for r in plain]
    cols = {k: [r["columns"][k] for r in plain] for k in ("target", "nums")}
    verdicts = countdown_reward.score(texts, **cols)
    assert [(v.reward, v.status.value) for v in verdicts] == [(r["expected"], r["status"]) for r in plain]
    assert countdown_reward.score(texts[::-1], **{k: v[::-1] for k, v in cols.items()}) == verdicts[::-1]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: countdown_reward.score(texts, **cols), range(4)))
    assert all(r == verdicts for r in results)
    copy = pickle.loads(pickle.dumps(CountdownReward(partial=0.1, use="at_most")))
    assert copy == CountdownReward(partial=0.1, use="at_most")


# -- TinyZero's script on the same rows -------------------------------------------------------
PARITY = [r for r in ROWS if r["expected"] is not None]


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # TinyZero's eval of "2(3+4)"
@pytest.mark.parametrize("row", PARITY, ids=[r["id"] for r in PARITY])
def test_tinyzero_agrees_where_it_is_right_and_differs_where_documented(row):
    note = row.get("tinyzero", {})
    text = completion_text(build(row["completion"]))
    target, nums = row["columns"]["target"], row["columns"]["nums"]
    ours_correct = row["status"] == "correct"
    if "skip" in note:
        # the hole itself: the power tower passes TinyZero's number check and character filter
        equation = text.rsplit("<answer>", 1)[1].split("</answer>")[0]
        assert tinyzero_filter_accepts(equation, nums), note["skip"]
        return
    theirs_correct = tinyzero_score("Assistant:\n" + text, target, nums) == 1.0
    if "differs" in note:
        assert theirs_correct != ours_correct, note["differs"]
    else:
        assert theirs_correct == ours_correct, row["why"]


def test_tinyzero_partial_credit_is_reproduced_by_config():
    """TinyZero's 0.1 for a well-formed wrong equation is `partial=0.1`."""
    text = "<answer>44 + 19 - 35</answer>"
    assert tinyzero_score("Assistant:\n" + text, 98, [44, 19, 35]) == 0.1
    assert CountdownReward(partial=0.1)([text], target=[98], nums=[[44, 19, 35]]) == [0.1]


# -- Hypothesis --------------------------------------------------------------------------------
OPS = "+-*/"


@st.composite
def expressions(draw):
    """A random expression over 1-5 given numbers with its exact value (None: divides by zero)."""
    nums = draw(st.lists(st.integers(0, 120), min_size=1, max_size=5))
    parts = [(str(n), Fraction(n)) for n in nums]
    zero = False
    while len(parts) > 1:
        i = draw(st.integers(0, len(parts) - 2))
        (a, x), (b, y) = parts[i], parts[i + 1]
        op = draw(st.sampled_from(OPS))
        if op == "/" and y == 0:
            zero = True
            value = Fraction(0)
        else:
            value = {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else Fraction(0)}[op]
        parts[i : i + 2] = [(f"({a} {op} {b})", value)]
    expr, value = parts[0]
    return expr, nums, None if zero else value


@FAST
@given(expressions(), st.randoms(use_true_random=False))
def test_any_valid_expression_reaching_the_target_is_accepted(case, rnd):
    expr, nums, value = case
    if value is None:
        verdict = countdown_reward.score([f"<answer>{expr}</answer>"], target=[0], nums=[nums])[0]
        assert verdict.status is Status.INCORRECT and verdict.detail == "division by zero"
        return
    shuffled = list(nums)
    rnd.shuffle(shuffled)
    target = value if value.denominator != 1 else int(value)
    target_col = str(value) if value.denominator != 1 else target
    for given_nums in (nums, shuffled):
        out = countdown_reward.score([f"<answer>{expr}</answer>"], target=[target_col], nums=[given_nums])[0]
        assert out.status is Status.CORRECT, (expr, given_nums, target, out)
    # and a different target is wrong, with the same verdict whatever the order of nums
    wrong = [countdown_reward.score([f"<answer>{expr}</answer>"], target=[str(value + 1)], nums=[n])[0]
             for n in (nums, shuffled)]
    assert wrong[0] == wrong[1] and wrong[0].status is Status.INCORRECT


@FAST
@given(st.text(alphabet="0123456789+-*/() x.=^%<>answer\n", max_size=120), st.lists(st.integers(0, 100), max_size=5),
       st.integers(-50, 200))
def test_any_text_gets_a_verdict_in_range(body, nums, target):
    for text in (body, f"<answer>{body}</answer>"):
        verdict = countdown_reward.score([text], target=[target], nums=[nums or [1]])[0]
        assert verdict.reward is not None and 0.0 <= verdict.reward <= 1.0
        assert verdict.status.fault.value in ("none", "model")


@FAST
@given(st.lists(st.sampled_from(["(", ")", "9", "*", "**", "+", "-", "/", "//", " "]), max_size=400))
def test_parser_is_bounded_and_only_raises_parse_errors(tokens):
    text = "".join(tokens)
    start = time.perf_counter()
    with contextlib.suppress(ParseError):
        parse_expression(text)
    assert time.perf_counter() - start < 0.5


def test_hostile_inputs_are_fast_from_a_thread():
    hostile = ["9**9**9", "(" * 100_000 + "1" + ")" * 100_000, "1" * 1_000_000, "1+" * 500_000 + "1",
               "-" * 100_000 + "1", "<answer>" * 200_000, "9" * 10_000 + "/" + "0"]
    texts = [f"<answer>{h}</answer>" for h in hostile]
    start = time.perf_counter()
    with ThreadPoolExecutor(1) as pool:
        verdicts = pool.submit(countdown_reward.score, texts, target=[1] * len(texts), nums=[[9, 9, 9]] * len(texts))
        result = verdicts.result(timeout=30)
    assert all(v.reward == 0.0 for v in result)
    assert time.perf_counter() - start < 5.0


def test_parse_depth_is_bounded_without_recursion_errors():
    for depth in (16, 17, 500):
        text = "(" * depth + "1" + ")" * depth
        if depth <= 16:
            assert parse_expression(text).value == 1
        else:
            with pytest.raises(ParseError, match="deeper"):
                parse_expression(text)
    assert parse_expression("(" * 90 + "1" + ")" * 90, max_depth=100).value == 1


def test_config_is_checked():
    with pytest.raises(ConfigError):
        CountdownReward(partial=2.0)
    with pytest.raises(ConfigError):
        CountdownReward(use="twice")
    with pytest.raises(ConfigError):
        CountdownReward(max_chars=0)
    signature = CountdownReward().signature()
    assert signature.startswith("countdown|low:0|high:1|partial:none|use:exactly|chars:300|depth:16|")


def test_exact_arithmetic_where_floats_fail():
    # 0.1 + 0.2 != 0.3 in floats; exact here (target 3/10 with numbers 1, 2, 10)
    assert countdown_reward(["<answer>1 / 10 + 2 / 10</answer>"], target=["0.3"], nums=[[1, 10, 2, 10]]) == [1.0]
    rnd = random.Random(0)
    for _ in range(200):
        a, b = rnd.randint(1, 10**6), rnd.randint(1, 10**6)
        assert parse_expression(f"{a} / {b} * {b}").value == a


@pytest.mark.parametrize(
    ("equation", "detail"),
    [
        ("9**9**9", "powers (**) are not allowed"),
        ("7 // 2 + 4", "floor division (//) is not allowed"),
        ("10 % 4 + 5", "the remainder operator (%) is not allowed"),
        ("__import__('os')", "letters and names are not allowed in an equation"),
        ("3.0 + 5", "decimal numbers are not allowed (only the given integers)"),
        ("(44 + 19 + 35", "unbalanced parentheses"),
        ("3 / (5 - 5)", "division by zero"),
    ],
)
def test_details_name_the_problem(equation, detail):
    nums = [3, 5, 5] if "5 - 5" in equation else [9, 9, 9]
    assert countdown_reward.score([f"<answer>{equation}</answer>"], target=[1], nums=[nums])[0].detail == detail
