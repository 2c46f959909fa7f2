"""Tests of ``choice_reward``: the hand-labelled golden corpus, invariants, hostile input, pickling.

Golden rows (``tests/golden/choice.jsonl``): ``completion`` (text, a conversation, or
``{"parts": [[text, count], ...]}``), ``columns`` (``answer``, and ``choices`` or ``options``),
``expected``, ``status``, ``kind``, ``source``, ``why``; optional ``config``.
"""

from __future__ import annotations

import json
import pickle
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifiers import ChoiceReward, ConfigError, choice_reward
from verifiers.types import Status

GOLDEN = Path(__file__).parent / "golden" / "choice.jsonl"
ROWS = [json.loads(line) for line in GOLDEN.open(encoding="utf-8") if line.strip()]
IDS = [r["id"] for r in ROWS]
ROW_BUDGET_S = 2.0
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CITY = ["London", "Paris", "Rome", "Berlin"]


def build(completion):
    if isinstance(completion, dict):
        return "".join(text * count for text, count in completion["parts"])
    return completion


def test_golden_file_is_well_formed():
    assert len(ROWS) >= 80
    assert len(set(IDS)) == len(IDS)
    for r in ROWS:
        assert {"id", "completion", "columns", "expected", "status", "kind", "source", "why"} <= set(r), r["id"]
        assert set(r) <= {"id", "completion", "columns", "expected", "status", "kind", "source", "why", "config"}
        assert (r["expected"] is None) == (Status(r["status"]).fault.value == "data"), r["id"]
        assert r["kind"] in {"realistic", "form", "hack", "hedge", "hostile", "config", "reference"}, r["id"]


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_golden(row):
    text = build(row["completion"])
    reward = ChoiceReward(**row.get("config", {}))
    start = time.perf_counter()
    verdict = reward.score([text], **{k: [v] for k, v in row["columns"].items()})[0]
    elapsed = time.perf_counter() - start
    assert (verdict.reward, verdict.status.value) == (row["expected"], row["status"]), (row["why"], verdict)
    assert elapsed < ROW_BUDGET_S, f"{row['id']} took {elapsed:.2f}s"


def test_golden_rows_with_choices_as_one_batch_and_from_threads():
    plain = [r for r in ROWS if "config" not in r and "choices" in r["columns"]]
    texts = [build(r["completion"]) for r in plain]
    cols = {"answer": [r["columns"]["answer"] for r in plain], "choices": [r["columns"]["choices"] for r in plain]}
    verdicts = choice_reward.score(texts, **cols)
    assert [(v.reward, v.status.value) for v in verdicts] == [(r["expected"], r["status"]) for r in plain]
    with ThreadPoolExecutor(4) as pool:
        assert all(r == verdicts for r in pool.map(lambda _: choice_reward.score(texts, **cols), range(4)))
    assert pickle.loads(pickle.dumps(ChoiceReward(match_text=False))) == ChoiceReward(match_text=False)


def test_choices_and_options_columns():
    assert choice_reward(["<answer>Paris</answer>"], answer=["B"], options=[CITY]) == [1.0]
    assert choice_reward(["<answer>Paris</answer>"], answer=["B"], choices=[CITY], options=[["x", "y"]]) == [1.0]
    assert choice_reward(["<answer>Paris</answer>"], answer=["B"], choices=[None], options=[CITY]) == [1.0]


# -- Hypothesis --------------------------------------------------------------------------------
FORMS = ["{L}", "({L})", "{L})", "{L}.", "**{L}**", "\\boxed{{{L}}}", "option {L}", "\\text{{{L}}}", "{L}: {T}",
         "({L}) {T}"]
WRAPS = ["<answer>{F}</answer>", "<think>hmm, maybe A or D</think>\nThe answer is {F}", "Answer: {F}",
         "Final Answer:\n{F}", "The correct option is {F}.", "reasoning\n\n{F}"]


@FAST
@given(st.integers(2, 10), st.data())
def test_every_form_of_the_right_letter_is_correct_and_of_another_is_not(n, data):
    options = [f"text of option {i}" for i in range(n)]
    gold = data.draw(st.integers(0, n - 1))
    other = data.draw(st.integers(0, n - 1).filter(lambda i: i != gold))
    form, wrap = data.draw(st.sampled_from(FORMS)), data.draw(st.sampled_from(WRAPS))
    letters = "ABCDEFGHIJ"
    for index, status in ((gold, Status.CORRECT), (other, Status.INCORRECT)):
        text = wrap.format(F=form.format(L=letters[index], T=options[index]))
        verdict = choice_reward.score([text], answer=[letters[gold]], choices=[options])[0]
        assert verdict.status is status, (text, verdict)
        # the MMLU index and the option text as references give the same verdict
        assert choice_reward.score([text], answer=[gold], choices=[options])[0] == verdict


@FAST
@given(st.integers(2, 10), st.data())
def test_two_different_letters_are_a_hedge(n, data):
    letters = "ABCDEFGHIJ"[:n]
    a, b = data.draw(st.lists(st.sampled_from(letters), min_size=2, max_size=2, unique=True))
    sep = data.draw(st.sampled_from([" or ", ", ", "/", " and ", " or option "]))
    wrap = data.draw(st.sampled_from(["<answer>{}</answer>", "The answer is {}.", "Answer: {}", "\\boxed{{{}}}"]))
    text = wrap.format(f"{a}{sep}{b}")
    verdict = choice_reward.score([text], answer=[a], choices=[[f"o{i}" for i in range(n)]])[0]
    assert verdict.status is Status.AMBIGUOUS and verdict.reward == 0.0, (text, verdict)


@FAST
@given(st.text(max_size=200), st.sampled_from(["A", "B", 3, "Paris"]))
def test_any_text_gets_a_verdict_in_range(text, answer):
    for completion in (text, f"<answer>{text}</answer>", f"The answer is {text}"):
        verdict = choice_reward.score([completion], answer=[answer], choices=[CITY])[0]
        assert verdict.reward in (0.0, 1.0) and verdict.status.fault.value in ("none", "model")


def test_hostile_inputs_are_fast():
    hostile = ["The answer is " * 100_000, "(" * 500_000, "A or " * 200_000, "\\boxed{" * 100_000,
               "<answer>" + "A, " * 300_000 + "</answer>", "option " * 150_000, "**" * 500_000]
    start = time.perf_counter()
    verdicts = choice_reward.score(hostile, answer=["B"] * len(hostile), choices=[CITY] * len(hostile))
    assert all(v.reward == 0.0 for v in verdicts)
    assert time.perf_counter() - start < 5.0


def test_config_is_checked():
    with pytest.raises(ConfigError):
        ChoiceReward(tail_chars=5)
    assert ChoiceReward().signature().startswith("choice|low:0|high:1|text:True|tail:4000|")
