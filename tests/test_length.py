"""Length rewards: golden values (with TRL/open-r1 parity and the peer defects we fix), Hypothesis
invariants (range, monotonicity, batch/order independence, call == score), pickling, threads."""

from __future__ import annotations

import json
import math
import pickle
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifiers.base import RowReward
from verifiers.errors import ConfigError, InputError
from verifiers.math import MathAccuracy, MathConfig
from verifiers.shaping.length import (
    CosineLength,
    KimiLength,
    SoftOverlong,
    completion_lengths,
    cosine_kernel,
    cosine_length_reward,
    kimi_kernel,
    kimi_length_reward,
    overlong_kernel,
    overlong_reward,
)
from verifiers.types import Status, Verdict

GOLDEN = [json.loads(line) for line in (Path(__file__).parent / "golden" / "length.jsonl").read_text().splitlines()]
CLASSES = {"overlong": SoftOverlong, "cosine_length": CosineLength, "kimi_length": KimiLength}
RIGHT, WRONG = r"\boxed{1}", r"\boxed{2}"
SETTINGS = settings(max_examples=150, deadline=None)


def batch(lengths, correct=None, **extra):
    """Completions and TRL-style columns for given token lengths and correctness."""
    n = len(lengths)
    correct = [True] * n if correct is None else correct
    completions = [RIGHT if ok else WRONG for ok in correct]
    ids = [None if k is None else [7] * k for k in lengths]
    return completions, {"solution": ["1"] * n, "completion_ids": ids, **extra}


# -- golden ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", GOLDEN, ids=[f"{c['reward']}-{i}" for i, c in enumerate(GOLDEN)])
def test_golden(case):
    reward = CLASSES[case["reward"]](**case["config"])
    extra = {"prompt_id": case["prompt_id"]} if "prompt_id" in case else {}
    completions, cols = batch(case["lengths"], case.get("correct"), **extra)
    got = reward(completions=completions, **cols)
    assert [g is None for g in got] == [e is None for e in case["expected"]], case["why"]
    pairs = [(g, e) for g, e in zip(got, case["expected"]) if e is not None]
    assert all(g == pytest.approx(e, rel=1e-12, abs=1e-12) for g, e in pairs), (got, case["why"])
    assert [v.reward for v in reward.score(completions, **cols)] == got


# -- peer defects --------------------------------------------------------------------------------


def openr1_cosine(gen_len, is_correct, min_value_wrong, max_value_wrong, min_value_correct, max_value_correct, max_len):
    """open-r1's get_cosine_scaled_reward formula, re-stated from its source for comparison."""
    cosine = math.cos(gen_len / max_len * math.pi)
    if is_correct:
        lo, hi = min_value_correct, max_value_correct
    else:
        lo, hi = max_value_wrong, min_value_wrong  # open-r1 swaps them for wrong answers
    return lo + 0.5 * (hi - lo) * (1.0 + cosine)


def test_defect_uncapped_ratio_gives_full_marks_again():
    # open-r1: a correct answer twice as long as max_len scores like an empty one
    assert openr1_cosine(2000, True, -1.0, -0.5, 0.5, 1.0, 1000) == pytest.approx(1.0)
    ours = CosineLength(max_len=1000)
    completions, cols = batch([0, 1000, 2000, 2500, 10**6])
    values = ours(completions=completions, **cols)
    assert values[0] == 1.0
    assert values[1:] == [0.5, 0.5, 0.5, 0.5]


