"""Rows/s of the batch engine: Serial vs ProcessPool(jobs=1, 2) on a CPU-bound toy reward.

Run: python benchmarks/bench_engine.py [--rows 2000]

The toy reward hashes its text `rounds` times (sha256), so each row costs a known amount of
CPU. The figures show the pool's fixed overhead per row (rounds=0) and its scaling on this
machine's cores as rows get more expensive. Serial is the reference, measured in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verifiers import ProcessPool, RewardConfig, RewardFunction, Status, Verdict


@dataclass(frozen=True, kw_only=True)
class BurnConfig(RewardConfig):
    rounds: int = 0


class Burn(RewardFunction[BurnConfig]):
    name = "burn"
    config_class = BurnConfig

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        digest = text.encode()
        for _ in range(self.config.rounds):
            digest = hashlib.sha256(digest).digest()
        return Verdict(digest[0] / 255.0, Status.SCORED)


def rate(reward: Burn, texts: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        reward(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"# {platform.python_version()} on {os.cpu_count()} CPUs, {args.rows} distinct rows, best of {args.repeats}")
    pools = {jobs: ProcessPool(jobs=jobs, timeout=60) for jobs in (1, 2)}
    # warm the pools (spawning workers and importing sympy is a one-time cost, reported apart)
    for jobs, pool in pools.items():
        start = time.perf_counter()
        Burn(backend=pool)(["warm"] * jobs * 2)
        print(f"# pool jobs={jobs}: start-up {time.perf_counter() - start:.2f}s (once per pool)")
    print("| per-row cost | serial rows/s | pool(1) rows/s | pool(2) rows/s | pool(1)/serial | pool(2)/serial |")
    print("|---|---|---|---|---|---|")
    for rounds in (0, 1_000, 10_000, 50_000):
        texts = [f"row {i}" for i in range(args.rows if rounds < 10_000 else args.rows // 4)]
        serial = rate(Burn(rounds=rounds), texts, args.repeats)
        p1 = rate(Burn(rounds=rounds, backend=pools[1]), texts, args.repeats)
        p2 = rate(Burn(rounds=rounds, backend=pools[2]), texts, args.repeats)
        cost = f"{1e6 / serial:,.0f} µs ({rounds} sha256)"
        print(f"| {cost} | {serial:,.0f} | {p1:,.0f} | {p2:,.0f} | {p1 / serial:.2f} | {p2 / serial:.2f} |")
    for pool in pools.values():
        pool.close()


if __name__ == "__main__":
    main()
