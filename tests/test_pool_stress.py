"""Stress and race tests of the process pool shared by concurrent calls: every call gets its own
outcomes (or its own error), nothing hangs, no worker is leaked, close() from another thread,
a driver handing over (also after an exception), several functions, pickling, asyncio."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import random
import sys
import threading
import time
import types

import pytest

from verifiers import ProcessPool, Status, WorkerCrashed
from verifiers.errors import InfrastructureError

from toy_rewards import Broken, Toy

# -- helpers -------------------------------------------------------------------------------------


class Run:
    """``fn`` in a daemon thread; ``join`` fails the test on a hang (after closing ``pool`` so
    that the thread and the workers are released)."""

    def __init__(self, fn, name=None):
        self.result = self.error = self.end = None
        self.thread = threading.Thread(target=self._run, args=(fn,), name=name, daemon=True)
        self.thread.start()

    def _run(self, fn):
        try:
            self.result = fn()
        except BaseException as exc:
            self.error = exc
        self.end = time.monotonic()

    def join(self, timeout, pool=None, what="a call"):
        self.thread.join(timeout)
        if self.thread.is_alive():
            if pool is not None:
                pool.close()
            pytest.fail(f"{what} did not return within {timeout} s (a hang)")
        return self


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _worker_pids(pool: ProcessPool) -> set[int]:
    return {w.process.pid for w in pool._workers}


def _assert_no_leak(pool: ProcessPool, seen: set[int]) -> None:
    """At most ``jobs`` live workers, all of them the pool's; every other pid seen is gone."""
    live = _worker_pids(pool)
    assert len(live) <= pool.jobs, live
    assert all(w.process.is_alive() for w in pool._workers)
    multiprocessing.active_children()  # reap
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in seen - live):
        time.sleep(0.05)
    assert not [p for p in seen - live if _alive(p)], "worker processes leaked"


def _expected(texts, targets, on_crash="skip"):
    """Toy's outcome per row: status name (or a crash error for on_crash='raise')."""
    out = []
    for text, target in zip(texts, targets):
        if text == "spin":
            out.append(Status.TIMEOUT)
        elif text == "crash":
            out.append(Status.INFRA_ERROR)
        else:
            out.append(Status.CORRECT if text == target else Status.INCORRECT)
    return out


# -- many threads, mixed rows, many rounds -----------------------------------------------------------


@pytest.mark.slow
def test_many_threads_mixed_rows_each_gets_its_own_outcomes():
    rng = random.Random(1234)
    seen: set[int] = set()
    with ProcessPool(jobs=2, timeout=0.6, on_crash="skip") as skip, ProcessPool(jobs=2, timeout=0.6) as strict:
        start = time.monotonic()
        rounds = 0
        while time.monotonic() - start < 9:
            rounds += 1
            runs = []
            for t in range(10):
                kind = rng.choice(["fast", "fast", "sleep", "spin", "crash", "crash-raise", "pid"])
                n = rng.randint(1, 12)
                texts = [f"{rounds}-{t}-{i}" for i in range(n)]
                targets = [text if i % 3 else "no" for i, text in enumerate(texts)]
                pool = skip
                if kind == "sleep":
                    texts[rng.randrange(n)] = "sleep:0.05"
                elif kind == "spin":
                    texts[rng.randrange(n)] = "spin"
                elif kind == "crash":
                    texts[rng.randrange(n)] = "crash"
                elif kind == "crash-raise":
                    texts[rng.randrange(n)] = "crash"
                    pool = strict
                elif kind == "pid":
                    texts, targets = ["pid"] * n, [str(i) for i in range(n)]
                runs.append((kind, texts, targets, pool, Run(
                    lambda texts=texts, targets=targets, pool=pool: Toy(backend=pool).score(texts, target=targets)
                )))
            for kind, texts, targets, pool, run in runs:
                run.join(30, pool=pool, what=f"a {kind} call")
                if kind == "crash-raise":
                    assert isinstance(run.error, WorkerCrashed), run.error
                    assert run.error.index == texts.index("crash")
                    continue
                assert run.error is None, (kind, run.error)
                if kind == "pid":
                    seen |= {int(v.extracted) for v in run.result}
                    continue
                assert [v.status for v in run.result] == _expected(texts, targets), kind
            seen |= _worker_pids(skip) | _worker_pids(strict)
        assert rounds >= 2
        assert Toy(backend=skip)(["ok", "no"], target=["ok", "ok"]) == [1.0, 0.0]
        assert Toy(backend=strict)(["ok", "no"], target=["ok", "ok"]) == [1.0, 0.0]
        _assert_no_leak(skip, seen - _worker_pids(strict))
        _assert_no_leak(strict, seen - _worker_pids(skip))
        everything = seen | _worker_pids(skip) | _worker_pids(strict)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in everything):
        time.sleep(0.05)
    assert not [p for p in everything if _alive(p)], "workers outlived close()"


