"""`RemoteReward`: scoring through an HTTP reward server (OpenRLHF's protocol).

Against a real `verify serve -r accuracy` (a subprocess, as in test_serve.py): the same floats
and statuses as `accuracy_reward` computed here. Against small stdlib servers in a thread,
scripted to fail: retries with backoff (503, 429, timeouts, refused connections), broken
answers (infra faults, never 0.0), rejected rows (422: the data's fault), other 4xx (never
retried, never skipped)."""

from __future__ import annotations

import asyncio
import json
import pickle
import threading
import time
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from test_serve import Server, _free_port
from verifiers import (
    ConfigError,
    InfrastructureError,
    InputError,
    RemoteConfig,
    RemoteReward,
    Status,
    accuracy_reward,
    get_reward,
)
from verifiers.base import VerifiersWarning

FAST = {"timeout": 2.0, "backoff": 0.01, "max_backoff": 0.05}

# -- a real `verify serve` -----------------------------------------------------------------------

COMPLETIONS = [
    r"The sum is \boxed{2}.",  # correct
    r"\boxed{3}",  # wrong
    "I do not know.",  # no answer
    [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": r"so \boxed{4}"}],  # conversational
    [{"role": "assistant", "content": r"\boxed{5}"}],  # conversational, wrong
    "<think>hm</think><answer>\\frac{1}{2}</answer>",  # correct (0.5)
    r"\boxed{x^2+1}",  # correct, symbolic
    "",  # empty: the model's fault
    r"\boxed{7}",  # no reference: None, never sent
    r"\boxed{10}",  # correct
    r"the answer is 11",  # correct (phrase)
]
SOLUTIONS = ["2", "2", "2", "4", "4", "0.5", "1+x^2", "1", None, "10", "11"]
PROMPTS = [
    "What is 1+1?\n",
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "1+1?"}],
    "Q",
    [{"role": "user", "content": "2+2?"}],
    "",
    "Half of one?",
    [{"role": "user", "content": [{"type": "text", "text": "Expand"}]}],
    "Q",
    "Q",
    "Q",
    None,
]


@pytest.fixture(scope="module")
def served():
    server = Server("-r", "accuracy")
    yield server
    server.stop()


def _served(server, **kw) -> RemoteReward:
    return RemoteReward(url=f"http://127.0.0.1:{server.port}/get_reward", **{**FAST, **kw})


def test_same_values_and_statuses_as_local_accuracy(served):
    local = accuracy_reward.score(COMPLETIONS, solution=SOLUTIONS, prompts=PROMPTS)
    assert [v.status for v in local].count(Status.CORRECT) >= 5  # the rows test something
    before = served.request("GET", "/health")[1]["requests_served"]
    remote = _served(served, batch_size=3, concurrency=3)  # 10 rows sent: 4 requests
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        verdicts = remote.score(COMPLETIONS, solution=SOLUTIONS, prompts=PROMPTS)
    assert [v.reward for v in verdicts] == [v.reward for v in local]
    assert [v.status for v in verdicts] == [v.status for v in local]
    assert served.request("GET", "/health")[1]["requests_served"] - before == 4
    floats = remote(completions=COMPLETIONS, solution=SOLUTIONS, prompts=PROMPTS, trainer_state=None)
    assert floats == accuracy_reward(completions=COMPLETIONS, solution=SOLUTIONS, prompts=PROMPTS)
    assert floats[8] is None and verdicts[8].status is Status.MISSING_COLUMN


def test_concurrent_calls_threads_and_awaited(served):
    remote = _served(served, batch_size=2, concurrency=2)
    expected = accuracy_reward(completions=COMPLETIONS, solution=SOLUTIONS)
    shifted = COMPLETIONS[1:] + COMPLETIONS[:1], SOLUTIONS[1:] + SOLUTIONS[:1]
    jobs = [(COMPLETIONS, SOLUTIONS), shifted] * 4
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda job: remote(completions=job[0], solution=job[1]), jobs))
    assert results == [expected, expected[1:] + expected[:1]] * 4

    async def main():
        return await asyncio.gather(*(remote.acall(c, solution=s) for c, s in jobs))

    assert asyncio.run(main()) == results


def test_a_row_without_a_usable_reference(served):
    completions, solutions = [r"\boxed{2}", r"\boxed{2}", r"\boxed{3}", r"\boxed{2}"], ["2", "", "3", "1"]
    # verify serve answers 422 for the whole request; the request is split until the row is found
    verdicts = _served(served, batch_size=4).score(completions, solution=solutions)
    assert [v.reward for v in verdicts] == [1.0, None, 1.0, 0.0]
    assert verdicts[1].status is Status.MALFORMED_INPUT and "422" in verdicts[1].detail
    assert [v.reward for v in verdicts] == accuracy_reward(completions, solution=solutions)
    with pytest.raises(InputError, match="bad_reference"):
        _served(served, on_reject="raise")(completions, solution=solutions)


