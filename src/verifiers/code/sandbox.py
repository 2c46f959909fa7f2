"""The local sandbox: what the machine allows, and one sandboxed harness per program.

:class:`LocalSandbox` is the :class:`~verifiers.code.executor.Executor` that runs programs on this
machine. Each program gets one sandbox (``bwrap`` by default) holding one harness process
(:mod:`verifiers.code._harness`), which compiles the program once and runs every test in a child
forked from itself. See ``docs/code.md`` for the threat model.

Isolation levels (``CodeConfig.sandbox``):

* ``"bwrap"``: bubblewrap: new network, PID, IPC and UTS namespaces; only ``/usr`` (read-only), a
  fresh ``/proc`` and ``/dev``, and a size-capped tmpfs as the filesystem; no capabilities but
  the few the harness needs to drop to the program's uid.
* ``"unshare"``: util-linux ``unshare``: new network, PID, IPC, UTS and mount namespaces; the
  host's filesystem stays visible but read-only (the harness remounts it so, and mounts fresh
  tmpfs on ``/tmp`` and ``/dev/shm``): world-readable files can be read.
* ``"process"``: no namespaces: resource limits, a fresh uid, a fresh directory. The network and
  the filesystem are reachable. Only when chosen explicitly.
* ``"auto"`` (default): ``bwrap`` if it works here, else ``unshare`` (with one warning naming
  what is missing); neither is an error (:class:`~verifiers.errors.SandboxError`).

Programs run under a fresh unprivileged uid when the caller is root (CI, most trainers); as
another user they run under the caller's uid inside a user namespace (bwrap only).
"""

from __future__ import annotations

import atexit
import functools
import marshal
import os
import queue
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from verifiers.code.executor import ExecResult, Limits, Program
from verifiers.errors import SandboxError

__all__ = ["LocalSandbox", "Probe", "SandboxWarning", "memory_cgroup", "probe"]

HARNESS = Path(__file__).with_name("_harness.py")
_MAX_FRAME = 1 << 30
#: stdlib modules imported once in the harness, so a forked Python program finds them loaded
PRELOAD = (
    "collections", "itertools", "functools", "heapq", "bisect", "math", "string", "re", "typing",
    "operator", "copy", "random", "fractions", "decimal", "statistics", "array",
)
Isolation = Literal["auto", "bwrap", "unshare", "process"]


class SandboxWarning(UserWarning):
    """A protection this machine cannot give (said once per process)."""


@dataclass(frozen=True)
class Probe:
    """What this machine allows (probed once per process).

    Attributes:
        root: The caller is root, so programs can run under a fresh unprivileged uid.
        bwrap: Path of a working ``bwrap``, or ``None`` (and why, in ``problems``).
        unshare: Path of a working ``unshare`` (root only), or ``None``.
        python: The interpreter the harness runs on (the base interpreter, no site-packages).
        problems: Why a level is unavailable, by level.
    """

    root: bool
    bwrap: str | None
    unshare: str | None
    python: str
    problems: dict[str, str] = field(default_factory=dict)

    def choose(self, wanted: Isolation) -> str:
        """The isolation level to use for ``wanted``.

        Raises:
            SandboxError: the level (or, for ``"auto"``, every namespaced level) is unavailable.
        """
        if wanted == "process":
            if not self.root:
                raise SandboxError("sandbox='process' needs root (to run programs under their own uid)")
            return "process"
        if wanted in ("auto", "bwrap") and self.bwrap:
            return "bwrap"
        if wanted == "bwrap":
            raise SandboxError(f"sandbox='bwrap' is unavailable: {self.problems.get('bwrap')}")
        if self.unshare:
            if wanted == "auto":
                _warn_once(
                    "bubblewrap is unavailable here, so code runs with unshare: no network, own PID "
                    "namespace and uid, but the host filesystem stays visible (read-only, so "
                    "world-readable files can be read). Install it: apt-get install bubblewrap "
                    f"({self.problems.get('bwrap')})"
                )
            return "unshare"
        raise SandboxError(
            "no sandbox is available for running code: "
            + "; ".join(f"{k}: {v}" for k, v in self.problems.items())
            + ". Install bubblewrap (apt-get install bubblewrap), or choose sandbox='process' explicitly"
        )


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, SandboxWarning, stacklevel=3)