def test_handover_every_call_finishes_in_order():
    """Calls of different lengths: drivers finish first and hand over many times."""
    with ProcessPool(jobs=2, timeout=10) as p:
        for _ in range(3):
            runs = []
            for t in range(12):
                n = 1 + (t * 7) % 13
                texts = [f"{t}:{i}" if i % 4 else "sleep:0.02" for i in range(n)]
                runs.append((texts, Run(lambda texts=texts: p.map(len, texts))))
            for texts, run in runs:
                run.join(30, pool=p)
                assert run.error is None and run.result == [len(t) for t in texts]
        assert p._driver is None and p._calls == []


# -- close() ---------------------------------------------------------------------------------------


def test_close_while_several_calls_are_in_flight():
    p = ProcessPool(jobs=2)  # no deadline: only close() ends the stuck rows
    try:
        Toy(backend=p)(["a", "b", "c", "d"], target=["a"] * 4)
        runs = [Run(lambda: Toy(backend=p)(["spin", "1", "2"], target=["1"] * 3)) for _ in range(3)]
        runs.append(Run(lambda: Toy(backend=p)(["sleep:0.2"] * 6, target=["x"] * 6)))
        time.sleep(1.0)
        closed = time.monotonic()
        p.close()
        for run in runs:
            run.join(15, pool=p)
            assert isinstance(run.error, InfrastructureError), run.error
            assert run.end - closed < 6
        assert p._calls == [] and p._driver is None
        assert Toy(backend=p)(["ok", "no", "ok"], target=["ok"] * 3) == [1.0, 0.0, 1.0]
    finally:
        p.close()


def test_a_map_after_close_does_not_meet_the_killed_idle_workers():
    """close() during a call kills every worker, the idle ones too; the next map must not send
    rows to those dead workers (it raised BrokenPipeError)."""
    p = ProcessPool(jobs=2)
    try:
        Toy(backend=p)(["sleep:0.5", "sleep:0.6"], target=["a"] * 2)  # two workers, both ready
        assert len(p._workers) == 2 and all(w.ready for w in p._workers)
        run = Run(lambda: Toy(backend=p)(["spin"], target=["x"]))  # one busy, one idle
        time.sleep(1.0)
        p.close()
        run.join(15, pool=p)
        assert isinstance(run.error, InfrastructureError)
        assert Toy(backend=p)(["ok", "no", "ok", "x"], target=["ok"] * 4) == [1.0, 0.0, 1.0, 0.0]
    finally:
        p.close()


def test_a_worker_that_died_idle_is_replaced():
    """Every worker died while idle (an OOM kill, or close() between calls of a racing thread):
    the next map replaces them instead of raising BrokenPipeError."""
    with ProcessPool(jobs=2) as p:
        Toy(backend=p)(["sleep:0.5", "sleep:0.6"], target=["a"] * 2)
        assert len(p._workers) == 2 and all(w.ready for w in p._workers)
        for worker in p._workers:
            worker.send_kill()
            worker.process.join(5)
        assert Toy(backend=p)(["ok", "no", "ok", "x"], target=["ok"] * 4) == [1.0, 0.0, 1.0, 0.0]


def test_close_between_two_drivers_fails_the_calls_in_progress(monkeypatch):
    """close() right after a driver handed over (no driver, calls still in flight): those calls
    raise the close's InfrastructureError, and close() does not wait on their busy workers."""
    p = ProcessPool(jobs=2)
    try:
        Toy(backend=p)(["a", "b"], target=["a"] * 2)
        original = ProcessPool._drive
        timing = {}

        def drive(self, mine):
            original(self, mine)
            if mine.items[0][0] == "first":  # the driver's call is over; the other is still running
                timing["start"] = time.monotonic()
                self.close()
                timing["close"] = time.monotonic() - timing["start"]

        monkeypatch.setattr(ProcessPool, "_drive", drive)
        first = Run(lambda: Toy(backend=p)(["first", "sleep:0.3"], target=["x", "x"]))
        time.sleep(0.1)
        other = Run(lambda: Toy(backend=p)(["sleep:3", "1", "2", "3", "4", "5"], target=["x"] * 6))
        first.join(15, pool=p)
        other.join(15, pool=p)
        assert first.error is None and first.result == [0.0, 0.0]
        assert isinstance(other.error, InfrastructureError), other.error
        assert "closed" in str(other.error), other.error
        assert timing["close"] < 0.5, timing
        monkeypatch.undo()
        assert Toy(backend=p)(["ok"], target=["ok"]) == [1.0]
    finally:
        p.close()


