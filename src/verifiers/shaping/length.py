"""Length shaping: cosine-scaled reward, DAPO's soft overlong punishment, Kimi k1.5's length penalty.

Each reward is computed for the whole batch at once with numpy. One kernel per reward
(:func:`cosine_kernel`, :func:`overlong_kernel`, :func:`kimi_kernel`) maps arrays of lengths
(and correctness, and prompt groups) to rewards; ``score`` wraps its output in verdicts and
``__call__`` returns it as floats, so the two can never drift.

**Lengths** are token counts read from TRL's ``completion_ids`` column (``unit="tokens"``, the
default) or code-point counts of the completion text (``unit="chars"``). When tokens are asked
for and ``completion_ids`` is absent (or null for a row), the row gets ``None`` with status
``missing_column``: a length reward on a guessed scale (characters per token range from about
1 for Chinese to about 4 for English) would silently move every threshold by up to 4x, so we
refuse to guess. Pass ``unit="chars"`` to score text without token ids.

**Correctness** (cosine and Kimi) comes from an inner accuracy reward (default
:class:`verifiers.math.MathAccuracy`), run on the same completions and columns. A row counts as
correct when its inner reward reaches the inner reward's upper bound (``reward_range[1]``). A
row where the inner reward is ``None`` (unusable reference, missing column) gets ``None``, with
the inner status. A row whose inner grading overran its deadline gets this reward's ``low``
with status ``timeout``. The inner reward runs on this reward's backend unless it has its own
(a :class:`~verifiers.engine.ProcessPool` gives each of its rows a deadline); the length kernel
itself is vectorized and always runs in the calling process.
"""

from __future__ import annotations

import json
import math
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np

from verifiers.base import Batch, BatchReward, RewardConfig, Scores
from verifiers.errors import ConfigError
from verifiers.math.reward import MathAccuracy
from verifiers.types import Status, Verdict

__all__ = [
    "CosineConfig",
    "CosineLength",
    "KimiConfig",
    "KimiLength",
    "OverlongConfig",
    "SoftOverlong",
    "completion_lengths",
    "cosine_kernel",
    "cosine_length_reward",
    "kimi_kernel",
    "kimi_length_reward",
    "overlong_kernel",
    "overlong_reward",
]

Unit = Literal["tokens", "chars"]
_UNITS = ("tokens", "chars")


# -- kernels (pure numpy) -----------------------------------------------------------------------


def _lerp(start: Any, end: Any, t: np.ndarray) -> np.ndarray:
    """``start`` at ``t = 0``, ``end`` at ``t = 1`` (both exactly), never outside the two."""
    out = start + (end - start) * t
    out = np.where(t >= 1.0, end, out)
    return np.clip(out, np.minimum(start, end), np.maximum(start, end))


def overlong_kernel(
    lengths: np.ndarray, *, max_len: int, cache: int, low: float = -1.0, high: float = 0.0
) -> np.ndarray:
    """DAPO's soft overlong punishment (Yu et al. 2025, eq. 13), rescaled to ``[low, high]``.

    ``high`` up to ``max_len - cache``, linear down to ``low`` at ``max_len``, ``low`` beyond.
    With the defaults (``low=-1``, ``high=0``) this is the paper's formula exactly.

    Args:
        lengths: Completion lengths (any numeric array).
        max_len: ``L_max``.
        cache: ``L_cache`` (0 gives a hard cut: ``high`` up to ``max_len``, ``low`` beyond).
        low: The reward at and beyond ``max_len``.
        high: The reward of a completion short enough.

    Returns:
        A float64 array of rewards, one per length.

    >>> overlong_kernel(np.array([0, 80, 90, 100, 101]), max_len=100, cache=20).tolist()
    [0.0, 0.0, -0.5, -1.0, -1.0]
    """
    lengths = np.asarray(lengths, dtype=np.float64)
    if cache > 0:
        frac = np.clip((lengths - (max_len - cache)) / cache, 0.0, 1.0)
    else:
        frac = (lengths > max_len).astype(np.float64)
    return _lerp(high, low, frac)


