"""Learned reward models behind the Reward protocol (``pip install 'reasoning-verifiers[model]'``).

:class:`ModelReward` wraps a Hugging Face sequence-classification reward model; importing this
package imports neither torch nor transformers (they are loaded on first use).
"""

from __future__ import annotations

from verifiers.models.hf import ModelConfig, ModelReward
from verifiers.models.segment import segment_text

__all__ = ["ModelConfig", "ModelReward", "segment_text"]
