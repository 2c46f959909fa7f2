"""Every registered reward pickles, runs in a worker thread and in a spawned process, with the
same results as in the calling thread (TRL and verl do all three)."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

from verifiers.registry import get_reward, names

COMPLETIONS = [
    "<think>\nadd them\n</think>\n<answer>\n\\boxed{2}\n</answer>",
    "<think>Je pense que la réponse est trois.</think><answer>3</answer>",
    "no tags at all, the the the the",
    [{"role": "assistant", "content": "<think>嗯，答案是二。</think>\n<answer>2</answer>"}],
]
COLUMNS = {
    "solution": ["2", "2", "2", "2"],
    "language": ["en", "en", "en", "zh"],
    "prompts": ["q1", "q1", "q2", "q2"],
    "prompt_id": [1, 1, 2, 2],
    "completion_ids": [[1] * 30, [1] * 12, [1] * 8, [1] * 20],
    # the puzzle rewards (choice, countdown, knights_knaves) get rows to grade too
    "answer": ["B", "A", "C", "D"],
    "target": [2, 3, 2, 2],
    "nums": [[2], [1, 2], [2], [2]],
    "names": [["Zoey"], ["Zoey"], ["Zoey"], ["Zoey"]],
}


def _score(name: str) -> list[float | None]:
    return get_reward(name)(completions=COMPLETIONS, **COLUMNS)


@pytest.fixture(scope="module", params=sorted(names()))
def name(request):
    return request.param


def test_pickle_round_trip(name):
    reward = get_reward(name)
    copy = pickle.loads(pickle.dumps(reward))
    assert copy.signature() == reward.signature()
    assert copy(completions=COMPLETIONS, **COLUMNS) == reward(completions=COMPLETIONS, **COLUMNS)


def test_worker_thread(name):
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_score, [name, name]))
    assert results[0] == results[1] == _score(name)


@pytest.mark.slow
def test_spawned_process(name):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        result = pool.apply(_score, (name,))
    assert result == _score(name)


def test_values_in_declared_range(name):
    reward = get_reward(name)
    lo, hi = reward.reward_range
    for value in reward(completions=COMPLETIONS, **COLUMNS):
        assert value is None or lo <= value <= hi