def cosine_kernel(
    lengths: np.ndarray,
    correct: np.ndarray,
    *,
    max_len: int,
    high: float = 1.0,
    correct_at_max_len: float = 0.5,
    low: float = -1.0,
    wrong_at_max_len: float = -0.5,
    exceed: float | None = None,
) -> np.ndarray:
    """The cosine-scaled length reward of Yeo et al. 2025, with the length ratio capped at 1.

    ``w = (1 + cos(pi * min(len, max_len) / max_len)) / 2`` goes from 1 at length 0 to 0 at
    ``max_len``; a correct row gets ``correct_at_max_len + w * (high - correct_at_max_len)``, a
    wrong one ``wrong_at_max_len + w * (low - wrong_at_max_len)``. With ``exceed`` set, rows with
    ``len >= max_len`` (truncated generations) get ``exceed`` instead (the paper's ``r_e``).

    Args:
        lengths: Completion lengths.
        correct: Booleans, one per length.
        max_len: ``L_max``: the length at which the curves reach their end values.
        high: Reward of a correct answer of length 0 (``r_0^c``).
        correct_at_max_len: Reward of a correct answer at ``max_len`` (``r_L^c``).
        low: Reward of a wrong answer of length 0 (``r_0^w``).
        wrong_at_max_len: Reward of a wrong answer at ``max_len`` (``r_L^w``).
        exceed: Optional reward for ``len >= max_len`` (``r_e``), whatever the correctness.

    Returns:
        A float64 array of rewards.

    >>> cosine_kernel(np.array([0, 500, 1000, 2000]), np.array([True] * 4), max_len=1000).tolist()
    [1.0, 0.75, 0.5, 0.5]
    >>> cosine_kernel(np.array([0, 500, 1000, 2000]), np.array([False] * 4), max_len=1000).tolist()
    [-1.0, -0.75, -0.5, -0.5]
    """
    lengths = np.asarray(lengths, dtype=np.float64)
    ratio = np.minimum(lengths, max_len) / max_len  # the cap open-r1 lacks: cos is periodic
    weight = 0.5 * (1.0 + np.cos(np.pi * ratio))
    start = np.where(correct, high, low)
    end = np.where(correct, correct_at_max_len, wrong_at_max_len)
    out = _lerp(end, start, weight)
    if exceed is not None:
        out[lengths >= max_len] = exceed
    return out


def kimi_kernel(
    lengths: np.ndarray, correct: np.ndarray, groups: np.ndarray, *, low: float = -0.5, high: float = 0.5
) -> np.ndarray:
    """Kimi k1.5's length penalty (Kimi Team 2025, §2.3.3) with min/max taken per prompt group.

    ``lambda = 0.5 - (len - min_len) / (max_len - min_len)`` where ``min_len``/``max_len`` are
    over the row's group; ``lambda`` for a correct row, ``min(0, lambda)`` for a wrong one; 0 for
    every row of a group whose lengths are all equal (no length signal). The result is mapped
    linearly from ``[-0.5, 0.5]`` to ``[low, high]`` (the identity with the defaults).

    Args:
        lengths: Completion lengths.
        correct: Booleans, one per length.
        groups: Integer group codes, one per length (rows of one prompt share a code).
        low: The reward at ``lambda = -0.5``.
        high: The reward at ``lambda = 0.5``.

    Returns:
        A float64 array of rewards.

    >>> kimi_kernel(np.array([10, 20, 30, 5, 5]), np.array([True, True, False, True, False]),
    ...             np.array([0, 0, 0, 1, 1])).tolist()
    [0.5, 0.0, -0.5, 0.0, 0.0]
    """
    lengths = np.asarray(lengths, dtype=np.float64)
    groups = np.asarray(groups, dtype=np.int64)
    out = np.empty(lengths.shape, dtype=np.float64)
    if lengths.size == 0:
        return out
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sorted_lengths = lengths[order]
    lo = np.minimum.reduceat(sorted_lengths, starts)
    hi = np.maximum.reduceat(sorted_lengths, starts)
    sizes = np.diff(np.r_[starts, lengths.size])
    lo_row = np.repeat(lo, sizes)
    span = np.repeat(hi - lo, sizes)
    flat = span == 0
    lam = 0.5 - (sorted_lengths - lo_row) / np.where(flat, 1.0, span)
    lam[flat] = 0.0
    lam = np.where(np.asarray(correct)[order], lam, np.minimum(lam, 0.0))
    out[order] = lam
    if (low, high) == (-0.5, 0.5):  # Kimi's own scale: lambda as it is
        return out
    return _lerp(low, high, out + 0.5)


# -- batch plumbing -----------------------------------------------------------------------------


def _missing(detail: str) -> Verdict:
    return Verdict(None, Status.MISSING_COLUMN, detail=detail)


