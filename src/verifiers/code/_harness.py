# ruff: noqa: SIM105, SIM115, UP031 - stdlib-only, started per program: no contextlib, plain formatting
"""The harness that runs inside the sandbox (standard library only, started as ``python3 -I -S``).

It is trusted code; what it runs is not. One harness serves one program:

1. It reads the program (and, for C++, compiles it as the unprivileged program user), then
   answers ``ready`` or ``compile_error``.
2. It is the pre-warmed interpreter ("zygote"): for every test it forks a child that drops to
   the program's uid, sets its resource limits, gets fresh stdin/stdout/stderr files and runs
   the program (Python: the code object compiled once, in the forked interpreter; C++: ``execv``
   of the binary).
3. Call-based tests (HumanEval's ``check(candidate)``, MBPP asserts, APPS ``fn_name``) run in a
   separate *judge* process under another uid. The judge reads the test code from its own pipe
   (fd 3), which the harness never reads, so no program child (they are forked from the harness)
   ever has the test code in its memory. The program child serves calls to its functions over a
   pipe; what it returns must be plain data (checked by type, exactly), so an object with a
   forged ``__eq__`` cannot pass an assert, and patching builtins or ``AssertionError`` in the
   program's process changes nothing in the judge's.
4. After every test every process of the program's and the judge's uids is killed (``kill(-1)``
   under that uid), orphans are reaped (the harness is a child subreaper), and the result goes
   to the caller on fd 1, which no program process holds.

Protocol on fd 0 / fd 1: frames of a 4-byte big-endian length and a ``marshal`` payload.
"""

import marshal
import os
import resource
import signal
import struct
import sys
import time

_select = __import__("select")

MAX_FRAME = 1 << 30
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
MEMORY_EXIT = 120  # a Python program that ran out of memory
BOX = "/box"


def read_exact(fd, n):
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv(fd, cap=MAX_FRAME):
    (n,) = struct.unpack(">I", read_exact(fd, 4))
    if n > cap:
        raise FrameTooLarge(n)
    return marshal.loads(read_exact(fd, n))


class FrameTooLarge(ValueError):
    pass


def send(fd, obj):
    data = marshal.dumps(obj)
    data = struct.pack(">I", len(data)) + data
    while data:
        data = data[os.write(fd, data) :]


_LIBC: list = []  # type: ignore[type-arg]


def prctl(option, arg):
    try:
        if not _LIBC:
            import ctypes

            _LIBC.append(ctypes.CDLL(None, use_errno=True))
        _LIBC[0].prctl(option, arg, 0, 0, 0)
    except Exception:
        pass


# -- inside a child, before untrusted code runs -----------------------------------------------------


