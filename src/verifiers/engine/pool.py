"""The process pool: long-lived worker processes, chunks of items, a deadline per item.

Built on the standard library's :mod:`multiprocessing` (spawned processes, pipes, shared
memory); imported only when a pool is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
import time
import traceback
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from verifiers.engine.backends import Crashed, TimedOut
from verifiers.errors import ConfigError, InfrastructureError, WorkerCrashed

__all__ = ["ProcessPool", "check_options"]

T = TypeVar("T")
R = TypeVar("R")


def check_options(jobs: int | None, timeout: float | None, on_crash: str) -> None:
    """The options every parallel backend shares (this pool and :class:`~verifiers.Ray`), checked.

    Raises:
        ConfigError: ``jobs`` is not a positive integer, ``timeout`` not a positive finite
            number of seconds, or ``on_crash`` neither ``"raise"`` nor ``"skip"``.
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ConfigError(f"jobs must be a positive integer, not {jobs!r}")
    if timeout is not None and not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise ConfigError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if on_crash not in ("raise", "skip"):
        raise ConfigError(f"on_crash must be 'raise' or 'skip', not {on_crash!r}")


# -- the worker side ------------------------------------------------------------------------------

#: Exit code of a worker that was started while its parent was itself still starting up (a
#: script that scores at import time, without ``if __name__ == "__main__":``).
_EXIT_BOOTSTRAP = 86
_KEEP_FUNCTIONS = 8


def _die_with_parent(hard: bool = False) -> None:
    """Exit when the parent process dies: a daemon thread watches the parent's pid.

    ``PR_SET_PDEATHSIG`` alone is not enough: Linux sends that signal when the *thread* that
    started this process exits, so a worker started from a trainer's worker thread (or from
    :func:`asyncio.to_thread`'s pool) would be killed, healthy, when that thread ends. It is
    used as well when ``hard`` (the parent started this process from its main thread, which
    lives as long as the process): it also kills a worker stuck in C code that holds the GIL.
    """
    if hard:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - not Linux
            pass
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.25)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="verifiers-parent-watch", daemon=True).start()


def _started_from_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _worker_main(conn: multiprocessing.connection.Connection, state: Any, hard: bool = False) -> None:
    """A worker's loop: receive ``(key, blob, items)``, apply the function, send the results.

    Before each item it writes ``(index, start time)`` into ``state`` (shared memory), so that
    the parent can tell which item overran its deadline without a message per item.
    """
    with contextlib.suppress(OSError):
        os.setsid()  # its own process group: a kill takes the item's child processes too
    _die_with_parent(hard)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    functions: OrderedDict[bytes, Callable[[Any], Any]] = OrderedDict()
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        key, blob, items = message
        if blob is not None:
            functions[key] = pickle.loads(blob)
            while len(functions) > _KEEP_FUNCTIONS:
                functions.popitem(last=False)
        fn = functions[key]
        functions.move_to_end(key)
        results: list[tuple[bool, Any]] = []
        for index, item in enumerate(items):
            state[1] = time.monotonic()
            state[0] = index
            try:
                results.append((True, fn(item)))
            except Exception as exc:  # a bug in the function: reported to the parent, which raises
                results.append((False, _portable_error(exc)))
        state[0] = -1
        conn.send(results)


def _portable_error(exc: Exception) -> Exception:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        pickle.loads(pickle.dumps(exc))
        exc.__notes__ = [*getattr(exc, "__notes__", []), "in a worker process:\n" + text]  # type: ignore[attr-defined]
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}\nin a worker process:\n{text}")


# -- the parent side -------------------------------------------------------------------------------


class _Worker:
    """One worker process, its pipe and its shared ``(index, start time)`` slot."""

    def __init__(self, context: Any) -> None:
        self.conn, child = context.Pipe(duplex=True)
        self.state = context.RawArray("d", 2)
        self.state[0] = -1
        self.process = context.Process(
            target=_worker_main, args=(child, self.state, _started_from_main_thread()), daemon=True
        )
        self.process.start()
        child.close()
        self.ready = False
        self.known: set[bytes] = set()
        self.chunk: list[int] | None = None  # indices of the items it is grading

    def send_kill(self) -> None:
        """SIGKILL to the worker's process group (what its row started dies too), then to it."""
        pid = self.process.pid
        if pid is not None:
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                with contextlib.suppress(OSError):
                    kill()

    def kill(self) -> None:
        self.send_kill()
        self.process.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join(timeout=1)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


