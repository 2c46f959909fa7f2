"""The one scoring path that every reward goes through.

:class:`BaseReward` owns the batch path, and no subclass overrides it (sacrebleu's and
torchmetrics' template method): ``__call__`` (TRL's convention, floats) and ``score`` (verdicts)
are two projections of :meth:`BaseReward.evaluate`, which checks the input once, then hands the
batch to the family. A family supplies one kernel:

* :class:`RowReward`: ``grade(text, row) -> Verdict``, a pure per-row kernel. The base class
  extracts the texts, validates the columns, grades identical rows once, sends the rest to the
  backend (each row with its own deadline on a :class:`~verifiers.engine.ProcessPool`) and
  turns timeouts and crashes into verdicts.
* :class:`BatchReward`: ``grade_batch(batch) -> Scores``, a vectorized kernel for cheap,
  bounded work (format, length, repetition). It runs in the calling process: sending it to a
  worker would cost more than doing it. Nested rewards it needs (cosine's accuracy) are asked
  for through :meth:`Batch.nested`, and run on the parent's backend unless given their own.

Combinations (:mod:`verifiers.shaping.combine`) are :class:`BaseReward` subclasses too; their
parts run on the combination's backend unless given their own.

Protocol attributes that callers (the CLI, trainers' adapters) may read: ``columns`` (required
dataset columns), ``optional_columns``, ``grouped`` (a row's value depends on the other rows of
its prompt group), ``parts`` (nested rewards) and ``backend``.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import math
import types
import typing
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Literal, TypeVar

from verifiers._version import __version__
from verifiers.engine.backends import Backend, Crashed, TimedOut
from verifiers.errors import ConfigError, InputError
from verifiers.extract.messages import completion_text
from verifiers.types import Completion, Reward, Status, Verdict

__all__ = [
    "AsyncReward",
    "BaseReward",
    "Batch",
    "BatchReward",
    "RewardConfig",
    "RewardFunction",
    "RowReward",
    "Scores",
    "VerifiersWarning",
]


class VerifiersWarning(UserWarning):
    """Something is probably wrong with the input, but every row is still scored."""


# -- scores: verdicts, and floats as their projection ---------------------------------------------


class Scores:
    """The result of scoring a batch: one value per row, and the verdict behind each value.

    ``floats()`` is what ``__call__`` returns and ``verdicts()`` what ``score`` returns; a
    vectorized kernel builds its verdicts only when they are asked for.

    >>> s = Scores.from_verdicts([Verdict(1.0, Status.CORRECT), Verdict(None, Status.MISSING_COLUMN)])
    >>> s.floats(), [v.status.value for v in s.verdicts()]
    ([1.0, None], ['correct', 'missing_column'])
    """

    __slots__ = ("_make", "values")

    def __init__(self, values: list[float | None], make: Callable[[int], Verdict]) -> None:
        self.values = values
        self._make = make

    @classmethod
    def from_verdicts(cls, verdicts: Sequence[Verdict]) -> Scores:
        """Scores of ready-made verdicts."""
        verdicts = list(verdicts)
        return cls([v.reward for v in verdicts], verdicts.__getitem__)

    @classmethod
    def from_values(
        cls, values: Any, faults: Mapping[int, Verdict], describe: Callable[[int, float], Verdict]
    ) -> Scores:
        """Scores of a vectorized kernel: ``values[i]`` unless row ``i`` has a fault verdict;
        ``describe(i, value)`` builds row ``i``'s verdict on demand. A value that is not a finite
        number is a bug, reported as ``infra_error`` rather than handed to a trainer."""
        if hasattr(values, "dtype"):  # a numpy array (nan and inf make the max not < inf)
            finite = values.size == 0 or bool(abs(values).max() < math.inf)
            out: list[float | None] = values.tolist()
        else:
            out = list(values)
            finite = all(map(math.isfinite, out))  # type: ignore[arg-type]
        if not finite:
            bad = {i: _non_finite(v) for i, v in enumerate(out) if i not in faults and not math.isfinite(v)}  # type: ignore[arg-type]
            faults = {**faults, **bad}
        for i, verdict in faults.items():
            out[i] = verdict.reward

        def make(i: int) -> Verdict:
            fault = faults.get(i)
            return fault if fault is not None else describe(i, out[i])  # type: ignore[arg-type]

        return cls(out, make)

    def floats(self) -> list[float | None]:
        """One float (or ``None``: skip) per row."""
        return list(self.values)

    def verdicts(self) -> list[Verdict]:
        """One :class:`Verdict` per row."""
        return [self._make(i) for i in range(len(self.values))]

    def verdict(self, i: int) -> Verdict:
        """The verdict of row ``i``."""
        return self._make(i)

    def __len__(self) -> int:
        return len(self.values)


def _non_finite(value: Any) -> Verdict:
    return Verdict(None, Status.INFRA_ERROR, detail=f"the kernel produced {value!r}, not a finite number")


def _scatter(n: int, todo: list[int], inner: Scores, fixed: dict[int, Verdict]) -> Scores:
    """Scores of ``n`` rows: ``fixed`` verdicts where given, ``inner``'s for the ``todo`` rows."""
    if not fixed:
        return inner
    values: list[float | None] = [None] * n
    where: dict[int, int] = {}
    for j, i in enumerate(todo):
        values[i] = inner.values[j]
        where[i] = j
    for i, verdict in fixed.items():
        values[i] = verdict.reward

    def make(i: int) -> Verdict:
        return fixed[i] if i in fixed else inner.verdict(where[i])

    return Scores(values, make)