def _base_python() -> str:
    """The interpreter programs run on: the real one behind ``sys.executable`` (a venv's python
    is a symlink to it) when it is the system's (under ``/usr``); else the system's
    ``/usr/bin/python3`` when there is one (a pyenv or conda build starts 3x slower inside the
    sandbox than the distribution's, measured here); else the real one, its prefix mounted."""
    real = os.path.realpath(sys.executable)
    if real.startswith("/usr/"):
        return real
    system = "/usr/bin/python3"
    if os.path.exists(system):
        return os.path.realpath(system)
    return real


@functools.lru_cache(maxsize=1)
def probe() -> Probe:
    """Find out once what isolation this machine allows."""
    root = os.geteuid() == 0
    python = _base_python()
    problems: dict[str, str] = {}
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        problems["bwrap"] = "bwrap is not installed"
    else:
        argv = [*_bwrap_argv(bwrap, root, 1, python, None), python, "-I", "-S", "-c", "pass"]
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                problems["bwrap"] = f"bwrap fails here: {proc.stderr.decode(errors='replace').strip()[:300]}"
                bwrap = None
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems["bwrap"] = f"bwrap fails here: {exc}"
            bwrap = None
    unshare = shutil.which("unshare")
    if not root:
        problems["unshare"] = "unshare needs root"
        unshare = None
    elif unshare is None:
        problems["unshare"] = "unshare is not installed"
    else:
        try:
            proc = subprocess.run([*_unshare_argv(unshare), "true"], capture_output=True, timeout=30)
            if proc.returncode != 0:
                problems["unshare"] = f"unshare fails here: {proc.stderr.decode(errors='replace').strip()[:300]}"
                unshare = None
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems["unshare"] = f"unshare fails here: {exc}"
            unshare = None
    if not root:
        problems["uid"] = "not root: programs run under the caller's uid (inside a user namespace)"
    return Probe(root=root, bwrap=bwrap, unshare=unshare, python=python, problems=problems)


