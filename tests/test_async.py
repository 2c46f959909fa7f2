"""The awaitable form of every reward: same values, verdicts and fault rule as the synchronous
call, graded off the event loop (slow rows of concurrent batches overlap)."""

from __future__ import annotations

import asyncio
import pickle
import threading
import time
from pathlib import Path

import pytest

from verifiers import AsyncReward, InputError, ProcessPool, Status, WeightedSum, accuracy_reward
from verifiers.base import BaseReward
from verifiers.registry import get_reward, names

from toy_rewards import Toy

COMPLETIONS = [r"\boxed{2}", "<think>x</think><answer>3</answer>", "", "the answer is 4", r"\boxed{2}"]
COLUMNS = {
    "solution": ["2", "3", "1", "x^", "2"],
    "target": [1, 2, 3, 4, 5],
    "nums": [[1, 2], [1, 2], [1], [2, 2], [1, 1]],
    "answer": ["A", "B", "C", "D", "A"],
    "names": [["a"], ["b"], ["c"], ["d"], ["e"]],
    "language": ["en"] * 5,
    "prompts": ["p"] * 5,
    "prompt_id": [0, 0, 1, 1, 1],
}


@pytest.mark.parametrize("name", sorted(names()))
def test_every_registered_reward_gives_the_same_result_awaited(name):
    reward = get_reward(name)
    assert asyncio.run(reward.acall(COMPLETIONS, **COLUMNS)) == reward(COMPLETIONS, **COLUMNS)
    assert asyncio.run(reward.ascore(COMPLETIONS, **COLUMNS)) == reward.score(COMPLETIONS, **COLUMNS)
    wrapped = AsyncReward(reward)
    assert wrapped.__name__ == reward.__name__ and wrapped.reward_range == reward.reward_range
    assert asyncio.run(wrapped(completions=COMPLETIONS, **COLUMNS)) == reward(COMPLETIONS, **COLUMNS)


def test_fault_rule_is_the_same():
    # data's fault: None with a status; caller's bug: InputError, raised from the awaitable too
    assert asyncio.run(accuracy_reward.acall(["x", None], solution=[None, "1"])) == [None, None]
    with pytest.raises(InputError):
        asyncio.run(accuracy_reward.acall("one string", solution=["1"]))
    with pytest.raises(InputError):
        asyncio.run(AsyncReward(accuracy_reward)(completions=["a"], solution=["1", "2"]))
    verdicts = asyncio.run(accuracy_reward.ascore(["x"], solution=[None]))
    assert verdicts[0].status is Status.MISSING_COLUMN


def test_a_combination_awaited():
    total = WeightedSum([(accuracy_reward, 1.0), (get_reward("format"), 0.5)])
    assert asyncio.run(total.acall(COMPLETIONS, solution=COLUMNS["solution"])) == total(
        COMPLETIONS, solution=COLUMNS["solution"]
    )


def test_grading_runs_off_the_event_loop_and_overlaps():
    """Four batches of a 0.3 s row, awaited together, take about 0.3 s, not 1.2 s; the event
    loop's own thread never grades."""
    toy = Toy()
    loop_thread: list[int] = []

    async def main():
        loop_thread.append(threading.get_ident())
        return await asyncio.gather(*(toy.acall(["sleep:0.3", "1"], target=["x", "1"]) for _ in range(4)))

    start = time.perf_counter()
    results = asyncio.run(main())
    elapsed = time.perf_counter() - start
    assert results == [[0.0, 1.0]] * 4
    assert elapsed < 0.9, elapsed


def test_the_event_loop_keeps_running_while_a_batch_is_graded():
    toy = Toy()
    ticks = []

    async def ticker():
        for _ in range(10):
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.02)

    async def main():
        await asyncio.gather(toy.acall(["sleep:0.4"], target=["x"]), ticker())

    asyncio.run(main())
    assert len(ticks) == 10 and ticks[-1] - ticks[0] < 0.35  # the ticker was not held up by the grading


@pytest.mark.slow
def test_timeout_on_a_process_pool_is_the_same_awaited():
    with ProcessPool(jobs=1, timeout=0.5) as pool:
        toy = Toy(backend=pool)
        verdicts = asyncio.run(toy.ascore(["spin", "1"], target=["1", "1"]))
    assert [v.status for v in verdicts] == [Status.TIMEOUT, Status.CORRECT]
    assert [v.reward for v in verdicts] == [0.0, 1.0]


def test_async_reward_pickles_and_refuses_non_rewards():
    copy = pickle.loads(pickle.dumps(AsyncReward(accuracy_reward, name="acc")))
    assert copy.__name__ == "acc" and isinstance(copy.reward, BaseReward)
    assert asyncio.run(copy(completions=[r"\boxed{2}"], solution=["2"])) == [1.0]
    with pytest.raises(ValueError):
        AsyncReward(lambda completions, **kw: [0.0])  # type: ignore[arg-type]


def test_status_logging_in_trl_style_callbacks():
    metrics: dict[str, float] = {}
    extra: dict[str, list] = {}
    values = accuracy_reward(
        [r"\boxed{2}", "nothing", "x"], solution=["2", "3", None],
        log_metric=metrics.__setitem__, log_extra=extra.__setitem__,
    )
    assert values == [1.0, 0.0, None]
    assert metrics["rewards/accuracy/status/correct"] == 1.0
    assert metrics["rewards/accuracy/status/missing_column"] == 1.0
    assert metrics["rewards/accuracy/status/timeout"] == 0.0
    assert sum(metrics.values()) == 3 and len(metrics) == len(Status)
    assert extra == {"accuracy/status": ["correct", metrics and extra["accuracy/status"][1], "missing_column"]}
    assert extra["accuracy/status"][1] in ("no_answer", "incorrect")
    # awaited: the same
    metrics2: dict[str, float] = {}
    asyncio.run(
        accuracy_reward.acall(
            [r"\boxed{2}", "nothing", "x"], solution=["2", "3", None], log_metric=metrics2.__setitem__
        )
    )
    assert metrics2 == metrics


def test_helpers_survive_the_thread_that_started_them():
    """Workers and the math helper started from a short-lived thread (asyncio.to_thread's pool,
    a trainer's worker thread) keep working after it ends (Linux's PR_SET_PDEATHSIG would have
    killed them with that thread: the math helper then reported infra_error)."""
    with ProcessPool(jobs=1) as pool:
        toy = Toy(backend=pool)
        first: list = []
        thread = threading.Thread(target=lambda: first.extend(toy.score(["pid"], target=["x"])))
        thread.start()
        thread.join()
        time.sleep(0.5)
        again = toy.score(["pid"], target=["x"])
        assert again[0].extracted == first[0].extracted  # the same, live worker
    # the math helper (the symbolic tail) started from an event loop's worker thread
    for _ in range(2):
        asyncio.run(accuracy_reward.acall(["the answer is 4"], solution=["x^"]))
        time.sleep(0.3)
    verdict = accuracy_reward.score(["the answer is 4"], solution=["x^"])[0]
    assert verdict.status is Status.BAD_REFERENCE, verdict


@pytest.mark.slow
def test_workers_still_die_with_their_parent(tmp_path):
    import os
    import subprocess
    import sys

    script = (
        "import os, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from verifiers import ProcessPool\n"
        "from toy_rewards import Toy\n"
        "if __name__ == '__main__':\n"
        "    pool = ProcessPool(jobs=1)\n"
        "    print(Toy(backend=pool).score(['pid'], target=['x'])[0].extracted, flush=True)\n"
        "    os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail(f"worker {pid} outlived its parent")
