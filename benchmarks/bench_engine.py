"""Rows/s of the scoring engine: serial vs ProcessPool, on a toy kernel, on every registered reward,
through the whole ``verify`` CLI, and the import time of the package.

Run: python benchmarks/bench_engine.py [--only toy,rewards,cli,imports] [--repeats 5]

Sections (each measured in one run, serial and pool interleaved run by run so that a machine
whose speed drifts moves both alike; every figure is the median of the repeats, with min-max):

* ``toy``: a :class:`~verifiers.base.RowReward` that hashes its text (sha256) a calibrated number
  of rounds, so a row costs about 0, 0.3, 1, 3 or 15 ms. Serial vs ``ProcessPool(jobs=1)`` vs
  ``ProcessPool(jobs=2)``: the pool's fixed cost per row (0 ms) and its scaling on this
  machine's cores as rows get more expensive. Ratios are pool / serial.
* ``rewards``: every reward in :func:`verifiers.registry.names` on realistic GRPO batches
  (``benchmarks/make_realistic.py``: R1 completions with ``<think>``/``<answer>``, boxed math
  answers, some Chinese, ``solution``/``language``/``completion_ids``/``prompt_id`` columns),
  serial vs ``backend=ProcessPool(jobs=2)``. Every timed run gets rows it has never seen (new
  prompts, new answers), so neither the parent's nor a worker's parse cache carries over.
* ``cli``: ``verify score FILE -r accuracy -r format -r language_consistency -q -o -`` (standard
  output to the null device) serial vs ``--jobs 2``, and ``-r language_consistency``
  alone, on a 20,000-row file from ``make_realistic.py``: wall seconds of the whole process,
  runs alternated, min / median / max, and rows/s from the median.
  (Not ``-o /dev/null``: the CLI writes a temporary file beside its target and renames it over
  the target, which, run as root, replaces the /dev/null device with a regular file.)
* ``imports``: ``import verifiers`` and ``from verifiers import accuracy_reward`` in a fresh
  interpreter (median of ``--import-runs`` runs, minus a bare interpreter's start-up), and
  whether numpy, sympy or verifiers.shaping are in ``sys.modules`` afterwards.

Targets (from the issue): pool(2) >= 1.7x serial on per-row rewards whose rows cost >= 1 ms
(math rows did when the issue was written; since 0.2.0 math grades its fast path in the calling
process at ~0.2 ms/row and sends only the symbolic tail to the pool, so the target is checked on
language_consistency); no reward below 0.95x serial (rewards with a vectorized kernel never leave
the process: ~1.0x).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import platform
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_realistic

from verifiers import ProcessPool, RewardConfig, Status, Verdict
from verifiers.base import RowReward

# -- helpers -----------------------------------------------------------------------------------------


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    """``median (min-max)``."""
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a live process, from /proc (0 where unavailable)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _machine_busy() -> float:
    """CPU seconds all processors spent not idle since boot (0 where /proc/stat is unavailable)."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return (sum(values) - values[3] - values[4]) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # CPU seconds of this process and the pool's workers
    others: float  # CPU seconds used by every other process of the machine meanwhile
    workers: list[float]  # CPU seconds of each pool worker

    @property
    def load(self) -> float:
        """Cores that other processes kept busy during the run."""
        return self.others / self.wall if self.wall > 0 else 0.0


def measure(fn: Callable[[], Any], pool: ProcessPool | None = None) -> Run:
    """Wall time of ``fn()``, with who used the CPU meanwhile (this process, the pool's workers,
    everybody else). Tick-granular (10 ms): meaningful for runs of a second or so."""
    pids = [w.process.pid for w in getattr(pool, "_workers", [])] if pool is not None else []
    gc.collect()
    w0 = [_proc_cpu(pid) for pid in pids]
    c0, m0, t0 = time.process_time(), _machine_busy(), time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    own = time.process_time() - c0
    busy = _machine_busy() - m0
    workers = [_proc_cpu(pid) - w for pid, w in zip(pids, w0)]
    cpu = own + sum(workers)
    return Run(wall, cpu, max(0.0, busy - cpu), workers)


#: A run during which other processes kept less than this many cores busy counts as quiet.
QUIET = 0.1


def others_cores(runs: list[Run]) -> str:
    """Cores that other processes kept busy during ``runs`` (median, max)."""
    loads = [r.load for r in runs]
    return f"{statistics.median(loads):.2f} (max {max(loads):.2f})" if loads else "n/a"


