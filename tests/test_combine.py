"""Combinators: weighted sums and gates, with their None propagation rules."""

from __future__ import annotations

import pickle

import pytest

from verifiers import ConfigError, Gated, MathAccuracy, Status, WeightedSum, accuracy_reward
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


def test_parts_are_reported_under_unique_names():
    total = WeightedSum([accuracy_reward, MathAccuracy(low=-1.0)])
    _, parts = total.score_parts(COMPLETIONS, solution=SOLUTION)
    assert list(parts) == ["accuracy", "accuracy#2"]
    assert parts["accuracy#2"][1].reward == -1.0


def test_negative_weights_flip_the_range():
    assert WeightedSum([(accuracy_reward, -1.0)]).reward_range == (-1.0, 0.0)


def test_gate():
    strict = MathAccuracy(MathConfig(symbolic=False))
    gated = Gated(accuracy_reward, gate=strict)
    # (x+1)^2 vs x^2+2x+1 passes accuracy (sympy) but not the string-only gate
    out = gated.score([r"\boxed{(x+1)^2}", r"\boxed{5}", r"\boxed{5}"], solution=["x^2+2x+1", "5", None])
    assert [v.reward for v in out] == [0.0, 1.0, None]
    assert out[0].status is Status.INCORRECT and out[2].status is Status.SKIPPED
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