def _bwrap_argv(bwrap: str, root: bool, disk_mb: int, python: str, harness: str | None) -> list[str]:
    argv = [bwrap, "--die-with-parent", "--new-session", "--clearenv"]
    argv += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if root:  # keep only what the harness needs to drop to the program's uid and kill it
        argv += ["--cap-drop", "ALL"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_FOWNER", "CAP_DAC_OVERRIDE"):
            argv += ["--cap-add", cap]
    else:
        argv += ["--unshare-user"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib32", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    prefix = os.path.dirname(os.path.dirname(python))
    if not prefix.startswith("/usr/"):  # an interpreter outside /usr (pyenv, conda): its prefix, read-only
        parents = list(Path(prefix).parents)[::-1][1:]  # without "/"
        for parent in parents:  # traversable by the program's uid whatever the host's modes (/root is 0700)
            argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", prefix, prefix]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(disk_mb << 20), "--tmpfs", "/box", "--size", str(16 << 20), "--tmpfs", "/tmp"]
    argv += ["--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8", "--chdir", "/"]
    if harness is not None:
        argv += ["--ro-bind", harness, "/harness.py"]
    return argv


def _unshare_argv(unshare: str) -> list[str]:
    return [unshare, "--net", "--pid", "--ipc", "--uts", "--mount", "--fork", "--kill-child", "--mount-proc"]


_UIDS = threading.Lock()


def _fresh_uids() -> tuple[int, int]:
    """Two unprivileged uids nobody else uses (the program's, the judge's)."""
    base = 200_000 + 2 * secrets.randbelow(400_000)
    return base, base + 1


@dataclass(frozen=True)
class LocalSandbox:
    """Run programs on this machine, isolated as well as it allows (see the module docstring).

    Args:
        isolation: ``"auto"``, ``"bwrap"``, ``"unshare"`` or ``"process"``.
        cxx: The C++ compiler command (compiled once per program).
        reuse: Let one sandbox serve programs one after the other (each in a fresh directory,
            under a fresh uid, every process of the previous one killed): the interpreter and
            bwrap start once per worker instead of once per program. ``False``: a new sandbox
            per program.

    >>> LocalSandbox().isolation
    'auto'
    """

    isolation: Isolation = "auto"
    cxx: tuple[str, ...] = ("g++", "-O2", "-std=c++17", "-pipe")
    reuse: bool = True

    def open(self, program: Program, limits: Limits) -> Session:
        """Start a sandbox for ``program``: compiled (C++) and ready to run tests.

        Raises:
            SandboxError: the sandbox could not be started.
        """
        return Session(self, program, limits)

    def level(self) -> str:
        """The isolation level this sandbox uses here."""
        return probe().choose(self.isolation)

    def __repr__(self) -> str:
        return f"local-{self.isolation}"


@functools.lru_cache(maxsize=1)
def memory_cgroup() -> str | None:
    """This process's own cgroup-v1 memory group, when child groups can be made in it (root);
    ``None`` otherwise (then a program's processes are each limited by RLIMIT_AS only)."""
    if os.geteuid() != 0:
        return None
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            base = "/sys/fs/cgroup/memory" + path.rstrip("/")
            if os.path.exists(base + "/memory.limit_in_bytes") and os.access(base, os.W_OK):
                return base
    return None


_GROUPS = iter(range(1 << 62))
_SWEPT: list[bool] = []


def _sweep(parent: str) -> None:
    """Remove empty groups left by processes that died without cleaning up (a worker killed at
    its deadline), once per process."""
    if _SWEPT:
        return
    _SWEPT.append(True)
    for path in Path(parent).glob("verifiers-code-*-*"):
        pid = int(path.name.split("-")[2])
        try:
            os.kill(pid, 0)
            continue  # its owner lives
        except ProcessLookupError:
            pass
        except OSError:
            continue
        with _suppress():
            os.rmdir(path)


def _make_group(limit: int) -> str | None:
    """A child memory group capped at ``limit`` bytes (swap included where it is accounted)."""
    parent = memory_cgroup()
    if parent is None:
        return None
    _sweep(parent)
    path = f"{parent}/verifiers-code-{os.getpid()}-{next(_GROUPS)}"
    try:
        os.mkdir(path)
        for name in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"):
            if os.path.exists(f"{path}/{name}"):
                with open(f"{path}/{name}", "w") as f:
                    f.write(str(limit))
    except OSError:
        _remove_group(path)
        return None
    return path


def _remove_group(path: str) -> bool:
    for _ in range(50):  # the sandbox's last processes die just after the harness
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            time.sleep(0.02)
    return False


class _Spawner:
    """Starts sandboxes from one long-lived thread. ``bwrap --die-with-parent`` (and the
    harness's parent-death signal) fire when the *thread* that started them exits, and a sandbox
    outlives the call that started it (it serves later programs, maybe from other threads): so
    no sandbox is started from a caller's thread, which may be a short-lived worker thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: queue.SimpleQueue[tuple[Callable[[], Any], queue.SimpleQueue[Any]]] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def __call__(self, start: Callable[[], Any]) -> Any:
        with self.lock:
            if self.thread is None or not self.thread.is_alive() or self.pid != os.getpid():
                self.jobs, self.pid = queue.SimpleQueue(), os.getpid()
                self.thread = threading.Thread(target=self._loop, args=(self.jobs,), name="verifiers-sandboxes",
                                               daemon=True)
                self.thread.start()
            jobs = self.jobs
        answer: queue.SimpleQueue[Any] = queue.SimpleQueue()
        jobs.put((start, answer))
        ok, value = answer.get()
        if not ok:
            raise value
        return value

    @staticmethod
    def _loop(jobs: queue.SimpleQueue[tuple[Callable[[], Any], queue.SimpleQueue[Any]]]) -> None:
        while True:
            start, answer = jobs.get()
            try:
                answer.put((True, start()))
            except BaseException as exc:  # handed to the caller
                answer.put((False, exc))


_spawn = _Spawner()


class _Harness:
    """A started sandbox and its harness, serving one program at a time."""

    def __init__(self, level: str, info: Probe, disk_mb: int, memory_mb: int) -> None:
        self.level = level
        self.owner = os.getpid()  # a forked copy of this process must not use it
        self.tmp: str | None = None
        # All the sandbox's processes together: a program's own limit, its files (tmpfs pages are
        # charged to the group) and room for the harness and the judge.
        self.group = _make_group((memory_mb + disk_mb + 192) << 20)
        if self.group is None:
            _warn_once(
                "no cgroup-v1 memory controller to write to here (or not root): each of a program's "
                "processes is limited to memory_mb on its own, so together they may use nproc x memory_mb"
            )
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        judge_r, self.judge_w = os.pipe()
        preload = ",".join(PRELOAD)
        if level == "bwrap":
            assert info.bwrap is not None
            argv = [*_bwrap_argv(info.bwrap, info.root, disk_mb, info.python, str(HARNESS))]
            argv += [info.python, "-I", "-S", "-B", "/harness.py", "/box", str(judge_r), preload]
        else:
            self.tmp = box = tempfile.mkdtemp(prefix="verifiers-code-")
            os.chmod(box, 0o755)
            argv = [info.python, "-I", "-S", "-B", str(HARNESS), box, str(judge_r), preload]
            if level == "unshare":  # its own mount namespace: the harness makes the host read-only
                assert info.unshare is not None
                argv = [*_unshare_argv(info.unshare), *argv, str(disk_mb << 20)]
        # The harness and the sandbox are the last the OOM killer takes; program processes raise
        # their own score to the top. A memory group is joined before bwrap starts (no race).
        # (Best effort: some machines refuse to lower a score, even to root.)
        prelude = "{ echo -1000 > /proc/self/oom_score_adj; } 2>/dev/null; "
        if self.group is not None:
            prelude += f'echo $$ > "{self.group}/cgroup.procs" && '
        argv = ["/bin/sh", "-c", prelude + 'exec "$@"', "sh", *argv]
        try:
            self.proc: subprocess.Popen[bytes] | None = _spawn(
                lambda: subprocess.Popen(
                    argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                    pass_fds=(judge_r,), start_new_session=True, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                    cwd="/",
                )
            )
        except OSError as exc:
            self.proc = None
            self.close()
            raise SandboxError(f"could not start the sandbox: {exc}") from exc
        finally:
            os.close(judge_r)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        """Kill the harness and its sandbox at once (everything of the program was killed after
        its last test; in bwrap, the PID namespace goes with it), and remove its files."""
        proc, self.proc = self.proc, None
        if proc is not None:
            with _suppress():
                os.killpg(proc.pid, signal.SIGKILL)
            with _suppress():
                proc.kill()
            with _suppress():
                proc.wait(timeout=10)
            for stream in (proc.stdin, proc.stdout):
                with _suppress():
                    stream.close()  # type: ignore[union-attr]
        with _suppress():
            os.close(self.judge_w)
        self.judge_w = -1
        with _suppress():
            self.stderr.close()
        if self.tmp is not None:
            _remove_tree(self.tmp)
            self.tmp = None
        group, self.group = getattr(self, "group", None), None
        if group is not None and not _remove_group(group):
            _LEFT_GROUPS.append(group)


_LEFT_GROUPS: list[str] = []


_IDLE: dict[tuple[str, int, int], list[_Harness]] = {}
_IDLE_LOCK = threading.Lock()
#: Idle harnesses kept per process and isolation level.
MAX_IDLE = 4


def _acquire(level: str, info: Probe, disk_mb: int, memory_mb: int, reuse: bool) -> tuple[_Harness, bool]:
    """A harness for a program, and whether it served programs before."""
    if reuse:
        with _IDLE_LOCK:
            idle = _IDLE.get((level, disk_mb, memory_mb), [])
            while idle:
                harness = idle.pop()
                if harness.owner == os.getpid() and harness.alive():
                    return harness, True
                if harness.owner == os.getpid():
                    harness.close()
    return _Harness(level, info, disk_mb, memory_mb), False


def _release(harness: _Harness, key: tuple[str, int, int]) -> None:
    if harness.owner != os.getpid() or not harness.alive():
        harness.close()
        return
    with _IDLE_LOCK:
        idle = _IDLE.setdefault(key, [])
        if len(idle) < MAX_IDLE:
            idle.append(harness)
            return
    harness.close()


@atexit.register
def _close_idle() -> None:
    with _IDLE_LOCK:
        harnesses = [h for idle in _IDLE.values() for h in idle]
        _IDLE.clear()
    for harness in harnesses:
        if harness.owner == os.getpid():
            harness.close()
    for group in _LEFT_GROUPS:
        _remove_group(group)


class Session:
    """One running harness for one program (a context manager; :meth:`close` ends it)."""

    def __init__(self, sandbox: LocalSandbox, program: Program, limits: Limits) -> None:
        self.limits = limits
        self.compile_error: str | None = None
        self._harness: _Harness | None = None
        self._healthy = False
        self._dead = False
        info = probe()
        self._shared_uid = not info.root
        if self._shared_uid:
            _warn_once(
                "not root: programs run under the caller's uid (in bwrap's user namespace), so a program "
                "can kill the sandbox's harness (its test then fails) and RLIMIT_NPROC counts the caller's "
                "own processes; run as root or in a container for a uid per program"
            )
        level = info.choose(sandbox.isolation)
        if program.language not in ("python", "cpp"):
            raise SandboxError(f"no executor for language {program.language!r}")
        uid, judge_uid = _fresh_uids() if info.root else (None, None)
        cxx = list(sandbox.cxx)
        if program.language == "cpp":
            compiler = shutil.which(cxx[0])
            if compiler is None:
                raise SandboxError(f"C++ needs {cxx[0]!r}: apt-get install g++")
            cxx[0] = os.path.realpath(compiler) if level == "bwrap" else compiler
        spec = {
            "language": program.language,
            "source": program.source,
            "prefix": program.prefix,
            "uid": uid,
            "judge_uid": judge_uid,
            "pidns": level != "process",
            "timeout": limits.timeout,
            "cpu": max(1, int(limits.timeout + 0.999)),
            "memory_mb": limits.memory_mb,
            "fsize": limits.max_output + 1,
            "nofile": limits.nofile,
            "nproc": limits.nproc,
            "max_output": limits.max_output,
            "compile": cxx,
            "compile_timeout": limits.compile_timeout,
            "compile_memory_mb": limits.compile_memory_mb,
        }
        self._key = (level, limits.disk_mb, limits.memory_mb)
        self._healthy = False
        for attempt in range(2):
            self._harness, reused = _acquire(level, info, limits.disk_mb, limits.memory_mb, sandbox.reuse)
            try:
                self._send(spec)
                first = self._recv(limits.compile_timeout + 30)
                break
            except _Overrun:
                self.close()
                raise SandboxError("the sandbox harness did not start in time") from None
            except SandboxError:
                self.close()
                if reused and attempt == 0:  # an idle harness can die with the thread that started it
                    continue
                raise
        self._healthy = sandbox.reuse
        if first.get("event") == "compile_error":
            self.compile_error = first.get("detail", "")
        elif first.get("event") != "ready":
            self.close()
            raise SandboxError(f"the sandbox harness said {first!r}")

    @property
    def _proc(self) -> subprocess.Popen[bytes] | None:
        return self._harness.proc if self._harness is not None else None

    # -- framing ----------------------------------------------------------------------------------------
    def _send(self, obj: Any, fd: int | None = None) -> None:
        data = marshal.dumps(obj)
        data = struct.pack(">I", len(data)) + data
        if fd is None:
            assert self._proc is not None and self._proc.stdin is not None
            fd = self._proc.stdin.fileno()
        try:
            while data:
                data = data[os.write(fd, data) :]
        except OSError as exc:
            raise SandboxError(f"the sandbox harness is gone: {exc}; {self._harness_stderr()}") from exc

    def _recv(self, seconds: float) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + seconds

        def exact(n: int) -> bytes:
            parts = []
            while n:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise _Overrun
                chunk = os.read(fd, min(n, 1 << 20))
                if not chunk:
                    raise SandboxError(f"the sandbox harness died; {self._harness_stderr()}")
                parts.append(chunk)
                n -= len(chunk)
            return b"".join(parts)

        (n,) = struct.unpack(">I", exact(4))
        if n > _MAX_FRAME:
            raise SandboxError("the sandbox harness sent a garbled frame")
        value = marshal.loads(exact(n))
        if not isinstance(value, dict):
            raise SandboxError("the sandbox harness sent a garbled frame")
        return value

    def _harness_stderr(self) -> str:
        if self._proc is not None:
            with _suppress():
                self._proc.wait(timeout=2)
        if self._harness is None:
            return "no harness"
        with _suppress():
            self._harness.stderr.seek(0)
            text = self._harness.stderr.read(4000).decode(errors="replace").strip()
        code = self._proc.returncode if self._proc is not None else None
        return f"exit code {code}: {text or '(no output)'}"

    # -- running tests -----------------------------------------------------------------------------------
    def _run(self, op: dict[str, Any], judge: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.compile_error is not None:
            raise SandboxError("the program did not compile; nothing to run")
        if self._dead:
            return {"status": "re", "detail": "the program killed the sandbox's harness in an earlier test"}
        if self._proc is None:
            raise SandboxError("the session is closed")
        self._healthy, healthy = False, self._healthy  # until the harness answers
        try:
            if judge is not None:
                assert self._harness is not None
                self._send(judge, self._harness.judge_w)
            self._send(op)
            # the harness enforces the test's deadline; this one only catches a stuck harness
            reply = self._recv(self.limits.timeout + 30)
        except _Overrun:
            self.close()
            raise SandboxError("the sandbox harness stopped answering") from None
        except SandboxError:
            if not self._shared_uid:
                raise
            # Without root the program runs under the harness's uid and can kill it: a dead
            # harness is then the program's doing, and never a pass.
            self._dead = True
            return {"status": "re", "detail": "the program killed the sandbox's harness (it shares its uid: not root)"}
        self._healthy = healthy
        return reply

    def run_stdio(self, stdin: str) -> ExecResult:
        """Run the program once with ``stdin``; its captured stdout comes back."""
        return _result(self._run({"op": "stdio", "stdin": stdin.encode()}))

    def run_call(self, setup: str, code: str, names: tuple[str, ...] = ()) -> ExecResult:
        """Run the judge's ``code`` (after its ``setup``) against the program's functions."""
        return self.run_calls(setup, [code], names)[0]

    def run_calls(self, setup: str, codes: list[str], names: tuple[str, ...] = ()) -> list[ExecResult]:
        """Run several call tests against one program process and one judge, as MBPP's and APPS's
        harnesses do, until the first failure: one result per test run (fewer than ``codes``
        when one failed). Each test has ``timeout`` seconds of the program's time."""
        token = secrets.token_hex(8)
        judge = {"setup": setup, "codes": list(codes), "names": list(names), "token": token}
        reply = self._run({"op": "call", "token": token, "count": len(codes)}, judge)
        if "results" not in reply:
            return [_result(reply)]
        shared = {"stderr": reply.get("stderr", ""), "wall": reply.get("wall", 0.0) / max(1, len(reply["results"]))}
        return [_result({**shared, **one}) for one in reply["results"]]

    def close(self) -> None:
        """End the program: its processes are killed and its directory removed; the harness
        serves the next program (``reuse``), or is killed with its sandbox."""
        harness, self._harness = self._harness, None
        if harness is None:
            return
        if self._healthy:
            self._harness = harness
            try:
                self._send_to(harness, {"op": "end"})
                ended = self._recv(30).get("event") == "ended"  # killed and removed, or no reuse
            except (SandboxError, _Overrun):
                ended = False
            self._harness = None
            if not ended:
                harness.close()
                return
            _release(harness, self._key)
        else:
            harness.close()

    def _send_to(self, harness: _Harness, obj: Any) -> None:
        if harness.proc is None or harness.proc.stdin is None:
            raise SandboxError("no harness")
        self._send(obj, harness.proc.stdin.fileno())

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_harness", None) is not None:
            self.close()


def _result(reply: dict[str, Any]) -> ExecResult:
    return ExecResult(
        status=reply["status"],
        stdout=reply.get("stdout", b""),
        stderr=reply.get("stderr", ""),
        detail=reply.get("detail", ""),
        wall=reply.get("wall", 0.0),
        exit_code=reply.get("exit"),
    )


class _Overrun(Exception):
    pass


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        return kind is not None and issubclass(kind, (OSError, ValueError, subprocess.SubprocessError))


def _remove_tree(path: str) -> None:
    """Remove a directory the program wrote into (it may have made parts unreadable)."""
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            with _suppress():
                os.chmod(os.path.join(dirpath, name), 0o700)
    shutil.rmtree(path, ignore_errors=True)
