"""The batch engine: order, dedupe, serial == pool, per-row deadlines, crashed workers."""

from __future__ import annotations

import pytest

from verifiers import ConfigError, ProcessPool, Serial, Status, WorkerCrashed

from toy_rewards import Toy


class Counting(Serial):
    def __init__(self) -> None:
        self.seen = 0

    def map(self, fn, items):
        self.seen += len(items)
        return super().map(fn, items)


def test_order_and_dedupe():
    backend = Counting()
    reward = Toy(backend=backend)
    texts = ["a", "b", "a", "a", "c"]
    out = reward(texts, target=["a", "a", "a", "b", "c"])
    assert out == [1.0, 0.0, 1.0, 0.0, 1.0]
    # ("a","a") appears twice: graded once; ("a","b") is a different pair.
    assert backend.seen == 4


def test_dedupe_with_unhashable_columns():
    backend = Counting()
    verdicts = Toy(backend=backend).score(["x", "x", "x"], target=[["a"], ["a"], ["b"]])
    assert backend.seen == 2 and len(verdicts) == 3


@pytest.fixture(scope="module")
def pool():
    with ProcessPool(jobs=2, timeout=2.0) as p:
        yield p


def test_pool_matches_serial(pool):
    texts = [str(i % 7) for i in range(60)]
    targets = [str(i % 5) for i in range(60)]
    serial = Toy().score(texts, target=targets)
    pooled = Toy(backend=pool).score(texts, target=targets)
    assert pooled == serial


def test_deadline_kills_only_the_stuck_row(pool):
    texts = ["1", "spin", "2", "sleep:0.1", "3"]
    verdicts = Toy(backend=pool).score(texts, target=["1", "1", "2", "x", "0"])
    assert [v.status for v in verdicts] == [
        Status.CORRECT, Status.TIMEOUT, Status.CORRECT, Status.INCORRECT, Status.INCORRECT
    ]
    assert verdicts[1].reward == 0.0  # a timeout is the model's fault: the low reward
    # The killed worker was replaced: the pool still works.
    assert Toy(backend=pool)(["ok"], target=["ok"]) == [1.0]


def test_timeout_uses_configured_low(pool):
    verdict = Toy(backend=pool, low=-1.0).score(["spin"], target=["x"])[0]
    assert verdict.reward == -1.0 and verdict.status is Status.TIMEOUT


def test_crash_raises_by_default():
    with ProcessPool(jobs=1) as p, pytest.raises(WorkerCrashed) as info:
        Toy(backend=p)(["1", "crash"], target=["1", "1"])
    assert info.value.index == 1
    assert isinstance(info.value, RuntimeError)


def test_crash_can_be_skipped():
    with ProcessPool(jobs=1, on_crash="skip") as p:
        verdicts = Toy(backend=p).score(["1", "crash", "2"], target=["1", "1", "2"])
    assert [v.reward for v in verdicts] == [1.0, None, 1.0]
    assert verdicts[1].status is Status.INFRA_ERROR


def test_workers_are_real_processes(pool):
    import os

    pids = {v.extracted for v in Toy(backend=pool).score(["pid"] * 1, target=["x"])}
    assert str(os.getpid()) not in pids


@pytest.mark.parametrize(
    "kwargs", [{"jobs": 0}, {"timeout": 0}, {"timeout": -1}, {"on_crash": "ignore"}, {"start_method": "fork"}]
)
def test_pool_rejects_bad_config(kwargs):
    with pytest.raises(ConfigError):
        ProcessPool(**kwargs)


def test_pool_pickles_without_its_workers(pool):
    import pickle

    copy = pickle.loads(pickle.dumps(pool))
    assert copy._workers == [] and copy.timeout == pool.timeout
    assert Toy(backend=copy)(["a"], target=["a"]) == [1.0]
    copy.close()


def test_no_signal_alarm_in_the_package():
    from pathlib import Path

    import verifiers

    root = Path(verifiers.__file__).parent
    offenders = [p for p in root.rglob("*.py") if "signal.alarm" in p.read_text() or "SIGALRM" in p.read_text()]
    assert offenders == []


def test_a_stuck_row_in_a_chunk_costs_only_that_row():
    """Rows travel in chunks; the stuck row is killed alone and the rest of its chunk is graded."""
    texts = ["1", "2", "spin", "3", "4", "5", "crash", "6"]
    with ProcessPool(jobs=1, timeout=1.0, chunk_size=8, on_crash="skip") as p:
        verdicts = Toy(backend=p).score(texts, target=["1", "2", "x", "3", "0", "5", "x", "6"])
    assert [v.status for v in verdicts] == [
        Status.CORRECT, Status.CORRECT, Status.TIMEOUT, Status.CORRECT,
        Status.INCORRECT, Status.CORRECT, Status.INFRA_ERROR, Status.CORRECT,
    ]