# -- input checks -----------------------------------------------------------------------------------


def _check_completions(completions: Any, name: str) -> Sequence[Any]:
    """The completions as a sequence, or :class:`InputError` for a caller's mistake."""
    if completions is None:
        raise InputError(f"{name}: completions= is required")
    if isinstance(completions, (str, bytes, bytearray)):
        raise InputError(f"{name}: completions must be a list of completions, not one string (wrap it: [text])")
    if isinstance(completions, Mapping) or not hasattr(completions, "__iter__"):
        raise InputError(f"{name}: completions must be a list, not {type(completions).__name__}")
    if not isinstance(completions, Sequence):  # numpy arrays, pandas series, generators
        completions = list(completions)
    if completions and all(_token_ids(c) for c in completions):
        raise InputError(
            f"{name}: completions look like token ids; pass the decoded texts (or messages) as "
            "completions= and the ids as completion_ids="
        )
    return completions


def _token_ids(value: Any) -> bool:
    """A token id, or a list of them: what a caller passes by mistake for a completion."""
    if _is_int(value):
        return True
    return isinstance(value, Sequence) and not isinstance(value, str) and len(value) > 0 and _is_int(value[0])


def _is_int(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or type(value).__name__.startswith(("int", "uint"))


def _as_column(name: str, values: Any, n: int) -> Sequence[Any]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or isinstance(values, Mapping):
        raise InputError(f"column {name!r} must be a list with one value per completion")
    if not isinstance(values, Sequence):  # numpy arrays, pandas series: index by position
        values = list(values)
    if len(values) != n:
        raise InputError(f"column {name!r} has {len(values)} values for {n} completions")
    return values  # type: ignore[no-any-return]


_WARNED: set[tuple[str, str]] = set()


def _warn_missing(reward: str, column: str) -> None:
    if (reward, column) not in _WARNED:
        _WARNED.add((reward, column))
        warnings.warn(
            f"{reward}: no {column!r} column was passed, so every row gets None (missing_column); "
            f"pass {column}=[...] with one value per completion",
            VerifiersWarning,
            stacklevel=4,
        )


# -- the reward hierarchy ----------------------------------------------------------------------------


class BaseReward(ABC):
    """What every reward (and every combination of rewards) is: the batch path, never overridden.

    Subclasses implement :meth:`_evaluate`, ``reward_range`` and ``signature``; callers use
    ``__call__`` (floats, TRL's convention), :meth:`score` (verdicts) or :meth:`evaluate`.
    """

    __name__: str
    #: Dataset columns a row needs; a row where one is absent or null gets ``None``.
    columns: tuple[str, ...] = ()
    #: Dataset columns used when present.
    optional_columns: tuple[str, ...] = ()
    #: True when a row's value depends on the other rows of its prompt group (Kimi's length
    #: penalty): callers that split a dataset into batches must keep each group in one batch.
    grouped: bool = False
    #: Where per-row kernels run (``None``: in the calling thread, or on the backend of the
    #: combination this reward is part of).
    backend: Backend | None = None

    @property
    def parts(self) -> tuple[Any, ...]:
        """The rewards this one is built from (empty for a plain reward)."""
        return ()

    def __call__(self, completions: Sequence[Completion] | None = None, **columns: Any) -> list[float | None]:
        """TRL's calling convention: one float (or ``None``, "skip this row") per completion.

        Every dataset column comes as a keyword with one value per completion; keywords the
        reward does not use (``trainer_state``, ``log_metric``, other columns) are ignored.

        Raises:
            InputError: ``completions`` is missing or not a list of completions, or a column
                does not have one value per completion.
        """
        scores = self.evaluate(completions, columns)
        _log_statuses(self.__name__, scores, columns)
        return scores.floats()

    def score(self, completions: Sequence[Completion], **columns: Any) -> list[Verdict]:
        """One :class:`~verifiers.types.Verdict` per completion, in order."""
        return self.evaluate(completions, columns).verdicts()

    async def acall(self, completions: Sequence[Completion] | None = None, **columns: Any) -> list[float | None]:
        """The awaitable form of ``__call__``: the same values, statuses, logging and exceptions,
        graded in a worker thread so that the event loop stays free (slow rows of concurrent
        batches overlap, on a :class:`~verifiers.engine.ProcessPool` above all)."""
        scores = await self.aevaluate(completions, columns)
        _log_statuses(self.__name__, scores, columns)
        return scores.floats()

    async def ascore(self, completions: Sequence[Completion], **columns: Any) -> list[Verdict]:
        """The awaitable form of :meth:`score`."""
        return (await self.aevaluate(completions, columns)).verdicts()

    async def aevaluate(
        self, completions: Sequence[Completion] | None, columns: Mapping[str, Any], *, backend: Backend | None = None
    ) -> Scores:
        """The awaitable form of :meth:`evaluate`: :meth:`evaluate` itself, run off the event loop."""
        return await asyncio.to_thread(self.evaluate, completions, columns, backend=backend)

    def evaluate(
        self, completions: Sequence[Completion] | None, columns: Mapping[str, Any], *, backend: Backend | None = None
    ) -> Scores:
        """Score a batch on this reward's backend, or else on ``backend`` (a parent's).

        Args:
            completions: Texts or conversations, one per row.
            columns: Dataset columns, each a list with one value per completion.
            backend: The backend to use when this reward has none of its own.
        """
        checked = _check_completions(completions, self.__name__)
        return self._evaluate(checked, columns, self.backend if self.backend is not None else backend)

    @abstractmethod
    def _evaluate(self, completions: Sequence[Any], columns: Mapping[str, Any], backend: Backend | None) -> Scores:
        """Score checked completions on ``backend`` (``None``: in this process)."""

    @property
    @abstractmethod
    def reward_range(self) -> tuple[float, float]:
        """The closed interval every non-``None`` reward lies in."""

    @abstractmethod
    def signature(self) -> str:
        """A reproducibility string: what is computed, with every setting, and the version."""


class AsyncReward:
    """A reward whose ``__call__`` is a coroutine: what TRL's GRPOTrainer awaits, concurrently
    with its other asynchronous reward functions. Same values and fault rule as ``reward``.

    Args:
        reward: The reward to wrap (any :class:`BaseReward`).
        name: The name TRL logs it under (default: the reward's).

    >>> import asyncio
    >>> from verifiers import accuracy_reward
    >>> asyncio.run(AsyncReward(accuracy_reward)(completions=[r"\\boxed{2}"], solution=["2"]))
    [1.0]
    """

    def __init__(self, reward: BaseReward, *, name: str | None = None) -> None:
        if not isinstance(reward, BaseReward):
            raise ConfigError(f"AsyncReward wraps a verifiers reward, not {reward!r}")
        self.reward = reward
        self.__name__ = name or reward.__name__

    async def __call__(self, completions: Sequence[Completion] | None = None, **columns: Any) -> list[float | None]:
        scores = await self.reward.aevaluate(completions, columns)
        _log_statuses(self.__name__, scores, columns)
        return scores.floats()

    @property
    def reward_range(self) -> tuple[float, float]:
        """The wrapped reward's range."""
        return self.reward.reward_range

    def __repr__(self) -> str:
        return f"AsyncReward({self.reward!r})"


def _log_statuses(name: str, scores: Scores, columns: Mapping[str, Any]) -> None:
    """When the caller passes TRL's ``log_metric`` and ``log_extra``: per-status counts of this
    batch as metrics ``rewards/NAME/status/STATUS`` (every status, zeros included, so that TRL's
    average over a logging step is the mean count per call), and each row's status as the
    completions-table column ``NAME/status``."""
    log_metric, log_extra = columns.get("log_metric"), columns.get("log_extra")
    if not (callable(log_metric) or callable(log_extra)):
        return
    statuses = [verdict.status for verdict in scores.verdicts()]
    if callable(log_metric):
        counts = {status: 0 for status in Status}
        for status in statuses:
            counts[status] += 1
        for status, count in counts.items():
            log_metric(f"rewards/{name}/status/{status.value}", float(count))
    if callable(log_extra):
        log_extra(f"{name}/status", [status.value for status in statuses])


def check_backend(backend: Any, parts: Sequence[Any], owner: str) -> Backend | None:
    """``backend``, checked: ``None`` or something with ``map``, and, when given, every part
    must be able to run on it (a :class:`BaseReward`).

    Raises:
        ConfigError: otherwise, naming the part.
    """
    if backend is None:
        return None
    if not callable(getattr(backend, "map", None)):
        raise ConfigError(f"{owner}: backend must be None or have a map() method (e.g. ProcessPool), not {backend!r}")
    for part in parts:
        if not isinstance(part, BaseReward):
            name = getattr(part, "__name__", part)
            raise ConfigError(f"{owner}: {name!r} only follows the Reward protocol and cannot run on {backend!r}")
    return backend  # type: ignore[no-any-return]


def nested_scores(
    reward: Any, completions: Sequence[Any], columns: Mapping[str, Any], backend: Backend | None
) -> Scores:
    """Score with a nested reward on ``backend`` (unless it has its own).

    Raises:
        ConfigError: ``backend`` is given and the reward is not a :class:`BaseReward`, so it
            cannot run there (a reward is never silently graded elsewhere than asked).
    """
    if isinstance(reward, BaseReward):
        return reward.evaluate(completions, columns, backend=backend)
    if backend is not None:
        raise ConfigError(
            f"{getattr(reward, '__name__', reward)!r} only follows the Reward protocol, so it cannot run on "
            f"{backend!r}; give the combination no backend, or build the part from verifiers' base classes"
        )
    return Scores.from_verdicts(reward.score(completions, **columns))


@dataclasses.dataclass(frozen=True, kw_only=True)
class RewardConfig:
    """Settings common to every reward. Subclasses add their own fields (keyword-only, frozen).

    Field values are checked against their annotations (``float``, ``int``, ``bool``, ``str``,
    ``Literal``, optional ones), so a wrong type is a :class:`~verifiers.errors.ConfigError`
    that names the field.

    Args:
        low: The reward for the model's faults (wrong answer, bad format, timeout).
        high: The reward for a fully correct completion.

    >>> RewardConfig(low="abc")
    Traceback (most recent call last):
    ...
    verifiers.errors.ConfigError: RewardConfig.low must be a number, not 'abc'
    """

    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            problem = _type_problem(value, hints.get(field.name, Any))
            if problem:
                raise ConfigError(f"{type(self).__name__}.{field.name} must be {problem}, not {value!r}")
        for name in ("low", "high"):
            if not math.isfinite(getattr(self, name)):
                raise ConfigError(f"{type(self).__name__}.{name} must be finite, not {getattr(self, name)}")
        if not self.low <= self.high:
            raise ConfigError(f"low ({self.low}) must not exceed high ({self.high})")


def _type_problem(value: Any, hint: Any) -> str | None:
    """What ``value`` should have been, if it does not fit the simple annotation ``hint``."""
    origin = typing.get_origin(hint)
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else "a number"
    if hint is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else "an integer"
    if hint is bool:
        return None if isinstance(value, bool) else "true or false"
    if hint is str:
        return None if isinstance(value, str) else "a string"
    if origin is Literal:
        allowed = typing.get_args(hint)
        return None if value in allowed else "one of " + ", ".join(map(repr, allowed))
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        problems = [_type_problem(value, option) for option in options if option is not type(None)]
        return None if any(p is None for p in problems) else " or ".join(p for p in problems if p)
    return None  # anything richer (a reward, a detector) is checked by the config itself


C = TypeVar("C", bound=RewardConfig)


def _sig_value(value: Any) -> str:
    if isinstance(value, BaseReward):  # a nested reward: its signature, bracketed, without the version
        return "[" + value.signature().rsplit("|v:", 1)[0] + "]"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list, frozenset)):
        return ",".join(_sig_value(v) for v in (sorted(value) if isinstance(value, frozenset) else value))
    if value is None:
        return "none"
    return str(value)


