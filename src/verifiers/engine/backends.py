"""Backends apply a plain picklable function to a list of items and return one outcome per item.

* :class:`Serial` runs in the calling thread: no overhead, no deadline.
* :class:`~verifiers.engine.pool.ProcessPool` runs on long-lived worker processes: parallel, and
  every item has its own deadline, enforced at the process boundary.

The engine is a leaf: it knows nothing of rewards, verdicts or columns. A reward hands it a
callable (pickled once per call and kept by each worker) and ``(text, row)`` items; what comes
back is the callable's return value, :class:`TimedOut` or :class:`Crashed`.

No backend uses alarm signals: rewards are called from trainer threads and worker processes,
where alarms do not work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

__all__ = ["Backend", "Crashed", "Serial", "TimedOut"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class TimedOut:
    """Outcome of an item that exceeded its deadline (its worker was killed)."""

    seconds: float | None


@dataclass(frozen=True)
class Crashed:
    """Outcome of an item whose worker died (returned only when ``on_crash="skip"``)."""

    message: str


class Backend(Protocol):
    """Where a batch is graded."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R | TimedOut | Crashed]:
        """Apply ``fn`` to every item; one outcome per item, in order."""
        ...


class Serial:
    """Grade in the calling thread, one item after the other. The default backend.

    >>> Serial().map(len, ["ab", "c"])
    [2, 1]
    """

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R | TimedOut | Crashed]:
        return [fn(item) for item in items]

    def __repr__(self) -> str:
        return "Serial()"
