"""``code_reward``: does the completion's program pass the row's tests?

R1's accuracy reward for code: the program in the completion (see
:mod:`verifiers.code.extract`) runs against the row's tests (see :mod:`verifiers.code.cases`)
in a local sandbox (see :mod:`verifiers.code.sandbox` and ``docs/code.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from verifiers.base import RewardConfig, RowReward
from verifiers.code.cases import TEST_COLUMNS, BadTests, TestSuite, load_tests
from verifiers.code.compare import outputs_match
from verifiers.code.executor import ExecResult, Executor, Limits, Program
from verifiers.code.extract import extract_program
from verifiers.code.sandbox import LocalSandbox
from verifiers.errors import ConfigError, SandboxError
from verifiers.types import Status, Verdict

__all__ = ["CodeConfig", "CodeReward", "code_reward", "grade_code"]

#: What each failed run is, as a verdict status (all the model's fault).
_FAILURES = {
    "fail": Status.INCORRECT,
    "re": Status.RUNTIME_ERROR,
    "tle": Status.TIME_LIMIT,
    "mle": Status.MEMORY_LIMIT,
    "ole": Status.OUTPUT_LIMIT,
}
_WORDS = {
    Status.INCORRECT: "wrong answer",
    Status.RUNTIME_ERROR: "runtime error",
    Status.TIME_LIMIT: "time limit exceeded",
    Status.MEMORY_LIMIT: "memory limit exceeded",
    Status.OUTPUT_LIMIT: "output limit exceeded",
}
_EXTRACTED_CHARS = 4000


@dataclass(frozen=True, kw_only=True)
class CodeConfig(RewardConfig):
    """Config of :class:`CodeReward`.

    Args:
        low: Reward for a program that fails (or no program): the model's fault.
        high: Reward for a program that passes every test.
        language: ``"auto"`` (the row's language if it names one, else the fence's tag),
            ``"python"`` or ``"cpp"``.
        partial: Reward the fraction of tests passed (``low + (high - low) * passed / total``)
            instead of all-or-nothing (R1's pass/fail, the default).
        stop_on_failure: Stop at the first failed test; ``None``: when not ``partial`` (the
            value cannot change then).
        compare: Output comparison for stdin/stdout tests: ``"whitespace"`` (tokens, the
            default), ``"exact"`` or ``"float"``.
        float_tol: Tolerance of ``compare="float"``.
        timeout: Wall-clock seconds per test (CPU seconds: the same, rounded up).
        memory_mb: Address-space limit per run, MiB.
        max_output: Bytes of stdout a run may print.
        nproc: Processes and threads a run may have.
        disk_mb: Size of the sandbox's writable filesystem, MiB.
        compile_timeout: Seconds for compiling a C++ program.
        max_tests: Run at most this many tests per row (0: all).
        sandbox: ``"auto"``, ``"bwrap"``, ``"unshare"`` or ``"process"`` (see ``docs/code.md``).
        on_sandbox_error: ``"raise"`` a :class:`~verifiers.errors.SandboxError`, or ``"skip"``
            the row (``None``, ``infra_error``). Never a low reward.
        executor: Something with ``open(program, limits)`` (an
            :class:`~verifiers.code.executor.Executor`) to use instead of the local sandbox:
            a fake in tests, a remote sandbox. Must pickle for process pools.
    """

    language: Literal["auto", "python", "cpp"] = field(default="auto", metadata={"sig": "lang"})
    partial: bool = False
    stop_on_failure: bool | None = field(default=None, metadata={"sig": "stop"})
    compare: Literal["whitespace", "exact", "float"] = field(default="whitespace", metadata={"sig": "cmp"})
    float_tol: float = field(default=1e-6, metadata={"sig": "tol"})
    timeout: float = 5.0
    memory_mb: int = field(default=1024, metadata={"sig": "mem"})
    max_output: int = field(default=1 << 20, metadata={"sig": "out"})
    nproc: int = 16
    disk_mb: int = field(default=64, metadata={"sig": "disk"})
    compile_timeout: float = field(default=30.0, metadata={"sig": "cc_timeout"})
    max_tests: int = 0
    sandbox: Literal["auto", "bwrap", "unshare", "process"] = "auto"
    on_sandbox_error: Literal["raise", "skip"] = field(default="raise", metadata={"sig": "infra"})
    executor: Any = field(default=None, metadata={"sig": "exec"})

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("timeout", "compile_timeout"):
            if not 0 < getattr(self, name) <= 3600:
                raise ConfigError(f"{name} must be in (0, 3600] seconds, not {getattr(self, name)}")
        for name in ("memory_mb", "max_output", "nproc", "disk_mb"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be positive, not {getattr(self, name)}")
        if self.max_tests < 0:
            raise ConfigError(f"max_tests must be >= 0, not {self.max_tests}")
        if not 0 <= self.float_tol < 1:
            raise ConfigError(f"float_tol must be in [0, 1), not {self.float_tol}")
        if self.executor is not None and not callable(getattr(self.executor, "open", None)):
            raise ConfigError(f"executor must have an open(program, limits) method, not {self.executor!r}")

    def limits(self) -> Limits:
        """The per-test limits these settings give."""
        return Limits(
            timeout=self.timeout, memory_mb=self.memory_mb, max_output=self.max_output, nproc=self.nproc,
            disk_mb=self.disk_mb, compile_timeout=self.compile_timeout,
        )

    def make_executor(self) -> Executor:
        """The executor to run programs with."""
        return self.executor if self.executor is not None else LocalSandbox(self.sandbox)  # type: ignore[no-any-return]


def _short(text: str, n: int = 60) -> str:
    text = text.strip()
    return repr(text if len(text) <= n else text[:n] + "...")


def grade_code(text: str, row: Mapping[str, Any], config: CodeConfig) -> Verdict:
    """The per-row kernel of :class:`CodeReward` (the model's faults are verdicts; only a
    broken sandbox raises).

    Args:
        text: The completion's text.
        row: The row's test columns (see :func:`~verifiers.code.cases.load_tests`).
        config: The reward's config.

    Returns:
        ``correct`` (``high``) when every test passes; else the first failure's status
        (``incorrect``, ``runtime_error``, ``time_limit``, ``memory_limit``,
        ``output_limit``, ``compile_error``, ``no_answer``) with ``low`` (or the fraction
        passed, with ``partial``); ``missing_column`` or ``bad_reference`` (``None``) when
        the row has no usable tests.

    Raises:
        SandboxError: the sandbox is broken (unless ``on_sandbox_error="skip"``).
    """
    try:
        suite = load_tests(row)
    except BadTests as exc:
        return Verdict(None, Status.BAD_REFERENCE, detail=str(exc))
    if suite is None:
        return Verdict(None, Status.MISSING_COLUMN, detail="no test column (tests, input_output, test_list, ...)")
    language = config.language if config.language != "auto" else suite.language
    if suite.calls:
        if language == "cpp":
            detail = "call-based tests need Python, but the config asks for C++"
            return Verdict(None, Status.BAD_REFERENCE, detail=detail)
        language = "python"
    found = extract_program(text, language, suite.prefix)
    if found is None:
        wanted = f"{language} " if language else ""
        return Verdict(config.low, Status.NO_ANSWER, detail=f"no {wanted}program in the completion")
    language, source = found
    extracted = source if len(source) <= _EXTRACTED_CHARS else source[:_EXTRACTED_CHARS] + "..."
    program = Program(language, source, suite.prefix if language == "python" and suite.calls else "")
    try:
        return _run_suite(program, suite, config, extracted)
    except SandboxError as exc:
        if config.on_sandbox_error == "skip":
            return Verdict(None, Status.INFRA_ERROR, extracted=extracted, detail=f"sandbox failure: {exc}")
        raise


def _run_suite(program: Program, suite: TestSuite, config: CodeConfig, extracted: str) -> Verdict:
    total = len(suite) if not config.max_tests else min(len(suite), config.max_tests)
    stop = config.stop_on_failure if config.stop_on_failure is not None else not config.partial
    passed = 0
    first: tuple[Status, str] | None = None
    with config.make_executor().open(program, config.limits()) as session:
        if session.compile_error is not None:
            return Verdict(config.low, Status.COMPILE_ERROR, extracted=extracted, detail=session.compile_error[:500])
        tests = [("stdio", case) for case in suite.stdio] + [("call", code) for code in suite.calls]
        tests = tests[:total]
        calls = [str(case) for kind, case in tests if kind == "call"]
        # All-or-nothing: the call tests share one program process and one judge (as MBPP's and
        # APPS's own harnesses do), which stop at the first failure.
        use_batch = stop and len(calls) > 1 and callable(getattr(session, "run_calls", None))
        batched: list[ExecResult] | None = None
        for number, (kind, case) in enumerate(tests, 1):
            if kind == "stdio":
                stdin, expected = case  # type: ignore[str-unpack, misc]
                result = session.run_stdio(stdin)
                failure = _stdio_failure(result, expected, config)
            else:
                if use_batch:
                    if batched is None:
                        batched = list(session.run_calls(suite.setup, calls, suite.names))
                    # (an executor that answers for fewer tests than it ran: never a pass)
                    result = batched.pop(0) if batched else ExecResult("re", detail="no result for this test")
                else:
                    result = session.run_call(suite.setup, case, suite.names)  # type: ignore[arg-type]
                if result.status == "bad":
                    return Verdict(None, Status.BAD_REFERENCE, extracted=extracted, detail=result.detail[:300])
                failure = None if result.status == "ok" else _FAILURES.get(result.status, Status.RUNTIME_ERROR)
            if failure is None:
                passed += 1
                continue
            if first is None:
                first = (failure, f"test {number}: {_WORDS[failure]}{_why(result, failure, kind, case)}")
            if stop:
                break
    if first is None:
        return Verdict(config.high, Status.CORRECT, extracted=extracted, detail=f"passed {passed}/{total} tests")
    value = config.low + (config.high - config.low) * passed / total if config.partial else config.low
    return Verdict(value, first[0], extracted=extracted, detail=f"passed {passed}/{total}; {first[1]}")


def _stdio_failure(result: ExecResult, expected: str, config: CodeConfig) -> Status | None:
    if result.status != "ok":
        return _FAILURES.get(result.status, Status.RUNTIME_ERROR)
    got = result.stdout.decode("utf-8", "replace")
    return None if outputs_match(got, expected, config.compare, config.float_tol) else Status.INCORRECT


def _why(result: ExecResult, failure: Status, kind: str, case: Any) -> str:
    if failure is Status.INCORRECT and kind == "stdio":
        return f" (expected {_short(case[1])}, got {_short(result.stdout.decode('utf-8', 'replace'))})"
    if result.detail:
        return f" ({result.detail[:200]})"
    if failure is Status.RUNTIME_ERROR and result.stderr:
        return f" ({result.stderr.strip().splitlines()[-1][:200]})"
    return ""


class CodeReward(RowReward[CodeConfig]):
    """Unit-test accuracy for code: 1.0 when the completion's program passes the row's tests.

    Reads the tests from the row's columns in any of the formats of
    :mod:`verifiers.code.cases` (HumanEval, MBPP, APPS, CodeContests, open-r1, or the
    canonical ``tests``), extracts the program (:mod:`verifiers.code.extract`) and runs it in
    the local sandbox (Python or C++). See ``docs/rewards/code.md``.

    >>> from verifiers.code.executor import ExecResult, FakeExecutor
    >>> from verifiers.code.reward import _doc_fake
    >>> reward = CodeReward(executor=FakeExecutor(_doc_fake))
    >>> reward(["```python\\nprint(3)\\n```", "no code"], tests=[{"stdio": [{"input": "", "output": "3"}]}] * 2)
    [1.0, 0.0]
    """

    name = "code"
    config_class = CodeConfig
    columns = ()
    optional_columns = TEST_COLUMNS

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        return grade_code(text, row, self.config)


def _doc_fake(program: Program, kind: str, payload: str) -> ExecResult:
    """A fake executor for the docstring: "prints" what follows ``print(`` up to ``)``."""
    inside = program.source.partition("print(")[2].partition(")")[0]
    return ExecResult("ok", stdout=inside.encode())


#: The default instance: ``from verifiers import code_reward``.
code_reward = CodeReward()
