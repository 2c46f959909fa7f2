"""Combinators: weighted sums and gates, with their None propagation rules."""

from __future__ import annotations

import pickle

import pytest

from verifiers import (
    ConfigError,
    Gated,
    MathAccuracy,
    Status,
    WeightedSum,
    accuracy_reward,
    format_reward,
    tag_count_reward,
)
from verifiers.math import MathConfig

COMPLETIONS = [r"\boxed{1}", r"\boxed{2}", r"\boxed{1}", "nothing"]
SOLUTION = ["1", "1", None, "1"]


def test_weighted_sum_propagates_none_by_default():
    total = WeightedSum([(accuracy_reward, 2.0), (MathAccuracy(low=-1.0), 0.5)])
    verdicts = total.score(COMPLETIONS, solution=SOLUTION)
    assert [v.reward for v in verdicts] == [2.5, -0.5, None, -0.5]
    assert verdicts[2].status is Status.SKIPPED and "missing_column" in verdicts[2].detail
    assert total.reward_range == (-0.5, 2.5)


def test_weighted_sum_can_ignore_none_like_trl():
    solution_only_for_first = ["1", "1", "1", "1"]
    other = MathAccuracy(high=3.0)
    total = WeightedSum([accuracy_reward, other], none="ignore")
    # both parts present: plain sum
    assert total(COMPLETIONS, solution=solution_only_for_first) == [4.0, 0.0, 4.0, 0.0]
    # every part None: None
    assert total(COMPLETIONS, solution=SOLUTION)[2] is None


# Rows where SOME parts are None: accuracy has no usable reference (null, unparseable) while
# format_reward and tag_count_reward, which read no column, always score. The weights are
# distinct powers of two, so each sum tells which parts went into it.
GOOD = "<think>\nx\n</think>\n<answer>\n4\n</answer>"
MIXED_COMPLETIONS = [GOOD, GOOD, r"<think>x</think>\boxed{4}", "<think>x</think><answer>5</answer>", r"\boxed{4}"]
MIXED_SOLUTION = ["4", None, r"\frac{", "4", None]
#            format  accuracy               tag_count
# row 0:     1       1                      1            all parts
# row 1:     1       None (missing_column)  1
# row 2:     0       None (bad_reference)   0.5
# row 3:     1       0                      1
# row 4:     0       None (missing_column)  0            the parts left are 0.0, not None
MIXED_PARTS = [(format_reward, 0.5), (accuracy_reward, 2.0), (tag_count_reward, 0.25)]


def test_weighted_sum_propagate_skips_a_row_when_one_part_is_none():
    total = WeightedSum(MIXED_PARTS)
    verdicts = total.score(MIXED_COMPLETIONS, solution=MIXED_SOLUTION)
    assert [v.reward for v in verdicts] == [2.75, None, None, 0.75, None]
    assert [v.status for v in verdicts] == [
        Status.SCORED, Status.SKIPPED, Status.SKIPPED, Status.SCORED, Status.SKIPPED,
    ]
    assert [v.detail for v in verdicts] == [
        "", "accuracy: missing_column", "accuracy: bad_reference", "", "accuracy: missing_column",
    ]
    assert total(completions=MIXED_COMPLETIONS, solution=MIXED_SOLUTION) == [v.reward for v in verdicts]


def test_weighted_sum_ignore_sums_the_parts_that_are_not_none():
    total = WeightedSum(MIXED_PARTS, none="ignore")
    verdicts = total.score(MIXED_COMPLETIONS, solution=MIXED_SOLUTION)
    # row 1: 0.5*1 + 0.25*1; row 2: 0.5*0 + 0.25*0.5; row 4: 0.0 (the parts left sum to zero)
    assert [v.reward for v in verdicts] == [2.75, 0.75, 0.125, 0.75, 0.0]
    assert all(v.status is Status.SCORED for v in verdicts)
    # the left-out part is still named
    assert [v.detail for v in verdicts] == [
        "", "accuracy: missing_column", "accuracy: bad_reference", "", "accuracy: missing_column",
    ]
    assert total(completions=MIXED_COMPLETIONS, solution=MIXED_SOLUTION) == [v.reward for v in verdicts]


@pytest.mark.parametrize("none", ["propagate", "ignore"])
def test_weighted_sum_modes_agree_when_no_part_is_none(none):
    total = WeightedSum(list(reversed(MIXED_PARTS)), none=none)
    solution = ["4", "4", "4", "4", "4"]
    verdicts = total.score(MIXED_COMPLETIONS, solution=solution)
    assert [v.reward for v in verdicts] == [2.75, 2.75, 2.125, 0.75, 2.0]
    assert all(v.status is Status.SCORED and v.detail == "" for v in verdicts)


def test_parts_are_reported_under_unique_names():
    total = WeightedSum([accuracy_reward, MathAccuracy(low=-1.0)])
    _, parts = total.score_parts(COMPLETIONS, solution=SOLUTION)
    assert list(parts) == ["accuracy", "accuracy#2"]
    assert parts["accuracy#2"][1].reward == -1.0


