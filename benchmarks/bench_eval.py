"""Rows/s and peak memory of ``verify eval`` on an already-scored file, against a plain
``json.loads`` loop over the same file, in the same run.

Run: python benchmarks/bench_eval.py [--prompts 15625] [--samples 64] [--repeats 3] [--keep FILE]

The file has ``--samples`` rows for each of ``--prompts`` prompts (default 64 x 15,625 =
1,000,000 rows), written the way ``verify score`` writes them: the input columns (``prompt_id``,
``data_source``, ``prompt``, ``solution``, a ~300-character ``completion``) and the ``verify``
object with an ``accuracy`` verdict whose extracted answer is one of a few spellings per prompt
(``\\frac{p}{q}``, a decimal, ``p/q``, wrong numbers), so majority voting clusters real answers.

Each measurement is a fresh process (``verify eval FILE --k 1,8,64 --json -q`` and a
``for line in f: json.loads(line)`` loop), timed by wall clock, its peak memory read from
``wait4``'s ``ru_maxrss``; runs alternate, and the table shows the median with min-max.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIGNATURE = (
    "total(none:propagate)[1*accuracy|low:0|high:1|extract:answer_tag,boxed,phrase,latex,number|sympy:True"
    "|timeout:5|v:0.2.0]|v:0.2.0"
)
SOURCES = ("gsm8k", "math", "aime")
FILLER = "Let me think step by step about this problem and check each intermediate result carefully. " * 3


def make(path: Path, prompts: int, samples: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for p in range(prompts):
            num, den = rng.randint(1, 50), rng.choice((2, 4, 5, 8))
            right = [f"\\frac{{{num}}}{{{den}}}", f"{num / den}", f"{num}/{den}"]
            wrong = [str(num + den), str(num * den), f"\\frac{{{den}}}{{{num}}}"]
            p_correct = rng.random()
            source = SOURCES[p % len(SOURCES)]
            for _ in range(samples):
                ok = rng.random() < p_correct
                answer = rng.choice(right if ok else wrong) if rng.random() > 0.05 else None
                if answer is None:
                    verdict = {"reward": 0.0, "status": "no_answer", "extracted": None, "detail": "no answer"}
                elif ok:
                    verdict = {"reward": 1.0, "status": "correct", "extracted": answer, "detail": "boxed, fast"}
                else:
                    verdict = {"reward": 0.0, "status": "incorrect", "extracted": answer, "detail": "boxed, fast"}
                row = {
                    "prompt_id": f"q{p}",
                    "data_source": source,
                    "prompt": f"Compute {num}/{den}.",
                    "solution": right[0],
                    "completion": f"<think>{FILLER}</think><answer>\\boxed{{{answer}}}</answer>",
                    "verify": {
                        "reward": verdict["reward"],
                        "status": "scored",
                        "rewards": {"accuracy": verdict},
                        "signature": SIGNATURE,
                    },
                }
                f.write(json.dumps(row) + "\n")


LOOP = """import json, sys
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
        n += 1
print(n)
"""


def measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{argv[:4]} failed ({code}): {stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def spread(values: list[float], fmt: str) -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=15_625)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="write the file here (and reuse it if present)")
    args = parser.parse_args()
    rows = args.prompts * args.samples
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "scored.jsonl"
        if not path.exists():
            t = time.perf_counter()
            make(path, args.prompts, args.samples)
            print(f"made {path}: {rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t:.0f} s")
        ks = ",".join(str(k) for k in (1, 8, 64) if k <= args.samples)
        runs: dict[str, list[tuple[float, float]]] = {"eval": [], "loop": []}
        for _ in range(args.repeats):
            runs["loop"].append(measure([sys.executable, "-c", LOOP, str(path)]))
            command = [sys.executable, "-m", "verifiers", "eval", str(path), "--k", ks, "--json", "-q"]
            runs["eval"].append(measure(command))
        print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {rows:,} rows")
        print("| | rows/s | wall s | peak MB |")
        print("|---|---:|---:|---:|")
        for name, label in (("loop", "`json.loads` loop"), ("eval", f"`verify eval --k {ks} --json`")):
            walls = [w for w, _ in runs[name]]
            print(f"| {label} | {spread([rows / w for w in walls], '{:,.0f}')} | {spread(walls, '{:.1f}')} "
                  f"| {spread([m for _, m in runs[name]], '{:.0f}')} |")
        ratio = statistics.median(w for w, _ in runs["loop"]) / statistics.median(w for w, _ in runs["eval"])
        print(f"verify eval runs at {ratio:.2f}x the speed of the bare json.loads loop")


if __name__ == "__main__":
    main()