def test_defect_reversed_wrong_defaults_rejected():
    # open-r1's GRPOScriptArguments defaults: cosine_min_value_wrong=0.0, cosine_max_value_wrong=-0.5
    short = openr1_cosine(0, False, 0.0, -0.5, 0.5, 1.0, 1000)
    long = openr1_cosine(1000, False, 0.0, -0.5, 0.5, 1.0, 1000)
    assert (short, long) == (0.0, -0.5)  # longer wrong answers punished MORE: the reverse of the paper
    # the same numbers in our length-named config are refused, not silently reversed
    with pytest.raises(ConfigError):
        CosineLength(low=0.0, wrong_at_max_len=-0.5)
    # and with valid values, wrong answers are punished less as they grow
    completions, cols = batch([0, 1000], [False, False])
    assert CosineLength()(completions=completions, **cols) == [-1.0, -0.5]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"correct_at_max_len": 1.5},  # above high
        {"wrong_at_max_len": -1.5},  # below low
        {"wrong_at_max_len": 0.6, "correct_at_max_len": 0.5},  # a long wrong answer beats a long right one
        {"max_len": 0},
        {"exceed": 3.0},
        {"unit": "bytes"},
        {"accuracy": "math"},
        {"high": float("nan")},
    ],
)
def test_cosine_config_errors(kwargs):
    with pytest.raises(ConfigError):
        CosineLength(**kwargs)


@pytest.mark.parametrize("kwargs", [{"max_len": 0}, {"cache": -1}, {"cache": 101, "max_len": 100}, {"low": 1.0}])
def test_overlong_config_errors(kwargs):
    with pytest.raises(ConfigError):
        SoftOverlong(**kwargs)


def test_kimi_config_errors():
    with pytest.raises(ConfigError):
        KimiLength(group_by="dataset")


def openr1_len_reward(lengths, correct):
    """open-r1's len_reward formula (min/max over the whole batch), re-stated for comparison."""
    lo, hi = min(lengths), max(lengths)
    if lo == hi:
        return [0.0] * len(lengths)
    lam = [0.5 - (k - lo) / (hi - lo) for k in lengths]
    return [x if ok else min(0.0, x) for x, ok in zip(lam, correct)]


def test_kimi_differs_from_openr1_whole_batch():
    lengths, correct = [10, 20, 100, 200], [True] * 4
    completions, cols = batch(lengths, correct, prompt_id=["a", "a", "b", "b"])
    ours = KimiLength()(completions=completions, **cols)
    theirs = openr1_len_reward(lengths, correct)
    assert ours == [0.5, -0.5, 0.5, -0.5]
    assert theirs[1] == pytest.approx(0.5 - 10 / 190) and theirs[2] == pytest.approx(0.5 - 90 / 190)
    assert ours != pytest.approx(theirs)
    # with one group, ours is open-r1's formula
    completions, cols = batch(lengths, correct, prompt_id=["a"] * 4)
    assert KimiLength()(completions=completions, **cols) == pytest.approx(theirs)


def test_kimi_groups_by_prompts_text_and_messages():
    completions, cols = batch([10, 20, 100, 200])
    text = KimiLength()(completions=completions, **cols, prompts=["p", "p", "q", "q"])
    msgs = [[{"role": "user", "content": c}] for c in ("p", "p", "q", "q")]
    conv = KimiLength()(completions=completions, **cols, prompts=msgs)
    assert text == conv == [0.5, -0.5, 0.5, -0.5]
    # prompt_id wins over prompts in "auto"; group_by="prompts" forces the text
    by_id = KimiLength()(completions=completions, **cols, prompts=msgs, prompt_id=[1, 1, 1, 1])
    assert by_id == pytest.approx(openr1_len_reward([10, 20, 100, 200], [True] * 4))
    forced = KimiLength(group_by="prompts")(completions=completions, **cols, prompts=msgs, prompt_id=[1, 1, 1, 1])
    assert forced == text


def test_kimi_without_group_columns_uses_the_batch():
    completions, cols = batch([10, 20, 100, 200])
    assert KimiLength()(completions=completions, **cols) == pytest.approx(
        openr1_len_reward([10, 20, 100, 200], [True] * 4)
    )
    with_missing = KimiLength(group_by="prompt_id")(completions=completions, **cols)
    assert with_missing == [None] * 4


def test_kimi_null_prompt_id_and_null_solution():
    completions, cols = batch([10, 20, 30], prompt_id=[1, None, 1])
    cols["solution"] = ["1", "1", None]
    verdicts = KimiLength().score(completions, **cols)
    assert [v.status for v in verdicts] == [Status.SCORED, Status.MISSING_COLUMN, Status.MISSING_COLUMN]
    # a row with a data fault takes no part in its group's min/max: row 0 is alone in group 1
    assert verdicts[0].reward == 0.0


