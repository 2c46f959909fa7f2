"""The process pool: long-lived worker processes, chunks of items, a deadline per item.

Built on the standard library's :mod:`multiprocessing` (spawned processes, pipes, shared
memory); imported only when a pool is used.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import math
import multiprocessing
import multiprocessing.connection
import multiprocessing.reduction
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
            try:
                functions[key] = pickle.loads(blob)
            except Exception as exc:  # e.g. a function of a module this process cannot import
                functions[key] = _Unloadable(exc)
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
        try:
            message = multiprocessing.reduction.ForkingPickler.dumps(results)
        except Exception:  # a result that does not pickle: an error of its item (never a worker death)
            message = multiprocessing.reduction.ForkingPickler.dumps([_sendable(result) for result in results])
        conn.send_bytes(message)


class _Unloadable:
    """What a worker keeps for a function it could not unpickle: each item raises that error."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __call__(self, item: Any) -> Any:
        raise copy.copy(self.error)  # a copy: the notes of one report do not pile up on the next


def _sendable(result: tuple[bool, Any]) -> tuple[bool, Any]:
    try:
        multiprocessing.reduction.ForkingPickler.dumps(result)
        return result
    except Exception as exc:
        return False, _portable_error(exc)


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
        self.known: OrderedDict[bytes, None] = OrderedDict()  # the worker's functions, as it keeps them
        self.chunk: list[int] | None = None  # indices of the items it is grading
        self.call: _Call | None = None  # the call those items belong to

    def remember(self, key: bytes) -> None:
        """The worker was sent a chunk for ``key``: mirror its cache of the last functions."""
        self.known[key] = None
        self.known.move_to_end(key)
        while len(self.known) > _KEEP_FUNCTIONS:
            self.known.popitem(last=False)

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