# -- the driver's thread gets an exception ----------------------------------------------------------


class Interrupt(BaseException):
    pass


def test_the_driver_interrupted_the_other_calls_still_finish(monkeypatch):
    p = ProcessPool(jobs=2, timeout=10)
    try:
        Toy(backend=p)(["a", "b"], target=["a"] * 2)
        original = ProcessPool._round
        victim = {}

        def round_(self):
            if threading.current_thread().name == "victim" and len(self._calls) >= 3 and not victim:
                victim["hit"] = True
                raise Interrupt()
            return original(self)

        monkeypatch.setattr(ProcessPool, "_round", round_)
        first = Run(lambda: Toy(backend=p)(["sleep:0.3"] * 4, target=["x"] * 4), name="victim")
        time.sleep(0.1)
        others = [
            Run(lambda t=t: Toy(backend=p)([f"{t}-{i}" for i in range(20)], target=[f"{t}-{i}" for i in range(20)]))
            for t in range(3)
        ]
        first.join(20, pool=p)
        assert isinstance(first.error, Interrupt)
        for run in others:
            run.join(20, pool=p)
            assert run.error is None and run.result == [1.0] * 20
        assert victim
        assert Toy(backend=p)(["ok"], target=["ok"]) == [1.0]
        assert len(p._workers) <= 2
    finally:
        p.close()


def test_an_interrupted_waiting_call_frees_the_worker_of_its_stuck_row():
    """A call whose (non-driver) thread is interrupted while it waits is over; like a call
    that failed, the worker stuck on its row must be stopped, or with no deadline it is lost
    for good (with jobs=1, every later call hangs)."""
    p = ProcessPool(jobs=1)
    try:
        Toy(backend=p)(["warm"], target=["x"])
        cond = p._cond
        raised = {}

        def wait(timeout=None):
            result = threading.Condition.wait(cond, timeout)
            if (
                threading.current_thread().name == "interrupted"
                and not raised
                and any(w.chunk is not None and w.call is not None and w.call.items[0][0] == "spin"
                        for w in p._workers)
            ):
                raised["yes"] = True
                raise Interrupt()
            return result

        cond.wait = wait  # instance attribute: only this pool's condition
        driver = Run(lambda: Toy(backend=p)(["sleep:1.0", "sleep:0.5", "x"], target=["x"] * 3))
        time.sleep(0.2)
        stuck = Run(lambda: Toy(backend=p)(["spin"], target=["x"]), name="interrupted")
        driver.join(20, pool=p)
        stuck.join(20, pool=p)
        assert isinstance(stuck.error, Interrupt) and raised
        later = Run(lambda: Toy(backend=p)(["ok"], target=["ok"])).join(10, pool=p, what="a later call")
        assert later.error is None and later.result == [1.0]
    finally:
        p.close()


# -- errors belong to their call -----------------------------------------------------------------------


def test_a_bug_in_one_call_raises_only_there():
    with ProcessPool(jobs=2, timeout=10) as p:
        for _ in range(3):
            good = [Run(lambda t=t: Toy(backend=p)(["sleep:0.1", f"{t}", "no"], target=[f"{t}"] * 3)) for t in range(4)]
            bad = Run(lambda: Broken(backend=p)(["a", "boom", "b"], target=["a", "a", "b"]))
            for run in good:
                run.join(20, pool=p)
                assert run.error is None and run.result == [0.0, 1.0, 0.0]
            bad.join(20, pool=p)
            assert isinstance(bad.error, ZeroDivisionError)
        assert Toy(backend=p)(["ok"], target=["ok"]) == [1.0]


def test_a_row_that_does_not_pickle_fails_only_its_own_call():
    """The driver pickles every call's rows when it sends them: a row of another call that
    does not pickle must fail that call, not the driver's."""
    with ProcessPool(jobs=2, timeout=10) as p:
        Toy(backend=p)(["a", "b"], target=["a"] * 2)
        driver = Run(lambda: Toy(backend=p)(["sleep:0.4"] * 4, target=["x"] * 4))
        time.sleep(0.2)
        bad = Run(lambda: Toy(backend=p)(["x"], target=[threading.Lock()]))
        bad.join(20, pool=p)
        driver.join(20, pool=p)
        assert driver.error is None, driver.error
        assert driver.result == [0.0] * 4
        assert isinstance(bad.error, TypeError), bad.error
        assert Toy(backend=p)(["ok"], target=["ok"]) == [1.0]


