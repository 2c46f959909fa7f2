"""Repetition penalty: parity with open-r1's formula on whitespace text, CJK handling, token ids,
bounded work, Hypothesis invariants, pickling and threads."""

from __future__ import annotations

import pickle
import re
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifiers.errors import ConfigError, InputError
from verifiers.shaping.repetition import (
    RepetitionPenalty,
    repeated_fraction,
    repetition_penalty_reward,
    split_units,
)
from verifiers.types import Status

from strategies import texts

SETTINGS = settings(max_examples=150, deadline=None)
SPACELESS = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u9fff\uf900-\ufaff\uff01-\uff9f\U00020000-\U0003ffff]"
)


def openr1_repetition(text: str, ngram_size: int = 3, max_penalty: float = -1.0) -> float:
    """open-r1's get_repetition_penalty_reward formula, re-stated from its source for comparison."""
    if text == "" or len(text.split()) < ngram_size:
        return 0.0
    words = text.lower().split()
    grams = list(zip(*[words[i:] for i in range(ngram_size)]))
    return (1 - len(set(grams)) / len(grams)) * max_penalty


def trl_repetition(ids: list[int], ngram_size: int = 3, max_penalty: float = -1.0) -> float:
    """TRL's token-id version (trl/rewards/other_rewards.py), re-stated for comparison."""
    if len(ids) < ngram_size:
        return 0.0
    grams = list(zip(*[ids[i:] for i in range(ngram_size)]))
    scaling = 1 - len(set(grams)) / len(grams)
    return scaling * max_penalty if scaling else 0.0


@pytest.mark.parametrize(
    ("text", "expected", "why"),
    [
        ("", 0.0, "empty completion: no penalty"),
        ("one two", 0.0, "fewer words than ngram_size: no n-gram, no penalty"),
        ("a b c", 0.0, "exactly one trigram: nothing repeats"),
        ("a b c a b c", -0.25, "trigrams abc bca cab abc: 1 of 4 repeated"),
        ("The cat. the CAT. the cat.", -0.5, "case-folded like open-r1: 'the cat.' x3 -> 2 of 4 repeated"),
        ("go " * 100, -98 / 98 + 1 / 98, "one trigram 98 times: 1 - 1/98"),
        ("我爱你" * 20, -(1 - 3 / 58), "Chinese without spaces: per-character trigrams, 3 unique of 58"),
        ("我爱你我爱你", -0.25, "same layout as 'a b c a b c' in characters"),
        ("ありがとう。ありがとう。", -(1 - 6 / 10), "Japanese kana and CJK punctuation are single units"),
        ("안녕 하세요 안녕 하세요 안녕 하세요", -0.5, "Hangul is written with spaces: whitespace words"),
        ("x = 1 我我我我我", -1 / 3, "mixed text: Latin words and Han characters in one stream, 4 of 6 unique"),
    ],
)
def test_values(text, expected, why):
    assert repetition_penalty_reward(completions=[text]) == [pytest.approx(expected)], why


def test_openr1_whitespace_defect_on_cjk():
    text = "这道题的答案是四。" * 50
    assert openr1_repetition(text) == 0.0  # one "word": open-r1 sees no repetition at all
    assert repetition_penalty_reward(completions=[text])[0] < -0.9


@SETTINGS
@given(text=st.text(alphabet=st.sampled_from("ab cd\n\tEF x"), max_size=80), n=st.integers(1, 4))
def test_parity_with_openr1_on_spaced_text(text, n):
    reward = RepetitionPenalty(ngram_size=n)
    assert reward(completions=[text]) == [pytest.approx(openr1_repetition(text, n), abs=1e-15)]


@SETTINGS
@given(ids=st.lists(st.integers(0, 5), max_size=60), n=st.integers(1, 4), low=st.floats(-3, 0))
def test_parity_with_trl_on_token_ids(ids, n, low):
    reward = RepetitionPenalty(ngram_size=n, unit="tokens", max_penalty=low)
    got = reward(completions=["ignored"], completion_ids=[ids])
    assert got == [pytest.approx(trl_repetition(ids, n, low), abs=1e-15)]
    as_array = reward(completions=["ignored"], completion_ids=[np.array(ids, dtype=np.int64)])
    assert as_array == got


