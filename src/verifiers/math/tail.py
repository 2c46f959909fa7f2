"""The symbolic tail behind a deadline: ``latex2sympy2_extended`` and sympy in a helper process.

What the fast parser cannot read (rare forms, odd LaTeX) goes to antlr and sympy, which can run
for seconds or minutes on hostile input. :func:`run_tail` sends each item to a backend when the
reward has one (a :class:`~verifiers.engine.ProcessPool`, with its per-row deadline), else to
one long-lived helper process of this module's own (``python -m verifiers.math.tail``): items
go one at a time over pipes, and an item that overruns ``timeout`` seconds has its process
killed (its whole process group) and replaced. It is started with ``subprocess`` rather than
``multiprocessing`` so that it never re-imports the caller's ``__main__`` module (a training
script without an ``if __name__ == "__main__":`` guard would run again). No alarm signals: it
works from any thread.

Items: ``("parses", gold)`` → ``bool``; ``("compare", pred, gold)`` →
:class:`~verifiers.math.compare.Comparison`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from verifiers.engine.backends import Backend, Crashed, TimedOut

__all__ = ["TailKernel", "run_tail", "tail_call"]

_HEADER = struct.Struct("!I")
#: Seconds the helper may take to start (import sympy and the antlr parser).
_START_TIMEOUT = 120.0


def tail_call(item: tuple[Any, ...]) -> Any:
    """Run one tail item in this process (what the helper and pool workers call)."""
    from verifiers.math.symbolic import compare_symbolic, parses

    if item[0] == "parses":
        return parses(item[1])
    return compare_symbolic(item[1], item[2])


def _warm() -> None:
    """Import sympy and the antlr parser and load its tables (a second or two, once)."""
    import verifiers.math.symbolic  # noqa: F401
    from verifiers.math.normalize import parse_latex

    parse_latex("x+1")


class TailKernel:
    """:func:`tail_call` as what a backend ships to its workers. Unpickling it in a worker
    loads sympy and antlr first, before the worker starts any item's deadline clock, so a
    cold worker does not spend a short deadline on imports."""

    def __call__(self, item: tuple[Any, ...]) -> Any:
        return tail_call(item)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_warm_kernel, ())


def _warm_kernel() -> TailKernel:
    _warm()
    return TailKernel()


class _Helper:
    """One helper process, restarted after a timeout or a crash, shared by every thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner = 0

    def run(self, items: Sequence[tuple[Any, ...]], timeout: float) -> list[Any]:
        with self._lock:
            return [self._one(item, timeout) for item in items]

    def close(self) -> None:
        """Stop the helper (at exit: it would also stop by itself when its stdin closes)."""
        proc, self._proc = self._proc, None
        if proc is not None and self._owner == os.getpid():
            self._kill(proc)

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._owner == os.getpid() and self._proc.poll() is None:
            return self._proc
        self._proc = None
        proc = subprocess.Popen(
            [sys.executable, "-m", "verifiers.math.tail"]
            + (["--hard-parent-death"] if threading.current_thread() is threading.main_thread() else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,  # its own process group: a kill takes everything it started
        )
        if self._read(proc, _START_TIMEOUT) != b"ready":
            self._kill(proc)
            from verifiers.errors import InfrastructureError

            raise InfrastructureError("the math tail helper (python -m verifiers.math.tail) did not start")
        self._proc, self._owner = proc, os.getpid()
        return proc

    def _one(self, item: tuple[Any, ...], timeout: float) -> Any:
        proc = self._start()
        blob = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            assert proc.stdin is not None
            proc.stdin.write(_HEADER.pack(len(blob)) + blob)
            proc.stdin.flush()
            reply = self._read(proc, timeout)
        except (BrokenPipeError, OSError):
            reply = None
        if isinstance(reply, bytes):
            return pickle.loads(reply)
        self._kill(proc)
        self._proc = None
        if reply is _TIMED_OUT:
            return TimedOut(timeout)
        return Crashed(f"the math tail helper died (exit code {proc.poll()})")

    @staticmethod
    def _read(proc: subprocess.Popen[bytes], timeout: float) -> Any:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        buf = b""
        need = _HEADER.size
        header_done = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return _TIMED_OUT
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return _TIMED_OUT
            chunk = os.read(fd, max(need - len(buf), 1))
            if not chunk:
                return None  # EOF: it died
            buf += chunk
            if len(buf) < need:
                continue
            if not header_done:
                need = _HEADER.size + _HEADER.unpack(buf[: _HEADER.size])[0]
                header_done = True
                if len(buf) >= need:
                    return buf[_HEADER.size : need]
                continue
            return buf[_HEADER.size : need]

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):  # a process that survives SIGKILL
            proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


_TIMED_OUT = object()
_HELPER = _Helper()
atexit.register(_HELPER.close)


def run_tail(
    items: Sequence[tuple[Any, ...]], timeout: float, backend: Backend | None, kernel: Any = None
) -> list[Any]:
    """Outcomes of tail items: on ``backend`` (its own deadline; ``kernel``, default
    :class:`TailKernel`, is what its workers run) or on the helper process (``timeout``
    seconds per item). Each outcome is the item's result, :class:`TimedOut` or :class:`Crashed`."""
    if not items:
        return []
    if backend is not None:
        return backend.map(kernel if kernel is not None else TailKernel(), list(items))
    return _HELPER.run(items, timeout)


def _serve() -> None:
    """The helper's loop: read an item, write its result, until stdin closes."""
    from verifiers.engine.pool import _die_with_parent

    _die_with_parent("--hard-parent-death" in sys.argv)  # PDEATHSIG only if started from a main thread
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    _warm()  # the heavy parts before saying ready: no item's deadline pays for them
    ready = b"ready"
    stdout.write(_HEADER.pack(len(ready)) + ready)
    stdout.flush()
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        blob = stdin.read(_HEADER.unpack(header)[0])
        try:
            result = tail_call(pickle.loads(blob))
        except Exception as exc:  # a bug in the tail: report it as "not shown equal"
            from verifiers.math.compare import Comparison

            result = Comparison(False, f"tail-error: {type(exc).__name__}")
        out = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.write(_HEADER.pack(len(out)) + out)
        stdout.flush()


if __name__ == "__main__":
    _serve()
