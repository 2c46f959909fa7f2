"""One scoring path: on a process pool, a row that overruns its deadline is `timeout` with the
low reward, whatever the reward, nested ones included; only that row is affected."""

from __future__ import annotations

import pytest

from verifiers import (
    ConfigError,
    CosineLength,
    Gated,
    KimiLength,
    ProcessPool,
    Status,
    WeightedSum,
    format_reward,
    tag_count_reward,
)
from verifiers.base import BatchReward, RewardFunction, RowReward
from verifiers.registry import get_reward, names, requirements

from toy_rewards import SlowLanguage, SlowMath

GOOD = "<think>\nWe add one and one.\n</think>\n<answer>\n\\boxed{2}\n</answer>"
SLOW = "<think>\nSLOW: we add one and one.\n</think>\n<answer>\n\\boxed{\\sum_{k=1}^{2} 1}\n</answer>"
TEXTS = [GOOD, SLOW, GOOD.replace("{2}", "{3}")]
COLUMNS = {"solution": ["2", "2", "2"], "prompt_id": [1, 1, 1], "completion_ids": [[0] * 10, [0] * 20, [0] * 30]}


@pytest.fixture(scope="module")
def pool():
    with ProcessPool(jobs=2, timeout=1.0) as p:
        yield p


def test_every_registered_reward_is_one_of_the_two_kernel_kinds():
    """Per-row kernels run on the backend with deadlines; vectorized ones are bounded and local."""
    needs = {"url": "http://localhost/get_reward", "path": "/nonexistent/rm"}  # nothing is contacted or loaded
    for name in names(every=True):
        reward = get_reward(name, **{key: needs[key] for key in requirements(name)})
        assert isinstance(reward, (RowReward, BatchReward)), name
        for klass in type(reward).__mro__:  # nobody below the base class overrides the batch path
            if klass is RewardFunction:
                break
            assert not {"score", "__call__", "evaluate", "_evaluate"} & set(vars(klass)), (name, klass)


@pytest.mark.parametrize(
    "make",
    [
        lambda pool: SlowMath(backend=pool),
        lambda pool: SlowLanguage(backend=pool),
        lambda pool: CosineLength(accuracy=SlowMath(), unit="chars", backend=pool),
        lambda pool: KimiLength(accuracy=SlowMath(), unit="chars", backend=pool),
        lambda pool: WeightedSum([SlowMath(), format_reward], backend=pool),
        lambda pool: WeightedSum([(SlowLanguage(), 0.5), SlowMath()], backend=pool),
        lambda pool: Gated(SlowMath(), gate=tag_count_reward, backend=pool),
        lambda pool: Gated(format_reward, gate=SlowMath(), backend=pool),
    ],
    ids=["accuracy", "language", "cosine(accuracy)", "kimi(accuracy)", "sum(accuracy,format)",
         "sum(language,accuracy)", "gated(accuracy|tag_count)", "gated(format|accuracy)"],
)
def test_a_stuck_row_is_a_timeout_with_the_low_reward(pool, make):
    reward = make(pool)
    verdicts = reward.score(TEXTS, **COLUMNS)
    assert verdicts[1].status is Status.TIMEOUT, verdicts[1]
    low = reward.reward_range[0]
    if isinstance(reward, WeightedSum):  # the timed-out part contributes its own low reward
        assert verdicts[1].reward is not None and verdicts[1].reward <= reward.reward_range[1]
    else:
        assert verdicts[1].reward == low
    if reward.grouped:  # the other rows' values depend on the group, the stuck row included
        return
    # the other rows are graded normally
    serial = make(None).score([TEXTS[0], TEXTS[2]], **{k: [v[0], v[2]] for k, v in COLUMNS.items()})
    assert [verdicts[0], verdicts[2]] == serial


def test_the_issue_repro_cosine_gets_its_backend(pool):
    """`CosineLength(accuracy=<slow accuracy>, backend=pool)` used to ignore the backend."""
    verdict = CosineLength(accuracy=SlowMath(), backend=pool, unit="chars").score([SLOW], solution=["2"])[0]
    assert verdict.status is Status.TIMEOUT and verdict.reward == -1.0


def test_a_nested_reward_keeps_its_own_backend(pool):
    with ProcessPool(jobs=1, timeout=30) as patient:
        outer = CosineLength(accuracy=SlowMath(backend=patient), backend=pool, unit="chars")
        assert outer.parts[0].backend is patient


class Foreign:
    """A reward that only follows the protocol (no verifiers base class)."""

    __name__ = "foreign"
    reward_range = (0.0, 1.0)

    def __call__(self, completions=None, **columns):
        return [1.0 for _ in completions]

    def score(self, completions, **columns):
        from verifiers import Verdict

        return [Verdict(1.0, Status.CORRECT) for _ in completions]

    def signature(self):
        return "foreign"


def test_a_combination_that_cannot_honour_a_backend_says_so(pool):
    with pytest.raises(ConfigError, match="foreign"):
        WeightedSum([Foreign(), format_reward], backend=pool)
    with pytest.raises(ConfigError, match="foreign"):
        Gated(Foreign(), gate=format_reward, backend=pool)
    with pytest.raises(ConfigError, match="foreign"):
        CosineLength(accuracy=Foreign(), backend=pool)
    # without a backend a protocol-only part is fine; inside a combination that has one, it is not
    inner = WeightedSum([Foreign(), format_reward])
    assert inner(["x"]) == [1.0]
    with pytest.raises(ConfigError, match="foreign"):
        WeightedSum([inner], backend=pool)(["x"])


def test_a_backend_must_be_a_backend():
    from verifiers import MathAccuracy

    for make in (lambda b: MathAccuracy(backend=b), lambda b: WeightedSum([format_reward], backend=b)):
        with pytest.raises(ConfigError, match="backend"):
            make("pool")