class RewardFunction(BaseReward, Generic[C]):
    """A reward family with a frozen config: a :class:`RowReward` or a :class:`BatchReward`.

    Subclasses set ``name`` and ``config_class`` (and ``columns``, ``optional_columns``).
    Keyword arguments override config fields::

        MathAccuracy(low=-1.0)            # same as MathAccuracy(MathConfig(low=-1.0))

    Args:
        config: The frozen config; defaults to ``config_class()``.
        backend: Where per-row kernels run: ``None`` (the calling thread, or the backend of a
            combination this reward is part of) or a :class:`verifiers.engine.ProcessPool` for
            deadlines and parallelism.
        **overrides: Config fields to replace.

    Raises:
        ConfigError: a config of the wrong class, an unknown field, or a field of the wrong type.
    """

    name: ClassVar[str]
    config_class: ClassVar[type[RewardConfig]] = RewardConfig

    def __init__(self, config: C | None = None, /, *, backend: Backend | None = None, **overrides: Any) -> None:
        base = config if config is not None else self.config_class()
        if not isinstance(base, self.config_class):
            raise ConfigError(f"{type(self).__name__} takes a {self.config_class.__name__}, not {base!r}")
        try:
            self.config: C = dataclasses.replace(base, **overrides) if overrides else base  # type: ignore[assignment]
        except TypeError as exc:
            raise ConfigError(f"{type(self).__name__}: {exc}") from None
        # TRL logs each reward under reward_func.__name__.
        self.__name__ = self.name
        self.backend = check_backend(backend, self.parts, type(self).__name__)

    @property
    def parts(self) -> tuple[Any, ...]:
        """The nested rewards in this reward's config (e.g. cosine's ``accuracy``)."""
        return tuple(
            getattr(self.config, f.name) for f in dataclasses.fields(self.config)
            if isinstance(getattr(self.config, f.name), Reward)
        )

    @property
    def reward_range(self) -> tuple[float, float]:
        """The closed interval every non-``None`` reward lies in.

        >>> from verifiers import accuracy_reward
        >>> accuracy_reward.reward_range
        (0.0, 1.0)
        """
        return (self.config.low, self.config.high)

    def signature(self) -> str:
        """``name|field:value|...|v:VERSION`` from the frozen config.

        >>> from verifiers import MathAccuracy
        >>> MathAccuracy(low=-1.0).signature().startswith("accuracy|low:-1|high:1|")
        True
        """
        parts = [self.name]
        for field in dataclasses.fields(self.config):
            key = field.metadata.get("sig", field.name)
            parts.append(f"{key}:{_sig_value(getattr(self.config, field.name))}")
        parts.append(f"v:{__version__}")
        return "|".join(parts)

    def timeout_verdict(self, seconds: float | None) -> Verdict:
        """The verdict of a row whose grading exceeded its deadline (the model's fault)."""
        return Verdict(self.config.low, Status.TIMEOUT, detail=f"grading exceeded {seconds}s; worker killed")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.config == self.config  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.config))

    # -- the batch path (final) --------------------------------------------------------------------
    def _evaluate(self, completions: Sequence[Any], columns: Mapping[str, Any], backend: Backend | None) -> Scores:
        n = len(completions)
        faults: dict[int, Verdict] = {}
        if str in (kinds := set(map(type, completions))) and len(kinds) == 1:
            texts: list[str] = list(completions)
        else:
            texts = [""] * n
            for i, completion in enumerate(completions):
                if type(completion) is str:
                    texts[i] = completion
                elif completion is None:
                    faults[i] = Verdict(None, Status.MISSING_COLUMN, detail="the completion is missing (null)")
                else:
                    try:
                        texts[i] = completion_text(completion)
                    except InputError as exc:
                        faults[i] = Verdict(None, Status.MALFORMED_INPUT, detail=str(exc))
        mine: dict[str, Sequence[Any]] = {}
        for name in self.columns:
            if columns.get(name) is None:
                _warn_missing(self.name, name)
                absent = Verdict(None, Status.MISSING_COLUMN, detail=f"column {name!r} is missing")
                for i in range(n):
                    faults.setdefault(i, absent)
                continue
            values = mine[name] = _as_column(name, columns[name], n)
            if _has_none(values):
                null = Verdict(None, Status.MISSING_COLUMN, detail=f"{name!r} is null")
                for i, value in enumerate(values):
                    if value is None:
                        faults.setdefault(i, null)
        for name in self.optional_columns:
            if columns.get(name) is not None:
                mine[name] = _as_column(name, columns[name], n)
        if not faults:
            return self._grade(Batch(texts, mine, completions, columns, backend, None))
        todo = [i for i in range(n) if i not in faults]
        if not todo:
            return _scatter(n, todo, Scores([], [].__getitem__), faults)
        picked = {name: [values[i] for i in todo] for name, values in mine.items()}
        inner = self._grade(Batch([texts[i] for i in todo], picked, completions, columns, backend, todo))
        return _scatter(n, todo, inner, faults)

    @abstractmethod
    def _grade(self, batch: Batch) -> Scores:
        """Grade the rows that have a text and every required column."""


