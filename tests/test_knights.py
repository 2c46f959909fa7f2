"""Tests of ``knights_knaves_reward``: the hand-labelled golden corpus, Logic-RL's script on the
same rows (agreeing where it is right, and the rows where it is wrong), invariants, hostile input.

Golden rows (``tests/golden/knights_knaves.jsonl``): ``completion`` (text, a conversation, or
``{"parts": [[text, count], ...]}``), ``columns`` (``names``; ``solution`` and/or
``solution_text_format`` / ``solution_text``), ``expected``, ``status``, ``kind``, ``source``,
``why``; optional ``config`` and ``logic_rl`` (``{"differs": why}``).
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

from verifiers import ConfigError, KnightsKnaves, knights_knaves_reward
from verifiers.extract.messages import completion_text
from verifiers.types import Status

from reference_scripts import logic_rl_score

GOLDEN = Path(__file__).parent / "golden" / "knights_knaves.jsonl"
ROWS = [json.loads(line) for line in GOLDEN.open(encoding="utf-8") if line.strip()]
IDS = [r["id"] for r in ROWS]
ROW_BUDGET_S = 2.0
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = ["Zoey", "Ella", "Oliver", "Mia", "Henry", "Jack", "Amelia", "Scarlett"]


def build(completion):
    if isinstance(completion, dict):
        return "".join(text * count for text, count in completion["parts"])
    return completion


def test_golden_file_is_well_formed():
    assert len(ROWS) >= 80
    assert len(set(IDS)) == len(IDS)
    for r in ROWS:
        assert {"id", "completion", "columns", "expected", "status", "kind", "source", "why"} <= set(r), r["id"]
        assert set(r) <= {"id", "completion", "columns", "expected", "status", "kind", "source", "why", "config",
                          "logic_rl"}, r["id"]
        assert (r["expected"] is None) == (Status(r["status"]).fault.value == "data"), r["id"]
        assert r["kind"] in {"realistic", "form", "hack", "hedge", "hole", "hostile", "config", "reference"}, r["id"]


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_golden(row):
    text = build(row["completion"])
    reward = KnightsKnaves(**row.get("config", {}))
    start = time.perf_counter()
    verdict = reward.score([text], **{k: [v] for k, v in row["columns"].items()})[0]
    elapsed = time.perf_counter() - start
    assert (verdict.reward, verdict.status.value) == (row["expected"], row["status"]), (row["why"], verdict)
    assert elapsed < ROW_BUDGET_S, f"{row['id']} took {elapsed:.2f}s"


def test_golden_as_one_batch_reversed_and_from_threads():
    plain = [r for r in ROWS if "config" not in r and set(r["columns"]) == {"names", "solution"}]
    texts = [build(r["completion"]) for r in plain]
    cols = {k: [r["columns"][k] for r in plain] for k in ("names", "solution")}
    verdicts = knights_knaves_reward.score(texts, **cols)
    assert [(v.reward, v.status.value) for v in verdicts] == [(r["expected"], r["status"]) for r in plain]
    assert knights_knaves_reward.score(texts[::-1], **{k: v[::-1] for k, v in cols.items()}) == verdicts[::-1]
    with ThreadPoolExecutor(4) as pool:
        assert all(r == verdicts for r in pool.map(lambda _: knights_knaves_reward.score(texts, **cols), range(4)))
    reward = KnightsKnaves(scoring="fraction", knave_words="knave,liar")
    assert pickle.loads(pickle.dumps(reward)) == reward


# -- Logic-RL's script on the same rows ---------------------------------------------------------
PARITY = [r for r in ROWS if r["expected"] is not None and "config" not in r]


def solution_text_format(names, solution):
    roles = ["knight" if s else "knave" for s in solution]
    return "\n".join(f"({i + 1}) {n} is a {r}" for i, (n, r) in enumerate(zip(names, roles)))


@pytest.mark.parametrize("row", PARITY, ids=[r["id"] for r in PARITY])
def test_logic_rl_agrees_where_it_is_right_and_differs_where_documented(row):
    cols = row["columns"]
    if "solution" in cols:
        truth = [s if isinstance(s, bool) else s == "knight" for s in cols["solution"]]
        gold = solution_text_format(cols["names"], truth)
    else:
        gold = cols.get("solution_text_format") or solution_text_format(cols["names"], [True, False])
    text = completion_text(build(row["completion"]))
    theirs_correct = logic_rl_score("<|im_start|>assistant\n" + text, gold) == 3.0
    ours_correct = row["status"] == "correct"
    note = row.get("logic_rl", {})
    if "differs" in note:
        assert theirs_correct != ours_correct, note["differs"]
    else:
        assert theirs_correct == ours_correct, row["why"]


def test_logic_rl_scores_are_reproduced_on_its_own_format():
    gold = "(1) Zoey is a knight\n(2) Oliver is a knave"
    right = "<think>x</think><answer>(1) Zoey is a knight\n(2) Oliver is a knave</answer>"
    wrong = "<think>x</think><answer>(1) Zoey is a knave\n(2) Oliver is a knave</answer>"
    table = "<think>x</think><answer>Zoey: knight\nOliver: knave</answer>"
    scores = [logic_rl_score("Assistant: " + t, gold) for t in (right, wrong, table)]
    assert scores == [3.0, -0.5, -1.0]  # a correct table scores below a wrong sentence: their shaping hole
    ours = knights_knaves_reward([right, wrong, table], names=[["Zoey", "Oliver"]] * 3, solution=[[True, False]] * 3)
    assert ours == [1.0, 0.0, 1.0]


# -- Hypothesis ----------------------------------------------------------------------------------
LINE_FORMS = ["({i}) {n} is a {r}", "{n}: {r}", "{n} - {R}", "| {n} | {R} |", "**{n}** is a **{r}**", "{n} ({r})",
              "{n} is {neg}a {o}"]


@FAST
@given(st.data())
def test_any_line_format_and_order_of_the_right_roles_is_correct(data):
    n = data.draw(st.integers(1, len(NAMES)))
    names = data.draw(st.permutations(NAMES))[:n]
    truth = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    lines = []
    for i, (name, role) in enumerate(zip(names, truth)):
        form = data.draw(st.sampled_from(LINE_FORMS))
        word = "knight" if role else "knave"
        other = "knave" if role else "knight"
        lines.append(form.format(i=i + 1, n=name, r=word, R=word.title(), neg="not ", o=other))
    order = data.draw(st.permutations(range(n)))
    body = "\n".join(lines[i] for i in order)
    verdict = knights_knaves_reward.score([f"<answer>{body}</answer>"], names=[names], solution=[truth])[0]
    assert verdict.status is Status.CORRECT, (body, verdict)
    # flipping one person's role makes it wrong (all) or (n-1)/n (fraction)
    k = data.draw(st.integers(0, n - 1))
    flipped = [not t if i == k else t for i, t in enumerate(truth)]
    wrong = knights_knaves_reward.score([f"<answer>{body}</answer>"], names=[names], solution=[flipped])[0]
    assert wrong.status is Status.INCORRECT and wrong.reward == 0.0
    frac = KnightsKnaves(scoring="fraction").score([f"<answer>{body}</answer>"], names=[names], solution=[flipped])[0]
    assert frac.reward == pytest.approx((n - 1) / n)


PIECES = [*NAMES[:3], " knight", " knave", " not", ".", "\n", ",", " is a ", "'s", "<answer>", "</answer>", "</think>"]


@FAST
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join), st.lists(st.booleans(), min_size=3, max_size=3),
       st.sampled_from(["all", "fraction"]))
def test_any_text_gets_a_verdict_in_range(text, truth, scoring):
    verdict = KnightsKnaves(scoring=scoring).score([text], names=[NAMES[:3]], solution=[truth])[0]
    assert verdict.reward is not None and 0.0 <= verdict.reward <= 1.0
    assert verdict.status.fault.value in ("none", "model")


def test_hostile_inputs_are_fast():
    hostile = ["Zoey " * 300_000, "knight knave " * 100_000, "Zoey is a knight.\n\n" * 100_000,
               "<answer>" + "Zoey Oliver " * 100_000 + "</answer>", "not " * 300_000, "(" * 1_000_000]
    start = time.perf_counter()
    verdicts = knights_knaves_reward.score(hostile, names=[["Zoey", "Oliver"]] * len(hostile),
                                           solution=[[True, False]] * len(hostile))
    assert all(v.reward == 0.0 for v in verdicts)
    assert time.perf_counter() - start < 5.0


def test_config_is_checked():
    with pytest.raises(ConfigError):
        KnightsKnaves(knight_words=("knight",), knave_words=("Knight",))
    with pytest.raises(ConfigError):
        KnightsKnaves(knight_words=("kn ight",))
    with pytest.raises(ConfigError):
        KnightsKnaves(scoring="some")
    assert KnightsKnaves(knave_words="knave,liar").config.knave_words == ("knave", "liar")
    assert KnightsKnaves().signature().startswith("knights_knaves|low:0|high:1|scoring:all|knight:knight|knave:knave|")


def test_the_word_reader_and_the_pattern_reader_agree_on_every_golden_text():
    """Casts of one-word names are read word by word; others by one pattern. Same tokens."""
    from verifiers.puzzles.knights import _Cast, _scan

    checked = 0
    for row in ROWS:
        names = row["columns"].get("names")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            continue
        text = completion_text(build(row["completion"]))[-5000:]
        words = _Cast(tuple(names), ("knight",), ("knave",))
        pattern = _Cast(tuple(names), ("knight",), ("knave",), by_pattern=True)
        assert _scan(text, words) == _scan(text, pattern), row["id"]
        checked += 1
    assert checked > 70
    # a name of two words goes to the pattern reader
    both = KnightsKnaves().score(["<answer>Mary Ann is a knight. Bo is a knave.</answer>"], names=[["Mary Ann", "Bo"]],
                                 solution=[[True, False]])[0]
    assert both.status is Status.CORRECT