@SETTINGS
@given(batch=st.lists(texts, max_size=12), n=st.integers(1, 5), low=st.floats(-5, 0), data=st.data())
def test_range_call_score_and_order(batch, n, low, data):
    reward = RepetitionPenalty(ngram_size=n, low=low)
    values = reward(completions=batch)
    assert values == [v.reward for v in reward.score(batch)]
    lo, hi = reward.reward_range
    assert all(lo <= v <= hi for v in values)
    assert values == [reward(completions=[t])[0] for t in batch]  # batch-size independent
    perm = data.draw(st.permutations(range(len(batch))))
    assert reward(completions=[batch[i] for i in perm]) == [values[i] for i in perm]
    assert [reward.score([t])[0] for t in batch] == reward.score(batch)


@SETTINGS
@given(text=texts)
def test_split_units_without_spaceless_scripts_is_str_split(text):
    if not SPACELESS.search(text):
        assert split_units(text) == text.lower().split()


def test_bounded_work_on_huge_inputs():
    reward = RepetitionPenalty(max_units=1000)
    huge = "word " * 2_000_000 + " ".join(str(i) for i in range(10_000))
    start = time.perf_counter()
    value = reward(completions=[huge, "x" * 5_000_000, "字" * 3_000_000])
    # Not a speed test (a loaded CI machine must not fail it): only a hang or work that grows with
    # the 10 MB of text instead of max_units exceeds this. 5-50 ms in practice.
    assert time.perf_counter() - start < 60.0
    assert value[0] == pytest.approx(-(1 - 1 / 998))  # only the first 1000 words were read
    assert value[1] == 0.0  # one enormous word
    assert value[2] == pytest.approx(-(1 - 1 / 998))
    assert len(split_units("a " * 10_000, max_units=50)) == 50


def test_tokens_unit_needs_completion_ids():
    reward = RepetitionPenalty(unit="tokens")
    verdicts = reward.score(["a a a a"], completion_ids=None)
    assert verdicts[0].reward is None and verdicts[0].status is Status.MISSING_COLUMN
    assert reward(completions=["a", "b"], completion_ids=[[1, 1, 1, 1], None]) == [pytest.approx(-0.5), None]
    with pytest.raises(InputError):
        reward(completions=["a", "b"], completion_ids=[[1]])


def test_conversations_and_unknown_columns():
    conv = [{"role": "user", "content": "go go go go"}, {"role": "assistant", "content": "a b c a b c"}]
    assert repetition_penalty_reward(completions=[conv], prompts=["p"], trainer_state=None) == [-0.25]


@pytest.mark.parametrize(
    "kwargs",
    [{"ngram_size": 0}, {"max_penalty": 0.5}, {"unit": "chars"}, {"max_units": 2}, {"low": -1, "max_penalty": -1}],
)
def test_config_errors(kwargs):
    with pytest.raises(ConfigError):
        RepetitionPenalty(**kwargs)


def test_max_penalty_alias_and_signature():
    reward = RepetitionPenalty(max_penalty=-0.5, ngram_size=2)
    assert reward.max_penalty == reward.config.low == -0.5
    assert reward.reward_range == (-0.5, 0.0)
    assert reward.signature().startswith("repetition|low:-0.5|high:0|n:2|unit:words|")


def test_repeated_fraction_unigrams():
    assert repeated_fraction([1, 1, 2], 1) == pytest.approx(1 / 3)
    assert repeated_fraction([], 1) == 0.0


@pytest.mark.parametrize(
    "reward",
    [repetition_penalty_reward, RepetitionPenalty(ngram_size=2, unit="tokens", max_penalty=-0.5)],
    ids=repr,
)
def test_pickle_and_worker_thread(reward):
    completions = ["a b c a b c", "我爱你" * 5, "", "unique words only here"] * 10
    ids = [[1, 2, 1, 2, 1], [3] * 9, [], [1, 2, 3]] * 10
    expected = reward(completions=completions, completion_ids=ids)
    copy = pickle.loads(pickle.dumps(reward))
    assert copy == reward and copy(completions=completions, completion_ids=ids) == expected
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda r: r(completions=completions, completion_ids=ids), [reward, copy] * 2))
    assert all(r == expected for r in results)