def test_pickled_copy_scores_the_same(served):
    remote = _served(served, batch_size=4, concurrency=2)
    copy = pickle.loads(pickle.dumps(remote))
    assert copy == remote and copy.signature() == remote.signature() and copy.__name__ == remote.__name__
    assert copy(COMPLETIONS, solution=SOLUTIONS) == remote(COMPLETIONS, solution=SOLUTIONS)


# -- scripted servers ------------------------------------------------------------------------------


class Fake:
    """A stdlib HTTP server in a thread. ``answer(n, payload)`` (``n``: 0-based request count)
    returns ``(status, body)`` or ``(status, body, headers, delay)``."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.payloads: list[dict] = []
        self.headers: list[dict] = []
        self.lock = threading.Lock()
        self.inflight = self.max_inflight = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    n = len(fake.payloads)
                    fake.payloads.append(payload)
                    fake.headers.append(dict(self.headers))
                    fake.inflight += 1
                    fake.max_inflight = max(fake.max_inflight, fake.inflight)
                try:
                    answer = fake.answer(n, payload)
                    status, body, headers, delay = (*answer, *(None, None, {}, 0.0)[len(answer):])
                    time.sleep(delay)
                    data = body if isinstance(body, bytes) else json.dumps(body).encode()
                    self.send_response(status)
                    for key, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    with fake.lock:
                        fake.inflight -= 1

            def log_message(self, *args):
                pass

        class Quiet(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):  # the client hung up (timeouts): fine
                pass

        self.server = Quiet(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/get_reward"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    @property
    def count(self) -> int:
        return len(self.payloads)

    def reward(self, **kw) -> RemoteReward:
        return RemoteReward(url=self.url, label_column=None, **{**FAST, **kw})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    servers = []

    def make(answer):
        servers.append(Fake(answer))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def lengths(payload):
    """The answer of a well-behaved server: each query's length / 100."""
    return {"rewards": [len(q) / 100 for q in payload["query"]], "scores": [], "extra_logs": {}}


TEXTS = ["a", "bb", "ccc", "dddd", "eeeee"]
VALUES = [0.01, 0.02, 0.03, 0.04, 0.05]


def test_order_is_kept_over_concurrent_requests(fake):
    # later requests answer sooner, so they finish out of order
    server = fake(lambda n, p: (200, lengths(p), {}, 0.2 if "a" in p["query"] else 0.0))
    reward = server.reward(batch_size=1, concurrency=5)
    assert reward(TEXTS) == VALUES
    assert server.count == 5 and server.max_inflight > 1
    assert reward([]) == [] and server.count == 5


def test_the_payload_prompts_labels_and_headers(fake):
    server = fake(lambda n, p: (200, lengths(p)))
    reward = RemoteReward(url=server.url, headers={"Authorization": "Bearer s3cret"}, **FAST)
    prompts = ["P: ", [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]]
    completions = ["x", [{"role": "user", "content": "U"}, {"role": "assistant", "content": "y"}]]
    reward(completions, solution=["1", {"k": 2}], prompts=prompts)
    sent = {"query": ["P: x", "S\nUy"], "prompts": ["P: ", "S\nU"], "labels": ["1", {"k": 2}]}
    assert server.payloads[-1] == sent
    assert server.headers[-1]["Authorization"] == "Bearer s3cret"
    assert "s3cret" not in reward.signature() + repr(reward) + repr(pickle.loads(pickle.dumps(reward)))
    assert "headers:Authorization" in reward.signature()
    # no label column: no labels key; prompts empty when not passed
    server.reward()(["z"])
    assert server.payloads[-1] == {"query": ["z"], "prompts": [""]}


def test_a_missing_label_column_is_never_sent(fake):
    server = fake(lambda n, p: (200, lengths(p)))
    reward = RemoteReward(url=server.url, label_column="answer", **FAST)
    with pytest.warns(VerifiersWarning, match="answer"):
        assert reward(["a", "b"]) == [None, None]
    assert reward(["a", "b", "c"], answer=["x", None, float("nan")]) == [0.01, None, None]
    assert server.count == 1 and server.payloads[0]["labels"] == ["x"]


def test_older_answers_a_bare_list_or_rewards_only(fake):
    answers = iter([[1, 0.5, 0], {"rewards": [0, 1, 0.25]}])
    server = fake(lambda n, p: (200, next(answers)))
    reward = server.reward()
    assert reward(["a", "b", "c"]) == [1.0, 0.5, 0.0]
    verdicts = reward.score(["a", "b", "c"])
    assert [v.reward for v in verdicts] == [0.0, 1.0, 0.25]
    assert all(v.status is Status.SCORED and isinstance(v.reward, float) for v in verdicts)