class Batch:
    """The rows a kernel grades: texts and column values, plus what nested rewards need.

    Attributes:
        texts: The completions' texts.
        backend: The backend that per-row kernels and nested rewards run on.
    """

    __slots__ = ("_columns", "_completions", "_index", "_mine", "_rows", "backend", "texts")

    def __init__(
        self,
        texts: list[str],
        mine: Mapping[str, Sequence[Any]],
        completions: Sequence[Any],
        columns: Mapping[str, Any],
        backend: Backend | None,
        index: list[int] | None,
    ) -> None:
        self.texts, self.backend = texts, backend
        self._mine = mine
        self._rows: list[dict[str, Any]] | None = None
        self._completions, self._columns, self._index = completions, columns, index

    def __len__(self) -> int:
        return len(self.texts)

    def column(self, name: str) -> Sequence[Any] | None:
        """The values of the reward's column ``name`` for these rows (``None``: not passed)."""
        return self._mine.get(name)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One dict per row with the reward's columns (required, and optional ones passed)."""
        if self._rows is None:
            names = list(self._mine)
            self._rows = [dict(zip(names, values)) for values in zip(*self._mine.values())] if names else [
                {} for _ in self.texts
            ]
        return self._rows

    def nested(self, reward: Any) -> Scores:
        """``reward``'s scores for these rows (all columns passed along), on this batch's
        backend unless the reward has its own."""
        index, n = self._index, len(self._completions)
        if index is None:
            return nested_scores(reward, self._completions, self._columns, self.backend)
        columns = subset_columns(self._columns, index, n)
        return nested_scores(reward, [self._completions[i] for i in index], columns, self.backend)


