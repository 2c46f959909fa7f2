"""OpenRLHF's reward file: loaded and called exactly as OpenRLHF does.

The harness follows OpenRLHF's source (OpenRLHF/OpenRLHF 3c3be62, 2026-08-13):
``openrlhf/utils/agent.py`` (``SingleTurnAgentExecutor``: the file named by ``--remote_rm_url``
is loaded with ``spec_from_file_location("reward_func", path)``; each sample's query is
``hf_tokenizer.decode(prompt + response tokens, skip_special_tokens=False)``; the function is
called positionally, ``asyncio.to_thread(reward_func, [query], [prompt], [label])``, one sample
per call; any exception is logged and leaves the sample without a reward) and
``openrlhf/trainer/ppo_utils/samples_generator.py`` (``torch.tensor([reward])``; each
``extra_logs`` value becomes ``value.flatten()[0].item()``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import pickle

import pytest

import verifiers.adapters.openrlhf as adapter
from verifiers.errors import ConfigError, InputError

from optional import require

PROMPT = "<|im_start|>user\nWhat is 1+1? Put the answer in \\boxed{}.<|im_end|>\n<|im_start|>assistant\n"


def load_reward_func(path):
    spec = importlib.util.spec_from_file_location("reward_func", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reward_func


async def execute(reward_func, query, prompt, label):
    """SingleTurnAgentExecutor.execute's reward part, then the experience's fields."""
    torch = require("torch", install="pip install 'reasoning-verifiers[openrlhf]'")[0]
    output = {"reward": None, "scores": None, "extra_logs": {}}
    try:
        rewards_info_list = await asyncio.gather(asyncio.to_thread(reward_func, [query], [prompt], [label]))
        rewards_info = rewards_info_list[0] if rewards_info_list else None
        if rewards_info:
            score_value = rewards_info.get("scores")
            if score_value is None:
                score_value = rewards_info.get("rewards")
            output.update(
                reward=rewards_info.get("rewards"), scores=score_value,
                extra_logs=rewards_info.get("extra_logs") or {},
            )
    except Exception as exc:  # OpenRLHF: logger.info("Failed to fetch reward ..."), no reward
        output["error"] = exc
    info = {}
    if output["reward"] is not None:
        info["reward"] = torch.tensor([output["reward"]]).flatten()
    for key, value in output["extra_logs"].items():
        if isinstance(value, torch.Tensor):
            value = value.flatten()[0].item()
        info[key] = torch.tensor([value])
    return output, info


def run(query, label, prompt=PROMPT):
    return asyncio.run(execute(load_reward_func(adapter.__file__), query, prompt, label))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("VERIFIERS_OPENRLHF_REWARDS", "VERIFIERS_OPENRLHF_NONE", "VERIFIERS_OPENRLHF_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_a_correct_and_a_wrong_sample():
    output, info = run(PROMPT + "1+1 is \\boxed{2}.<|im_end|>", "2")
    assert info["reward"].tolist() == [1.0]
    assert output["scores"].tolist() == [1.0]
    assert info["accuracy/correct"].tolist() == [1.0] and info["accuracy/incorrect"].tolist() == [0.0]
    output, info = run(PROMPT + "\\boxed{3}<|endoftext|>", "2")
    assert info["reward"].tolist() == [0.0] and info["accuracy/incorrect"].tolist() == [1.0]


def test_empty_response_is_the_models_fault():
    _, info = run(PROMPT + "<|im_end|>", "2")
    assert info["reward"].tolist() == [0.0] and info["accuracy/no_answer"].tolist() == [1.0]


def test_missing_label_gives_no_reward_not_zero(monkeypatch):
    output, info = run(PROMPT + "\\boxed{2}<|im_end|>", None)
    assert "reward" not in info and isinstance(output["error"], InputError)
    assert "missing_column" in str(output["error"])
    monkeypatch.setenv("VERIFIERS_OPENRLHF_NONE", "0")  # opted in: a constant
    _, info = run(PROMPT + "\\boxed{2}<|im_end|>", None)
    assert info["reward"].tolist() == [0.0] and info["accuracy/missing_column"].tolist() == [1.0]


def test_the_prompt_and_end_tokens_are_stripped(monkeypatch):
    # the strict R1 format only passes if the chat template's prompt and <|im_end|> are gone
    monkeypatch.setenv("VERIFIERS_OPENRLHF_REWARDS", "format")
    _, info = run(PROMPT + "<think>1+1</think>\n<answer>2</answer><|im_end|>", "2")
    assert info["reward"].tolist() == [1.0]
    assert adapter.reward_func([PROMPT + "<think>a</think>\n<answer>2</answer>"], [PROMPT], ["2"])[
        "rewards"
    ].tolist() == [1.0]
    assert adapter.reward_func(["<think>a</think>\n<answer>2</answer>"], ["not in the query"], ["2"])[
        "rewards"
    ].tolist() == [1.0]


def test_rewards_and_weights_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VERIFIERS_OPENRLHF_REWARDS", "accuracy:1,format:0.5")
    good = PROMPT + "<think>x</think>\n<answer>\\boxed{2}</answer><|im_end|>"
    _, info = run(good, "2")
    assert info["reward"].tolist() == [1.5]
    assert info["total/correct"].tolist() == [0.0] and info["format/correct"].tolist() == [1.0]
    # a config file; the environment variable still overrides its rewards
    config = tmp_path / "rewards.json"
    config.write_text(json.dumps({"rewards": ["accuracy:2"], "none": -1}))
    monkeypatch.setenv("VERIFIERS_OPENRLHF_CONFIG", str(config))
    assert run(good, "2")[1]["reward"].tolist() == [1.5]
    monkeypatch.delenv("VERIFIERS_OPENRLHF_REWARDS")
    assert run(good, "2")[1]["reward"].tolist() == [2.0]
    assert run(good, None)[1]["reward"].tolist() == [-1.0]
    config.write_text(json.dumps({"rewardz": "accuracy"}))
    assert isinstance(run(good, "2")[0]["error"], ConfigError)


def test_json_labels_give_columns():
    monkey = {"VERIFIERS_OPENRLHF_REWARDS": "countdown"}
    config = adapter.OpenRLHFConfig.from_env(monkey)
    values, logs = adapter.score_queries(
        ["p<answer>(1 + 2) * 3</answer>"], ["p"], [json.dumps({"target": 9, "nums": [1, 2, 3]})], config
    )
    assert values == [1.0] and logs["countdown/correct"] == [1.0]


def test_batches_and_bad_inputs():
    config = adapter.OpenRLHFConfig.of()
    values, logs = adapter.score_queries(["p\\boxed{1}", "p\\boxed{2}", "p"], ["p"] * 3, ["1", "1", "1"], config)
    assert values == [1.0, 0.0, 0.0]
    assert {len(column) for column in logs.values()} == {3}
    with pytest.raises(InputError, match="labels has 1 values for 2"):
        adapter.score_queries(["a", "b"], ["p", "p"], ["1"], config)
    with pytest.raises(InputError, match="must be a list"):
        adapter.score_queries("a", ["p"], ["1"], config)
    with pytest.raises(ConfigError):
        adapter.OpenRLHFConfig.of(none="skip")
    with pytest.raises(ConfigError):
        adapter.OpenRLHFConfig.from_env({"VERIFIERS_OPENRLHF_NONE": "zero"})
    with pytest.raises(ConfigError, match="not available"):
        adapter.score_queries(["a"], ["p"], ["1"], adapter.OpenRLHFConfig.of(rewards="nope"))


def test_the_loaded_function_is_the_importable_one():
    fn = load_reward_func(adapter.__file__)
    assert fn is adapter.reward_func
    assert pickle.loads(pickle.dumps(fn)) is adapter.reward_func


def test_code_labels(monkeypatch):
    """A code dataset's label (APPS-style tests as JSON) reaches the code reward's sandbox."""
    from verifiers.registry import names

    if "code" not in names():
        pytest.skip("no code reward in this installation")
    monkeypatch.setenv("VERIFIERS_OPENRLHF_REWARDS", "code")
    tests = json.dumps({"inputs": ["1\n"], "outputs": ["2\n"]})
    _, info = run(PROMPT + "```python\nprint(int(input()) + 1)\n```<|im_end|>", tests)
    assert info["reward"].tolist() == [1.0] and info["code/correct"].tolist() == [1.0]
    _, info = run(PROMPT + "```python\nprint(3)\n```<|im_end|>", tests)
    assert info["reward"].tolist() == [0.0]