def test_a_result_that_does_not_pickle_is_an_error_not_a_hang():
    """(Also before the change.) The worker could not send its results, died, and the chunk
    was graded again by a new worker, forever."""
    with ProcessPool(jobs=1, timeout=10) as p:
        run = Run(lambda: p.map(memoryview, [b"ab"])).join(15, pool=p)
        assert isinstance(run.error, Exception) and "pickle" in str(run.error), run.error
        assert p.map(len, ["ab"]) == [2]


def test_a_function_the_workers_cannot_import_is_an_error_not_a_hang():
    """(Also before the change.) A function pickled by reference to a module the workers do
    not have (``__main__`` of a notebook or of ``python -c``): the worker died on loading it,
    and the chunk was graded again by a new worker, forever."""
    module = types.ModuleType("verifiers_ghost_module")
    exec("def double(x):\n    return 2 * x\n", module.__dict__)
    sys.modules[module.__name__] = module
    try:
        with ProcessPool(jobs=1, timeout=10) as p:
            run = Run(lambda: p.map(module.double, [1, 2])).join(15, pool=p)
            assert isinstance(run.error, Exception) and "verifiers_ghost_module" in str(run.error), run.error
            assert p.map(len, ["ab"]) == [2]
    finally:
        del sys.modules[module.__name__]


# -- several functions ---------------------------------------------------------------------------------


def test_calls_with_different_functions_concurrently():
    with ProcessPool(jobs=2, timeout=10) as p:
        for _ in range(3):
            runs = []
            for t in range(6):
                low = -t / 10
                texts = ["pid" if i == 0 else f"{i}" for i in range(9)]
                targets = ["x"] + [str(i) if i % 2 else "no" for i in range(1, 9)]
                runs.append((low, Run(lambda low=low, texts=texts, targets=targets: Toy(
                    backend=p, low=low).score(texts, target=targets))))
            for low, run in runs:
                run.join(20, pool=p)
                assert run.error is None, run.error
                assert [v.reward for v in run.result[1:]] == [1.0 if i % 2 else low for i in range(1, 9)]
                assert run.result[0].reward == low


def test_more_functions_than_a_worker_keeps_do_not_kill_it(capfd):
    """A worker keeps its last 8 functions; the pool must not think it knows an evicted one
    (the worker died on a KeyError, and was replaced, at every call)."""
    with ProcessPool(jobs=1, timeout=10) as p:
        pids = set()
        for _ in range(2):
            for i in range(10):
                pids.add(Toy(backend=p, low=-i / 10).score(["pid"], target=["x"])[0].extracted)
        assert len(pids) == 1, pids
    assert "KeyError" not in capfd.readouterr().err


# -- pickling, asyncio ----------------------------------------------------------------------------------


def test_pickling_a_pool_while_calls_run():
    with ProcessPool(jobs=2, timeout=10) as p:
        runs = [Run(lambda: Toy(backend=p)(["sleep:0.3", "1"], target=["x", "1"])) for _ in range(3)]
        time.sleep(0.1)
        copy = pickle.loads(pickle.dumps(p))
        try:
            assert copy._workers == [] and copy._calls == [] and copy._driver is None
            assert Toy(backend=copy)(["a", "b"], target=["a", "a"]) == [1.0, 0.0]
        finally:
            copy.close()
        for run in runs:
            run.join(20, pool=p)
            assert run.error is None and run.result == [0.0, 1.0]


def test_async_gather_on_a_process_pool():
    with ProcessPool(jobs=2, timeout=1.0, on_crash="skip") as p:
        toy = Toy(backend=p)

        async def main():
            return await asyncio.gather(*(
                toy.acall([f"{t}", "sleep:0.1", "spin" if t % 3 == 0 else "no", "crash" if t == 4 else "y"],
                          target=[f"{t}"] * 4)
                for t in range(8)
            ))

        start = time.monotonic()
        results = asyncio.run(main())
        assert time.monotonic() - start < 15
        for t, values in enumerate(results):
            assert values[:2] == [1.0, 0.0]
            assert values[2] == 0.0  # spin: timeout, the low reward; "no": incorrect
            assert values[3] == (None if t == 4 else 0.0)
        assert asyncio.run(toy.acall(["ok"], target=["ok"])) == [1.0]


def test_a_call_with_every_outcome_is_not_failed_by_a_later_error():
    """A failure the scheduler meets after a call got all its outcomes (a worker for the other
    calls fails to start in the same round) is not that call's: it still returns them."""
    from verifiers.engine.pool import _Call

    done = _Call(b"k", b"", [1, 2])
    done.out, done.done, done.left = [1, 2], [True, True], 0
    done.fail(RuntimeError("a worker process failed to start"))
    assert done.error is None and done.finished
    open_call = _Call(b"k", b"", [1, 2])
    open_call.fail(RuntimeError("boom"))
    assert isinstance(open_call.error, RuntimeError) and not open_call.pending