def test_workers_live_across_calls_and_keep_their_function(pool):
    """The pool's workers serve many calls (no process per row or per call)."""
    first = {v.extracted for v in Toy(backend=pool).score(["pid"] * 40, target=["x"] * 40)}
    again = {v.extracted for v in Toy(backend=pool).score(["pid"] * 40, target=[str(i) for i in range(40)])}
    assert len(first | again) <= 2


def test_a_kernel_bug_raises_in_the_caller_and_the_pool_survives(pool):
    from toy_rewards import Broken

    with pytest.raises(ZeroDivisionError):
        Broken(backend=pool)(["a", "boom", "b"], target=["a", "a", "b"])
    assert Toy(backend=pool)(["ok"], target=["ok"]) == [1.0]


def test_close_from_another_thread_stops_a_running_map():
    """Ctrl-C in the CLI closes the pool while its scoring thread is inside map()."""
    import threading
    import time

    from verifiers.errors import InfrastructureError

    p = ProcessPool(jobs=1)  # no deadline: only close() can end the stuck row
    errors = []

    def grade():
        try:
            Toy(backend=p)(["spin"], target=["x"])
        except InfrastructureError as exc:
            errors.append(exc)

    thread = threading.Thread(target=grade)
    thread.start()
    time.sleep(1.0)  # let the worker start the row
    p.close()
    thread.join(timeout=30)
    assert not thread.is_alive() and len(errors) == 1
    assert Toy(backend=p)(["ok"], target=["ok"]) == [1.0]  # the pool is usable again
    p.close()


# -- concurrent calls on one pool ---------------------------------------------------------------


def _in_thread(fn):
    """Run ``fn`` in a thread; returns a function that joins it and gives (result, error, end time)."""
    import threading
    import time

    box: dict = {}

    def run():
        try:
            box["result"] = fn()
        except BaseException as exc:
            box["error"] = exc
        box["end"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()

    def join(timeout=120):
        thread.join(timeout)
        assert not thread.is_alive(), "the call did not return"
        return box.get("result"), box.get("error"), box["end"]

    return join


def test_a_slow_call_does_not_hold_up_a_fast_one():
    """Two threads share a pool of 2: a call whose rows sleep 3 s, then one of fast rows. The
    fast call gets a worker in turn and returns long before the slow one (it used to wait)."""
    import time

    with ProcessPool(jobs=2, timeout=30) as p:
        Toy(backend=p)(["warm", "up"], target=["x", "y"])  # both workers started
        slow = _in_thread(lambda: Toy(backend=p)(["sleep:3"] * 4, target=["x"] * 4))
        time.sleep(0.3)
        fast = _in_thread(lambda: Toy(backend=p)([str(i) for i in range(20)], target=[str(i) for i in range(20)]))
        fast_result, fast_error, fast_end = fast()
        slow_result, slow_error, slow_end = slow()
    assert fast_error is None and slow_error is None
    assert fast_result == [1.0] * 20 and slow_result == [0.0] * 4
    assert slow_end - fast_end > 1.5  # the fast call finished while the slow rows still slept


def test_concurrent_calls_get_their_own_results_and_errors():
    """Many threads at once: each gets its own rows back in order; a crash (on_crash='raise')
    raises in the call whose row crashed, and the others are graded."""
    with ProcessPool(jobs=2, timeout=30) as p:
        joins = []
        for t in range(6):
            texts = [f"{t}-{i}" for i in range(15)]
            targets = [f"{t}-{i}" if i % 2 else "no" for i in range(15)]
            joins.append((t, _in_thread(lambda texts=texts, targets=targets: Toy(backend=p)(texts, target=targets))))
        crash = _in_thread(lambda: Toy(backend=p)(["a", "crash", "b"], target=["a", "a", "a"]))
        for _, join in joins:
            result, error, _ = join()
            assert error is None
            assert result == [1.0 if i % 2 else 0.0 for i in range(15)]
        _, error, _ = crash()
        assert isinstance(error, WorkerCrashed) and error.index == 1
        assert Toy(backend=p)(["ok"], target=["ok"]) == [1.0]  # the pool still works