def _stop_all(workers: list[_Worker]) -> None:
    """Stop every worker. Also runs at interpreter exit, possibly while a daemon thread that was
    inside ``map`` retires the same workers: nothing here may raise."""
    for worker in list(workers):
        with contextlib.suppress(Exception):
            worker.stop()
    workers.clear()


def _bootstrapping() -> bool:
    """True inside a spawned process that is still re-importing its parent's main module."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


_GUARD_HINT = (
    "the worker processes could not start: they re-ran the main script, which scores at import "
    "time. Put the code that scores under `if __name__ == \"__main__\":` (worker processes are "
    "spawned, and a spawned process imports the main module again)"
)


class ProcessPool:
    """Grade on long-lived worker processes, each item with its own deadline.

    Items are sent to the workers in chunks, and each worker keeps the function it was sent, so
    the cost per item is small (tens of microseconds). Every item still has its own deadline:
    a worker that spends more than ``timeout`` seconds on one item is killed (with every process
    it started) and replaced, that item's outcome is :class:`TimedOut`, and the other items of
    its chunk are graded again by a live worker.

    Args:
        jobs: Number of worker processes (default: the number of CPUs).
        timeout: Seconds one item may take once a worker has started it; ``None``: no deadline.
        on_crash: A worker that dies (segfault, OOM kill) is an infrastructure fault:
            ``"raise"`` raises :class:`~verifiers.errors.WorkerCrashed`; ``"skip"`` makes that
            item's outcome :class:`Crashed` (a reward turns it into ``None``, status ``infra_error``).
        chunk_size: Items per message to a worker (default: a third of what is still waiting
            per worker, at most 64, so chunks shrink towards the end of a call).
        start_method: ``"spawn"`` (default; safe next to trainer threads) or ``"forkserver"``.

    The workers start on first use and serve every later call on this object (calls from
    several threads take turns); a pickled copy starts its own. Call :meth:`close` (or use the
    pool as a context manager) to stop them; they also stop when the pool is garbage-collected
    or the process exits.

    In a script, create and use the pool under ``if __name__ == "__main__":``: the workers are
    spawned, and a spawned process imports the main module again.

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
        chunk_size: int | None = None,
        start_method: Literal["spawn", "forkserver"] = "spawn",
    ) -> None:
        check_options(jobs, timeout, on_crash)
        if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
            raise ConfigError(f"chunk_size must be a positive integer, not {chunk_size!r}")
        if start_method not in ("spawn", "forkserver"):
            raise ConfigError("start_method must be 'spawn' or 'forkserver' (fork is unsafe next to threads)")
        self.jobs = jobs or os.cpu_count() or 1
        self.timeout = timeout
        self.on_crash = on_crash
        self.chunk_size = chunk_size
        self.start_method = start_method
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._closing = False
        self._finalizer = weakref.finalize(self, _stop_all, self._workers)

    # -- public ------------------------------------------------------------------------------------
    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R | TimedOut | Crashed]:
        if not items:
            return []
        if _bootstrapping():
            os._exit(_EXIT_BOOTSTRAP)  # we are a worker re-running a main script without the guard
        blob = pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
        key = hashlib.blake2b(blob, digest_size=16).digest()
        with self._lock:
            self._closing = False
            return self._map(key, blob, list(items))

    def close(self) -> None:
        """Stop the worker processes (a later :meth:`map` starts new ones).

        Called while another thread is in :meth:`map` (e.g. on Ctrl-C), it kills the workers
        at once, and that :meth:`map` raises :class:`~verifiers.errors.InfrastructureError`.
        """
        if self._lock.acquire(blocking=False):
            try:
                _stop_all(self._workers)
            finally:
                self._lock.release()
            return
        self._closing = True
        for worker in list(self._workers):
            worker.send_kill()

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in ("_workers", "_lock", "_finalizer"):
            del state[name]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._workers = []
        self._lock = threading.Lock()
        self._closing = False
        self._finalizer = weakref.finalize(self, _stop_all, self._workers)

    def __repr__(self) -> str:
        return f"ProcessPool(jobs={self.jobs}, timeout={self.timeout}, on_crash={self.on_crash!r})"

    # -- the scheduler ---------------------------------------------------------------------------------
    def _chunk_size(self, waiting: int) -> int:
        """Items in the next chunk: a share of what is still waiting, so chunks shrink towards
        the end and one slow row cannot leave a worker with a long tail (guided scheduling)."""
        if self.chunk_size is not None:
            return self.chunk_size
        return max(1, min(64, waiting // (self.jobs * 3)))

    def _start_worker(self) -> _Worker:
        worker = _Worker(multiprocessing.get_context(self.start_method))
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        self._workers.remove(worker)

    def _map(self, key: bytes, blob: bytes, items: list[Any]) -> list[Any]:
        n = len(items)
        pending: deque[int] = deque(range(n))
        out: list[Any] = [None] * n
        done = [False] * n
        left = n
        while len(self._workers) < min(self.jobs, len(pending)):
            self._start_worker()
        try:
            while left:
                for worker in self._workers:
                    if worker.ready and worker.chunk is None and pending:
                        size = min(self._chunk_size(len(pending)), len(pending))
                        chunk = [pending.popleft() for _ in range(size)]
                        worker.chunk = chunk
                        worker.conn.send((key, None if key in worker.known else blob, [items[i] for i in chunk]))
                        worker.known.add(key)
                busy = [w for w in self._workers if w.chunk is not None or not w.ready]
                if not busy:  # pragma: no cover - a scheduling bug, never a silent hang
                    raise InfrastructureError(f"process pool: {left} items left and no worker busy")
                ready = multiprocessing.connection.wait(
                    [w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=self._wait_time(busy)
                )
                if self._closing:
                    raise InfrastructureError("the process pool was closed while it was grading")
                for worker in busy:
                    if worker.conn in ready or worker.process.sentinel in ready:
                        left -= self._collect(worker, out, done, pending)
                if self.timeout is not None:
                    left -= self._enforce_deadlines(out, done, pending)
                working = sum(w.chunk is not None for w in self._workers)
                while len(self._workers) < min(self.jobs, len(pending) + working):
                    self._start_worker()
        except BaseException:
            for worker in [w for w in self._workers if w.chunk is not None or not w.ready]:
                self._retire(worker)
            raise
        return out

    def _wait_time(self, busy: list[_Worker]) -> float | None:
        if self.timeout is None:
            return None
        now = time.monotonic()
        ends = [w.state[1] + self.timeout for w in busy if w.chunk is not None and w.state[0] >= 0]
        return max(0.005, min(ends) - now + 0.001) if ends else self.timeout

    def _collect(self, worker: _Worker, out: list[Any], done: list[bool], pending: deque[int]) -> int:
        """Read what ``worker`` sent, or deal with its death; the number of items finished."""
        try:
            if worker.conn.poll():
                message = worker.conn.recv()
                if message == "ready":
                    worker.ready = True
                    return 0
                chunk, worker.chunk = worker.chunk or [], None
                for index, (ok, value) in zip(chunk, message):
                    if not ok:
                        raise value
                    out[index], done[index] = value, True
                return len(chunk)
        except (EOFError, OSError):
            pass  # the pipe is closed: the worker died
        else:
            if worker.process.is_alive():  # pragma: no cover - woken without a message
                return 0
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        if not worker.ready:
            self._retire(worker)
            if code == _EXIT_BOOTSTRAP:
                raise InfrastructureError(_GUARD_HINT)
            raise WorkerCrashed(f"a worker process failed to start (exit code {code})")
        return self._lost_worker(worker, out, done, pending, timed_out=False)

    def _enforce_deadlines(self, out: list[Any], done: list[bool], pending: deque[int]) -> int:
        finished = 0
        now = time.monotonic()
        assert self.timeout is not None
        for worker in list(self._workers):
            position = int(worker.state[0])
            if worker.chunk is not None and position >= 0 and now - worker.state[1] > self.timeout:
                finished += self._lost_worker(worker, out, done, pending, timed_out=True)
        return finished

    def _lost_worker(
        self, worker: _Worker, out: list[Any], done: list[bool], pending: deque[int], *, timed_out: bool
    ) -> int:
        """``worker`` was killed (deadline) or died: its current item gets its outcome, the rest
        of its chunk goes back to the queue, and it is replaced on the next round."""
        chunk, worker.chunk = worker.chunk or [], None
        position = int(worker.state[0])
        code = worker.process.exitcode
        self._retire(worker)
        if not chunk:
            return 0
        if not 0 <= position < len(chunk):  # died between items: nobody is to blame, grade them again
            pending.extendleft(reversed(chunk))
            return 0
        index = chunk[position]
        rest = [i for i in chunk if i != index and not done[i]]
        if rest:
            pending.extendleft(reversed(rest))
        if timed_out:
            out[index], done[index] = TimedOut(self.timeout), True
            return 1
        message = f"worker died while grading item {index} (exit code {code})"
        if self.on_crash == "raise":
            raise WorkerCrashed(message, index=index)
        out[index], done[index] = Crashed(message), True
        return 1