def limit(spec, cpu_seconds):
    mib = 1 << 20
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    if spec["memory_mb"]:
        resource.setrlimit(resource.RLIMIT_AS, (spec["memory_mb"] * mib, spec["memory_mb"] * mib))
    resource.setrlimit(resource.RLIMIT_FSIZE, (spec["fsize"], spec["fsize"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (spec["nofile"], spec["nofile"]))
    resource.setrlimit(resource.RLIMIT_NPROC, (spec["nproc"], spec["nproc"]))


def oom_first():
    """Be the first the OOM killer takes (the sandbox's memory group is shared with the harness)."""
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass


def drop(uid):
    if uid is None:
        return
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def plumb(fds):
    """Make ``fds`` (a list: new fd number -> current fd) the only open descriptors."""
    high = [os.dup(fd) for fd in fds]  # above every target number, so dup2 cannot clobber one
    for target, fd in enumerate(high):
        os.dup2(fd, target, inheritable=True)
    os.closerange(len(fds), 1 << 16)


def reset_signals():
    for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)


# -- the program's side --------------------------------------------------------------------------------


def _exit(code=None):
    raise SystemExit(code)


def run_python(code, name):
    """Run the program's code object as module ``name``; never returns."""
    import builtins

    # what the site module would have added (the interpreter runs with -S): contest programs
    # often end with exit() or quit()
    builtins.exit = builtins.quit = _exit

    sys.stdin = open(0, closefd=False, errors="replace")
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    sys.argv = ["solution.py"]
    g = {"__name__": name, "__builtins__": builtins, "__file__": "solution.py"}
    code_ = 0
    try:
        exec(code, g)
        if name != "__main__":
            serve(g)
    except SystemExit as exc:
        c = exc.code
        code_ = c if isinstance(c, int) and not isinstance(c, bool) else (0 if c is None else 1)
        if not isinstance(c, int) and c is not None:
            try:
                sys.stderr.write(str(c) + "\n")
            except Exception:
                pass
    except MemoryError:
        code_ = MEMORY_EXIT
    except BaseException:
        import traceback

        try:
            traceback.print_exc()
        except BaseException:
            pass
        code_ = 1
    try:
        sys.stdout.flush()
    except BaseException:
        code_ = code_ or 1
    try:
        sys.stderr.flush()
    except BaseException:
        pass
    os._exit(code_ & 0xFF)


def serve(g):
    """Answer the judge's calls (fd 3: requests in, fd 4: replies out) until it hangs up."""
    while True:
        try:
            name, args, kwargs = recv(3)
        except EOFError:
            return
        try:
            fn = g[name]
            reply = ("ok", fn(*args, **kwargs))
        except MemoryError:
            raise
        except BaseException as exc:  # the program's exception, reported to the judge
            reply = ("err", type(exc).__name__ + ": " + str(exc)[:300])
        try:
            send(4, reply)
        except ValueError:  # not marshallable: the judge refuses it
            send(4, ("err", "the function returned a value that is not plain data: " + type(reply[1]).__name__))


# -- the judge's side ----------------------------------------------------------------------------------

PLAIN = (type(None), bool, int, float, complex, str, bytes)


def check_plain(value, seen=None, depth=0):
    """Raise TypeError unless ``value`` is plain data, by exact type (no subclasses)."""
    t = type(value)
    if t in PLAIN:
        return
    if t not in (list, tuple, dict, set, frozenset):
        raise TypeError("the function returned a " + t.__name__ + ", not plain data")
    if depth > 200:
        raise TypeError("the returned value is nested too deeply")
    seen = seen if seen is not None else set()
    if id(value) in seen:
        raise TypeError("the returned value is recursive")
    seen.add(id(value))
    items = value.items() if t is dict else ((v, None) for v in value)
    for k, v in items:
        check_plain(k, seen, depth + 1)
        if t is dict:
            check_plain(v, seen, depth + 1)
    seen.discard(id(value))


class CallTimeout(Exception):
    """The program did not answer a call within the test's time."""


class CallOutputLimit(Exception):
    """The program answered a call with more than the output limit."""


def judge(spec, token):
    """Run call-based tests. The test code arrives on fd 3 (never seen by the harness), with the
    token of its op: messages of earlier ops whose judge died before reading are skipped. The
    snippets run one after the other against one program process, as MBPP's and APPS's own
    harnesses do, until the first failure; each has ``spec["timeout"]`` seconds of the program's
    time, measured here while waiting for its answers."""
    import ast  # imported by the harness already (a dropped uid may not read the stdlib's files)
    import builtins

    for _ in range(10000):
        message = recv(3)
        if message.get("token") == token:
            break
    else:
        raise RuntimeError("no test code for this test")
    setup, codes, names = message["setup"], message["codes"], message["names"]
    deadline = [0.0]

    def stub(name):
        def call(*args, **kwargs):
            try:
                send(1, (name, args, kwargs))
            except ValueError:
                raise TypeError("the test passes arguments that cannot be sent to the program") from None
            left = deadline[0] - time.monotonic()
            if left <= 0 or not _select.select([2], [], [], left)[0]:
                raise CallTimeout
            try:
                kind, value = recv(2, spec["max_output"])
            except FrameTooLarge:
                raise CallOutputLimit from None
            except (EOFError, ValueError, struct.error):
                raise RuntimeError("the program died or answered garbage") from None
            if kind != "ok":
                raise RuntimeError("the program raised " + str(value))
            check_plain(value)
            return value

        call.__name__ = call.__qualname__ = name
        return call

    g = {"__name__": "__judge__", "__builtins__": builtins}
    results = []
    try:
        exec(compile(setup, "<test setup>", "exec"), g)
    except BaseException as exc:
        results.append(("bad", "the test setup fails: " + type(exc).__name__ + ": " + str(exc)[:300]))
        codes = []
    for code in codes:
        deadline[0] = time.monotonic() + spec["timeout"]
        try:
            tree = ast.parse(code)
            free = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            for name in sorted(free | set(names)):
                if name in names or (name not in g and not hasattr(builtins, name)):
                    if name not in names and name in getattr(sys, "stdlib_module_names", ()):
                        g[name] = __import__(name)
                    else:
                        g[name] = stub(name)
            exec(compile(tree, "<test>", "exec"), g)
            results.append(("ok", ""))
            continue
        except CallTimeout:
            results.append(("tle", "the program did not answer within %ss" % spec["timeout"]))
        except CallOutputLimit:
            results.append(("ole", "the program's answer is larger than %s bytes" % spec["max_output"]))
        except AssertionError as exc:
            results.append(("fail", "assertion failed" + (": " + str(exc)[:200] if str(exc) else "")))
        except BaseException as exc:
            results.append(("fail", type(exc).__name__ + ": " + str(exc)[:300]))
        break
    send(5, results)
    os._exit(0)


# -- the harness ---------------------------------------------------------------------------------------


PIDNS = [True]


def kill_uid(uid, watch=(), found=None):
    """SIGKILL every process of ``uid`` and reap them (the harness is a child subreaper, so
    orphans are its children), until none is left. The wait4 results of the ``watch`` pids go
    into ``found``.

    In a PID namespace ``kill(-1)`` under that uid reaches all of them at once (and a process with
    SIGKILL pending cannot fork any more). It says ESRCH only when no other process but init and
    the harness exists at all, the usual case after a test; when it succeeds, that may be for a
    process it could not signal (another uid), so the survivors are then looked up in /proc by
    their real uid. Without a PID namespace (sandbox="process") each one found is killed by pid."""
    found = {} if found is None else found
    me = os.getuid()
    for _ in range(5000):
        alone = False
        if PIDNS[0]:
            if uid is not None:
                os.setresuid(uid, uid, 0)
            try:
                os.kill(-1, signal.SIGKILL)  # without a uid: only in a PID namespace (checked by the caller)
            except ProcessLookupError:
                alone = True
            finally:
                if uid is not None:
                    os.setresuid(0, 0, 0)
        for pid in watch:
            if pid not in found:
                try:
                    got = os.wait4(pid, os.WNOHANG)
                except ChildProcessError:
                    continue
                if got[0] == pid:
                    found[pid] = got
        reap()
        if alone:
            return found
        left = [pid for pid in processes_of(uid if uid is not None else me, exclude=os.getpid()) if pid != 1]
        if not left:
            return found
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.0002)
    raise RuntimeError("processes of uid %s survive SIGKILL" % uid)