class _Call:
    """One :meth:`ProcessPool.map` call in progress: its items, what is left, its outcome."""

    __slots__ = ("blob", "done", "error", "items", "key", "left", "out", "pending")

    def __init__(self, key: bytes, blob: bytes, items: list[Any]) -> None:
        self.key, self.blob, self.items = key, blob, items
        self.out: list[Any] = [None] * len(items)
        self.done = [False] * len(items)
        self.left = len(items)
        self.pending: deque[int] = deque(range(len(items)))
        self.error: BaseException | None = None

    @property
    def finished(self) -> bool:
        return self.left == 0 or self.error is not None

    def fail(self, error: BaseException) -> None:
        """End the call with ``error``, unless every item already has its outcome (a failure
        seen later, e.g. a worker for other calls that fails to start, is not this call's)."""
        if self.error is None and self.left:
            self.error = error
        self.pending.clear()


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

    The workers start on first use and serve every later call on this object. Calls from
    several threads (concurrent batches of an async trainer, requests of ``verify serve``)
    share the workers: their chunks are handed out in turn, so a call with slow rows does not
    hold up a later one with fast rows; an error (a crash, a bug in the function) is raised in
    the call whose item caused it, and the other calls go on. A pickled copy starts its own
    workers. Call :meth:`close` (or use the pool as a context manager) to stop them; they also
    stop when the pool is garbage-collected or the process exits.

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
        self._setup()

    def _setup(self) -> None:
        self._workers: list[_Worker] = []
        self._cond = threading.Condition(threading.Lock())
        self._calls: list[_Call] = []  # calls with items not yet finished, in turn order
        self._turn = 0
        self._driver: _Call | None = None  # the call whose thread runs the scheduler
        self._wake_r, self._wake_w = multiprocessing.Pipe(duplex=False)  # a new call wakes the driver
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
        call = _Call(key, blob, list(items))
        with self._cond:
            if not self._in_progress():
                self._closing = False
            self._calls.append(call)
            if self._driver is not None:
                with contextlib.suppress(OSError):
                    self._wake_w.send_bytes(b"!")
            try:
                while not call.finished and self._driver is not None:
                    self._cond.wait()
            except BaseException as exc:  # Ctrl-C while another thread grades: this call is dropped
                call.fail(exc)
                for worker in self._workers:  # its rows may never end (as in _fail); the driver
                    if worker.call is call:  # sees the deaths and replaces the workers
                        worker.send_kill()
                raise
            if not call.finished:
                self._driver = call
        if not call.finished:
            self._drive(call)
        if call.error is not None:
            raise call.error
        return call.out

    def close(self) -> None:
        """Stop the worker processes (a later :meth:`map` starts new ones).

        Called while another thread is in :meth:`map` (e.g. on Ctrl-C), it kills the workers
        at once, and the calls in progress raise :class:`~verifiers.errors.InfrastructureError`.
        """
        with self._cond:
            if not self._in_progress():
                _stop_all(self._workers)
                return
            self._closing = True
            for worker in list(self._workers):
                worker.send_kill()
            with contextlib.suppress(OSError):
                self._wake_w.send_bytes(b"!")

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        keep = ("jobs", "timeout", "on_crash", "chunk_size", "start_method")
        return {name: self.__dict__[name] for name in keep}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    def __repr__(self) -> str:
        return f"ProcessPool(jobs={self.jobs}, timeout={self.timeout}, on_crash={self.on_crash!r})"

    # -- the scheduler ---------------------------------------------------------------------------------
    def _drive(self, mine: _Call) -> None:
        """Run the scheduler, for every call in progress, until ``mine`` is finished; then hand
        the scheduler to the thread of another call still in progress."""
        try:
            while not mine.finished:
                self._round()
        except BaseException as exc:  # Ctrl-C in this thread, a scheduling bug: busy workers go
            with self._cond:
                for worker in [w for w in self._workers if w.chunk is not None or not w.ready]:
                    call, chunk = worker.call, worker.chunk or []
                    worker.call = worker.chunk = None
                    if call is not None and call is not mine:
                        call.pending.extendleft(reversed([i for i in chunk if not call.done[i]]))
                    self._retire(worker)
                mine.fail(exc)
                if isinstance(exc, InfrastructureError) and self._closing:
                    for call in self._calls:
                        call.fail(exc)
            if mine.error is not exc:
                raise
        finally:
            with self._cond:
                self._calls = [c for c in self._calls if not c.finished]
                self._driver = None
                if self._calls and not self._closing:
                    self._drained()
                self._cond.notify_all()

    def _in_progress(self) -> bool:
        """A call is being graded (a driver runs, or is about to take over from the last one)."""
        return self._driver is not None or any(not c.finished for c in self._calls)

    def _drained(self) -> None:
        """Drop the wake-up bytes of calls that are already known (the next driver sees them)."""
        with contextlib.suppress(OSError, EOFError):
            while self._wake_r.poll():
                self._wake_r.recv_bytes()

    def _chunk_size(self, waiting: int) -> int:
        """Items in the next chunk: a share of what is still waiting, so chunks shrink towards
        the end and one slow row cannot leave a worker with a long tail (guided scheduling)."""
        if self.chunk_size is not None:
            return self.chunk_size
        return max(1, min(64, waiting // (self.jobs * 3)))

    def _start_workers(self, calls: list[_Call]) -> int:
        """Start workers up to what the calls need; the number of items waiting."""
        waiting = sum(len(c.pending) for c in calls)
        working = sum(w.chunk is not None for w in self._workers)
        while len(self._workers) < min(self.jobs, waiting + working):
            self._start_worker()
        return waiting

    def _start_worker(self) -> _Worker:
        worker = _Worker(multiprocessing.get_context(self.start_method))
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        self._workers.remove(worker)

    def _fail(self, call: _Call, error: BaseException) -> None:
        """End ``call`` with ``error``; the workers still grading its items are stopped (an
        item of a call that is over may never end)."""
        call.fail(error)
        for worker in [w for w in self._workers if w.call is call]:
            worker.call = worker.chunk = None
            self._retire(worker)

    def _next_call(self) -> _Call | None:
        """The next call, in turn, with items waiting to be sent."""
        calls = self._calls
        for step in range(len(calls)):
            call = calls[(self._turn + step) % len(calls)]
            if call.pending and not call.finished:
                self._turn = (self._turn + step + 1) % len(calls)
                return call
        return None

    def _round(self) -> None:
        """Hand chunks to idle workers, wait for a message, a death, a deadline or a new call,
        and deal with it."""
        with self._cond:
            self._calls = [c for c in self._calls if not c.finished]
            calls = list(self._calls)
            if self._closing:
                raise InfrastructureError("the process pool was closed while it was grading")
            self._start_workers(calls)
            for worker in list(self._workers):
                if worker.ready and worker.chunk is None:
                    call = self._next_call()
                    if call is None:
                        break
                    size = min(self._chunk_size(sum(len(c.pending) for c in calls)), len(call.pending))
                    chunk = [call.pending.popleft() for _ in range(size)]
                    blob = None if call.key in worker.known else call.blob
                    try:
                        message = multiprocessing.reduction.ForkingPickler.dumps(
                            (call.key, blob, [call.items[i] for i in chunk])
                        )
                    except Exception as exc:  # a row that does not pickle: an error of its call only
                        self._fail(call, exc)
                        continue
                    worker.call, worker.chunk = call, chunk
                    try:
                        worker.conn.send_bytes(message)
                    except OSError:  # it died idle (or close() killed it): replaced, the chunk re-queued
                        self._lost_worker(worker, timed_out=False)
                        continue
                    worker.remember(call.key)
            waiting = self._start_workers(calls)  # replacements for workers found dead
            busy = [w for w in self._workers if w.chunk is not None or not w.ready]
            if not busy and any(c.finished for c in calls):  # a call failed (a row that does not pickle)
                self._cond.notify_all()
                return
        if not busy:  # pragma: no cover - a scheduling bug, never a silent hang
            raise InfrastructureError(f"process pool: {waiting} items waiting and no worker busy")
        ready = multiprocessing.connection.wait(
            [w.conn for w in busy] + [w.process.sentinel for w in busy] + [self._wake_r],
            timeout=self._wait_time(busy),
        )
        with self._cond:
            if self._wake_r in ready:
                self._drained()
            if self._closing:
                raise InfrastructureError("the process pool was closed while it was grading")
            for worker in busy:
                retired = worker not in self._workers  # stopped with a failed call, this round
                if not retired and (worker.conn in ready or worker.process.sentinel in ready):
                    self._collect(worker)
            if self.timeout is not None:
                self._enforce_deadlines()
            self._cond.notify_all()

    def _wait_time(self, busy: list[_Worker]) -> float | None:
        if self.timeout is None:
            return None
        now = time.monotonic()
        ends = [w.state[1] + self.timeout for w in busy if w.chunk is not None and w.state[0] >= 0]
        return max(0.005, min(ends) - now + 0.001) if ends else self.timeout

    def _collect(self, worker: _Worker) -> None:
        """Read what ``worker`` sent, or deal with its death."""
        try:
            if worker.conn.poll():
                message = worker.conn.recv()
                if message == "ready":
                    worker.ready = True
                    return
                call, chunk = worker.call, worker.chunk or []
                worker.call = worker.chunk = None
                if call is None or call.finished:
                    return
                for index, (ok, value) in zip(chunk, message):
                    if not ok:
                        self._fail(call, value)
                        return
                    if not call.done[index]:
                        call.out[index], call.done[index] = value, True
                        call.left -= 1
                return
        except (EOFError, OSError):
            pass  # the pipe is closed: the worker died
        else:
            if worker.process.is_alive():  # pragma: no cover - woken without a message
                return
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        if not worker.ready:
            self._retire(worker)
            error: Exception = (
                InfrastructureError(_GUARD_HINT) if code == _EXIT_BOOTSTRAP
                else WorkerCrashed(f"a worker process failed to start (exit code {code})")
            )
            for call in self._calls:
                self._fail(call, error)
            return
        self._lost_worker(worker, timed_out=False)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        assert self.timeout is not None
        for worker in list(self._workers):
            position = int(worker.state[0])
            if worker.chunk is not None and position >= 0 and now - worker.state[1] > self.timeout:
                self._lost_worker(worker, timed_out=True)

    def _lost_worker(self, worker: _Worker, *, timed_out: bool) -> None:
        """``worker`` was killed (deadline) or died: its current item gets its outcome, the rest
        of its chunk goes back to its call's queue, and it is replaced on the next round."""
        call, chunk = worker.call, worker.chunk or []
        worker.call = worker.chunk = None
        position = int(worker.state[0])
        code = worker.process.exitcode
        self._retire(worker)
        if call is None or not chunk or call.finished:
            return
        if not 0 <= position < len(chunk):  # died between items: nobody is to blame, grade them again
            call.pending.extendleft(reversed([i for i in chunk if not call.done[i]]))
            return
        index = chunk[position]
        rest = [i for i in chunk if i != index and not call.done[i]]
        if rest:
            call.pending.extendleft(reversed(rest))
        if call.done[index]:
            return
        if timed_out:
            call.out[index], call.done[index] = TimedOut(self.timeout), True
            call.left -= 1
            return
        message = f"worker died while grading item {index} (exit code {code})"
        if self.on_crash == "raise":
            self._fail(call, WorkerCrashed(message, index=index))
            return
        call.out[index], call.done[index] = Crashed(message), True
        call.left -= 1
