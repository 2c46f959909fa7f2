"""Rows/s of the three backends on this machine: Serial vs ProcessPool vs Ray, and the overlap
that the awaitable form buys.

Run: python benchmarks/bench_backends.py [--repeats 3] [--rows 2048] [--kinds math,burn,code,async]

* ``math``: ``accuracy`` on realistic GRPO rows (``make_realistic.py``; every timed run gets rows
  it has never seen), serial vs ``ProcessPool(jobs=2)`` vs ``Ray(jobs=2)``, without a deadline
  (rows in chunks) and with ``timeout=5`` (Ray then sends one row per call).
* ``burn``: a kernel of known CPU cost (sha256 rounds, ~1 ms a row: the cost of a small
  program run), the same backends.
* ``code``: the ``code`` reward on distinct correct Python programs of 10 stdin/stdout tests
  each (a fresh program text per row and run), the same backends; each worker (or Ray actor)
  keeps its own sandbox.
* ``async``: four batches of 8 rows that each wait 50 ms, and four batches of 8 real code rows
  (the code reward's sandbox; programs that sleep 0.2 s), awaited together with ``acall`` vs
  called one after the other.

Every figure is the median of ``--repeats`` runs, runs of the backends interleaved; ``burn``
is a CPU-bound stand-in for code rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_engine import Burn, calibrate  # noqa: E402
from make_realistic import rows as realistic_rows  # noqa: E402

from verifiers import MathAccuracy, ProcessPool, Ray  # noqa: E402
from verifiers.base import RowReward  # noqa: E402
from verifiers.registry import get_reward  # noqa: E402
from verifiers.types import Status, Verdict  # noqa: E402


class Wait(RowReward):  # type: ignore[type-arg]
    """Waits 50 ms per row, off the CPU (a row waiting on a sandboxed program)."""

    name = "wait"

    def grade(self, text, row):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        return Verdict(1.0, Status.CORRECT)


def _rate(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--kinds", default="math,burn,code,async", help="which parts to run (comma-separated)")
    args = parser.parse_args()
    import ray

    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": str(HERE)}})
    print(f"# backends, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, ray {ray.__version__}, "
          f"median of {args.repeats} runs")
    backends = {
        "serial": lambda timeout: None,
        "pool(2)": lambda timeout: ProcessPool(jobs=2, timeout=timeout),
        "ray(2)": lambda timeout: Ray(jobs=2, timeout=timeout),
    }
    per_round = calibrate()
    rounds = round(1e-3 / per_round)
    print("| rows | deadline | " + " | ".join(f"{k} rows/s" for k in backends) + " | pool/serial | ray/serial |")
    print("|---|---|" + "---|" * (len(backends) + 2))
    kinds = args.kinds.split(",")
    for kind in [k for k in ("math", "burn", "code") if k in kinds]:
        for timeout in (None, 5.0) if kind != "code" else (30.0,):
            made = {k: make(timeout) for k, make in backends.items()}
            rewards = {
                k: (MathAccuracy(backend=b) if kind == "math" else Burn(rounds=rounds, backend=b)
                    if kind == "burn" else get_reward("code", backend=b))
                for k, b in made.items()
            }
            for k, reward in rewards.items():  # start workers, actors and sandboxes, load the kernel
                if kind == "code":
                    texts, tests = _programs(8, f"warm {k}")
                    assert reward(texts, tests=tests) == [1.0] * 8
                else:
                    reward(["warm-up"] * 8, solution=["1"] * 8)
            rates: dict[str, list[float]] = {k: [] for k in backends}
            n = {"math": args.rows, "burn": args.rows // 2, "code": 48}[kind]
            for r in range(args.repeats):
                for k, reward in rewards.items():
                    if kind == "code":
                        texts, tests = _programs(n, f"{k} {r}")
                        call = lambda reward=reward, texts=texts, tests=tests: reward(texts, tests=tests)  # noqa: E731
                        rates[k].append(_rate(call, n))
                        continue
                    data = realistic_rows(n, seed=1000 * r + hash(k) % 1000, ids=False, start=r * n)
                    texts = [d["completion"] for d in data] if kind == "math" else [f"{k} {r} {i}" for i in range(n)]
                    sols = [d["solution"] for d in data]
                    call = lambda reward=reward, texts=texts, sols=sols: reward(texts, solution=sols)  # noqa: E731
                    rates[k].append(_rate(call, n))
            med = {k: statistics.median(v) for k, v in rates.items()}
            label = {"math": "accuracy (realistic)", "burn": "burn, ~1 ms/row",
                     "code": "code, 10 stdio tests/row"}[kind]
            print(
                f"| {label} | {timeout or 'none'} | " + " | ".join(f"{med[k]:,.0f}" for k in backends)
                + f" | {med['pool(2)'] / med['serial']:.2f}x | {med['ray(2)'] / med['serial']:.2f}x |"
            )
            for b in made.values():
                if b is not None:
                    b.close()

    if "async" not in kinds:
        ray.shutdown()
        return
    wait = Wait()
    batches = [[f"b{b} r{i}" for i in range(8)] for b in range(4)]

    def one_after_another() -> None:
        for batch in batches:
            wait(batch)

    async def together() -> None:
        await asyncio.gather(*(wait.acall(batch) for batch in batches))

    sync_s = statistics.median(_timed(one_after_another) for _ in range(args.repeats))
    async_s = statistics.median(_timed(lambda: asyncio.run(together())) for _ in range(args.repeats))
    print(f"\nasync: 4 batches x 8 rows x 50 ms: one after another {sync_s:.2f}s, awaited together "
          f"{async_s:.2f}s ({sync_s / async_s:.1f}x)")
    bench_code_async(args.repeats)
    ray.shutdown()


def bench_code_async(repeats: int) -> None:
    """Code rows (the code reward's local sandbox): four batches of 8 programs that each wait
    0.2 s (a program waiting on I/O or a slow test), one after another vs awaited together."""
    from verifiers.registry import get_reward, names

    if "code" not in names():
        print("code: no code reward in this installation")
        return
    code = get_reward("code")
    tests = [{"stdio": [{"input": "1\n", "output": "2\n"}]}]

    def batch(b: int, r: int) -> list[str]:
        return [f"```python\nimport time\ntime.sleep(0.2)  # {b} {r} {i}\nprint(int(input()) + 1)\n```"
                for i in range(8)]

    def sync(r: int) -> None:
        for b in range(4):
            assert code(batch(b, r), tests=tests * 8) == [1.0] * 8

    async def together(r: int) -> None:
        results = await asyncio.gather(*(code.acall(batch(b, r), tests=tests * 8) for b in range(4)))
        assert results == [[1.0] * 8] * 4

    sync_s = statistics.median(_timed(lambda r=r: sync(r)) for r in range(repeats))
    async_s = statistics.median(_timed(lambda r=r: asyncio.run(together(100 + r))) for r in range(repeats))
    print(f"code: 4 batches x 8 programs sleeping 0.2 s: one after another {sync_s:.2f}s, awaited together "
          f"{async_s:.2f}s ({sync_s / async_s:.1f}x)")


def _programs(n: int, tag: str) -> tuple[list[str], list[dict]]:  # type: ignore[type-arg]
    """``n`` distinct correct programs (adds 1 to its input) with 10 stdin/stdout tests each."""
    tests = {"stdio": [{"input": f"{i}\n", "output": f"{i + 1}\n"} for i in range(10)]}
    texts = [f"```python\n# {tag} {i}\nprint(int(input()) + 1)\n```" for i in range(n)]
    return texts, [tests] * n


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
