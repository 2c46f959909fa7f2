"""The base class that turns a per-row kernel into a TRL-compatible, batched, picklable reward.

A reward family writes two things:

* a frozen, keyword-only config dataclass (subclass of :class:`RewardConfig`);
* a :class:`RewardFunction` subclass with ``name``, ``columns`` (dataset columns it needs) and
  ``grade(text, row) -> Verdict``, a pure per-row kernel.

The base class provides ``__call__`` (TRL's calling convention), ``score`` (batch of
verdicts through :mod:`verifiers.engine`), ``reward_range`` and ``signature()``. Rewards whose
value depends on the whole batch (length penalties grouped by prompt) override ``score``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from verifiers._version import __version__
from verifiers.errors import ConfigError, InputError
from verifiers.extract.messages import completion_text
from verifiers.types import Completion, Status, Verdict

__all__ = ["FloatsFromVerdicts", "RewardConfig", "RewardFunction", "batch_columns"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class RewardConfig:
    """Settings common to every reward. Subclasses add their own fields (keyword-only, frozen).

    Args:
        low: The reward for the model's faults (wrong answer, bad format, timeout).
        high: The reward for a fully correct completion.
    """

    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ConfigError(f"low ({self.low}) must not exceed high ({self.high})")


C = TypeVar("C", bound=RewardConfig)


def _sig_value(value: Any) -> str:
    if callable(getattr(value, "signature", None)):  # an inner reward: its signature, bracketed
        return "[" + value.signature().rsplit("|v:", 1)[0] + "]"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list, frozenset)):
        return ",".join(_sig_value(v) for v in (sorted(value) if isinstance(value, frozenset) else value))
    if value is None:
        return "none"
    return str(value)


def _as_column(name: str, values: Any, n: int) -> Sequence[Any]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or isinstance(values, Mapping):
        raise InputError(f"column {name!r} must be a list with one value per completion")
    if not isinstance(values, Sequence):  # numpy arrays, pandas series: index by position
        values = list(values)
    if len(values) != n:
        raise InputError(f"column {name!r} has {len(values)} values for {n} completions")
    return values  # type: ignore[no-any-return]


def batch_columns(
    n: int, columns: Mapping[str, Any], names: Sequence[str], optional: Sequence[str] = ()
) -> tuple[list[dict[str, Any]], list[Verdict | None]]:
    """Split dataset columns into one row dict per completion.

    Returns the rows and, per row, a ``missing_column`` verdict when a required column (one of
    ``names``) is absent or null there (the data's fault: reward ``None``), else ``None``.
    ``optional`` columns are copied into the rows when given, and left out when absent.

    Raises:
        InputError: a column that is not a list of ``n`` values (the caller's mistake).

    >>> rows, missing = batch_columns(2, {"solution": ["1", None], "x": 5}, ["solution"])
    >>> rows[0], missing[0], missing[1].status.value
    ({'solution': '1'}, None, 'missing_column')
    """
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    missing: list[Verdict | None] = [None] * n
    for name in names:
        if columns.get(name) is None:
            for i in range(n):
                missing[i] = Verdict(None, Status.MISSING_COLUMN, detail=f"column {name!r} is missing")
            continue
        for i, value in enumerate(_as_column(name, columns[name], n)):
            if value is None:
                missing[i] = missing[i] or Verdict(None, Status.MISSING_COLUMN, detail=f"{name!r} is null")
            rows[i][name] = value
    for name in optional:
        if columns.get(name) is not None:
            for row, value in zip(rows, _as_column(name, columns[name], n)):
                row[name] = value
    return rows, missing


class FloatsFromVerdicts:
    """Mixin: ``__call__`` in TRL's convention, as the projection of ``score``'s verdicts."""

    __name__: str

    def score(self, completions: Sequence[Completion], **columns: Any) -> list[Verdict]:
        raise NotImplementedError

    def __call__(self, completions: Sequence[Completion] | None = None, **columns: Any) -> list[float | None]:
        """TRL's calling convention: one float (or ``None`` to skip) per completion."""
        if completions is None:
            raise InputError(f"{self.__name__}: completions= is required")
        return [v.reward for v in self.score(completions, **columns)]


class RewardFunction(Generic[C]):
    """Base class of every reward: a callable, picklable object with a frozen config.

    Subclasses set ``name``, ``config_class``, ``columns`` and implement :meth:`grade`.
    Keyword arguments override config fields::

        MathAccuracy(low=-1.0)            # same as MathAccuracy(MathConfig(low=-1.0))

    Args:
        config: The frozen config; defaults to ``config_class()``.
        backend: Where batches are graded (:class:`verifiers.engine.Serial` by default, or a
            :class:`verifiers.engine.ProcessPool` for deadlines and parallelism).
        **overrides: Config fields to replace.
    """

    name: ClassVar[str]
    config_class: ClassVar[type[RewardConfig]] = RewardConfig
    #: Dataset columns the kernel needs; a row where one is missing gets ``None``.
    columns: ClassVar[tuple[str, ...]] = ()
    #: Dataset columns the kernel uses when present.
    optional_columns: ClassVar[tuple[str, ...]] = ()
    #: True when a row's value depends on the other rows of its prompt group (e.g. Kimi's
    #: length penalty): the CLI then never splits a prompt group across batches.
    grouped: ClassVar[bool] = False

    def __init__(self, config: C | None = None, /, *, backend: Any = None, **overrides: Any) -> None:
        base = config if config is not None else self.config_class()
        if not isinstance(base, self.config_class):
            raise ConfigError(f"{type(self).__name__} takes a {self.config_class.__name__}, not {base!r}")
        try:
            self.config: C = dataclasses.replace(base, **overrides) if overrides else base  # type: ignore[assignment]
        except TypeError as exc:
            raise ConfigError(f"{type(self).__name__}: {exc}") from None
        self.backend = backend
        # TRL logs each reward under reward_func.__name__.
        self.__name__ = self.name

    # -- contract -------------------------------------------------------------------------------
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

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        """Grade one completion's text against its row's columns. Pure; must not raise for any
        model output."""
        raise NotImplementedError

    def grade_item(self, item: tuple[str, Mapping[str, Any]]) -> Verdict:
        """:meth:`grade` on one ``(text, row)`` pair: the unit a backend ships to a worker."""
        return self.grade(item[0], item[1])

    def timeout_verdict(self, seconds: float | None) -> Verdict:
        """The verdict for a row whose grading exceeded its deadline (the model's fault)."""
        return Verdict(self.config.low, Status.TIMEOUT, detail=f"grading exceeded {seconds}s; worker killed")

    def score(self, completions: Sequence[Completion], **columns: Any) -> list[Verdict]:
        """One :class:`Verdict` per completion, in order."""
        from verifiers.engine import run_batch

        texts = [completion_text(c) for c in completions]
        rows, missing = batch_columns(len(texts), columns, self.columns, self.optional_columns)
        todo = [i for i, m in enumerate(missing) if m is None]
        graded = run_batch(self, [(texts[i], rows[i]) for i in todo], self.backend)
        out: list[Verdict] = [m for m in missing]  # type: ignore[misc]
        for i, verdict in zip(todo, graded):
            out[i] = verdict
        return out

    __call__ = FloatsFromVerdicts.__call__

    # -- niceties -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.config == self.config  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.config))