@pytest.mark.parametrize("status", [503, 429, 500, 502])
def test_busy_server_is_retried_with_backoff(fake, status):
    server = fake(lambda n, p: (status, {"error": "busy"}) if n < 2 else (200, lengths(p)))
    assert server.reward(retries=2)(TEXTS) == VALUES
    assert server.count == 3


def test_retries_give_up_with_an_infra_fault_never_zero(fake):
    server = fake(lambda n, p: (503, {"error": "overloaded: retry later"}))
    with pytest.raises(InfrastructureError, match=r"3 attempts \(HTTP 503: overloaded"):
        server.reward(retries=2)(TEXTS)
    assert server.count == 3
    verdicts = server.reward(retries=1, on_error="skip").score(TEXTS)
    assert server.count == 5
    assert [v.reward for v in verdicts] == [None] * 5
    assert all(v.status is Status.INFRA_ERROR and "503" in v.detail for v in verdicts)


def test_backoff_grows_and_honours_retry_after(fake):
    server = fake(lambda n, p: (429, {"error": "slow down"}, {"Retry-After": "0.3"}) if n == 0 else (200, lengths(p)))
    start = time.monotonic()
    assert server.reward(retries=1, max_backoff=1.0)(["a"]) == [0.01]
    assert time.monotonic() - start >= 0.3
    server = fake(lambda n, p: (503, {}))
    start = time.monotonic()
    with pytest.raises(InfrastructureError):
        server.reward(retries=3, backoff=0.1, max_backoff=1.0)(["a"])
    assert time.monotonic() - start >= 0.05 + 0.1 + 0.2  # at least half of 0.1, 0.2, 0.4


def test_connection_refused_is_retried_then_an_infra_fault(monkeypatch):
    calls = []
    urlopen = urllib.request.urlopen
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: calls.append(1) or urlopen(*a, **k))
    url = f"http://127.0.0.1:{_free_port()}/get_reward"  # nobody listens there
    reward = RemoteReward(url=url, label_column=None, retries=2, **{**FAST, "timeout": 1.0})
    with pytest.raises(InfrastructureError, match=r"3 attempts.*(Refused|refused)"):
        reward(TEXTS)
    assert len(calls) == 3
    verdicts = RemoteReward(url=url, label_column=None, retries=0, on_error="skip", **FAST).score(TEXTS)
    assert [(v.reward, v.status) for v in verdicts] == [(None, Status.INFRA_ERROR)] * 5
    assert len(calls) == 4


def test_a_timeout_is_retried_then_an_infra_fault(fake):
    server = fake(lambda n, p: (200, lengths(p), {}, 1.0))
    start = time.monotonic()
    with pytest.raises(InfrastructureError, match=r"2 attempts.*timed out"):
        server.reward(timeout=0.2, retries=1)(["a"])
    assert time.monotonic() - start < 0.9 and server.count == 2
    verdicts = server.reward(timeout=0.2, retries=0, on_error="skip").score(["a"])
    assert verdicts[0].reward is None and verdicts[0].status is Status.INFRA_ERROR
    # slow once, then fast: the retry succeeds
    server = fake(lambda n, p: (200, lengths(p), {}, 1.0 if n == 0 else 0.0))
    assert server.reward(timeout=0.2, retries=1)(["a"]) == [0.01] and server.count == 2


@pytest.mark.parametrize(
    "answer",
    [
        {"rewards": [0.1, 0.2]},  # wrong number
        {"rewards": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]},
        {"rewards": [0.1, "0.2", 0.3, 0.4, 0.5]},  # not numbers
        {"rewards": [0.1, None, 0.3, 0.4, 0.5]},
        {"rewards": [0.1, True, 0.3, 0.4, 0.5]},
        b'{"rewards": [0.1, NaN, 0.3, 0.4, 0.5]}',  # not finite
        b'{"rewards": [0.1, Infinity, 0.3, 0.4, 0.5]}',
        {"rewards": [0.1, 2.0, 0.3, 0.4, 0.5]},  # outside [low, high]
        {"scores": [0.1, 0.2, 0.3, 0.4, 0.5]},  # no rewards
        b"<html>Bad gateway</html>",  # not JSON
    ],
    ids=["short", "long", "string", "null", "bool", "nan", "inf", "range", "no-rewards", "html"],
)
def test_a_broken_answer_is_an_infra_fault_not_retried(fake, answer):
    server = fake(lambda n, p: (200, answer))
    with pytest.raises(InfrastructureError):
        server.reward(retries=3)(TEXTS)
    assert server.count == 1
    verdicts = server.reward(on_error="skip").score(TEXTS)
    assert all(v.reward is None and v.status is Status.INFRA_ERROR for v in verdicts)


