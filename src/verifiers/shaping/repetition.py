"""``repetition_penalty_reward``: punish repeated n-grams (Yeo et al. 2025, Appendix C.2).

The penalty of a completion is the fraction of its n-grams that repeat an earlier one::

    frac = 1 - unique_ngrams / total_ngrams          (0 when there are fewer than n units)
    R    = high + frac * (low - high)                (= frac * max_penalty with high = 0)

Units are words (``unit="words"``, open-r1's choice) or token ids from TRL's
``completion_ids`` column (``unit="tokens"``, TRL's current choice).

**Words in every script.** Whitespace splitting (open-r1: ``text.lower().split()``) turns a
Chinese or Japanese paragraph into one "word", so a completion that repeats one sentence 50
times gets no penalty at all. We split on whitespace and then cut every run of Han, Hiragana,
Katakana or Bopomofo characters (and CJK and full-width punctuation), and of Thai, Lao, Khmer
and Myanmar letters (scripts written without spaces), into single characters; other scripts
(Latin, Cyrillic, Hangul, Arabic...) keep whitespace words. For text without such characters
this is exactly ``lower().split()``.

**Bounded work.** Only the first ``max_units`` units are examined, and at most
``32 * max_units`` characters are read before splitting.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal

import numpy as np

from verifiers.base import Batch, BatchReward, RewardConfig, Scores
from verifiers.errors import ConfigError
from verifiers.shaping.scripts import NO_SPACE
from verifiers.types import Status, Verdict

__all__ = [
    "RepetitionConfig",
    "RepetitionPenalty",
    "repeated_fraction",
    "repetition_penalty_reward",
    "split_units",
]

_HAS_NO_SPACE = re.compile(f"[{NO_SPACE}]")
_UNITS = re.compile(f"[{NO_SPACE}]|[^\\s{NO_SPACE}]+")
_CHARS_PER_UNIT = 32


def split_units(text: str, max_units: int = 100_000) -> list[str]:
    """Lower-cased words of ``text``; characters of scripts without spaces are single units.

    Args:
        text: The completion text.
        max_units: Keep at most this many units (reading at most ``32 * max_units`` chars).

    Returns:
        The units, in order.

    >>> split_units("The cat  sat.\\nThe cat")
    ['the', 'cat', 'sat.', 'the', 'cat']
    >>> split_units("答案是 42。答案")
    ['答', '案', '是', '42', '。', '答', '案']
    """
    text = text[: _CHARS_PER_UNIT * max_units]
    if text.isascii() or not _HAS_NO_SPACE.search(text):
        return text.lower().split(None, max_units)[:max_units]
    return [m.group().lower() for m in islice(_UNITS.finditer(text), max_units)]


def repeated_fraction(units: Sequence[Hashable], ngram_size: int) -> float:
    """``1 - unique / total`` over the n-grams of ``units``; 0.0 when there is no n-gram.

    Args:
        units: Words or token ids.
        ngram_size: ``n``.

    Returns:
        A fraction in ``[0, 1)``.

    >>> repeated_fraction("a b c a b c".split(), 3), repeated_fraction([5, 5, 5, 5, 5], 2)
    (0.25, 0.75)
    """
    total = len(units) - ngram_size + 1
    if total <= 0:
        return 0.0
    grams = units if ngram_size == 1 else zip(*(units[i:] for i in range(ngram_size)))
    unique = len(set(grams))
    return 1.0 - unique / total


@dataclass(frozen=True, kw_only=True)
class RepetitionConfig(RewardConfig):
    """Config of :class:`RepetitionPenalty`.

    Args:
        low: Reward of a completion whose n-grams all repeat (open-r1 / TRL ``max_penalty``).
        high: Reward of a completion without repetition (open-r1 / TRL: 0).
        ngram_size: ``n`` (open-r1 / TRL: 3).
        unit: ``"words"`` (from the text) or ``"tokens"`` (from ``completion_ids``).
        max_units: Examine at most this many units of a completion.
    """

    low: float = -1.0
    high: float = 0.0
    ngram_size: int = field(default=3, metadata={"sig": "n"})
    unit: Literal["words", "tokens"] = "words"
    max_units: int = field(default=100_000, metadata={"sig": "cap"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.ngram_size < 1:
            raise ConfigError(f"ngram_size must be at least 1, not {self.ngram_size}")
        if self.unit not in ("words", "tokens"):
            raise ConfigError(f"unit must be 'words' or 'tokens', not {self.unit!r}")
        if self.max_units < self.ngram_size:
            raise ConfigError(f"max_units ({self.max_units}) must be at least ngram_size ({self.ngram_size})")


class RepetitionPenalty(BatchReward[RepetitionConfig]):
    """N-gram repetition penalty (Yeo et al. 2025, "Demystifying Long Chain-of-Thought
    Reasoning in LLMs", Appendix C.2; open-r1's ``get_repetition_penalty_reward``).

    ``R = high + (1 - unique_ngrams / total_ngrams) * (low - high)``; an empty completion, or
    one shorter than ``ngram_size`` units, gets ``high`` (no penalty). ``max_penalty=`` is
    accepted as another name for ``low`` (open-r1's and TRL's argument).

    >>> repetition_penalty_reward(["the cat sat on the mat", "go go go go go", "", "重复重复重复重复"])
    [0.0, -0.6666666666666667, 0.0, -0.6666666666666667]
    >>> RepetitionPenalty(max_penalty=-0.5, ngram_size=2, unit="tokens")(["x"], completion_ids=[[5, 5, 5, 5, 5]])
    [-0.375]
    """

    name = "repetition"
    config_class = RepetitionConfig
    optional_columns = ("completion_ids",)

    def __init__(self, config: RepetitionConfig | None = None, /, *, backend: Any = None, **overrides: Any) -> None:
        if "max_penalty" in overrides:
            if "low" in overrides:
                raise ConfigError("give max_penalty or low, not both")
            overrides["low"] = overrides.pop("max_penalty")
        super().__init__(config, backend=backend, **overrides)

    @property
    def max_penalty(self) -> float:
        """The reward of a fully repetitive completion (``config.low``).

        >>> repetition_penalty_reward.max_penalty
        -1.0
        """
        return self.config.low

    def _fraction(self, text: str, ids: Any) -> float:
        c = self.config
        if c.unit == "words":
            return repeated_fraction(split_units(text, c.max_units), c.ngram_size)
        head = ids[: c.max_units]
        # tensors and arrays hash by identity or by value type: compare plain ints
        units = head.tolist() if hasattr(head, "tolist") else list(head)
        return repeated_fraction(units, c.ngram_size)

    def grade_batch(self, batch: Batch) -> Scores:
        """One score per row (status ``scored``; ``None`` when token ids are needed and missing)."""
        c = self.config
        ids = batch.column("completion_ids") if c.unit == "tokens" else None
        fractions = np.zeros(len(batch), dtype=np.float64)
        faults: dict[int, Verdict] = {}
        for i, text in enumerate(batch.texts):
            row_ids = ids[i] if ids is not None else None
            if c.unit == "tokens" and (row_ids is None or not hasattr(row_ids, "__getitem__")):
                faults[i] = _NEED_IDS
                continue
            fractions[i] = self._fraction(text, row_ids)
        values = c.high + fractions * (c.low - c.high)

        def describe(i: int, value: float) -> Verdict:
            return Verdict(value, Status.SCORED, detail=f"{fractions[i]:.3f} of {c.ngram_size}-grams repeated")

        return Scores.from_values(values, faults, describe)


_NEED_IDS = Verdict(None, Status.MISSING_COLUMN, detail="unit='tokens' needs completion_ids (or use unit='words')")


#: The default instance: n = 3 words, penalty up to -1 (open-r1's and TRL's defaults).
repetition_penalty_reward = RepetitionPenalty()
