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
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal

import numpy as np

from verifiers.base import RewardConfig, RewardFunction
from verifiers.errors import ConfigError, InputError
from verifiers.extract.messages import completion_text
from verifiers.types import Completion, Status, Verdict

__all__ = [
    "RepetitionConfig",
    "RepetitionPenalty",
    "repeated_fraction",
    "repetition_penalty_reward",
    "split_units",
]

# Scripts written without spaces between words: each character is a unit.
_NO_SPACE = (
    "\u0e00-\u0e7f"  # Thai
    "\u0e80-\u0eff"  # Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3001-\u303f"  # CJK punctuation, marks and numerals (not U+3000, a space)
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u312f\u31a0-\u31bf"  # Bopomofo
    "\u31f0-\u31ff"  # Katakana extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff01-\uff9f"  # full-width punctuation and letters, half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
_HAS_NO_SPACE = re.compile(f"[{_NO_SPACE}]")
_UNITS = re.compile(f"[{_NO_SPACE}]|[^\\s{_NO_SPACE}]+")
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


class RepetitionPenalty(RewardFunction[RepetitionConfig]):
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

    def _evaluate(self, texts: Sequence[str], ids: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, dict[int, Verdict]]:
        """The kernel over a batch: rewards, repeated fractions, and ``None`` verdicts by row."""
        fractions = np.zeros(len(texts), dtype=np.float64)
        faults: dict[int, Verdict] = {}
        need_ids = self.config.unit == "tokens"
        for i, (text, row_ids) in enumerate(zip(texts, ids)):
            if need_ids and (row_ids is None or not hasattr(row_ids, "__getitem__")):
                faults[i] = Verdict(
                    None, Status.MISSING_COLUMN, detail="unit='tokens' needs completion_ids (or use unit='words')"
                )
                continue
            fractions[i] = self._fraction(text, row_ids)
        values = self.config.high + fractions * (self.config.low - self.config.high)
        return values, fractions, faults

    def _batch(
        self, completions: Sequence[Completion], columns: Mapping[str, Any]
    ) -> tuple[np.ndarray, np.ndarray, dict[int, Verdict]]:
        n = len(completions)
        ids = columns.get("completion_ids")
        if ids is None:
            ids = [None] * n
        elif isinstance(ids, (str, bytes, Mapping)) or not hasattr(ids, "__len__") or len(ids) != n:
            raise InputError(f"column 'completion_ids' must be a list with one value per completion ({n})")
        texts = [completion_text(c) for c in completions] if self.config.unit == "words" else [""] * n
        return self._evaluate(texts, ids)

    def _verdicts(self, values: np.ndarray, fractions: np.ndarray, faults: dict[int, Verdict]) -> list[Verdict]:
        n = self.config.ngram_size
        return [
            faults.get(i) or Verdict(value, Status.SCORED, detail=f"{frac:.3f} of {n}-grams repeated")
            for i, (value, frac) in enumerate(zip(values.tolist(), fractions.tolist()))
        ]

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        """The verdict of one completion (``row["completion_ids"]`` is read for ``unit="tokens"``)."""
        return self._verdicts(*self._evaluate([text], [row.get("completion_ids")]))[0]

    def score(self, completions: Sequence[Completion], **columns: Any) -> list[Verdict]:
        """One verdict per completion (status ``scored``; ``None`` when token ids are needed
        and missing)."""
        return self._verdicts(*self._batch(completions, columns))

    def __call__(self, completions: Sequence[Completion] | None = None, **columns: Any) -> list[float | None]:
        """TRL's calling convention: one float (or ``None``) per completion."""
        if completions is None:
            raise InputError(f"{self.name}: completions= is required")
        values, _, faults = self._batch(completions, columns)
        out: list[float | None] = values.tolist()
        for i in faults:
            out[i] = None
        return out


#: The default instance: n = 3 words, penalty up to -1 (open-r1's and TRL's defaults).
repetition_penalty_reward = RepetitionPenalty()