def test_out_of_range_values_can_be_clipped(fake):
    server = fake(lambda n, p: (200, {"rewards": [-0.5, 0.5, 1.5]}))
    assert server.reward(out_of_range="clip")(["a", "b", "c"]) == [0.0, 0.5, 1.0]
    assert server.reward(low=-1.0, high=2.0)(["a", "b", "c"]) == [-0.5, 0.5, 1.5]


def test_rejected_rows_are_found_by_splitting_and_not_retried(fake):
    def answer(n, p):
        if any("bad" in q for q in p["query"]):
            return 422, {"error": "query 0: no reward for this row (bad_reference)"}
        return 200, lengths(p)

    server = fake(answer)
    texts = ["a", "bad1", "ccc", "dddd", "eeeee", "ffffff", "bad2", "hh"]
    verdicts = server.reward(batch_size=8, retries=3).score(texts)
    assert [v.reward for v in verdicts] == [0.01, None, 0.03, 0.04, 0.05, 0.06, None, 0.02]
    assert verdicts[1].status is Status.MALFORMED_INPUT and "bad_reference" in verdicts[1].detail
    assert server.count == 1 + 2 + 4 + 4  # the request, its halves, quarters, and the bad rows alone
    before = server.count
    with pytest.raises(InputError, match=r"HTTP 422.*bad_reference"):
        server.reward(on_reject="raise", retries=3)(texts)
    assert server.count == before + 1  # neither retried nor split


def test_a_request_too_large_is_split(fake):
    server = fake(lambda n, p: (413, {"error": "too big"}) if len(p["query"]) > 2 else (200, lengths(p)))
    assert server.reward(batch_size=5, on_reject="raise")(TEXTS) == VALUES


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 415])
def test_other_4xx_is_a_config_error_never_retried_or_skipped(fake, status):
    server = fake(lambda n, p: (status, {"error": "nope"}))
    with pytest.raises(ConfigError, match=f"HTTP {status} \\(nope\\)"):
        server.reward(retries=3, on_error="skip", on_reject="skip")(TEXTS)
    assert server.count == 1


def test_the_first_failure_stops_the_requests_not_yet_sent(fake):
    server = fake(lambda n, p: (404, {}) if n == 0 else (200, lengths(p), {}, 0.1))
    with pytest.raises(ConfigError):
        server.reward(batch_size=1, concurrency=2)(["a"] * 40)
    assert server.count < 10


def test_statuses_come_from_verify_serves_extra_logs(fake):
    logs = {"total/correct": [1.0, 0.0], "total/incorrect": [0.0, 1.0], "format/correct": [1.0, 1.0],
            "total/missing_column": [0.0, 0.0]}
    server = fake(lambda n, p: (200, {"rewards": [1.0, 0.0], "extra_logs": logs}))
    assert [v.status for v in server.reward().score(["a", "b"])] == [Status.CORRECT, Status.INCORRECT]
    server = fake(lambda n, p: (200, {"rewards": [1.0, 0.0], "extra_logs": {"x/correct": [1, 0], "y/correct": [0, 1]}}))
    assert [v.status for v in server.reward().score(["a", "b"])] == [Status.SCORED, Status.SCORED]


# -- config ----------------------------------------------------------------------------------------


def test_config_and_registry():
    url = "http://gpu-box:8000/get_reward"
    reward = get_reward("remote", url=url, reward_name="rm", high=1.5, headers=[("X-Key", "k")])
    assert isinstance(reward, RemoteReward) and reward.__name__ == "rm" and reward.reward_range == (0.0, 1.5)
    assert reward.config.headers == (("X-Key", "k"),) and hash(reward) == hash(pickle.loads(pickle.dumps(reward)))
    assert RemoteReward(RemoteConfig(url="https://h/r"), label_column=None, prompt_column=None).columns == ()
    with pytest.raises(ConfigError, match="url"):
        RemoteReward()
    for bad in [{"url": "ftp://h/x"}, {"url": "h:8000"}, {"batch_size": 0}, {"concurrency": 0}, {"retries": -1},
                {"timeout": 0}, {"on_error": "ignore"}, {"headers": {"X": "a\r\nB: c"}}, {"label_column": ""},
                {"headers": "Authorization: x"}, {"headers": {"X": 1}}, {"headers": [("X",)]}]:
        with pytest.raises(ConfigError):
            RemoteReward(**{"url": "http://h/r", **bad})


def test_one_scoring_path():
    """What the every-registered-reward tests check (they skip `remote`, which needs a server)."""
    from verifiers.base import BatchReward, RewardFunction

    assert issubclass(RemoteReward, BatchReward)
    for klass in RemoteReward.__mro__:
        if klass is RewardFunction:
            break
        assert not {"score", "__call__", "evaluate", "_evaluate"} & set(vars(klass)), klass
