"""verifiers: rule-based rewards for reinforcement learning of reasoning models.

Names are loaded on first use, so ``from verifiers import accuracy_reward`` imports neither
numpy nor the shaping rewards.

>>> from verifiers import accuracy_reward
>>> accuracy_reward(completions=[r"\\boxed{2}"], solution=["2"])
[1.0]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from verifiers._version import __version__

if TYPE_CHECKING:
    from verifiers.base import AsyncReward, BaseReward, RewardConfig, RewardFunction
    from verifiers.code import CodeConfig, CodeReward, code_reward
    from verifiers.engine import ProcessPool, Ray, Serial
    from verifiers.errors import (
        BackendUnavailable,
        ConfigError,
        InfrastructureError,
        InputError,
        SandboxError,
        UnknownRewardError,
        VerifiersError,
        WorkerCrashed,
    )
    from verifiers.math import MathAccuracy, MathConfig, accuracy_reward
    from verifiers.models import ModelConfig as ModelConfig
    from verifiers.models import ModelReward as ModelReward
    from verifiers.puzzles.choice import ChoiceConfig, ChoiceReward, choice_reward
    from verifiers.puzzles.countdown import CountdownConfig, CountdownReward, countdown_reward
    from verifiers.puzzles.knights import KnightsConfig, KnightsKnaves, knights_knaves_reward
    from verifiers.registry import get_reward
    from verifiers.remote import RemoteConfig, RemoteReward
    from verifiers.router import Router
    from verifiers.shaping.combine import Gated, WeightedSum
    from verifiers.shaping.format import (
        FormatReward,
        TagCountReward,
        ThinkFormatReward,
        format_reward,
        tag_count_reward,
        think_format_reward,
    )
    from verifiers.shaping.language import LanguageConsistency, language_consistency_reward
    from verifiers.shaping.length import (
        CosineLength,
        KimiLength,
        SoftOverlong,
        cosine_length_reward,
        kimi_length_reward,
        overlong_reward,
    )
    from verifiers.shaping.repetition import RepetitionPenalty, repetition_penalty_reward
    from verifiers.types import Completion, Fault, Message, Reward, Status, Verdict

# public name -> the module that defines it
_WHERE = {
    **dict.fromkeys(["AsyncReward", "BaseReward", "RewardConfig", "RewardFunction"], "verifiers.base"),
    **dict.fromkeys(["CodeConfig", "CodeReward", "code_reward"], "verifiers.code.reward"),
    "ProcessPool": "verifiers.engine.pool",
    "Ray": "verifiers.engine.ray_backend",
    "Serial": "verifiers.engine.backends",
    **dict.fromkeys(
        [
            "BackendUnavailable", "ConfigError", "InfrastructureError", "InputError", "SandboxError",
            "UnknownRewardError", "VerifiersError", "WorkerCrashed",
        ],
        "verifiers.errors",
    ),
    **dict.fromkeys(["MathAccuracy", "MathConfig", "accuracy_reward"], "verifiers.math.reward"),
    # a learned reward model (the [model] extra); resolvable here, not yet listed in __all__
    **dict.fromkeys(["ModelConfig", "ModelReward"], "verifiers.models.hf"),
    **dict.fromkeys(["ChoiceConfig", "ChoiceReward", "choice_reward"], "verifiers.puzzles.choice"),
    **dict.fromkeys(["CountdownConfig", "CountdownReward", "countdown_reward"], "verifiers.puzzles.countdown"),
    **dict.fromkeys(["KnightsConfig", "KnightsKnaves", "knights_knaves_reward"], "verifiers.puzzles.knights"),
    "get_reward": "verifiers.registry",
    **dict.fromkeys(["RemoteConfig", "RemoteReward"], "verifiers.remote"),
    "Router": "verifiers.router",
    **dict.fromkeys(["Gated", "WeightedSum"], "verifiers.shaping.combine"),
    **dict.fromkeys(
        [
            "FormatReward", "TagCountReward", "ThinkFormatReward", "format_reward", "tag_count_reward",
            "think_format_reward",
        ],
        "verifiers.shaping.format",
    ),
    **dict.fromkeys(["LanguageConsistency", "language_consistency_reward"], "verifiers.shaping.language"),
    **dict.fromkeys(
        ["CosineLength", "KimiLength", "SoftOverlong", "cosine_length_reward", "kimi_length_reward", "overlong_reward"],
        "verifiers.shaping.length",
    ),
    **dict.fromkeys(["RepetitionPenalty", "repetition_penalty_reward"], "verifiers.shaping.repetition"),
    **dict.fromkeys(["Completion", "Fault", "Message", "Reward", "Status", "Verdict"], "verifiers.types"),
}

__all__ = [
    "AsyncReward",
    "BackendUnavailable",
    "BaseReward",
    "ChoiceConfig",
    "ChoiceReward",
    "CodeConfig",
    "CodeReward",
    "Completion",
    "ConfigError",
    "CosineLength",
    "CountdownConfig",
    "CountdownReward",
    "Fault",
    "FormatReward",
    "Gated",
    "InfrastructureError",
    "InputError",
    "KimiLength",
    "KnightsConfig",
    "KnightsKnaves",
    "LanguageConsistency",
    "MathAccuracy",
    "MathConfig",
    "Message",
    "ModelConfig",
    "ModelReward",
    "ProcessPool",
    "Ray",
    "RemoteConfig",
    "RemoteReward",
    "RepetitionPenalty",
    "Reward",
    "RewardConfig",
    "RewardFunction",
    "Router",
    "SandboxError",
    "Serial",
    "SoftOverlong",
    "Status",
    "TagCountReward",
    "ThinkFormatReward",
    "UnknownRewardError",
    "Verdict",
    "VerifiersError",
    "WeightedSum",
    "WorkerCrashed",
    "__version__",
    "accuracy_reward",
    "choice_reward",
    "code_reward",
    "cosine_length_reward",
    "countdown_reward",
    "format_reward",
    "get_reward",
    "kimi_length_reward",
    "knights_knaves_reward",
    "language_consistency_reward",
    "overlong_reward",
    "repetition_penalty_reward",
    "tag_count_reward",
    "think_format_reward",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'verifiers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