def test_negative_weights_flip_the_range():
    assert WeightedSum([(accuracy_reward, -1.0)]).reward_range == (-1.0, 0.0)


def test_gate():
    strict = MathAccuracy(MathConfig(strategies="answer_tag"))
    gated = Gated(accuracy_reward, gate=strict)
    # "The answer is 5" passes accuracy (prose is read) but not the gate that reads only <answer>
    out = gated.score(["The answer is 5.", "<answer>5</answer>", r"\boxed{5}"], solution=["5", "5", None])
    assert [v.reward for v in out] == [0.0, 1.0, None]
    assert out[0].status is Status.NO_ANSWER and out[2].status is Status.SKIPPED
    assert gated.__name__ == "accuracy_if_accuracy"


def test_signatures_and_pickle():
    total = WeightedSum([(accuracy_reward, 0.5)])
    assert total.signature().startswith("weighted_sum(none:propagate)[0.5*accuracy|")
    copy = pickle.loads(pickle.dumps(total))
    assert copy(COMPLETIONS, solution=SOLUTION) == total(COMPLETIONS, solution=SOLUTION)
    gated = pickle.loads(pickle.dumps(Gated(accuracy_reward, gate=accuracy_reward)))
    assert gated.signature().startswith("gated[accuracy|")


@pytest.mark.parametrize("bad", [[], [(accuracy_reward, float("nan"))], [object()]])
def test_weighted_sum_rejects_bad_parts(bad):
    with pytest.raises(ConfigError):
        WeightedSum(bad)


def test_weighted_sum_rejects_unknown_none_mode():
    with pytest.raises(ConfigError):
        WeightedSum([accuracy_reward], none="zero")  # type: ignore[arg-type]


# A partial-credit gate: tag_count_reward is 0.25 per tag right; only 4/4 has status ``correct``
# (3/4 is 0.75 ``scored``, 0/4 is 0.0 ``bad_format``). Every completion but the last boxes 4.
GATE_COMPLETIONS = [
    GOOD,  # 4/4 tags: the gate passes
    r"<think>x</think>\boxed{4}</answer>",  # 3/4 (no <answer>): 0.75, scored
    r"<think>x</think>\boxed{4}",  # 2/4: 0.5, scored
    r"\boxed{4}",  # 0/4: 0.0, bad_format
    GOOD.replace("4", "5"),  # 4/4 tags, wrong answer
]


def test_gate_opens_only_on_status_correct_not_on_partial_credit():
    assert [v.reward for v in tag_count_reward.score(GATE_COMPLETIONS)] == [1.0, 0.75, 0.5, 0.0, 1.0]
    wrong_is_minus_one = MathAccuracy(low=-1.0)
    gated = Gated(wrong_is_minus_one, gate=tag_count_reward)
    out = gated.score(GATE_COMPLETIONS, solution=["4"] * 5)
    # a failed gate gives the gated reward's low value (-1.0 here, not 0.0)
    assert [v.reward for v in out] == [1.0, -1.0, -1.0, -1.0, -1.0]
    assert [v.status for v in out] == [
        Status.CORRECT, Status.BAD_FORMAT, Status.BAD_FORMAT, Status.BAD_FORMAT, Status.INCORRECT,
    ]
    assert [v.detail for v in out[1:4]] == ["gate tag_count failed"] * 3
    assert out[1].extracted == "4"  # what the gated reward read is kept
    assert gated(completions=GATE_COMPLETIONS, solution=["4"] * 5) == [v.reward for v in out]
    assert gated.reward_range == (-1.0, 1.0)


def test_gate_reads_the_status_not_the_value():
    # A WeightedSum is ``scored`` even at its maximum, so as a gate it never opens, although its
    # value equals its high end (the gate needs status ``correct``).
    at_max = WeightedSum([format_reward])
    verdict = at_max.score([GOOD])[0]
    assert (verdict.reward, verdict.status) == (at_max.reward_range[1], Status.SCORED)
    out = Gated(accuracy_reward, gate=at_max).score([GOOD], solution=["4"])[0]
    assert (out.reward, out.status) == (0.0, Status.BAD_FORMAT)


def test_gate_none_from_either_side_gives_none():
    # the gate is None (accuracy has no reference), the gated reward scores: None, skipped
    gated_format = Gated(format_reward, gate=accuracy_reward)
    out = gated_format.score([GOOD, GOOD, GOOD], solution=[None, r"\frac{", "4"])
    assert [v.reward for v in out] == [None, None, 1.0]
    assert [v.status for v in out] == [Status.SKIPPED, Status.SKIPPED, Status.CORRECT]
    assert [v.detail for v in out[:2]] == ["gate accuracy: missing_column", "gate accuracy: bad_reference"]
    # the gated reward is None: its own verdict, whether the gate passes (row 0) or not (row 1)
    gated_accuracy = Gated(accuracy_reward, gate=tag_count_reward)
    out = gated_accuracy.score([GOOD, r"\boxed{4}"], solution=[None, None])
    assert [(v.reward, v.status) for v in out] == [(None, Status.MISSING_COLUMN)] * 2