def completion_lengths(
    texts: Sequence[str], ids: Sequence[Any] | None, unit: Unit = "tokens"
) -> tuple[np.ndarray, dict[int, Verdict]]:
    """Lengths of a batch's completions, and a ``missing_column`` verdict for rows without one.

    Args:
        texts: The completions' texts.
        ids: The ``completion_ids`` column (token ids per row), or ``None`` when not passed.
        unit: ``"tokens"`` (length of each ``completion_ids`` entry) or ``"chars"`` (code points
            of the text).

    Returns:
        An int64 array of lengths (0 where unknown) and ``{row: verdict}`` for rows without one.

    >>> completion_lengths(["abc", "de"], [[1, 2], None])[0].tolist()
    [2, 0]
    >>> completion_lengths(["abc", "de"], None, unit="chars")[0].tolist()
    [3, 2]
    >>> sorted(completion_lengths(["abc"], None)[1])
    [0]
    """
    n = len(texts)
    if unit == "chars":
        return np.fromiter(map(len, texts), dtype=np.int64, count=n), {}
    if ids is None:
        verdict = _missing("unit='tokens' needs the completion_ids column (or use unit='chars')")
        return np.zeros(n, dtype=np.int64), dict.fromkeys(range(n), verdict)
    try:
        return np.fromiter(map(len, ids), dtype=np.int64, count=n), {}
    except TypeError:  # a null (or unsized) entry somewhere: the slow path
        lengths = np.zeros(n, dtype=np.int64)
        faults: dict[int, Verdict] = {}
        for i, row in enumerate(ids):
            if row is None or not hasattr(row, "__len__"):
                faults[i] = _missing("completion_ids is null for this row")
            else:
                lengths[i] = len(row)
        return lengths, faults


def _correctness(accuracy: Any, batch: Batch, low: float) -> tuple[np.ndarray, dict[int, Verdict]]:
    """Correct rows (the inner reward reaches its upper bound), and the verdicts of rows whose
    correctness is unknown: ``None`` where the inner reward is ``None`` (the data's fault), the
    low reward with status ``timeout`` where grading it overran its deadline (the model's)."""
    scores = batch.nested(accuracy)
    top = accuracy.reward_range[1]
    rewards = scores.values
    faults: dict[int, Verdict] = {}
    for i, reward in enumerate(rewards):
        if reward is None or reward < top:
            verdict = scores.verdict(i)
            if verdict.reward is None or verdict.status is Status.TIMEOUT:
                detail = f"{accuracy.__name__}: {verdict.detail}"
                faults[i] = Verdict(None if verdict.reward is None else low, verdict.status, detail=detail)
    correct = np.fromiter((r is not None and r >= top for r in rewards), dtype=bool, count=len(rewards))
    return correct, faults


class _Batch(NamedTuple):
    values: np.ndarray
    faults: dict[int, Verdict]
    lengths: np.ndarray
    correct: np.ndarray | None


def _check_unit(unit: str) -> None:
    if unit not in _UNITS:
        raise ConfigError(f"unit must be one of {_UNITS}, not {unit!r}")


