"""verl's custom reward function: loaded and called exactly as verl does.

The harness below follows verl's source (volcengine/verl b178a3c, 2026-01-29):
``verl/utils/import_utils.py`` (``load_module``/``load_extern_object``: ``pkg://`` or a file
path), ``verl/trainer/ppo/reward.py`` (``get_custom_reward_fn`` wraps the function in
``partial(_call_with_kwargs, raw_fn, reward_kwargs)``), ``verl/workers/reward_manager/naive.py``
(one keyword call per row; ``extra_info`` gains ``num_turns`` and ``rollout_reward_scores``;
a dict result's keys are gathered into ``reward_extra_info`` and ``score`` goes into a float
tensor) and ``batch.py`` (plural keyword lists; ``data_sources`` and ``extra_infos`` are numpy
object arrays from the non-tensor batch).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import os
import pickle
from collections import defaultdict
from functools import partial

import numpy as np
import pytest

import verifiers.adapters.verl as adapter
from verifiers.errors import ConfigError, InputError


# -- verl's loading and calling, reproduced -----------------------------------------------------------
def _call_with_kwargs(raw_fn, extra_kwargs, *args, **kwargs):
    return raw_fn(*args, **{**kwargs, **extra_kwargs})


def load_extern_object(module_path, object_name):
    if module_path.startswith("pkg://"):
        module = importlib.import_module(module_path[len("pkg://"):].replace("/", "."))
    else:
        name = f"custom_module_{hash(os.path.abspath(module_path))}"
        spec = importlib.util.spec_from_file_location(name, module_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return getattr(module, object_name)


def get_custom_reward_fn(path, name, reward_kwargs=None):
    return partial(_call_with_kwargs, load_extern_object(path, name), dict(reward_kwargs or {}))


def naive_manager(compute_score, rows):
    """NaiveRewardManager.__call__ on decoded rows: (data_source, response, ground_truth, extra_info)."""
    torch = pytest.importorskip("torch")
    reward_tensor = torch.zeros(len(rows), 8, dtype=torch.float32)
    reward_extra_info = defaultdict(list)
    for i, (data_source, response, ground_truth, extra_info) in enumerate(rows):
        extra_info = dict(extra_info or {})
        extra_info["num_turns"] = None
        extra_info["rollout_reward_scores"] = {}
        score = compute_score(
            data_source=data_source, solution_str=response, ground_truth=ground_truth, extra_info=extra_info
        )
        if isinstance(score, dict):
            reward = score["score"]
            for key, value in score.items():
                reward_extra_info[key].append(value)
        else:
            reward = score
        reward_tensor[i, 7] = reward
    for values in reward_extra_info.values():  # verl stores each key as one array per batch
        assert len(values) == len(rows)
    return reward_tensor[:, 7].tolist(), dict(reward_extra_info)


def batch_manager(compute_score, rows):
    """BatchRewardManager.verify: the plural lists, from the non-tensor batch."""
    data_sources = np.array([r[0] for r in rows], dtype=object)
    responses = [r[1] for r in rows]
    ground_truths = [r[2] for r in rows]
    extras = np.array([dict(r[3] or {}) for r in rows], dtype=object)
    for extra in extras:
        extra["rollout_reward_scores"] = {}
    return compute_score(
        data_sources=data_sources, solution_strs=responses, ground_truths=ground_truths, extra_infos=extras
    )


ROWS = [
    ("openai/gsm8k", "Natalia sold 48 + 24 = 72 clips. #### 72", "72", {"split": "train", "index": 0}),
    ("lighteval/MATH", r"so the answer is $\boxed{\frac{1}{2}}$", "\\frac{1}{2}", {}),
    ("lighteval/MATH", r"so the answer is $\boxed{3}$", "4", None),
    ("aime2024", r"\boxed{033}", "33", {}),
    ("numina_olympiads", "", "5", {}),  # empty response: the model's fault, the low reward
]
EXPECTED = [1.0, 1.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("path", ["pkg://verifiers.adapters.verl", adapter.__file__], ids=["pkg", "file"])
def test_naive_reward_manager(path):
    fn = get_custom_reward_fn(path, "compute_score")
    values, extra = naive_manager(fn, ROWS)
    assert values == EXPECTED
    assert set(extra) == {"score", "acc", "pred", "status"}
    assert extra["status"] == ["correct", "correct", "incorrect", "correct", "no_answer"]
    assert extra["pred"][:2] == ["72", "\\frac{1}{2}"]
    # what verl pickles into its reward workers: the partial, with the function by reference
    copy = pickle.loads(pickle.dumps(fn))
    assert naive_manager(copy, ROWS)[0] == EXPECTED


@pytest.mark.parametrize("path", ["pkg://verifiers.adapters.verl", adapter.__file__], ids=["pkg", "file"])
def test_batch_reward_manager(path):
    fn = get_custom_reward_fn(path, "compute_score_batch", {"extras": False})
    assert batch_manager(fn, ROWS) == EXPECTED
    assert batch_manager(pickle.loads(pickle.dumps(fn)), ROWS) == EXPECTED
    # the batch form and the per-row form agree
    per_row = get_custom_reward_fn(path, "compute_score", {"extras": False})
    assert [per_row(data_source=r[0], solution_str=r[1], ground_truth=r[2], extra_info=r[3]) for r in ROWS] == EXPECTED


def test_async_form_for_the_reward_loop():
    async def main():
        return await asyncio.gather(*(
            adapter.compute_score_async(data_source=r[0], solution_str=r[1], ground_truth=r[2], extra_info=r[3],
                                        extras=False, reward_router_address=None)
            for r in ROWS
        ))

    assert asyncio.run(main()) == EXPECTED


def test_missing_reference_is_not_a_number_unless_asked():
    row = dict(data_source="lighteval/MATH", solution_str=r"\boxed{1}", extra_info={})
    with pytest.raises(InputError, match="missing_column"):
        adapter.compute_score(ground_truth=None, **row)
    with pytest.raises(InputError, match="bad_reference"):
        adapter.compute_score(ground_truth="\\frac{", **row)
    assert adapter.compute_score(ground_truth=None, none=0.0, **row) == {
        "score": 0.0, "acc": 0.0, "pred": "", "status": "missing_column",
    }
    # a null response is a data fault too (verl never sends one, but a caller may)
    with pytest.raises(InputError):
        adapter.compute_score(data_source="lighteval/MATH", solution_str=None, ground_truth="1")
    with pytest.raises(ConfigError):
        adapter.compute_score(ground_truth="1", none="skip", **row)


def test_mismatched_lists_are_the_callers_bug():
    with pytest.raises(InputError, match="ground_truths has 1 values for 2"):
        adapter.compute_score_batch(data_sources=["math", "math"], solution_strs=["a", "b"], ground_truths=["1"])
    with pytest.raises(InputError, match="extra_infos"):
        adapter.compute_score_batch(
            data_sources=["math"], solution_strs=["a"], ground_truths=["1"], extra_infos=[{}, {}]
        )
    with pytest.raises(InputError, match="must be a list"):
        adapter.compute_score_batch(data_sources="math", solution_strs=["a"], ground_truths=["1"])


def test_routing_is_configurable():
    # an unknown data source: a clear error naming the fix
    with pytest.raises(ConfigError, match="no reward for data_source 'my/dataset'"):
        adapter.compute_score("my/dataset", r"\boxed{1}", "1")
    assert adapter.compute_score("my/dataset", r"\boxed{1}", "1", routes={"my/*": "accuracy"}, extras=False) == 1.0
    assert adapter.compute_score("my/dataset", r"\boxed{1}", "1", default="accuracy", extras=False) == 1.0
    # a weighted sum for every data source; the format part fails here
    both = adapter.compute_score("anything", r"\boxed{1}", "1", rewards="accuracy:1,format:0.5", extras=False)
    assert both == 1.0
    good = "<think>x</think>\n<answer>\\boxed{1}</answer>"
    assert adapter.compute_score("x", good, "1", rewards=["accuracy", "format:0.5"], extras=False) == 1.5
    # a mapping reference gives columns by key (Countdown)
    assert adapter.compute_score(
        "countdown", "<answer>(1 + 2) * 3</answer>", {"target": 9, "nums": [1, 2, 3]},
        routes={"countdown": "countdown"}, extras=False,
    ) == 1.0
    # columns from extra_info (the choice reward's 'answer' given there, not as ground truth)
    with pytest.raises(ConfigError):
        adapter.compute_score("x", "a", "1", rewards="accuracy:abc")


def test_code_datasets_route_to_code():
    """verl's code datasets (APPS-style {"inputs", "outputs"} tests, as a JSON string or a
    mapping) go to the code reward, graded in its sandbox; without it, a clear error."""
    from verifiers.registry import names

    tests = json.dumps({"inputs": ["1\n", "5\n"], "outputs": ["2\n", "6\n"]})
    right = "```python\nprint(int(input()) + 1)\n```"
    if "code" not in names():
        with pytest.raises(ConfigError, match="reward 'code' is not available"):
            adapter.compute_score("codecontests", right, tests)
        return
    assert adapter.compute_score("codecontests", right, tests)["status"] == "correct"
    assert adapter.compute_score("apps", "```python\nprint(2)\n```", json.loads(tests), extras=False) == 0.0
    assert adapter.compute_score("taco", "no program at all", tests)["score"] == 0.0
    assert adapter.compute_score_batch(
        data_sources=["apps", "lighteval/MATH"], solution_strs=[right, r"\boxed{2}"],
        ground_truths=[tests, "2"], extra_infos=[{}, {}], extras=False,
    ) == [1.0, 1.0]
    with pytest.raises(InputError, match="bad_reference"):  # tests that cannot be read: the data's fault
        adapter.compute_score("apps", right, json.dumps({"inputs": ["1"]}))
