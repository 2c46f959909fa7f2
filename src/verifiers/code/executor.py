"""The seam between the reward and whatever runs programs: :class:`Executor` and its results.

An executor opens a :class:`Session` per program (compiling it once), and the session runs one
test at a time, so the reward can stop at the first failure. :class:`LocalSandbox
<verifiers.code.sandbox.LocalSandbox>` is the real one; :class:`FakeExecutor` runs nothing and
is for tests of the reward's logic. A remote sandbox (E2B, SandboxFusion, ...) plugs in by
implementing these two small protocols.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["ExecResult", "Executor", "FakeExecutor", "Limits", "Program", "Session"]

#: ``ok``: exited 0 (stdio) or the judge's asserts passed (call); ``fail``: the judge's asserts
#: failed; ``re``: runtime error; ``tle``/``mle``/``ole``: time, memory, output limit; ``bad``:
#: the test's own setup code fails (the data's fault).
RunStatus = Literal["ok", "fail", "re", "tle", "mle", "ole", "bad"]


@dataclass(frozen=True)
class Program:
    """A program to run.

    Args:
        language: ``"python"`` or ``"cpp"``.
        source: The program's source.
        prefix: Code joined before it (HumanEval's ``prompt``).
    """

    language: str
    source: str
    prefix: str = ""


@dataclass(frozen=True)
class Limits:
    """Per-test limits (see ``docs/code.md``).

    Args:
        timeout: Wall-clock seconds per test (CPU time is limited to the same, rounded up).
        memory_mb: Address-space limit of the program, MiB.
        max_output: Bytes of stdout kept; more is an output-limit failure.
        nproc: Processes and threads the program may have.
        nofile: Open files the program may have.
        disk_mb: Size of the sandbox's writable filesystem, MiB.
        compile_timeout: Seconds for compiling (C++).
        compile_memory_mb: Address-space limit of the compiler, MiB.
    """

    timeout: float = 5.0
    memory_mb: int = 1024
    max_output: int = 1 << 20
    nproc: int = 16
    nofile: int = 64
    disk_mb: int = 64
    compile_timeout: float = 30.0
    compile_memory_mb: int = 2048


@dataclass(frozen=True)
class ExecResult:
    """The outcome of one test run.

    Attributes:
        status: ``ok``, ``fail``, ``re``, ``tle``, ``mle`` or ``ole`` (see :data:`RunStatus`).
        stdout: What the program printed (stdio tests), at most ``Limits.max_output`` bytes.
        stderr: The tail of its stderr.
        detail: The judge's message (call tests).
        wall: Seconds the test took.
        exit_code: The exit code, or minus the signal number.
    """

    status: RunStatus
    stdout: bytes = b""
    stderr: str = ""
    detail: str = ""
    wall: float = 0.0
    exit_code: int | None = None


class Session(Protocol):
    """A program ready to run (compiled once). ``compile_error`` is set when it did not compile."""

    compile_error: str | None

    def run_stdio(self, stdin: str) -> ExecResult:
        """Run the program with ``stdin``; its stdout comes back in the result."""
        ...

    def run_call(self, setup: str, code: str, names: tuple[str, ...] = ()) -> ExecResult:
        """Run test ``code`` (after ``setup``) in a judge that calls the program's functions;
        ``names`` are the program's functions that the code calls by name."""
        ...

    def run_calls(self, setup: str, codes: list[str], names: tuple[str, ...] = ()) -> list[ExecResult]:
        """Run several call tests against one program process, until the first failure: one
        result per test run. (Optional: without it, the reward calls ``run_call`` per test.)"""
        ...

    def close(self) -> None:
        """Release everything the session holds."""
        ...

    def __enter__(self) -> Session: ...

    def __exit__(self, *exc: object) -> None: ...


class Executor(Protocol):
    """Something that runs programs: ``open(program, limits) -> Session``.

    Raises:
        SandboxError: from ``open`` or a session's methods when the machinery fails (never for
            anything the program does).
    """

    def open(self, program: Program, limits: Limits) -> Session:
        """A session for ``program``."""
        ...


@dataclass(frozen=True)
class FakeExecutor:
    """An executor that runs nothing: ``behave(program, kind, payload) -> ExecResult``.

    ``kind`` is ``"stdio"`` (payload: the stdin) or ``"call"`` (payload: the test code); a
    program whose source contains ``compile_marker`` does not compile. For unit tests of the
    reward's logic; the function must be picklable (module level) for the reward to pickle.

    >>> def echo(program, kind, payload):
    ...     return ExecResult("ok", stdout=payload.encode()) if kind == "stdio" else ExecResult("ok")
    >>> with FakeExecutor(echo).open(Program("python", "print(input())"), Limits()) as s:
    ...     s.run_stdio("7\\n").stdout
    b'7\\n'
    """

    behave: Callable[[Program, str, str], ExecResult]
    compile_marker: str = "COMPILE_ERROR"

    def open(self, program: Program, limits: Limits) -> Session:
        return _FakeSession(self, program)

    def __repr__(self) -> str:
        return f"fake({getattr(self.behave, '__name__', 'fn')})"


class _FakeSession:
    def __init__(self, fake: FakeExecutor, program: Program) -> None:
        self.fake, self.program = fake, program
        self.compile_error = "fake compile error" if fake.compile_marker in program.source else None

    def run_stdio(self, stdin: str) -> ExecResult:
        return self.fake.behave(self.program, "stdio", stdin)

    def run_call(self, setup: str, code: str, names: tuple[str, ...] = ()) -> ExecResult:
        return self.fake.behave(self.program, "call", code)

    def run_calls(self, setup: str, codes: list[str], names: tuple[str, ...] = ()) -> list[ExecResult]:
        results = []
        for code in codes:
            results.append(self.run_call(setup, code, names))
            if results[-1].status != "ok":
                break
        return results

    def close(self) -> None:
        pass

    def __enter__(self) -> _FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
