"""Load test of ``verify serve`` on localhost, as OpenRLHF's client uses it.

Run: python benchmarks/bench_serve.py [--requests 1000] [--batch 64] [--concurrency 16] [--jobs 0]

Starts ``verify serve -r accuracy -r format:0.1`` in a subprocess, then two runs of
``--requests`` POST /get_reward requests of ``--batch`` completions each (R1-style completions
with distinct boxed answers, half of them right), ``--concurrency`` client threads with one
keep-alive connection each:

1. every request well-formed: counts failures (anything but 200 with one reward per query and
   the expected values), p50/p90/p99/max latency, requests/s and completions/s;
2. the same with 5% malformed requests (not JSON, no query, lists of different lengths, wrong
   content type, too many queries, in turn): each must get a 4xx, and every well-formed one must
   still succeed.

Exits 1 when a well-formed request fails or a malformed one gets anything but a 4xx.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

PROMPT = "<|im_start|>user\nSolve the problem. Put the final answer in \\boxed{}.<|im_end|>\n<|im_start|>assistant\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_request(index: int, batch: int) -> tuple[dict, list[float]]:
    queries, labels, expected = [], [], []
    for j in range(batch):
        answer = index * batch + j
        right = j % 2 == 0
        shown = answer if right else answer + 1
        text = f"<think>Let me compute step {j}: {answer} = {answer}.</think>\n<answer>\\boxed{{{shown}}}</answer>"
        queries.append(PROMPT + text + "<|im_end|>")
        labels.append(str(answer))
        expected.append(1.1 if right else 0.1)
    return {"query": queries, "prompts": [PROMPT] * batch, "labels": labels}, expected


MALFORMED = [
    ("not-json", lambda body: (b"{" + json.dumps(body).encode()[:100], "application/json")),
    ("no-query", lambda body: (json.dumps({"prompts": body["prompts"]}).encode(), "application/json")),
    ("lengths", lambda body: (json.dumps({**body, "labels": body["labels"][:-1]}).encode(), "application/json")),
    ("content-type", lambda body: (json.dumps(body).encode(), "application/x-www-form-urlencoded")),
    ("too-many", lambda body: (json.dumps({"query": ["x"] * 10_000}).encode(), "application/json")),
]


class Client(threading.local):
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def post(self, data: bytes, content_type: str) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request("POST", "/get_reward", body=data, headers={"Content-Type": content_type})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def run(port: int, requests: int, batch: int, concurrency: int, malformed_share: float) -> dict:
    client = Client(port)
    every = round(1 / malformed_share) if malformed_share else 0
    jobs = []
    for i in range(requests):
        body, expected = make_request(i, batch)
        if every and i % every == every - 1:
            kind, make = MALFORMED[(i // every) % len(MALFORMED)]
            data, content_type = make(body)
            jobs.append((kind, data, content_type, None))
        else:
            jobs.append(("ok", json.dumps(body).encode(), "application/json", expected))

    def one(job: tuple) -> tuple[str, float, bool]:
        kind, data, content_type, expected = job
        start = time.perf_counter()
        status, text = client.post(data, content_type)
        elapsed = time.perf_counter() - start
        if kind == "ok":
            ok = status == 200 and [round(r, 6) for r in json.loads(text)["rewards"]] == expected
        else:
            ok = 400 <= status < 500 and "error" in json.loads(text)
        return kind, elapsed, ok

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, jobs))
    wall = time.perf_counter() - start
    good = [r for r in results if r[0] == "ok"]
    bad = [r for r in results if r[0] != "ok"]
    latencies = sorted(e * 1000 for _, e, _ in good)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {
        "requests": requests,
        "well_formed": len(good),
        "well_formed_failed": sum(not ok for _, _, ok in good),
        "malformed": len(bad),
        "malformed_without_4xx": sum(not ok for _, _, ok in bad),
        "p50_ms": round(pct(0.50), 1),
        "p90_ms": round(pct(0.90), 1),
        "p99_ms": round(pct(0.99), 1),
        "max_ms": round(latencies[-1], 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "wall_s": round(wall, 2),
        "requests_per_s": round(requests / wall, 1),
        "completions_per_s": round(len(good) * batch / wall),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=0, help="verify serve --jobs")
    args = parser.parse_args()
    port = _free_port()
    command = [sys.executable, "-m", "verifiers", "serve", "-r", "accuracy", "-r", "format:0.1",
               "--port", str(port), "--log-level", "warning", "--jobs", str(args.jobs)]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        print(f"# verify serve, {platform.python_version()}, {os.cpu_count()} CPUs, jobs={args.jobs}, "
              f"{args.requests} requests x {args.batch} completions, concurrency {args.concurrency}")
        run(port, 50, args.batch, args.concurrency, 0.0)  # warm-up (imports, parser tables)
        clean = run(port, args.requests, args.batch, args.concurrency, 0.0)
        print("well-formed only:", json.dumps(clean))
        mixed = run(port, args.requests, args.batch, args.concurrency, 0.05)
        print("5% malformed:    ", json.dumps(mixed))
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    if "Traceback" in err:
        print(err, file=sys.stderr)
        return 1
    failed = clean["well_formed_failed"] + mixed["well_formed_failed"] + mixed["malformed_without_4xx"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
