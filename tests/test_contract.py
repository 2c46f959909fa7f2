"""The Reward contract: TRL's calling convention, verdict rules, signature, errors tree."""

from __future__ import annotations

import dataclasses

import pytest

import verifiers
from verifiers import (
    BackendUnavailable,
    ConfigError,
    Fault,
    InfrastructureError,
    InputError,
    MathAccuracy,
    Reward,
    SandboxError,
    Status,
    UnknownRewardError,
    Verdict,
    VerifiersError,
    WorkerCrashed,
    accuracy_reward,
)
from verifiers.errors import require
from verifiers.registry import get_reward, names, register


def test_trl_calling_convention():
    """GRPOTrainer passes everything as keywords, including objects we must ignore."""
    out = accuracy_reward(
        prompts=["q1", "q2"],
        completions=[r"\boxed{3}", [{"role": "assistant", "content": r"\boxed{4}"}]],
        completion_ids=[[1, 2], [3]],
        solution=["3", "5"],
        trainer_state=object(),
        log_extra=lambda *a: None,
        log_metric=lambda *a: None,
        some_other_column=["a", "b"],
    )
    assert out == [1.0, 0.0]
    assert accuracy_reward.__name__ == "accuracy"
    assert isinstance(accuracy_reward, Reward)


def test_missing_column_is_none_not_zero():
    verdicts = accuracy_reward.score([r"\boxed{1}"])
    assert verdicts[0].reward is None and verdicts[0].status is Status.MISSING_COLUMN
    assert verdicts[0].status.fault is Fault.DATA


def test_column_length_mismatch_is_the_callers_error():
    with pytest.raises(InputError):
        accuracy_reward([r"\boxed{1}", "x"], solution=["1"])
    with pytest.raises(InputError):
        accuracy_reward([r"\boxed{1}"], solution="1")


def test_completions_required():
    with pytest.raises(InputError):
        accuracy_reward(solution=["1"])


def test_bad_completion_type_is_an_input_error():
    with pytest.raises(InputError):
        accuracy_reward([42], solution=["1"])


def test_empty_batch():
    assert accuracy_reward([], solution=[]) == []


@pytest.mark.parametrize(
    "reward, status",
    [(None, Status.CORRECT), (None, Status.TIMEOUT), (0.0, Status.MISSING_COLUMN), (1.0, Status.INFRA_ERROR)],
)
def test_verdict_enforces_the_fault_rule(reward, status):
    with pytest.raises(ValueError):
        Verdict(reward, status)


def test_every_status_has_a_fault():
    assert {s.fault for s in Status} == set(Fault)


def test_verdict_is_frozen():
    v = Verdict(1.0, Status.CORRECT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.reward = 0.0  # type: ignore[misc]


def test_config_is_frozen_keyword_only_and_validated():
    with pytest.raises(dataclasses.FrozenInstanceError):
        accuracy_reward.config.low = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        verifiers.MathConfig(0.0)  # type: ignore[misc]
    with pytest.raises(ConfigError):
        MathAccuracy(low=2.0, high=1.0)
    with pytest.raises(ConfigError):
        MathAccuracy(nonsense=1)
    assert MathAccuracy(low=-1.0).reward_range == (-1.0, 1.0)


def test_signature_changes_with_config_and_names_the_version():
    a, b = MathAccuracy(), MathAccuracy(timeout=2.0)
    assert a.signature() != b.signature()
    assert a.signature().endswith(f"|v:{verifiers.__version__}")
    assert a.signature() == MathAccuracy().signature()
    assert a == MathAccuracy() and hash(a) == hash(MathAccuracy()) and a != b


def test_registry_is_lazy_and_refuses_duplicates():
    assert "accuracy" in names()
    with pytest.raises(ConfigError):
        register("accuracy", "verifiers.math.reward:MathAccuracy", "again")
    with pytest.raises(UnknownRewardError) as info:
        get_reward("no-such-reward")
    assert "accuracy" in str(info.value) and isinstance(info.value, KeyError)
    assert get_reward("accuracy", low=-0.5).config.low == -0.5


@pytest.mark.parametrize(
    "exc, builtin",
    [(ConfigError, ValueError), (InputError, ValueError), (UnknownRewardError, KeyError),
     (InfrastructureError, RuntimeError), (WorkerCrashed, RuntimeError), (SandboxError, RuntimeError),
     (BackendUnavailable, ImportError)],
)
def test_exceptions_subclass_builtins(exc, builtin):
    assert issubclass(exc, builtin) and issubclass(exc, VerifiersError)
    assert issubclass(exc, Exception)


def test_missing_extra_names_the_pip_install():
    with pytest.raises(BackendUnavailable) as info:
        require("verifiers_no_such_module", "ray", "the Ray backend")
    assert "pip install 'reasoning-verifiers[ray]'" in str(info.value)


def test_numpy_columns_are_accepted():
    import numpy as np

    assert accuracy_reward([r"\boxed{1}", r"\boxed{2}"], solution=np.array(["1", "1"])) == [1.0, 0.0]


def test_a_kernel_value_that_is_not_finite_is_an_infra_error_not_a_reward():
    import numpy as np

    from verifiers.base import Scores

    for values in (np.array([1.0, np.nan, np.inf]), [1.0, float("nan"), float("-inf")]):
        scores = Scores.from_values(values, {}, lambda i, v: Verdict(v, Status.SCORED))
        assert scores.floats() == [1.0, None, None]
        assert [v.status for v in scores.verdicts()] == [Status.SCORED, Status.INFRA_ERROR, Status.INFRA_ERROR]


def test_a_column_of_arrays_with_a_null_is_read_row_by_row():
    """`None in column` is ambiguous for numpy arrays: the null row must still be found."""
    import numpy as np

    verdicts = accuracy_reward.score([r"\boxed{1}", r"\boxed{1}"], solution=[np.array([1, 2]), None])
    assert verdicts[0].status is Status.BAD_REFERENCE and verdicts[1].status is Status.MISSING_COLUMN