# -- lengths and faults ------------------------------------------------------------------------


def test_tokens_without_completion_ids_is_data_fault():
    verdicts = overlong_reward.score(["a" * 10**6, "b"])
    assert [v.reward for v in verdicts] == [None, None]
    assert all(v.status is Status.MISSING_COLUMN and "completion_ids" in v.detail for v in verdicts)
    assert cosine_length_reward(completions=[RIGHT], solution=["1"]) == [None]


def test_chars_unit_and_conversations():
    reward = SoftOverlong(max_len=10, cache=5, unit="chars")
    conv = [{"role": "user", "content": "x" * 100}, {"role": "assistant", "content": "y" * 8}]
    assert reward(completions=["y" * 8, conv, "é" * 8]) == [-0.6, -0.6, -0.6]


def test_completion_ids_as_arrays_and_bad_shapes():
    ids = [np.zeros(90, dtype=np.int64), np.zeros(10, dtype=np.int64)]
    assert SoftOverlong(max_len=100, cache=20)(completions=["a", "b"], completion_ids=ids) == [-0.5, 0.0]
    with pytest.raises(InputError):
        overlong_reward(completions=["a", "b"], completion_ids=[[1]])
    with pytest.raises(InputError):
        overlong_reward(completions=["a"], completion_ids="abc")
    with pytest.raises(InputError):
        overlong_reward(solution=["1"])


def test_unknown_columns_ignored_and_empty_batch():
    kw = {"trainer_state": object(), "log_extra": None, "log_metric": print, "whatever": [1]}
    assert overlong_reward(completions=["a"], completion_ids=[[1]], **kw) == [0.0]
    for reward in (overlong_reward, cosine_length_reward, kimi_length_reward):
        assert reward(completions=[], completion_ids=[], solution=[]) == []
        assert reward.score([], completion_ids=[], solution=[]) == []


def test_a_batch_of_one():
    assert cosine_length_reward.score([RIGHT], solution=["1"], completion_ids=[[1] * 1000])[0].reward == 0.5
    assert kimi_length_reward.score([RIGHT], solution=["1"], completion_ids=[[1] * 10])[0].reward == 0.0


def test_completion_lengths():
    lengths, faults = completion_lengths(["ab", "c"], [[1, 2, 3], None])
    assert lengths.tolist()[0] == 3 and list(faults) == [1]


class Graded(RowReward[MathConfig]):
    """An inner reward with partial credit: the ``credit`` column is its value (None allowed)."""

    name = "graded"
    config_class = MathConfig
    columns = ()

    optional_columns = ("credit",)

    def grade(self, text, row):
        credit = row.get("credit")
        return Verdict(None, Status.BAD_REFERENCE) if credit is None else Verdict(credit, Status.SCORED)


@pytest.mark.parametrize("cls", [CosineLength, KimiLength])
def test_inner_reward_partial_credit_and_none(cls):
    reward = cls(accuracy=Graded(), unit="chars")
    completions, credit = ["a", "bb", "ccc", "dddd"], [1.0, 0.5, None, 1.0]
    verdicts = reward.score(completions, credit=credit)
    assert reward(completions=completions, credit=credit) == [v.reward for v in verdicts]
    assert verdicts[2].reward is None and verdicts[2].status is Status.BAD_REFERENCE
    assert [v.detail.split(",")[0] for v in verdicts if v.reward is not None] == ["correct", "wrong", "correct"]
    assert reward.columns == () and reward.parts == (reward.config.accuracy,)


def test_inner_reward_must_separate_right_from_wrong():
    with pytest.raises(ConfigError):
        CosineLength(accuracy=MathAccuracy(low=1.0, high=1.0))


def test_inner_accuracy_is_configurable():
    reward = CosineLength(accuracy=MathAccuracy(low=-1.0), max_len=10)
    completions, cols = batch([0, 0], [True, False])
    assert reward(completions=completions, **cols) == [1.0, -1.0]
    assert "acc:[accuracy|low:-1|" in reward.signature()
    assert reward.columns == ("solution",)


