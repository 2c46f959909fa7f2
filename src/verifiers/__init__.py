"""verifiers: rule-based rewards for reinforcement learning of reasoning models.

>>> from verifiers import accuracy_reward
>>> accuracy_reward(completions=[r"\\boxed{2}"], solution=["2"])
[1.0]
"""

from verifiers._version import __version__
from verifiers.base import RewardConfig, RewardFunction
from verifiers.engine import ProcessPool, Serial
from verifiers.errors import (
    BackendUnavailable,
    ConfigError,
    GradingTimeout,
    InfrastructureError,
    InputError,
    SandboxError,
    UnknownRewardError,
    VerifiersError,
    WorkerCrashed,
)
from verifiers.math import MathAccuracy, MathConfig, accuracy_reward
from verifiers.registry import get_reward
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

__all__ = [
    "BackendUnavailable",
    "Completion",
    "ConfigError",
    "CosineLength",
    "Fault",
    "FormatReward",
    "Gated",
    "GradingTimeout",
    "InfrastructureError",
    "InputError",
    "KimiLength",
    "LanguageConsistency",
    "MathAccuracy",
    "MathConfig",
    "Message",
    "ProcessPool",
    "RepetitionPenalty",
    "Reward",
    "RewardConfig",
    "RewardFunction",
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
    "cosine_length_reward",
    "format_reward",
    "get_reward",
    "kimi_length_reward",
    "language_consistency_reward",
    "overlong_reward",
    "repetition_penalty_reward",
    "tag_count_reward",
    "think_format_reward",
]
