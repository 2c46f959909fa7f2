"""A lazy, string-keyed table of rewards: nothing is imported until a name is asked for.

>>> from verifiers.registry import get_reward, names
>>> "accuracy" in names()
True
>>> get_reward("accuracy").signature().startswith("accuracy|")
True

Some rewards cannot be built from their defaults alone: ``"model"`` (a learned reward model)
needs ``path=``. They are registered with ``requires=``; :func:`names` leaves them out unless
asked (``names(every=True)``), so that a loop over ``names()`` builds every reward it gets, and
:func:`get_reward` names the missing setting:

>>> "model" in names(), "model" in names(every=True), requirements("model")
(False, True, ('path',))
>>> get_reward("model")
Traceback (most recent call last):
...
verifiers.errors.ConfigError: reward 'model' needs path=... (with the CLI: --set model.path=...)
"""

from __future__ import annotations

import importlib
from typing import Any

from verifiers.errors import ConfigError, UnknownRewardError

__all__ = ["get_reward", "names", "register", "requirements", "resolve", "split_weight"]

# name -> "module:ClassName" (a RewardFunction subclass) and a one-line description.
_TABLE: dict[str, tuple[str, str]] = {}
# name -> the config fields it cannot be built without (absent: none)
_REQUIRES: dict[str, tuple[str, ...]] = {}


def register(name: str, target: str, description: str, *, requires: tuple[str, ...] = ()) -> None:
    """Add a reward class under ``name``. Duplicate names are refused.

    Args:
        name: The registry name.
        target: ``"package.module:ClassName"``.
        description: One line for ``verify list``.
        requires: Config fields without which the reward cannot be built (``("path",)`` for a
            learned reward model); such a reward is listed by ``names(every=True)`` only.

    Raises:
        ConfigError: ``name`` is taken, or ``target`` is not ``"module:Attribute"``.
    """
    if name in _TABLE:
        raise ConfigError(f"a reward named {name!r} is already registered ({_TABLE[name][0]})")
    if target.count(":") != 1:
        raise ConfigError(f"target must look like 'package.module:ClassName', not {target!r}")
    _TABLE[name] = (target, description)
    if requires:
        _REQUIRES[name] = tuple(requires)


def names(*, every: bool = False) -> dict[str, str]:
    """Registered names with their descriptions, sorted by name: the rewards that build from
    their defaults (``get_reward(name)`` works), and with ``every=True`` also those that need
    settings (see :func:`requirements`)."""
    return {name: _TABLE[name][1] for name in sorted(_TABLE) if every or name not in _REQUIRES}


def requirements(name: str) -> tuple[str, ...]:
    """The config fields that the reward registered under ``name`` cannot be built without."""
    resolve(name)  # an unknown name raises
    return _REQUIRES.get(name, ())


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
    """An instance of the reward registered under ``name``, with config overrides.

    ``name`` may also be ``"package.module:attribute"``: a reward of your own (an instance,
    used as it is, or a class or factory, called with ``config``), e.g. a
    :class:`~verifiers.Router` built in your code.

    Raises:
        UnknownRewardError: no such registered name.
        ConfigError: a setting the registered reward requires is missing (see
            :func:`requirements`); the module or attribute cannot be loaded, config given for a
            ready-made instance, or the attribute is not a reward.

    >>> get_reward("verifiers:accuracy_reward").__name__
    'accuracy'
    """
    if ":" not in name:
        klass = resolve(name)
        for key in _REQUIRES.get(name, ()):
            if config.get(key) is None:
                raise ConfigError(f"reward {name!r} needs {key}=... (with the CLI: --set {name}.{key}=...)")
        return klass(**config)
    module, _, attr = name.partition(":")
    try:
        target: Any = importlib.import_module(module.strip())
        for part in attr.strip().split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"reward {name!r}: cannot load it ({exc})") from None
    from verifiers.types import Reward

    if not isinstance(target, Reward) and callable(target):
        try:
            target = target(**config)
        except TypeError as exc:
            raise ConfigError(f"reward {name!r}: {exc}") from None
    elif config:
        raise ConfigError(f"reward {name!r} is a ready-made reward: it takes no options ({', '.join(config)})")
    if not isinstance(target, Reward):
        raise ConfigError(f"reward {name!r} is {target!r}, not a reward (one with __call__, score and __name__)")
    return target


def split_weight(item: str) -> tuple[str, float]:
    """``NAME[:WEIGHT]`` as ``(name, weight)``; ``NAME`` may be ``module:attribute``.

    >>> split_weight("format:0.2"), split_weight("mine.rewards:router"), split_weight("mine.rewards:router:2")
    (('format', 0.2), ('mine.rewards:router', 1.0), ('mine.rewards:router', 2.0))

    Raises:
        ValueError: a registered name followed by something that is not a number.
    """
    head, colon, tail = item.strip().rpartition(":")
    if colon:
        try:
            return head.strip(), float(tail)
        except ValueError:
            if ":" not in head and head.strip() in _TABLE:
                raise ValueError(f"{item!r}: the weight after ':' must be a number") from None
    return item.strip(), 1.0


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
register(
    "remote",
    "verifiers.remote:RemoteReward",
    "scored by an HTTP reward server (OpenRLHF's protocol); needs url=",
    requires=("url",),
)
register(
    "model",
    "verifiers.models.hf:ModelReward",
    "a learned reward model (Hugging Face sequence classifier at 'path'; extra [model])",
    requires=("path",),
)