# -- Hypothesis invariants ---------------------------------------------------------------------

lengths_st = st.lists(st.integers(0, 5000), min_size=1, max_size=30)


@st.composite
def cosine_configs(draw):
    values = sorted(draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=4, max_size=4)))
    exceed = draw(st.one_of(st.none(), st.floats(values[0], values[3])))
    return dict(
        low=values[0],
        wrong_at_max_len=values[1],
        correct_at_max_len=values[2],
        high=values[3],
        max_len=draw(st.integers(1, 3000)),
        exceed=exceed,
    )


@st.composite
def overlong_configs(draw):
    max_len = draw(st.integers(1, 3000))
    low = draw(st.floats(-5, 5, allow_nan=False))
    return dict(max_len=max_len, cache=draw(st.integers(0, max_len)), low=low, high=draw(st.floats(low, 5)))


@SETTINGS
@given(config=overlong_configs(), lengths=lengths_st)
def test_overlong_range_and_monotone(config, lengths):
    reward = SoftOverlong(**config)
    values = np.array(reward(completions=["x"] * len(lengths), completion_ids=[[0] * k for k in lengths]))
    lo, hi = reward.reward_range
    assert ((lo <= values) & (values <= hi)).all()
    order = np.argsort(lengths, kind="stable")
    assert (np.diff(values[order]) <= 1e-12).all()  # non-increasing in length


def trl_overlong(length, max_completion_len, soft_punish_cache):
    """TRL's get_soft_overlong_punishment, re-stated from trl/rewards/other_rewards.py."""
    if length <= max_completion_len - soft_punish_cache:
        return 0.0
    if length <= max_completion_len:
        return (max_completion_len - soft_punish_cache - length) / soft_punish_cache
    return -1.0


@SETTINGS
@given(max_len=st.integers(1, 5000), data=st.data())
def test_overlong_parity_with_trl_formula(max_len, data):
    cache = data.draw(st.integers(0, max_len))
    lengths = data.draw(st.lists(st.integers(0, 2 * max_len + 2), min_size=1, max_size=40))
    ours = overlong_kernel(np.array(lengths), max_len=max_len, cache=cache)
    assert ours.tolist() == pytest.approx([trl_overlong(k, max_len, cache) for k in lengths], abs=1e-12)


@SETTINGS
@given(config=cosine_configs(), lengths=lengths_st, correct=st.booleans())
def test_cosine_range_and_monotone(config, lengths, correct):
    lengths = sorted(lengths)
    values = cosine_kernel(np.array(lengths), np.full(len(lengths), correct), **config)
    reward = CosineLength(**config)
    lo, hi = reward.reward_range
    assert ((lo - 1e-12 <= values) & (values <= hi + 1e-12)).all()
    max_len, exceed = config["max_len"], config["exceed"]
    below = values[np.array(lengths) < max_len]
    beyond = values[np.array(lengths) >= max_len]
    steps = np.diff(below)
    assert (steps <= 1e-12).all() if correct else (steps >= -1e-12).all()
    assert len(set(beyond.tolist())) <= 1  # constant from max_len on
    if exceed is None and beyond.size and below.size:  # continuous at max_len
        assert (beyond[0] <= below[-1] + 1e-12) if correct else (beyond[0] >= below[-1] - 1e-12)


@SETTINGS
@given(config=cosine_configs(), lengths=lengths_st, data=st.data())
def test_cosine_call_equals_score_and_kernel(config, lengths, data):
    correct = data.draw(st.lists(st.booleans(), min_size=len(lengths), max_size=len(lengths)))
    reward = CosineLength(**config)
    completions, cols = batch(lengths, correct)
    called = reward(completions=completions, **cols)
    assert called == [v.reward for v in reward.score(completions, **cols)]
    assert called == cosine_kernel(np.array(lengths), np.array(correct), **config).tolist()


