"""Invariants that hold for every registered reward: values in the declared range, and results
independent of batch order and of how the batch is chunked (whole prompt groups kept together,
since group-relative rewards such as Kimi's length penalty compare rows within a prompt group)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from verifiers.registry import get_reward, names

from strategies import columns, grouped_batches

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module", params=sorted(names()))
def reward(request):
    return get_reward(request.param)


@SETTINGS
@given(groups=grouped_batches())
def test_range_order_and_chunking(reward, groups):
    batch = [row for group in groups for row in group]
    completions, cols = columns(batch)
    whole = reward.score(completions, **cols)
    assert len(whole) == len(batch)
    lo, hi = reward.reward_range
    for verdict in whole:
        assert verdict.reward is None or lo <= verdict.reward <= hi, (verdict, reward.reward_range)
    # the float projection is the verdicts' rewards
    assert reward(completions=completions, **cols) == [v.reward for v in whole]
    # chunked by prompt group: same verdicts
    chunked = []
    for group in groups:
        c, k = columns(group)
        chunked.extend(reward.score(c, **k))
    assert chunked == whole
    # reversed order: same verdicts, reversed
    c, k = columns(batch[::-1])
    assert reward.score(c, **k) == whole[::-1]


@pytest.fixture(scope="module")
def pool():
    from verifiers import ProcessPool

    with ProcessPool(jobs=2, timeout=60) as p:
        yield p


def _every_reward_and_nested_ones() -> list:
    from verifiers import CosineLength, Gated, KimiLength, MathAccuracy, WeightedSum, format_reward, tag_count_reward
    from verifiers.shaping.language import LanguageConsistency

    plain = [get_reward(name) for name in sorted(names())]
    nested = [
        CosineLength(accuracy=MathAccuracy(low=-1.0), unit="chars"),
        KimiLength(unit="chars"),
        WeightedSum([(MathAccuracy(), 1.0), (LanguageConsistency(), 0.5), (format_reward, 0.25)]),
        WeightedSum([MathAccuracy(), tag_count_reward], none="ignore"),
        Gated(MathAccuracy(), gate=tag_count_reward),
    ]
    return plain + nested


EVERY = _every_reward_and_nested_ones()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=grouped_batches())
@pytest.mark.parametrize("reward", EVERY, ids=lambda r: r.__name__)
def test_process_pool_gives_the_serial_results(pool, reward, groups):
    """Every registered reward, and nested ones (whose parts run on the parent's backend)."""
    import copy

    completions, cols = columns([row for group in groups for row in group])
    pooled = copy.copy(reward)
    pooled.backend = pool
    assert pooled.score(completions, **cols) == reward.score(completions, **cols)