def ratios_text(pools: list[Run], serials: list[Run]) -> tuple[float, str, str]:
    """pool/serial speed ratio: median over run pairs, ``median (min-max)`` over all pairs, and
    the median over quiet pairs (no other process busy during either run) with their count."""
    pairs = [s.wall / p.wall for p, s in zip(pools, serials)]
    quiet = [s.wall / p.wall for p, s in zip(pools, serials) if p.load < QUIET and s.load < QUIET]
    quiet_text = f"{statistics.median(quiet):.2f} ({len(quiet)})" if quiet else "none (0)"
    return statistics.median(pairs), f"{statistics.median(pairs):.2f} ({min(pairs):.2f}-{max(pairs):.2f})", quiet_text


# -- toy kernel ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BurnConfig(RewardConfig):
    rounds: int = 0


class Burn(RowReward[BurnConfig]):
    """Hashes its text ``rounds`` times: a per-row kernel of known CPU cost."""

    name = "burn"
    config_class = BurnConfig

    def grade(self, text: str, row: Mapping[str, Any]) -> Verdict:
        digest = text.encode()
        for _ in range(self.config.rounds):
            digest = hashlib.sha256(digest).digest()
        return Verdict(digest[0] / 255.0, Status.SCORED)


def calibrate() -> float:
    """Seconds per sha256 round (best of 5)."""
    rounds = 20_000
    best = min(timed(lambda: Burn(rounds=rounds).grade("calibrate", {})) for _ in range(5))
    return best / rounds


def bench_toy(repeats: int) -> None:
    per_round = calibrate()
    print(f"\n## toy kernel (sha256 rounds; 1 round = {per_round * 1e9:.0f} ns here)")
    print(
        f"rows/s, median (min-max) of {repeats} runs; serial, pool(1), pool(2) interleaved run by run. "
        "CPU ratio: CPU seconds of parent + workers / serial CPU seconds (the pool's overhead). "
        "Others: cores kept busy by other processes during the pool(2) runs (a shared machine); quiet pairs: "
        f"serial/pool(2) run pairs during which other processes kept < {QUIET} core busy."
    )
    pools = {jobs: ProcessPool(jobs=jobs, timeout=60) for jobs in (1, 2)}
    for jobs, pool in pools.items():  # spawning the workers is a one-time cost, reported apart
        warm = [f"warm {i}" for i in range(jobs * 8)]
        took = timed(lambda pool=pool, warm=warm: Burn(backend=pool)(warm))
        print(f"pool jobs={jobs}: start-up {took:.2f}s (once per pool)")
    print(
        "| target cost/row | serial cost/row | rows | serial rows/s | pool(1) rows/s | pool(2) rows/s "
        "| pool(1)/serial | pool(2)/serial | pool(2)/serial, quiet pairs (n) | pool(2) CPU ratio | others' cores |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    # (target seconds per row, rows per timed run): about 1-4 s of serial work per run
    for cost, n in ((0.0, 20_000), (0.3e-3, 4096), (1e-3, 2048), (3e-3, 1024), (15e-3, 256)):
        rounds = round(cost / per_round)
        runs: dict[str, list[Run]] = {"serial": [], "p1": [], "p2": []}
        rewards = {
            "serial": (Burn(rounds=rounds), None),
            "p1": (Burn(rounds=rounds, backend=pools[1]), pools[1]),
            "p2": (Burn(rounds=rounds, backend=pools[2]), pools[2]),
        }
        for r in range(repeats):
            for key, (reward, pool) in rewards.items():
                texts = [f"{key} run {r} row {i}" for i in range(n)]  # distinct rows
                runs[key].append(measure(lambda reward=reward, texts=texts: reward(texts), pool))
        rates = {k: [n / run.wall for run in v] for k, v in runs.items()}
        serial_cost = 1e6 / statistics.median(rates["serial"])
        _, p1_text, _ = ratios_text(runs["p1"], runs["serial"])
        _, p2_text, p2_quiet = ratios_text(runs["p2"], runs["serial"])
        cpu = statistics.median(p.cpu / s.cpu for p, s in zip(runs["p2"], runs["serial"]) if s.cpu > 0)
        print(
            f"| {cost * 1e3:g} ms ({rounds} rounds) | {serial_cost:,.0f} µs | {n} | {spread(rates['serial'])} "
            f"| {spread(rates['p1'])} | {spread(rates['p2'])} | {p1_text} | {p2_text} | {p2_quiet} | {cpu:.2f} "
            f"| {others_cores(runs['p2'])} |"
        )
    for pool in pools.values():
        pool.close()


# -- every registered reward on realistic batches -----------------------------------------------------


def columns_of(rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, list[Any]]]:
    names = ("solution", "language", "completion_ids", "prompt_id", "prompts")
    cols = {name: [r.get("prompt" if name == "prompts" else name) for r in rows] for name in names}
    return [r["completion"] for r in rows], cols


