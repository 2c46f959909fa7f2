"""Shaping rewards: format, language consistency, length, repetition, and combinators."""

from verifiers.shaping.combine import Gated, WeightedSum
from verifiers.shaping.format import (
    FormatConfig,
    FormatReward,
    TagCountConfig,
    TagCountReward,
    ThinkFormatConfig,
    ThinkFormatReward,
    format_reward,
    tag_count_reward,
    think_format_reward,
)
from verifiers.shaping.language import LanguageConfig, LanguageConsistency, language_consistency_reward
from verifiers.shaping.length import (
    CosineConfig,
    CosineLength,
    KimiConfig,
    KimiLength,
    OverlongConfig,
    SoftOverlong,
    cosine_length_reward,
    kimi_length_reward,
    overlong_reward,
)
from verifiers.shaping.repetition import RepetitionConfig, RepetitionPenalty, repetition_penalty_reward

__all__ = [
    "CosineConfig",
    "CosineLength",
    "FormatConfig",
    "FormatReward",
    "Gated",
    "KimiConfig",
    "KimiLength",
    "LanguageConfig",
    "LanguageConsistency",
    "OverlongConfig",
    "RepetitionConfig",
    "RepetitionPenalty",
    "SoftOverlong",
    "TagCountConfig",
    "TagCountReward",
    "ThinkFormatConfig",
    "ThinkFormatReward",
    "WeightedSum",
    "cosine_length_reward",
    "format_reward",
    "kimi_length_reward",
    "language_consistency_reward",
    "overlong_reward",
    "repetition_penalty_reward",
    "tag_count_reward",
    "think_format_reward",
]