@SETTINGS
@given(lengths=lengths_st, data=st.data())
def test_rowwise_rewards_batch_and_order_independent(lengths, data):
    correct = data.draw(st.lists(st.booleans(), min_size=len(lengths), max_size=len(lengths)))
    perm = data.draw(st.permutations(range(len(lengths))))
    completions, cols = batch(lengths, correct)
    for reward in (CosineLength(max_len=2000), SoftOverlong(max_len=3000, cache=1000)):
        whole = reward.score(completions, **cols)
        singles = [
            reward.score([c], solution=["1"], completion_ids=[i])[0]
            for c, i in zip(completions, cols["completion_ids"])
        ]
        assert singles == whole
        pc, pcols = batch([lengths[i] for i in perm], [correct[i] for i in perm])
        assert reward.score(pc, **pcols) == [whole[i] for i in perm]


@st.composite
def kimi_batches(draw):
    groups = draw(
        st.lists(
            st.lists(st.tuples(st.integers(0, 300), st.booleans()), min_size=1, max_size=6), min_size=1, max_size=4
        )
    )
    rows = [(g, k, ok) for g, group in enumerate(groups) for k, ok in group]
    return rows


def kimi_run(rows, reward=kimi_length_reward):
    completions, cols = batch(
        [k for _, k, _ in rows], [ok for _, _, ok in rows], prompt_id=[f"g{g}" for g, _, _ in rows]
    )
    return reward(completions=completions, **cols)


@SETTINGS
@given(rows=kimi_batches(), data=st.data())
def test_kimi_independent_of_order_and_other_groups(rows, data):
    whole = kimi_run(rows)
    lo, hi = kimi_length_reward.reward_range
    assert all(lo <= v <= hi for v in whole)
    perm = data.draw(st.permutations(range(len(rows))))
    assert kimi_run([rows[i] for i in perm]) == [whole[i] for i in perm]
    for g in {g for g, _, _ in rows}:  # each group alone gives the same values
        idx = [i for i, r in enumerate(rows) if r[0] == g]
        assert kimi_run([rows[i] for i in idx]) == [whole[i] for i in idx]
    # the kernel alone agrees, and call == score
    completions, cols = batch([k for _, k, _ in rows], [ok for _, _, ok in rows], prompt_id=[g for g, _, _ in rows])
    assert whole == [v.reward for v in kimi_length_reward.score(completions, **cols)]
    kernel = kimi_kernel(
        np.array([k for _, k, _ in rows]), np.array([ok for _, _, ok in rows]), np.array([g for g, _, _ in rows])
    )
    assert whole == kernel.tolist()


@SETTINGS
@given(rows=kimi_batches())
def test_kimi_correct_shorter_is_never_worse(rows):
    values = kimi_run(rows)
    for i, (g, k, ok) in enumerate(rows):
        for j, (g2, k2, ok2) in enumerate(rows):
            if g == g2 and ok and ok2 and k <= k2:
                assert values[i] >= values[j]
            if g == g2 and ok and not ok2 and k == k2:
                assert values[i] >= values[j]


# -- pickling and threads ------------------------------------------------------------------------

INSTANCES = [
    overlong_reward,
    cosine_length_reward,
    kimi_length_reward,
    SoftOverlong(max_len=100, cache=10, unit="chars"),
    CosineLength(max_len=50, exceed=-1.0, accuracy=MathAccuracy(low=-1.0)),
    KimiLength(group_by="prompts", unit="chars"),
]


@pytest.mark.parametrize("reward", INSTANCES, ids=repr)
def test_pickle_and_worker_thread(reward):
    rng = random.Random(0)
    lengths = [rng.randint(0, 3000) for _ in range(40)]
    completions, cols = batch(
        lengths,
        [rng.random() < 0.5 for _ in lengths],
        prompts=[f"q{i % 5}" for i in range(40)],
        prompt_id=[i % 5 for i in range(40)],
    )
    expected = reward(completions=completions, **cols)
    copy = pickle.loads(pickle.dumps(reward))
    assert copy == reward and copy.signature() == reward.signature()
    assert copy(completions=completions, **cols) == expected
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda r: r(completions=completions, **cols), [reward, copy, reward, copy]))
    assert all(r == expected for r in results)
    assert reward.__name__ == reward.name