def _timed_call(reward: Any, pool: ProcessPool | None, comps: list[str], cols: dict[str, Any], loops: int) -> Run:
    def call() -> None:
        for _ in range(loops):
            reward(comps, **cols)

    result = measure(call, pool)
    result.wall /= loops
    result.cpu /= loops
    result.others /= loops
    result.workers = [w / loops for w in result.workers]
    return result


def _alternating(
    serial: Any, pooled: Any, pool: ProcessPool, comps: list[str], cols: dict[str, Any], loops: int
) -> tuple[Run, Run]:
    """For cheap calls: serial and pooled called in turn (who goes first alternates), ``loops``
    times each, each call timed on its own after a garbage collection, so that a machine whose
    speed drifts within seconds moves both alike."""
    times = {"s": 0.0, "p": 0.0}

    def call() -> None:
        order = (("s", serial), ("p", pooled))
        for i in range(loops):
            for key, reward in order if i % 2 == 0 else order[::-1]:
                gc.collect()  # each call pays for its own garbage, not the other's
                start = time.perf_counter()
                reward(comps, **cols)
                times[key] += time.perf_counter() - start

    both = measure(call, pool)
    load = both.others / both.wall if both.wall > 0 else 0.0
    s_run = Run(times["s"] / loops, 0.0, load * times["s"] / loops, [])
    p_run = Run(times["p"] / loops, 0.0, load * times["p"] / loops, both.workers)
    return s_run, p_run