def subset_columns(columns: Mapping[str, Any], index: Sequence[int], n: int) -> dict[str, Any]:
    """The columns of rows ``index`` out of ``n``: every list with one value per row is picked
    from; anything else (TRL's ``trainer_state``, ``log_metric``) is passed as it is.

    >>> subset_columns({"solution": ["1", "2", "3"], "trainer_state": None}, [2, 0], 3)
    {'solution': ['3', '1'], 'trainer_state': None}
    """
    out = {}
    for key, values in columns.items():
        if values is not None and not isinstance(values, (str, bytes, Mapping)) and _has_len(values, n):
            values = [values[i] for i in index]
        out[key] = values
    return out


def _has_none(values: Sequence[Any]) -> bool:
    """Whether a column holds a null: one scan at C speed, by identity where values (numpy
    arrays) do not compare to ``None`` with a plain truth value."""
    try:
        return None in values
    except ValueError:
        return any(value is None for value in values)


def _has_len(values: Any, n: int) -> bool:
    try:
        return len(values) == n
    except TypeError:
        return False


class _Kernel:
    """What a backend ships to its workers: the reward's ``grade`` on one ``(text, row)`` item.
    The copy it holds has no backend (a worker grades, it does not dispatch)."""

    def __init__(self, reward: RowReward[Any]) -> None:
        self.reward = copy.copy(reward)
        self.reward.backend = None

    def __call__(self, item: tuple[str, dict[str, Any]]) -> Verdict:
        return self.reward.grade(item[0], item[1])