def processes_of(uid, exclude=None):
    """Live (not zombie) processes whose real uid is ``uid``."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == exclude:
            continue
        try:
            with open("/proc/" + name + "/status", "rb") as f:
                status = f.read(2048)
        except OSError:
            continue
        uids = status.split(b"\nUid:", 1)[1].split(None, 1)[0] if b"\nUid:" in status else b""
        if uids == str(uid).encode() and b"\nState:\tZ" not in status:
            out.append(int(name))
    return out


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def spawn(target):
    pid = os.fork()
    if pid == 0:
        try:
            target()
        except BaseException:
            pass
        os._exit(111)
    return pid


def wait_all(pids, deadline):
    """Wait for ``pids`` until ``deadline``; their wait4 results, or None for those still running."""
    fds = {pid: os.pidfd_open(pid) for pid in pids}
    out = {}
    try:
        while len(out) < len(pids):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = _select.select([fds[p] for p in pids if p not in out], [], [], left)
            for pid in pids:
                if pid not in out and fds[pid] in ready:
                    out[pid] = os.wait4(pid, 0)
    finally:
        for fd in fds.values():
            os.close(fd)
    return out


def read_file(path, cap):
    with open(path, "rb") as f:
        return f.read(cap + 1)


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND = 1, 2, 4, 32, 4096


def private_mounts(box, disk_bytes):
    """In a mount namespace of our own (the unshare level): every mount read-only, and fresh
    size-capped tmpfs for /tmp (the box inside it) and /dev/shm, so a program cannot write to the
    host's world-writable directories. Best effort: what fails stays as it was."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def mount(source, target, fstype, flags, data):
        return libc.mount(source, target.encode(), fstype, flags, data) == 0

    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f]
    for point in points:
        point = point.replace("\\040", " ")
        if point.startswith(("/proc", "/sys")):
            continue
        mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
    mount(b"tmpfs", "/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, b"size=16m,mode=1777")
    if os.path.isdir("/dev/shm"):
        mount(b"tmpfs", "/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, b"size=1m,mode=755")
    os.makedirs(box, mode=0o755, exist_ok=True)
    mount(b"tmpfs", box, b"tmpfs", MS_NOSUID | MS_NODEV, ("size=%d,mode=755" % disk_bytes).encode())


def main():
    global BOX
    BOX, judge_fd = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 4 and sys.argv[4]:
        private_mounts(BOX, int(sys.argv[4]))
    job_fd, out_fd = os.dup(0), os.dup(1)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    prctl(PR_SET_DUMPABLE, 0)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # Warm up while the caller has no program for us yet (a spare harness waits here): what the
    # judges need (they may run under a uid that cannot read the stdlib's files) and common modules.
    import ast  # noqa: F401
    import traceback  # noqa: F401

    for module in sys.argv[3].split(",") if len(sys.argv) > 3 else ():
        try:
            if module:
                __import__(module)
        except ImportError:
            pass
    import gc

    gc.collect()
    gc.freeze()  # forked children's collections do not touch (and copy) the harness's objects
    os.chmod(BOX, 0o755)
    checked = []
    while True:  # one program after the other, each in a fresh directory under a fresh uid
        try:
            spec = recv(job_fd)
        except EOFError:
            return
        if spec.get("op") == "stop":
            return
        serve_program(spec, job_fd, out_fd, judge_fd, checked)
        send(out_fd, {"event": "ended"})  # its processes are dead and its directory is gone


def serve_program(spec, job_fd, out_fd, judge_fd, checked):
    PIDNS[0] = spec["pidns"]
    uid, judge_uid = spec["uid"], spec["judge_uid"]
    if uid is None and not PIDNS[0]:
        raise RuntimeError("without root, programs can only run in a PID namespace")
    root = BOX + "/p"
    if os.path.lexists(root):
        remove_tree(root)
    work, private = root + "/work", root + "/.h"
    os.mkdir(root, 0o755)
    os.mkdir(work, 0o700)
    os.mkdir(private, 0o700)
    if uid is not None:
        os.chown(work, uid, uid)
    try:
        lang = spec["language"]
        code = binary = None
        ready = {"event": "ready"}
        if lang == "python":
            try:
                code = compile(spec["prefix"] + spec["source"], "solution.py", "exec", dont_inherit=True)
            except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as exc:
                ready = {"event": "compile_error", "detail": type(exc).__name__ + ": " + str(exc)[:500]}
        else:
            binary = compile_native(spec, uid, work, private, root)
            if isinstance(binary, dict):
                ready = binary
        if not checked:
            self_check(uid)
            checked.append(True)
        send(out_fd, ready)
        while True:
            op = recv(job_fd)
            if op["op"] == "end":
                return
            if op["op"] == "stop":
                raise SystemExit(0)
            if ready["event"] != "ready":
                raise RuntimeError("a test for a program that did not compile")
            started = time.monotonic()
            if op["op"] == "stdio":
                result = run_stdio(spec, op, code, binary, uid, work, private)
            else:
                result = run_call(spec, op, code, uid, judge_uid, work, private, judge_fd)
            result["wall"] = time.monotonic() - started
            send(out_fd, result)
    finally:
        kill_uid(uid)
        kill_uid(judge_uid)
        remove_tree(root)


def remove_tree(path):
    """Remove what a program left (as root: its modes do not matter; symlinks are not followed)."""
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        for name in filenames:
            try:
                os.unlink(dirpath + "/" + name)
            except FileNotFoundError:
                pass
        for name in dirnames:
            full = dirpath + "/" + name
            if os.path.islink(full):
                os.unlink(full)
            else:
                os.rmdir(full)
    os.rmdir(path)


def self_check(uid):
    """A child can drop to the program's uid and be killed with it: else the sandbox is broken."""

    def child():
        drop(uid)
        os._exit(0 if uid is None or os.getuid() == uid else 1)

    pid = spawn(child)
    done = wait_all([pid], time.monotonic() + 10)
    if pid not in done or not os.WIFEXITED(done[pid][1]) or os.WEXITSTATUS(done[pid][1]) != 0:
        raise RuntimeError("a child could not drop to uid %s" % uid)


def child_stdio(spec, code, binary, uid, work, fds, cpu):
    plumb(fds)
    os.setsid()
    reset_signals()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    oom_first()
    limit(spec, cpu)
    if binary is not None:  # deep recursion is common in contest solutions: a judge-sized stack
        stack = min(spec["memory_mb"] or 256, 256) << 20
        resource.setrlimit(resource.RLIMIT_STACK, (stack, stack))
    drop(uid)
    os.chdir(work)
    if binary is not None:
        os.execve(binary, [binary], {"PATH": "/usr/bin:/bin", "HOME": work, "LANG": "C.UTF-8"})
    run_python(code, "__main__")


def outcome(status, rusage, timed_out, spec, stderr=b""):
    """Classify a finished (or killed) process."""
    if timed_out:
        return "tle"
    if status is None:
        return "re"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXFSZ:
            return "ole"
        if sig in (signal.SIGXCPU,):
            return "tle"
        if sig == signal.SIGKILL and rusage is not None and rusage.ru_utime + rusage.ru_stime >= spec["cpu"]:
            return "tle"
        if sig == signal.SIGKILL:  # not our deadline, not the CPU limit: the memory group's OOM killer
            return "mle"
        if b"bad_alloc" in stderr:
            return "mle"
        return "re"
    code = os.WEXITSTATUS(status)
    if code == 0:
        return "ok"
    if code == MEMORY_EXIT or b"bad_alloc" in stderr:
        return "mle"
    return "re"


def run_stdio(spec, op, code, binary, uid, work, private):
    cap = spec["max_output"]
    paths = [private + "/in", private + "/out", private + "/err"]
    with open(paths[0], "wb") as f:
        f.write(op["stdin"])
    fin = os.open(paths[0], os.O_RDONLY)
    fout = os.open(paths[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    ferr = os.open(paths[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    cpu = spec["cpu"]
    try:
        pid = spawn(lambda: child_stdio(spec, code, binary, uid, work, [fin, fout, ferr], cpu))
    finally:
        for fd in (fin, fout, ferr):
            os.close(fd)
    done = wait_all([pid], time.monotonic() + spec["timeout"])
    timed_out = pid not in done
    kill_uid(uid, [pid], done)
    _, status, rusage = done.get(pid, (pid, None, None))
    out = read_file(paths[1], cap)
    err = read_file(paths[2], 4096)
    kind = outcome(status, rusage, timed_out, spec, err[-2048:])
    if len(out) > cap:
        kind, out = "ole", out[:cap]
    return {
        "status": kind,
        "exit": None if status is None else (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)),
        "stdout": out,
        "stderr": err[-2048:].decode("utf-8", "replace"),
        "cpu": (rusage.ru_utime + rusage.ru_stime) if rusage else None,
    }


def child_program_call(spec, code, uid, work, fds, cpu):
    plumb(fds)
    os.setsid()
    reset_signals()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    oom_first()
    limit(spec, cpu)
    drop(uid)
    os.chdir(work)
    run_python(code, "__solution__")


def child_judge(spec, judge_uid, fds, token):
    plumb(fds)
    os.setsid()
    reset_signals()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    drop(judge_uid)
    prctl(PR_SET_DUMPABLE, 0)
    os.chdir("/")
    judge(spec, token)


def run_call(spec, op, code, uid, judge_uid, work, private, judge_fd):
    """Call-based tests: the program in one process (forked from the harness), the test code in a
    judge process (forked from the harness, under the judge's uid), talking over two pipes.
    ``op["count"]`` snippets share them (1 when tests are run one by one)."""
    count = op["count"]
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    ver_r, ver_w = os.pipe()
    null = os.open("/dev/null", os.O_RDWR)
    err_path = private + "/err"
    ferr = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    cpu = max(1, int(spec["timeout"] * count + 0.999))
    pspec = dict(spec, cpu=cpu)
    try:
        prog = spawn(lambda: child_program_call(pspec, code, uid, work, [null, null, ferr, req_r, rep_w], cpu))
        jpid = spawn(lambda: child_judge(spec, judge_uid, [null, req_w, rep_r, judge_fd, null, ver_w], op["token"]))
    finally:
        for fd in (req_r, req_w, rep_r, rep_w, ver_w, null, ferr):
            os.close(fd)
    # the judge times each call; this deadline only catches a judge stuck elsewhere
    deadline = time.monotonic() + spec["timeout"] * count + 2
    done = wait_all([jpid], deadline)
    judge_late = jpid not in done
    judged = None
    if not judge_late:
        try:
            judged = recv(ver_r)
        except (EOFError, ValueError, struct.error):
            judged = None
    os.close(ver_r)
    # the program is done once the judge is: what it still does is killed with its uid (its
    # status only says something when it ended before that)
    ended = os.wait4(prog, os.WNOHANG)
    kill_uid(uid, [prog])
    kill_uid(judge_uid, [jpid], done)
    _, status, rusage = ended if ended[0] == prog else (prog, None, None)
    err = read_file(err_path, 4096)[-2048:]
    if judged is None:
        judged = [("tle", "the test did not finish in time") if judge_late else ("re", "the judge failed")]
    prog_kind = outcome(status, rusage, False, pspec, err) if status is not None else "fail"
    results = []
    for kind, detail in judged:
        if kind == "fail" and prog_kind in ("mle", "tle", "ole", "re"):
            kind = prog_kind if prog_kind != "re" else "fail"
        results.append({"status": kind, "detail": detail})
    return {
        "status": results[-1]["status"] if results else "ok",
        "results": results,
        "detail": results[-1]["detail"] if results else "",
        "stderr": err.decode("utf-8", "replace"),
        "exit": None,
        "stdout": b"",
        "cpu": (rusage.ru_utime + rusage.ru_stime) if rusage else None,
    }


def compile_native(spec, uid, work, private, root):
    src = work + "/solution.cpp"
    with open(src, "w") as f:
        f.write(spec["source"])
    if uid is not None:
        os.chown(src, uid, uid)
    err_path = private + "/cc"
    ferr = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open("/dev/null", os.O_RDWR)
    argv = [*spec["compile"], "-o", work + "/a.out", src]
    cspec = dict(spec, memory_mb=spec["compile_memory_mb"], fsize=64 << 20, nproc=max(spec["nproc"], 16))
    ctime = int(spec["compile_timeout"]) + 1

    def child():
        plumb([null, null, ferr])
        os.setsid()
        reset_signals()
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        limit(cspec, ctime)
        drop(uid)
        os.chdir(work)
        os.execve(argv[0], argv, {"PATH": "/usr/bin:/bin", "HOME": work, "TMPDIR": "/tmp", "LANG": "C"})

    pid = spawn(child)
    os.close(ferr)
    os.close(null)
    done = wait_all([pid], time.monotonic() + spec["compile_timeout"])
    timed_out = pid not in done
    kill_uid(uid, [pid], done)
    if timed_out:
        return {"event": "compile_error", "detail": "the compiler exceeded %ss" % spec["compile_timeout"]}
    status = done[pid][1]
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not os.path.exists(work + "/a.out"):
        err = read_file(err_path, 4096)[:2000].decode("utf-8", "replace")
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 111:
            raise RuntimeError("the compiler could not be started: " + " ".join(argv))
        return {"event": "compile_error", "detail": err.replace(work + "/", "")}
    # the binary moves where the program cannot change it
    binary_dir = root + "/bin"
    os.makedirs(binary_dir, mode=0o755, exist_ok=True)
    binary = binary_dir + "/solution"
    os.rename(work + "/a.out", binary)
    os.chown(binary, 0, 0)
    os.chmod(binary, 0o755)
    return binary


if __name__ == "__main__":
    try:
        main()
    except BaseException as exc:  # the harness itself failed: the caller reports a sandbox error
        try:
            sys.__stderr__.write(  # type: ignore[union-attr]
                "harness: %s: %s\n" % (type(exc).__name__, exc))
        except BaseException:
            pass
        os._exit(70)
