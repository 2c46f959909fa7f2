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
from verifiers.types import Completion, Fault, Message, Reward, Status, Verdict

__all__ = [
    "BackendUnavailable",
    "Completion",
    "ConfigError",
    "Fault",
    "Gated",
    "GradingTimeout",
    "InfrastructureError",
    "InputError",
    "MathAccuracy",
    "MathConfig",
    "Message",
    "ProcessPool",
    "Reward",
    "RewardConfig",
    "RewardFunction",
    "SandboxError",
    "Serial",
    "Status",
    "UnknownRewardError",
    "Verdict",
    "VerifiersError",
    "WeightedSum",
    "WorkerCrashed",
    "__version__",
    "accuracy_reward",
    "get_reward",
]