def _item_key(text: str, row: dict[str, Any]) -> Hashable:
    try:
        frozen: Hashable = tuple(row.items())
        hash(frozen)
    except TypeError:  # lists or dicts in the row (token ids, test cases): by value
        frozen = repr(sorted(row.items()))
    return (text, frozen)


class RowReward(RewardFunction[C]):
    """A reward with a pure per-row kernel, :meth:`grade`.

    Rows are graded in the calling thread, or on the backend (each row with its own deadline
    there). Identical ``(text, row)`` pairs in a batch are graded once.
    """

    @abstractmethod
    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        """Grade one completion's text against its row's columns. Pure; never raises for any
        model output (a raise is a bug, reported as such)."""

    def _grade(self, batch: Batch) -> Scores:
        slot: dict[Hashable, int] = {}
        unique: list[tuple[str, dict[str, Any]]] = []
        where: list[int] = []
        for text, row in zip(batch.texts, batch.rows):
            key = _item_key(text, row)
            index = slot.get(key)
            if index is None:
                index = slot[key] = len(unique)
                unique.append((text, row))
            where.append(index)
        if batch.backend is None:
            grade = self.grade
            outcomes: list[Any] = [grade(text, row) for text, row in unique]
        else:
            outcomes = batch.backend.map(_Kernel(self), unique)
        verdicts = [self._outcome(o) for o in outcomes]
        return Scores.from_verdicts([verdicts[i] for i in where])

    def _outcome(self, outcome: Any) -> Verdict:
        if isinstance(outcome, Verdict):
            return outcome
        if isinstance(outcome, TimedOut):
            return self.timeout_verdict(outcome.seconds)
        if isinstance(outcome, Crashed):
            return Verdict(None, Status.INFRA_ERROR, detail=outcome.message)
        raise TypeError(f"{self.name}.grade returned {outcome!r}, not a Verdict")


class BatchReward(RewardFunction[C]):
    """A reward with a vectorized kernel, :meth:`grade_batch`, for cheap and bounded work.

    It runs in the calling process whatever the backend (sending it to a worker would cost
    more than the work); nested rewards it asks for through :meth:`Batch.nested` run on the
    backend.
    """

    @abstractmethod
    def grade_batch(self, batch: Batch) -> Scores:
        """Scores for every row of ``batch`` (built with :meth:`Scores.from_values` or
        :meth:`Scores.from_verdicts`)."""

    def _grade(self, batch: Batch) -> Scores:
        scores = self.grade_batch(batch)
        if len(scores) != len(batch):
            raise TypeError(f"{self.name}.grade_batch returned {len(scores)} scores for {len(batch)} rows")
        return scores