def _check_finite(config: RewardConfig, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if value is not None and not math.isfinite(value):
            raise ConfigError(f"{name} must be finite, not {value}")


def _check_accuracy(accuracy: Any) -> None:
    if not (callable(getattr(accuracy, "score", None)) and hasattr(accuracy, "reward_range")):
        raise ConfigError(f"accuracy must be a reward with score() and reward_range, not {accuracy!r}")
    low, high = accuracy.reward_range
    if not low < high:
        raise ConfigError(f"accuracy's reward_range {accuracy.reward_range} cannot tell right from wrong")


class _LengthReward(BatchReward[Any]):
    """Shared batch plumbing: ``_compute`` gives arrays, ``grade_batch`` wraps them in scores
    whose verdicts are built only when asked for."""

    optional_columns: tuple[str, ...] = ("completion_ids",)

    @abstractmethod
    def _compute(self, batch: Batch) -> _Batch:
        """The batch's values, the rows that get a fault verdict, lengths and correctness."""

    def grade_batch(self, batch: Batch) -> Scores:
        """One score per row (status ``scored``; ``None`` for the data's faults)."""
        result = self._compute(batch)
        unit, lengths, correct = self.config.unit, result.lengths, result.correct

        def describe(i: int, value: float) -> Verdict:
            if correct is None:
                return Verdict(value, Status.SCORED, detail=f"{lengths[i]} {unit}")
            return Verdict(value, Status.SCORED, detail=f"{'correct' if correct[i] else 'wrong'}, {lengths[i]} {unit}")

        return Scores.from_values(result.values, result.faults, describe)


# -- SoftOverlong -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OverlongConfig(RewardConfig):
    """Config of :class:`SoftOverlong`.

    Args:
        low: Reward at and beyond ``max_len`` (DAPO: -1).
        high: Reward of a completion no longer than ``max_len - cache`` (DAPO: 0).
        max_len: ``L_max``, in ``unit`` s (DAPO: 20480 tokens).
        cache: ``L_cache``, the soft-punishment interval (DAPO: 4096 tokens); 0 gives a hard cut.
        unit: ``"tokens"`` (from ``completion_ids``) or ``"chars"``.
    """

    low: float = -1.0
    high: float = 0.0
    max_len: int = field(default=20480, metadata={"sig": "lmax"})
    cache: int = field(default=4096, metadata={"sig": "lcache"})
    unit: Unit = "tokens"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_finite(self, "low", "high")
        _check_unit(self.unit)
        if self.max_len < 1:
            raise ConfigError(f"max_len must be positive, not {self.max_len}")
        if not 0 <= self.cache <= self.max_len:
            raise ConfigError(f"cache must be in [0, max_len={self.max_len}], not {self.cache}")


class SoftOverlong(_LengthReward):
    """DAPO's soft overlong punishment (Yu et al. 2025, "DAPO", eq. 13).

    With ``L = len``, ``L_max = max_len`` and ``L_cache = cache``::

        R(L) = 0                                if L <= L_max - L_cache
             = ((L_max - L_cache) - L) / L_cache if L_max - L_cache < L <= L_max
             = -1                               if L > L_max

    mapped linearly onto ``[low, high]`` (``-1 -> low``, ``0 -> high``; the identity with the
    defaults, which equal TRL's ``get_soft_overlong_punishment``). Add it to a correctness reward
    (e.g. with :class:`verifiers.WeightedSum`): it only punishes, it never rewards brevity.

    >>> overlong_reward(["a", "b", "c"], completion_ids=[[0] * 16000, [0] * 18432, [0] * 30000])
    [0.0, -0.5, -1.0]
    >>> SoftOverlong(max_len=100, cache=20, unit="chars")(["x" * 90]), overlong_reward.reward_range
    ([-0.5], (-1.0, 0.0))
    """

    name = "overlong"
    config_class = OverlongConfig

    def _compute(self, batch: Batch) -> _Batch:
        c = self.config
        lengths, faults = completion_lengths(batch.texts, batch.column("completion_ids"), c.unit)
        values = overlong_kernel(lengths, max_len=c.max_len, cache=c.cache, low=c.low, high=c.high)
        return _Batch(values, faults, lengths, None)


# -- CosineLength -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CosineConfig(RewardConfig):
    """Config of :class:`CosineLength`. Values are named by the length they apply at, so the
    direction of each curve cannot be inverted by swapping two numbers.

    Args:
        low: Reward of a wrong answer of length 0, the lowest value (open-r1 ``min_value_wrong``).
        high: Reward of a correct answer of length 0, the highest (open-r1 ``max_value_correct``).
        correct_at_max_len: Reward of a correct answer at ``max_len`` (open-r1 ``min_value_correct``).
        wrong_at_max_len: Reward of a wrong answer at ``max_len`` (open-r1 ``max_value_wrong``).
        max_len: ``L_max``, in ``unit`` s: the curves are flat from here on.
        exceed: If set, the reward of every row with ``len >= max_len`` (the paper's ``r_e`` for
            truncated generations); must lie in ``[low, high]``.
        unit: ``"tokens"`` (from ``completion_ids``) or ``"chars"``.
        accuracy: The reward that decides correctness (default :class:`MathAccuracy`).

    Raises:
        ConfigError: unless ``low <= wrong_at_max_len <= correct_at_max_len <= high`` (so
            longer wrong answers are punished less, shorter correct ones rewarded more, and a
            correct answer never scores below a wrong one of the same length).
    """

    low: float = -1.0
    high: float = 1.0
    correct_at_max_len: float = field(default=0.5, metadata={"sig": "c_end"})
    wrong_at_max_len: float = field(default=-0.5, metadata={"sig": "w_end"})
    max_len: int = field(default=1000, metadata={"sig": "lmax"})
    exceed: float | None = None
    unit: Unit = "tokens"
    accuracy: Any = field(default_factory=MathAccuracy, metadata={"sig": "acc"})

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_finite(self, "low", "high", "correct_at_max_len", "wrong_at_max_len", "exceed")
        _check_unit(self.unit)
        _check_accuracy(self.accuracy)
        if self.max_len < 1:
            raise ConfigError(f"max_len must be positive, not {self.max_len}")
        if not self.low <= self.wrong_at_max_len <= self.correct_at_max_len <= self.high:
            raise ConfigError(
                "need low <= wrong_at_max_len <= correct_at_max_len <= high, got "
                f"{self.low}, {self.wrong_at_max_len}, {self.correct_at_max_len}, {self.high}"
            )
        if self.exceed is not None and not self.low <= self.exceed <= self.high:
            raise ConfigError(f"exceed must lie in [low, high], not {self.exceed}")


class CosineLength(_LengthReward):
    """Cosine-scaled length reward (Yeo et al. 2025, "Demystifying Long Chain-of-Thought
    Reasoning in LLMs", §4, CosFn): shorter correct answers earn more, longer wrong answers are
    punished less.

    With ``w(L) = (1 + cos(pi * min(L, L_max) / L_max)) / 2`` (1 at length 0, 0 at ``L_max``)::

        correct:  R = correct_at_max_len + w(L) * (high - correct_at_max_len)
        wrong:    R = wrong_at_max_len   + w(L) * (low  - wrong_at_max_len)
        (optional) R = exceed  if L >= L_max

    Differences from open-r1's ``get_cosine_scaled_reward``: the length ratio is capped at 1
    (open-r1 lets ``cos`` wrap around, so a correct answer of ``2 * max_len`` scores full marks
    again), and the end values are named by length and validated, so a wrong-answer curve cannot
    be reversed (open-r1's training-script defaults ``cosine_min_value_wrong=0.0,
    cosine_max_value_wrong=-0.5`` punish longer wrong answers more).

    >>> r = CosineLength(max_len=100, unit="chars")
    >>> [round(x, 3) for x in r([r"\\boxed{4}", r"\\boxed{4}" + " " * 91, r"\\boxed{5}"], solution=["4"] * 3)]
    [0.99, 0.5, -0.99]
    >>> r.reward_range
    (-1.0, 1.0)
    """

    name = "cosine_length"
    config_class = CosineConfig
    columns = ("solution",)

    def __init__(self, config: CosineConfig | None = None, /, *, backend: Any = None, **overrides: Any) -> None:
        super().__init__(config, backend=backend, **overrides)
        self.columns = tuple(self.config.accuracy.columns)  # type: ignore[misc]

    def _compute(self, batch: Batch) -> _Batch:
        c = self.config
        lengths, faults = completion_lengths(batch.texts, batch.column("completion_ids"), c.unit)
        correct, wrong_data = _correctness(c.accuracy, batch, c.low)
        values = cosine_kernel(
            lengths,
            correct,
            max_len=c.max_len,
            high=c.high,
            correct_at_max_len=c.correct_at_max_len,
            low=c.low,
            wrong_at_max_len=c.wrong_at_max_len,
            exceed=c.exceed,
        )
        return _Batch(values, {**wrong_data, **faults}, lengths, correct)


# -- KimiLength ---------------------------------------------------------------------------------


GroupBy = Literal["auto", "prompt_id", "prompts", "batch"]
_GROUP_BY = ("auto", "prompt_id", "prompts", "batch")


@dataclass(frozen=True, kw_only=True)
class KimiConfig(RewardConfig):
    """Config of :class:`KimiLength`.

    Args:
        low: Reward at ``lambda = -0.5`` (the longest answer of its group). Kimi: -0.5.
        high: Reward at ``lambda = 0.5`` (the shortest correct answer of its group). Kimi: 0.5.
        unit: ``"tokens"`` (from ``completion_ids``) or ``"chars"``.
        group_by: ``"auto"`` (the ``prompt_id`` column if given, else ``prompts``, else the whole
            batch), or one of ``"prompt_id"``, ``"prompts"``, ``"batch"`` explicitly.
        accuracy: The reward that decides correctness (default :class:`MathAccuracy`).
    """

    low: float = -0.5
    high: float = 0.5
    unit: Unit = "tokens"
    group_by: GroupBy = field(default="auto", metadata={"sig": "group"})
    accuracy: Any = field(default_factory=MathAccuracy, metadata={"sig": "acc"})

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_finite(self, "low", "high")
        _check_unit(self.unit)
        _check_accuracy(self.accuracy)
        if self.group_by not in _GROUP_BY:
            raise ConfigError(f"group_by must be one of {_GROUP_BY}, not {self.group_by!r}")


def _group_key(value: Any) -> Any:
    if isinstance(value, str):
        return ("s", value)
    try:
        hash(value)
        return ("h", value)
    except TypeError:  # a conversation (list of message dicts): a canonical JSON string
        return ("j", json.dumps(value, sort_keys=True, default=str, ensure_ascii=False))


def _group_codes(batch: Batch, group_by: str) -> tuple[np.ndarray, dict[int, Verdict]]:
    n = len(batch)
    source = group_by
    if group_by == "auto":
        source = next((name for name in ("prompt_id", "prompts") if batch.column(name) is not None), "batch")
    if source == "batch":
        return np.zeros(n, dtype=np.int64), {}
    values = batch.column(source)
    if values is None:
        return np.zeros(n, dtype=np.int64), dict.fromkeys(range(n), _missing(f"group_by={source!r} needs that column"))
    codes = np.zeros(n, dtype=np.int64)
    table: dict[Any, int] = {}
    faults: dict[int, Verdict] = {}
    for i, value in enumerate(values):
        if value is None:
            faults[i] = _missing(f"{source!r} is null for this row")
            codes[i] = -1
            continue
        codes[i] = table.setdefault(_group_key(value), len(table))
    return codes, faults


class KimiLength(_LengthReward):
    """Kimi k1.5's length penalty (Kimi Team 2025, "Kimi k1.5: Scaling Reinforcement Learning
    with LLMs", §2.3.3), relative to the other samples of the same prompt.

    For the ``k`` samples of one prompt, with ``min_len``/``max_len`` over those samples::

        lambda = 0.5 - (len - min_len) / (max_len - min_len)
        R = lambda            for a correct answer
        R = min(0, lambda)    for a wrong answer

    and ``R = 0`` for every row of a group whose lengths are all equal. Values are mapped from
    ``[-0.5, 0.5]`` onto ``[low, high]`` (the identity with the defaults).

    Groups are the distinct values of the ``prompt_id`` column, else of the ``prompts`` column
    that TRL passes (text or messages, compared by canonical JSON), else the whole batch (only
    when neither column is given: the reward then depends on what else is in the batch).
    open-r1's ``len_reward`` always takes min/max over the whole batch, which mixes prompts
    whose natural answer lengths differ.

    >>> r = KimiLength(unit="chars")
    >>> r([r"\\boxed{4}", r"so: \\boxed{4}", r"\\boxed{5}", r"\\boxed{77}"],
    ...   solution=["4", "4", "77", "77"], prompt_id=[1, 1, 2, 2])
    [0.5, -0.5, 0.0, -0.5]
    """

    name = "kimi_length"
    config_class = KimiConfig
    columns = ("solution",)
    optional_columns = ("completion_ids", "prompt_id", "prompts")
    grouped = True

    def __init__(self, config: KimiConfig | None = None, /, *, backend: Any = None, **overrides: Any) -> None:
        super().__init__(config, backend=backend, **overrides)
        self.columns = tuple(self.config.accuracy.columns)  # type: ignore[misc]

    def _compute(self, batch: Batch) -> _Batch:
        c = self.config
        n = len(batch)
        lengths, faults = completion_lengths(batch.texts, batch.column("completion_ids"), c.unit)
        groups, group_faults = _group_codes(batch, c.group_by)
        correct, wrong_data = _correctness(c.accuracy, batch, c.low)
        # rows without a length or a group take no part in their group's min/max
        keep = np.ones(n, dtype=bool)
        for i in [*group_faults, *faults]:
            keep[i] = False
        faults = {**wrong_data, **group_faults, **faults}
        values = np.zeros(n, dtype=np.float64)
        if keep.all():
            values = kimi_kernel(lengths, correct, groups, low=c.low, high=c.high)
        elif keep.any():
            values[keep] = kimi_kernel(lengths[keep], correct[keep], groups[keep], low=c.low, high=c.high)
        return _Batch(values, faults, lengths, correct)


#: Default instances: ``from verifiers.shaping.length import cosine_length_reward`` etc.
cosine_length_reward = CosineLength()
overlong_reward = SoftOverlong()
kimi_length_reward = KimiLength()