def bench_rewards(repeats: int, batch: int, warm: int = 3, only: list[str] | None = None) -> dict[str, float]:
    from verifiers.registry import get_reward, names

    group = 16
    prompts_per_batch = -(-batch // group)
    counter = [10_000]  # prompt numbers not used by the CLI file (which starts at 0)

    def fresh() -> tuple[list[str], dict[str, list[Any]]]:
        start = counter[0]
        counter[0] += prompts_per_batch
        return columns_of(make_realistic.rows(batch, group=group, seed=1, start=start))

    print(f"\n## every registered reward, batches of {batch} realistic rows (groups of {group})")
    print(
        f"rows/s, median (min-max) of {repeats} run pairs, after {warm} warm-up batches. "
        "A pair times serial and pool(2) on the same batch "
        "(order alternating); each pair has a batch never seen before, by the parent or by a worker, so no parse "
        "or detector cache carries over. Rewards with a vectorized kernel and no nested reward repeat the call "
        "on one batch (>= 20 calls, >= 1 s) per timing, serial and pool(2) called in turn call by call. "
        "CPU ratio: CPU seconds of parent + workers / serial CPU seconds; "
        "balance bound: serial CPU / the busier worker's CPU (the speed-up two idle cores would give); others' "
        f"cores: CPU used by other processes of the machine during the pool runs; quiet pairs: pairs during which "
        f"other processes kept < {QUIET} core busy."
    )
    pool = ProcessPool(jobs=2, timeout=60)
    took = timed(lambda: get_reward("accuracy", backend=pool)(fresh()[0], solution=["1"] * batch))
    print(f"pool(2) start-up and warm-up (spawn, imports in the workers): {took:.2f}s")
    print(
        "| reward | kind | serial µs/row | serial rows/s | pool(2) rows/s | pool(2)/serial: median of pairs (min-max) "
        "| quiet pairs (n) | CPU ratio / balance bound | others' cores |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    ratios: dict[str, float] = {}
    for name in only or names():
        serial, pooled = get_reward(name), get_reward(name, backend=pool)
        per_row = isinstance(serial, RowReward) or bool(serial.parts)
        kind = "row" if isinstance(serial, RowReward) else "batch"
        if serial.parts:
            kind += " + nested " + ",".join(p.__name__ for p in serial.parts)
        # warm-up of both (imports, regexes, the workers' copy of the kernel, the LaTeX parser's and
        # sympy's caches, which every worker process builds for itself)
        for _ in range(warm if per_row else 1):
            comps, cols = fresh()
            serial(comps, **cols)
            pooled(comps, **cols)
        s_runs: list[Run] = []
        p_runs: list[Run] = []
        for r in range(repeats):
            comps, cols = fresh()
            if not per_row:
                one = _timed_call(serial, None, comps, cols, 1).wall
                s_run, p_run = _alternating(serial, pooled, pool, comps, cols, max(20, min(400, int(1.0 / one))))
                s_runs.append(s_run)
                p_runs.append(p_run)
                continue
            loops = 1
            order = ((serial, None, s_runs), (pooled, pool, p_runs))
            for reward, backend, out in order if r % 2 == 0 else order[::-1]:
                out.append(_timed_call(reward, backend, comps, cols, loops))
        s_rates, p_rates = [batch / x.wall for x in s_runs], [batch / x.wall for x in p_runs]
        ratios[name], all_text, quiet_text = ratios_text(p_runs, s_runs)
        cpu = f"workers used {max(sum(p.workers) for p in p_runs):.2f} CPU s"  # 0: the pool was not used
        if per_row:
            cpu = f"{statistics.median(p.cpu / s.cpu for p, s in zip(p_runs, s_runs) if s.cpu > 0):.2f}"
            bound = statistics.median(
                s.cpu / max(p.workers) for p, s in zip(p_runs, s_runs) if p.workers and max(p.workers) > 0
            )
            cpu += f" / {bound:.2f}x"
        print(
            f"| {name} | {kind} | {1e6 / statistics.median(s_rates):,.0f} | {spread(s_rates)} | {spread(p_rates)} "
            f"| {all_text} | {quiet_text} | {cpu} | {others_cores(p_runs)} |"
        )
    pool.close()
    worst = min(ratios, key=ratios.__getitem__)
    for name in ("language_consistency",):  # the registered per-row reward that the pool serves
        if name in ratios:
            print(
                f"target pool(2) >= 1.7x on the per-row reward ({name}): {ratios[name]:.2f}x -> "
                f"{'met' if ratios[name] >= 1.7 else 'MISSED'}"
            )
    if "accuracy" in ratios:
        print(
            f"accuracy: {ratios['accuracy']:.2f}x (since 0.2.0 its fast path runs in the calling process, "
            "~0.2 ms/row; only the symbolic tail goes to the pool)"
        )
    print(
        f"target no reward below 0.95x: lowest {worst} {ratios[worst]:.2f}x -> "
        f"{'met' if ratios[worst] >= 0.95 else 'MISSED'}"
    )
    return ratios


# -- the whole CLI -----------------------------------------------------------------------------------------


def bench_cli(path: str | None, runs: int) -> None:
    verify = str(Path(sys.executable).with_name("verify"))
    if path is None:
        path = os.path.join(tempfile.gettempdir(), "verifiers_realistic.jsonl")
        if not os.path.exists(path):
            subprocess.run([sys.executable, str(Path(__file__).with_name("make_realistic.py")), path], check=True)
    with open(path, "rb") as f:
        n = sum(1 for _ in f)
    size = os.path.getsize(path) / 1e6
    print(f"\n## whole CLI on {path} ({n} rows, {size:.0f} MB): wall seconds, min / median / max of {runs} runs")
    # the output goes to the null device (a pipe would make this process read 200 MB per run), unless
    # it is not a device any more (see the module docstring): then to a scratch file, rewritten per run
    null_ok = stat.S_ISCHR(os.stat(os.devnull).st_mode)
    sink: Any = subprocess.DEVNULL if null_ok else open(path + ".out", "wb")  # noqa: SIM115
    print(f"runs alternate serial, --jobs 2; -o - with standard output to {os.devnull if null_ok else path + '.out'}")
    cases = {
        "accuracy + format + language_consistency": ["-r", "accuracy", "-r", "format", "-r", "language_consistency"],
        "language_consistency alone": ["-r", "language_consistency"],
    }
    print("| rewards | mode | wall s | rows/s (median) | --jobs 2 / serial |")
    print("|---|---|---|---|---|")
    for label, rewards in cases.items():
        walls: dict[str, list[float]] = {"serial": [], "--jobs 2": []}
        for _ in range(runs):
            for mode, extra in (("serial", []), ("--jobs 2", ["--jobs", "2"])):
                cmd = [verify, "score", path, *rewards, *extra, "-q", "-o", "-"]
                start = time.perf_counter()
                proc = subprocess.run(cmd, stdout=sink, stderr=subprocess.PIPE, check=False)
                walls[mode].append(time.perf_counter() - start)
                if proc.returncode not in (0, 1):
                    raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
                if not null_ok:
                    sink.seek(0)
                    sink.truncate()
        serial = statistics.median(walls["serial"])
        for mode, values in walls.items():
            med = statistics.median(values)
            print(
                f"| {label} | {mode} | {spread(values, '{:.1f}')} | {n / med:,.0f} | "
                f"{'' if mode == 'serial' else f'{serial / med:.2f}x'} |"
            )
    if not null_ok:
        sink.close()
        os.unlink(path + ".out")


# -- imports --------------------------------------------------------------------------------------------


def _import_us(code: str) -> int:
    """Sum of the top-level cumulative import times (µs) that ``-X importtime`` reports."""
    trace = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    total = 0
    for line in trace.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            total += int(parts[1])
    return total


def bench_imports(runs: int) -> None:
    probe = "import sys; print(' '.join(m for m in ('numpy', 'sympy', 'verifiers.shaping') if m in sys.modules))"
    cases = {
        "python -c pass (interpreter start-up)": "pass",
        "import verifiers": "import verifiers",
        "from verifiers import accuracy_reward": "from verifiers import accuracy_reward",
        "from verifiers import accuracy_reward; call it once": (
            "from verifiers import accuracy_reward; accuracy_reward([r'\\boxed{2}'], solution=['2'])"
        ),
    }
    print(f"\n## import time in a fresh interpreter: median (min-max) of {runs} runs, interleaved")
    walls: dict[str, list[float]] = {k: [] for k in cases}
    imports: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(runs):
        for label, code in cases.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            walls[label].append((time.perf_counter() - start) * 1e3)
            imports[label].append(_import_us(code) / 1e3)
    base = statistics.median(walls["python -c pass (interpreter start-up)"])
    base_imp = statistics.median(imports["python -c pass (interpreter start-up)"])
    print(
        "| code | process wall ms | wall minus bare start-up | -X importtime total ms (all top-level imports) "
        "| minus bare | in sys.modules afterwards |"
    )
    print("|---|---|---|---|---|---|")
    for label, code in cases.items():
        loaded = ""
        if code != "pass":
            out = subprocess.run([sys.executable, "-c", f"{code}; {probe}"], capture_output=True, text=True, check=True)
            loaded = out.stdout.strip() or "none of numpy, sympy, verifiers.shaping"
        med, imp = statistics.median(walls[label]), statistics.median(imports[label])
        print(
            f"| `{code[:60]}` | {spread(walls[label], '{:.0f}')} | {med - base:+.0f} | "
            f"{spread(imports[label], '{:.1f}')} | {imp - base_imp:+.1f} | {loaded} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="toy,rewards,cli,imports", help="comma-separated sections to run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per figure (toy, rewards)")
    parser.add_argument("--batch", type=int, default=1024, help="rows per batch in the rewards section")
    parser.add_argument("--rewards", default="", help="comma-separated reward names (default: every registered one)")
    parser.add_argument(
        "--warm", type=int, default=3, help="warm-up batches per per-row reward before timing (0: a cold pool)"
    )
    parser.add_argument("--file", default=None, help="JSONL for the cli section (default: generate one in /tmp)")
    parser.add_argument("--cli-runs", type=int, default=3)
    parser.add_argument("--import-runs", type=int, default=11)
    args = parser.parse_args()
    sections = set(args.only.split(","))
    load = os.getloadavg()[0]
    print(f"# python {platform.python_version()} on {os.cpu_count()} CPUs, load average {load:.2f} at start")
    if "toy" in sections:
        bench_toy(args.repeats)
    if "rewards" in sections:
        bench_rewards(args.repeats, args.batch, args.warm, args.rewards.split(",") if args.rewards else None)
    if "cli" in sections:
        bench_cli(args.file, args.cli_runs)
    if "imports" in sections:
        bench_imports(args.import_runs)
    print(f"# load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
