"""A lazy, string-keyed table of rewards: nothing is imported until a name is asked for.

>>> from verifiers.registry import get_reward, names
>>> "accuracy" in names()
True
>>> get_reward("accuracy").signature().startswith("accuracy|")
True
"""

from __future__ import annotations

import importlib
from typing import Any

from verifiers.errors import ConfigError, UnknownRewardError

__all__ = ["get_reward", "names", "register", "resolve"]

# name -> "module:ClassName" (a RewardFunction subclass) and a one-line description.
_TABLE: dict[str, tuple[str, str]] = {}


def register(name: str, target: str, description: str) -> None:
    """Add a reward class under ``name``. Duplicate names are refused.

    Raises:
        ConfigError: ``name`` is taken, or ``target`` is not ``"module:Attribute"``.
    """
    if name in _TABLE:
        raise ConfigError(f"a reward named {name!r} is already registered ({_TABLE[name][0]})")
    if target.count(":") != 1:
        raise ConfigError(f"target must look like 'package.module:ClassName', not {target!r}")
    _TABLE[name] = (target, description)


def names() -> dict[str, str]:
    """Every registered name with its description, sorted by name."""
    return {name: _TABLE[name][1] for name in sorted(_TABLE)}


def resolve(name: str) -> type:
    """The reward class registered under ``name`` (imported now).

    Raises:
        UnknownRewardError: no such name; the message lists the known ones.
    """
    try:
        target = _TABLE[name][0]
    except KeyError:
        raise UnknownRewardError(f"unknown reward {name!r}; known: {', '.join(sorted(_TABLE))}") from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def get_reward(name: str, **config: Any) -> Any:
    """An instance of the reward registered under ``name``, with config overrides."""
    return resolve(name)(**config)


register("accuracy", "verifiers.math.reward:MathAccuracy", "math answer equals the 'solution' column")
register("code", "verifiers.code.reward:CodeReward", "the completion's program passes the row's tests (sandboxed)")
register(
    "cosine_length",
    "verifiers.shaping.length:CosineLength",
    "cosine length reward (Yeo et al. 2025): short correct answers earn more, long wrong ones lose less",
)
register("overlong", "verifiers.shaping.length:SoftOverlong", "DAPO soft overlong punishment, in [-1, 0]")
register("kimi_length", "verifiers.shaping.length:KimiLength", "Kimi k1.5 length penalty, relative to the prompt group")
register("repetition", "verifiers.shaping.repetition:RepetitionPenalty", "n-gram repetition penalty (CJK-aware)")
register(
    "language_consistency",
    "verifiers.shaping.language:LanguageConsistency",
    "share of the chain of thought in the target language ('language' column or config, default en)",
)
register(
    "format", "verifiers.shaping.format:FormatReward", "R1 <think>/<answer> template (strict; lenient, prefill)"
)
register(
    "think_format",
    "verifiers.shaping.format:ThinkFormatReward",
    "one <think> block first, then content (TRL's think_format_reward, without its false accepts)",
)
register("tag_count", "verifiers.shaping.format:TagCountReward", "0.25 per R1 tag that appears exactly once (open-r1)")
register(
    "choice", "verifiers.puzzles.choice:ChoiceReward", "multiple choice (GPQA, MMLU): the final letter equals 'answer'"
)
register(
    "countdown",
    "verifiers.puzzles.countdown:CountdownReward",
    "TinyZero's Countdown: the <answer> equation reaches 'target' with 'nums', exact arithmetic",
)
register(
    "knights_knaves",
    "verifiers.puzzles.knights:KnightsKnaves",
    "Logic-RL's Knights and Knaves: every person in 'names' gets the right role",
)
register("remote", "verifiers.remote:RemoteReward", "scored by an HTTP reward server (OpenRLHF's protocol); needs url=")
