"""Run a reward's per-row kernel over a batch: dedupe, dispatch to a backend, map outcomes back."""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from verifiers.engine.backends import Backend, Crashed, Serial, TimedOut
from verifiers.types import Status, Verdict

if TYPE_CHECKING:
    from verifiers.base import RewardFunction

__all__ = ["run_batch"]

_SERIAL = Serial()


def _key(item: tuple[str, Mapping[str, Any]]) -> Hashable:
    text, row = item
    try:
        frozen: Hashable = tuple(sorted(row.items()))
        hash(frozen)
    except TypeError:  # lists/dicts in the row (e.g. test cases): a canonical JSON string
        frozen = json.dumps(row, sort_keys=True, default=repr)
    return (text, frozen)


def run_batch(
    reward: RewardFunction[Any],
    items: Sequence[tuple[str, Mapping[str, Any]]],
    backend: Backend | None = None,
) -> list[Verdict]:
    """Grade ``(text, row)`` items with ``reward.grade``; one verdict per item, in order.

    Identical items are graded once. Outcomes that are not verdicts become the reward's
    timeout verdict (the model's fault) or an ``infra_error`` verdict with reward ``None``
    (a crashed worker, when the backend was told to skip rather than raise).
    """
    slot: dict[Hashable, int] = {}
    unique: list[tuple[str, Mapping[str, Any]]] = []
    where: list[int] = []
    for item in items:
        key = _key(item)
        index = slot.get(key)
        if index is None:
            index = slot[key] = len(unique)
            unique.append(item)
        where.append(index)
    outcomes = (backend or _SERIAL).map(reward.grade_item, unique)
    verdicts: list[Verdict] = []
    for outcome in outcomes:
        if isinstance(outcome, Verdict):
            verdicts.append(outcome)
        elif isinstance(outcome, TimedOut):
            verdicts.append(reward.timeout_verdict(outcome.seconds))
        elif isinstance(outcome, Crashed):
            verdicts.append(Verdict(None, Status.INFRA_ERROR, detail=outcome.message))
        else:  # pragma: no cover - a kernel bug
            raise TypeError(f"{reward.name}.grade returned {outcome!r}, not a Verdict")
    return [verdicts[i] for i in where]
