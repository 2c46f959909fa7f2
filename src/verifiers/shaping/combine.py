"""Combinators: a weighted sum of rewards, and a gate (a reward that counts only when another passes).

``None`` propagation (``None`` means "skip this row", the data's fault) is explicit:

* :class:`WeightedSum` with ``none="propagate"`` (default): if any part is ``None`` the sum is
  ``None`` (status ``skipped``, detail naming the part). Safe: a row with an unusable reference is
  skipped, not rewarded for its format alone.
* :class:`WeightedSum` with ``none="ignore"``: ``None`` parts are left out of the sum, as TRL's
  ``GRPOTrainer`` does across its ``reward_funcs`` (a NaN-ignoring sum); all parts ``None`` gives
  ``None``.
* :class:`Gated`: ``None`` from the gate or from the gated reward gives ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from verifiers._version import __version__
from verifiers.base import BaseReward, Scores, _check_completions, check_backend, nested_scores
from verifiers.engine.backends import Backend
from verifiers.errors import ConfigError, InputError
from verifiers.types import Completion, Fault, Reward, Status, Verdict

__all__ = ["Gated", "WeightedSum"]


def _unique_names(rewards: Sequence[Reward]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for reward in rewards:
        name = reward.__name__
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return tuple(out)


def _combine_parts(combination: BaseReward, parts: Sequence[Any], backend: Backend | None, name: str) -> None:
    """Check the parts and the backend, and set the combination's protocol attributes from its
    parts: their columns (required by any part), optional columns, and grouping."""
    for reward in parts:
        if not isinstance(reward, Reward):
            raise ConfigError(f"{reward!r} does not follow the Reward protocol")
    combination.backend = check_backend(backend, parts, name)
    combination.columns = _union(parts, "columns")
    combination.optional_columns = tuple(c for c in _union(parts, "optional_columns") if c not in combination.columns)
    combination.grouped = any(getattr(r, "grouped", False) for r in parts)
    combination.__name__ = name


def _union(rewards: Sequence[Any], attribute: str) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for reward in rewards:
        out.update(dict.fromkeys(getattr(reward, attribute, ())))
    return tuple(out)


class WeightedSum(BaseReward):
    """The weighted sum of several rewards, row by row.

    Each part runs on its own backend, else on this sum's ``backend``. A row where a part timed
    out gets status ``timeout`` (that part contributes its low reward).

    Args:
        parts: ``(reward, weight)`` pairs, or rewards (weight 1.0).
        none: ``"propagate"`` (any ``None`` part makes the sum ``None``) or ``"ignore"``
            (sum the parts that are not ``None``; TRL's behaviour across reward functions).
        name: The name TRL logs it under (default ``"weighted_sum"``).
        backend: Where the parts' per-row kernels run, unless a part has its own.

    Raises:
        ConfigError: no part, a part that is not a reward, a weight that is not finite, or a
            backend that a part cannot run on.

    >>> from verifiers import accuracy_reward, format_reward
    >>> total = WeightedSum([(accuracy_reward, 2.0), (format_reward, 0.5)])
    >>> total([r"\\boxed{1}", r"<think>.</think><answer>\\boxed{2}</answer>"], solution=["1", "1"])
    [2.0, 0.5]
    >>> total.reward_range, total.columns
    ((0.0, 2.5), ('solution',))
    """

    def __init__(
        self,
        parts: Sequence[Reward | tuple[Reward, float]],
        *,
        none: Literal["propagate", "ignore"] = "propagate",
        name: str = "weighted_sum",
        backend: Backend | None = None,
    ) -> None:
        pairs = tuple(p if isinstance(p, tuple) else (p, 1.0) for p in parts)
        if not pairs:
            raise ConfigError("WeightedSum needs at least one reward")
        _combine_parts(self, [r for r, _ in pairs], backend, name)
        for reward, weight in pairs:
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
                raise ConfigError(f"weight of {reward.__name__} must be a finite number, not {weight!r}")
        if none not in ("propagate", "ignore"):
            raise ConfigError(f"none must be 'propagate' or 'ignore', not {none!r}")
        self.weights = tuple(float(w) for _, w in pairs)
        self._parts = tuple(r for r, _ in pairs)
        self.none = none
        self.names = _unique_names(self._parts)

    @property
    def parts(self) -> tuple[Any, ...]:
        """The summed rewards, in order (their names are :attr:`names`, weights :attr:`weights`)."""
        return self._parts

    @property
    def reward_range(self) -> tuple[float, float]:
        lo = hi = 0.0
        for reward, weight in zip(self._parts, self.weights):
            a, b = (weight * x for x in reward.reward_range)
            lo, hi = lo + min(a, b), hi + max(a, b)
        return (lo, hi)

    def signature(self) -> str:
        """``NAME(none:MODE)[w*SIG;...]|v:VERSION``: the parts' signatures with their weights."""
        inner = ";".join(f"{weight:g}*{reward.signature()}" for reward, weight in zip(self._parts, self.weights))
        return f"{self.__name__}(none:{self.none})[{inner}]|v:{__version__}"

    def score_parts(
        self, completions: Sequence[Completion], **columns: Any
    ) -> tuple[list[Verdict], dict[str, list[Verdict]]]:
        """The combined verdicts and, by part name, each part's verdicts.

        >>> from verifiers import accuracy_reward, format_reward
        >>> total, parts = WeightedSum([accuracy_reward, format_reward]).score_parts([r"\\boxed{1}"], solution=["1"])
        >>> total[0].reward, parts["accuracy"][0].status.value, parts["format"][0].status.value
        (1.0, 'correct', 'bad_format')
        """
        checked = _check_completions(completions, self.__name__)
        combined, per_part = self._combine(checked, columns, self.backend)
        return combined.verdicts(), {name: scores.verdicts() for name, scores in per_part.items()}

    def _evaluate(self, completions: Sequence[Any], columns: Mapping[str, Any], backend: Backend | None) -> Scores:
        return self._combine(completions, columns, backend)[0]

    def _combine(
        self, completions: Sequence[Any], columns: Mapping[str, Any], backend: Backend | None
    ) -> tuple[Scores, dict[str, Scores]]:
        per_part = {
            name: nested_scores(reward, completions, columns, backend) for name, reward in zip(self.names, self._parts)
        }
        n = len(completions)
        for name, scores in per_part.items():
            if len(scores) != n:
                raise InputError(f"{name} returned {len(scores)} scores for {n} completions")
        weighted = [(name, weight, per_part[name]) for name, weight in zip(self.names, self.weights)]
        values: list[float | None] = []
        propagate = self.none == "propagate"
        for i in range(n):
            total, used, skipped = 0.0, 0, False
            for _, weight, scores in weighted:
                value = scores.values[i]
                if value is None:
                    skipped = True
                else:
                    total += weight * value
                    used += 1
            values.append(None if (skipped and (propagate or used == 0)) or not math.isfinite(total) else total)

        def make(i: int) -> Verdict:
            verdicts = [(name, scores.verdict(i)) for name, _, scores in weighted]
            skipped = "; ".join(f"{name}: {v.status.value}" for name, v in verdicts if v.reward is None)
            value = values[i]
            if value is None and not skipped:
                return Verdict(None, Status.INFRA_ERROR, detail="the weighted sum is not a finite number")
            if value is None:
                return Verdict(None, Status.SKIPPED, detail=skipped)
            timed_out = [name for name, v in verdicts if v.status is Status.TIMEOUT]
            if timed_out:
                return Verdict(value, Status.TIMEOUT, detail="; ".join(f"{name}: timeout" for name in timed_out))
            return Verdict(value, Status.SCORED, detail=skipped)

        return Scores(values, make), per_part

    def __repr__(self) -> str:
        return f"WeightedSum({list(zip(self._parts, self.weights))!r}, none={self.none!r})"


class Gated(BaseReward):
    """``reward`` counts only where ``gate`` passes; elsewhere the result is ``reward``'s low value.

    A row passes the gate when the gate's verdict is ``correct`` (e.g. the format is right;
    partial credit such as ``tag_count`` at 0.75 does not pass). This is the "accuracy only
    counts when the format is right" shaping.

    Args:
        reward: The reward to pass through.
        gate: The reward that must be fully satisfied (status ``correct``).
        name: The name TRL logs it under (default ``"<reward>_if_<gate>"``).
        backend: Where the two rewards' per-row kernels run, unless they have their own.

    >>> from verifiers import accuracy_reward, format_reward
    >>> g = Gated(accuracy_reward, gate=format_reward)
    >>> g([r"<think>so</think><answer>\\boxed{1}</answer>", r"\\boxed{1}"], solution=["1", "1"])
    [1.0, 0.0]
    """

    def __init__(
        self, reward: Reward, *, gate: Reward, name: str | None = None, backend: Backend | None = None
    ) -> None:
        default = f"{getattr(reward, '__name__', 'reward')}_if_{getattr(gate, '__name__', 'gate')}"
        _combine_parts(self, [reward, gate], backend, name or default)
        self.reward = reward
        self.gate = gate

    @property
    def parts(self) -> tuple[Any, ...]:
        """``(reward, gate)``."""
        return (self.reward, self.gate)

    @property
    def reward_range(self) -> tuple[float, float]:
        return self.reward.reward_range

    def signature(self) -> str:
        return f"gated[{self.reward.signature()};if:{self.gate.signature()}]|v:{__version__}"

    def _evaluate(self, completions: Sequence[Any], columns: Mapping[str, Any], backend: Backend | None) -> Scores:
        gates = nested_scores(self.gate, completions, columns, backend).verdicts()
        values = nested_scores(self.reward, completions, columns, backend)
        low = self.reward.reward_range[0]
        out = []
        for g, v in zip(gates, values.verdicts()):
            if g.reward is None:
                out.append(Verdict(None, Status.SKIPPED, detail=f"gate {self.gate.__name__}: {g.status.value}"))
            elif v.reward is None or g.status is Status.CORRECT:
                out.append(v)
            else:
                status = g.status if g.status.fault is Fault.MODEL else Status.BAD_FORMAT
                out.append(Verdict(low, status, extracted=v.extracted, detail=f"gate {self.gate.__name__} failed"))
        return Scores.from_verdicts(out)

    def __repr__(self) -> str:
        return f"Gated({self.reward!r}, gate={self.gate!r})"
