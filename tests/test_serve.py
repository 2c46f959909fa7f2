"""`verify serve`: a real server (the CLI, in a subprocess) spoken to over HTTP as OpenRLHF's
client does (``openrlhf/utils/agent.py``, ``_fetch_rewards_via_http``: POST JSON
``{"query", "prompts", "labels"}`` to ``--remote_rm_url``, ``raise_for_status()``, then read
``rewards``, ``scores`` and ``extra_logs`` of the JSON answer)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from optional import require

pytestmark = pytest.mark.slow

PROMPT = "<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n"
GOOD = PROMPT + "<think>1+1</think>\n<answer>\\boxed{2}</answer><|im_end|>"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        require("starlette", "uvicorn", install="pip install 'reasoning-verifiers[serve]'")
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "verifiers", "serve", "--port", str(self.port), "--log-level", "warning", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited: {self.proc.communicate()}")
            try:
                if self.request("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not start")

    def request(self, method, path, body=None, headers=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
            response = conn.getresponse()
            text = response.read()
            return response.status, (json.loads(text) if text else None)
        finally:
            conn.close()

    def post(self, body=None, **kw):
        return self.request("POST", "/get_reward", body, **kw)

    def stop(self) -> int:
        """SIGTERM; uvicorn shuts down gracefully, then re-raises the signal (exit status -15)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, self.stderr = self.proc.communicate(timeout=30)
        return self.proc.returncode


@pytest.fixture(scope="module")
def server():
    s = Server("-r", "accuracy", "-r", "format:0.5", "--max-body-mb", "0.05", "--max-queries", "100")
    yield s
    assert s.stop() in (0, -signal.SIGTERM)


def test_openrlhf_request(server):
    status, body = server.post({"query": [GOOD, PROMPT + "3"], "prompts": [PROMPT, PROMPT], "labels": ["2", "2"]})
    assert status == 200
    assert body["rewards"] == [1.5, 0.0] and body["scores"] == [1.5, 0.0]
    assert body["extra_logs"]["accuracy/correct"] == [1.0, 0.0]
    assert body["extra_logs"]["format/bad_format"] == [0.0, 1.0]
    assert body["extra_logs"]["total/scored"] == [1.0, 1.0] or body["extra_logs"]["total/correct"][0] in (0.0, 1.0)
    assert server.request("GET", "/health")[1]["status"] == "ok"


def test_concurrent_requests_are_batched(server):
    before = server.request("GET", "/health")[1]
    payload = {"query": [GOOD], "prompts": [PROMPT], "labels": ["2"]}
    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(lambda _: server.post(payload), range(64)))
    assert all(status == 200 and body["rewards"] == [1.5] for status, body in results)
    after = server.request("GET", "/health")[1]
    assert after["requests_served"] - before["requests_served"] == 64
    assert after["batches_graded"] - before["batches_graded"] < 64  # requests were graded together


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"raw": b"{not json"}, 400, "not valid JSON"),
        ({"body": [1, 2]}, 422, "JSON object"),
        ({"body": {"prompts": ["a"]}}, 422, "'query' must be a list"),
        ({"body": {"query": "one string"}}, 422, "'query' must be a list"),
        ({"body": {"query": [1]}}, 422, "string"),
        ({"body": {"query": ["a", "b"], "labels": ["1"]}}, 422, "one value per query"),
        ({"body": {"query": [GOOD], "prompts": [PROMPT], "labels": [None]}}, 422, "missing_column"),
        ({"body": {"query": ["x"] * 101}}, 413, "at most 100"),
        ({"raw": b'{"query": ["' + b"x" * 60_000 + b'"]}'}, 413, "bytes"),
        ({"body": {"query": ["x"]}, "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 415, "JSON"),
    ],
    ids=["not-json", "not-object", "no-query", "query-string", "query-ints", "lengths", "no-label", "too-many",
         "too-big", "content-type"],
)
def test_bad_requests_get_a_4xx_and_the_server_keeps_serving(server, kwargs, status, message):
    got, body = server.post(**kwargs)
    assert got == status, body
    assert message in body["error"]
    assert server.post({"query": [GOOD], "prompts": [PROMPT], "labels": ["2"]}) == (200, {
        "rewards": [1.5], "scores": [1.5], "extra_logs": server.post(
            {"query": [GOOD], "prompts": [PROMPT], "labels": ["2"]})[1]["extra_logs"],
    })


