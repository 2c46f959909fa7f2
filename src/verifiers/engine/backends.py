"""Backends grade a list of items with a picklable function and return one outcome per item.

* :class:`Serial` runs in the calling thread: no overhead, no deadline.
* :class:`ProcessPool` runs on worker processes (pebble's process pool): parallel, and each row
  has a deadline enforced at the process boundary; a stuck worker is killed and replaced and
  only that row is reported as timed out.

No backend uses alarm signals: rewards are called from trainer threads and worker
processes, where alarms do not work.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from verifiers.errors import ConfigError, WorkerCrashed

__all__ = ["Backend", "Crashed", "ProcessPool", "Serial", "TimedOut"]

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


def _stop_pool(pool: Any) -> None:
    pool.stop()
    pool.join(timeout=5)


class ProcessPool:
    """Grade on worker processes, with a per-item deadline.

    Args:
        jobs: Number of worker processes (default: the number of CPUs).
        timeout: Seconds one item may take once a worker has started it; past that the worker
            is killed and replaced, and the item's outcome is :class:`TimedOut` (the reward
            turns it into a ``timeout`` verdict with the low reward). ``None``: no deadline.
        on_crash: A worker that dies (segfault, OOM kill) is an infrastructure fault:
            ``"raise"`` raises :class:`~verifiers.errors.WorkerCrashed`; ``"skip"`` makes that
            row's reward ``None`` with status ``infra_error``.
        start_method: ``"spawn"`` (default; safe next to trainer threads) or ``"forkserver"``.

    The pool starts on first use and is shared by every call on this object; a pickled copy
    starts its own. Call :meth:`close` (or use it as a context manager) to stop the workers.

    >>> with ProcessPool(jobs=1, timeout=30) as pool:
    ...     pool.map(abs, [-1, 2])
    [1, 2]
    """

    def __init__(
        self,
        jobs: int | None = None,
        *,
        timeout: float | None = None,
        on_crash: Literal["raise", "skip"] = "raise",
        start_method: Literal["spawn", "forkserver"] = "spawn",
    ) -> None:
        if jobs is not None and jobs < 1:
            raise ConfigError(f"jobs must be at least 1, not {jobs}")
        if timeout is not None and not timeout > 0:
            raise ConfigError(f"timeout must be positive, not {timeout}")
        if on_crash not in ("raise", "skip"):
            raise ConfigError(f"on_crash must be 'raise' or 'skip', not {on_crash!r}")
        if start_method not in ("spawn", "forkserver"):
            raise ConfigError("start_method must be 'spawn' or 'forkserver' (fork is unsafe next to threads)")
        self.jobs = jobs or os.cpu_count() or 1
        self.timeout = timeout
        self.on_crash = on_crash
        self.start_method = start_method
        self._pool: Any = None
        self._lock = threading.Lock()

    def _get_pool(self) -> Any:
        with self._lock:
            if self._pool is None or not self._pool.active:
                import pebble

                context = multiprocessing.get_context(self.start_method)
                self._pool = pebble.ProcessPool(max_workers=self.jobs, context=context)
                weakref.finalize(self, _stop_pool, self._pool)
            return self._pool

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R | TimedOut | Crashed]:
        if not items:
            return []
        import pebble

        pool = self._get_pool()
        futures = [pool.schedule(fn, args=(item,), timeout=self.timeout) for item in items]
        out: list[R | TimedOut | Crashed] = []
        try:
            for index, future in enumerate(futures):
                try:
                    out.append(future.result())
                except FutureTimeout:
                    out.append(TimedOut(self.timeout))
                except BrokenProcessPool as exc:
                    message = f"the process pool broke while grading item {index}: {exc}"
                    raise WorkerCrashed(message, index=index) from exc
                except pebble.ProcessExpired as exc:
                    message = f"worker died while grading item {index}: {exc} (exit code {exc.exitcode})"
                    if self.on_crash == "raise":
                        raise WorkerCrashed(message, index=index) from exc
                    out.append(Crashed(message))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return out

    def close(self) -> None:
        """Stop the worker processes (a later :meth:`map` starts new ones)."""
        with self._lock:
            if self._pool is not None:
                _stop_pool(self._pool)
                self._pool = None

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_pool"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ProcessPool(jobs={self.jobs}, timeout={self.timeout}, on_crash={self.on_crash!r})"
