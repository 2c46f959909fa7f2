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
from collections.abc import Sequence
from typing import Any, Literal

from verifiers._version import __version__
from verifiers.base import FloatsFromVerdicts
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


class WeightedSum(FloatsFromVerdicts):
    """The weighted sum of several rewards, row by row.

    Args:
        parts: ``(reward, weight)`` pairs, or rewards (weight 1.0).
        none: ``"propagate"`` (any ``None`` part makes the sum ``None``) or ``"ignore"``
            (sum the parts that are not ``None``; TRL's behaviour across reward functions).
        name: The name TRL logs it under (default ``"weighted_sum"``).

    >>> from verifiers import accuracy_reward
    >>> total = WeightedSum([(accuracy_reward, 2.0)])
    >>> total([r"\\boxed{1}", r"\\boxed{2}"], solution=["1", "1"]), total.reward_range
    ([2.0, 0.0], (0.0, 2.0))
    """

    def __init__(
        self,
        parts: Sequence[Reward | tuple[Reward, float]],
        *,
        none: Literal["propagate", "ignore"] = "propagate",
        name: str = "weighted_sum",
    ) -> None:
        pairs = tuple(p if isinstance(p, tuple) else (p, 1.0) for p in parts)
        if not pairs:
            raise ConfigError("WeightedSum needs at least one reward")
        for reward, weight in pairs:
            if not isinstance(reward, Reward):
                raise ConfigError(f"{reward!r} does not follow the Reward protocol")
            if not math.isfinite(weight):
                raise ConfigError(f"weight of {reward.__name__} must be finite, not {weight}")
        if none not in ("propagate", "ignore"):
            raise ConfigError(f"none must be 'propagate' or 'ignore', not {none!r}")
        self.parts = pairs
        self.none = none
        self.names = _unique_names([r for r, _ in pairs])
        self.__name__ = name

    @property
    def reward_range(self) -> tuple[float, float]:
        lo = hi = 0.0
        for reward, weight in self.parts:
            a, b = (weight * x for x in reward.reward_range)
            lo, hi = lo + min(a, b), hi + max(a, b)
        return (lo, hi)

    def signature(self) -> str:
        """``sum(none:MODE)[w*SIG;...]|v:VERSION``: the parts' signatures with their weights."""
        inner = ";".join(f"{weight:g}*{reward.signature()}" for reward, weight in self.parts)
        return f"{self.__name__}(none:{self.none})[{inner}]|v:{__version__}"

    def score_parts(
        self, completions: Sequence[Completion], **columns: Any
    ) -> tuple[list[Verdict], dict[str, list[Verdict]]]:
        """The combined verdicts and, by part name, each part's verdicts."""
        per_part = {name: reward.score(completions, **columns) for name, (reward, _) in zip(self.names, self.parts)}
        n = len(completions)
        for name, verdicts in per_part.items():
            if len(verdicts) != n:
                raise InputError(f"{name} returned {len(verdicts)} verdicts for {n} completions")
        combined = []
        for i in range(n):
            total, used, skipped = 0.0, 0, []
            for name, (_, weight) in zip(self.names, self.parts):
                verdict = per_part[name][i]
                if verdict.reward is None:
                    skipped.append(f"{name}: {verdict.status.value}")
                else:
                    total += weight * verdict.reward
                    used += 1
            if skipped and (self.none == "propagate" or used == 0):
                combined.append(Verdict(None, Status.SKIPPED, detail="; ".join(skipped)))
            else:
                combined.append(Verdict(total, Status.SCORED, detail="; ".join(skipped)))
        return combined, per_part

    def score(self, completions: Sequence[Completion], **columns: Any) -> list[Verdict]:
        return self.score_parts(completions, **columns)[0]

    def __repr__(self) -> str:
        return f"WeightedSum({list(self.parts)!r}, none={self.none!r})"


class Gated(FloatsFromVerdicts):
    """``reward`` counts only where ``gate`` passes; elsewhere the result is ``reward``'s low value.

    A row passes the gate when the gate's verdict is ``correct`` (e.g. the format is right).
    This is the "accuracy only counts when the format is right" shaping.

    Args:
        reward: The reward to pass through.
        gate: The reward that must be fully satisfied (status ``correct``).
        name: The name TRL logs it under (default ``"<reward>_if_<gate>"``).

    >>> from verifiers import accuracy_reward
    >>> from verifiers.math import MathAccuracy
    >>> strict_box = MathAccuracy(low=0.0)
    >>> g = Gated(accuracy_reward, gate=strict_box)
    >>> g([r"\\boxed{1}", r"\\boxed{2}"], solution=["1", "1"])
    [1.0, 0.0]
    """

    def __init__(self, reward: Reward, *, gate: Reward, name: str | None = None) -> None:
        for r in (reward, gate):
            if not isinstance(r, Reward):
                raise ConfigError(f"{r!r} does not follow the Reward protocol")
        self.reward = reward
        self.gate = gate
        self.__name__ = name or f"{reward.__name__}_if_{gate.__name__}"

    @property
    def reward_range(self) -> tuple[float, float]:
        return self.reward.reward_range

    def signature(self) -> str:
        return f"gated[{self.reward.signature()};if:{self.gate.signature()}]|v:{__version__}"

    def score(self, completions: Sequence[Completion], **columns: Any) -> list[Verdict]:
        gates = self.gate.score(completions, **columns)
        values = self.reward.score(completions, **columns)
        low = self.reward.reward_range[0]
        out = []
        for g, v in zip(gates, values):
            if g.reward is None:
                out.append(Verdict(None, Status.SKIPPED, detail=f"gate {self.gate.__name__}: {g.status.value}"))
            elif v.reward is None or g.status is Status.CORRECT:
                out.append(v)
            else:
                status = g.status if g.status.fault is Fault.MODEL else Status.BAD_FORMAT
                out.append(Verdict(low, status, extracted=v.extracted, detail=f"gate {self.gate.__name__} failed"))
        return out

    def __repr__(self) -> str:
        return f"Gated({self.reward!r}, gate={self.gate!r})"