def test_wrong_method_and_path(server):
    assert server.request("GET", "/get_reward")[0] == 405
    assert server.request("POST", "/nowhere", {})[0] == 404


def test_graceful_shutdown_finishes_requests_in_flight():
    server = Server("--none", "0", "--batch-wait-ms", "1500")  # the request waits 1.5 s in the batcher
    payload = {"query": [PROMPT + f"\\boxed{{{i}}}" for i in range(500)], "prompts": [PROMPT] * 500,
               "labels": [str(i % 7) for i in range(500)]}
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(server.post, payload)
        time.sleep(0.5)  # the request is waiting in the batcher
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        status, body = future.result(timeout=60)
        assert time.monotonic() - started > 0.5  # it was still in flight when the signal came
    assert status == 200 and len(body["rewards"]) == 500
    assert body["rewards"][:8] == [1.0] * 7 + [0.0]
    assert server.stop() in (0, -signal.SIGTERM)
    assert "Traceback" not in server.stderr


def test_unknown_reward_is_a_usage_error():
    require("starlette", "uvicorn", install="pip install 'reasoning-verifiers[serve]'")
    proc = subprocess.run([sys.executable, "-m", "verifiers", "serve", "-r", "nope"], capture_output=True, text=True,
                          timeout=60, env={**os.environ})
    assert proc.returncode == 2 and "nope" in proc.stderr


def test_ray_backend_with_a_deadline():
    require("ray", install="pip install 'reasoning-verifiers[ray]'")
    server = Server("--backend", "ray", "--jobs", "1", "--timeout", "30")
    try:
        payload = {"query": [GOOD, PROMPT + "\\boxed{3}"], "prompts": [PROMPT] * 2, "labels": ["2"] * 2}
        status, body = server.post(payload)
        assert status == 200 and body["rewards"] == [1.0, 0.0]
        health = server.request("GET", "/health")[1]
        assert health["status"] == "ok" and health["backend"].startswith("Ray(jobs=1, timeout=30.0")
    finally:
        assert server.stop() in (0, -signal.SIGTERM)


def test_serves_a_router_of_your_own_with_options(tmp_path):
    """`verify serve -r module:attr --set ...`: a Router built in the user's code; each row's
    route comes from its JSON label; options reach the reward they name."""
    (tmp_path / "served_routes.py").write_text(
        "from verifiers import MathAccuracy, Router, format_reward\n"
        "def make(low=0.0):\n"
        "    return Router({'gsm8k': MathAccuracy(low=low)}, default=format_reward)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    server = Server("-r", "served_routes:make", "--set", "served_routes:make.low=-1", "--none", "-5", env=env)
    try:
        status, body = server.post({
            "query": [PROMPT + "#### 2", PROMPT + "#### 3", PROMPT + "<think>x</think><answer>y</answer>", PROMPT],
            "prompts": [PROMPT] * 4,
            "labels": [
                '{"data_source": "gsm8k", "solution": "2"}', '{"data_source": "gsm8k", "solution": "2"}',
                '{"data_source": "chat"}', "2",
            ],
        })
        assert status == 200, body
        # right, wrong (low=-1 from --set), the default route (format), no route key (-5: --none)
        assert body["rewards"] == [1.0, -1.0, 1.0, -5.0]
        assert body["extra_logs"]["router/missing_column"] == [0.0, 0.0, 0.0, 1.0]
    finally:
        server.stop()
