"""Our rewards in TRL's real GRPOTrainer: a tiny Llama built here (no hub), two training steps.

Needs the `trl` extra (CI installs it with the CPU build of torch). Without it the test is
skipped and says so, except under CI, where a missing extra is a failure.
"""

from __future__ import annotations

import math

import pytest

from verifiers import AsyncReward, Status

from optional import require

pytestmark = pytest.mark.slow


STATUSES = [status.value for status in Status]


def _require_trl():
    require("datasets", "torch", "trl", install="pip install torch==2.13.0 'reasoning-verifiers[trl]'")


def _tiny_model_and_tokenizer():
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<eos>": 1, "<unk>": 2}
    pieces = [*"abcdefghijklmnopqrstuvwxyz0123456789 <>/{}\\+=.?\n", "<think>", "</think>", "<answer>", "</answer>"]
    for piece in pieces:
        vocab.setdefault(piece, len(vocab))
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(pattern="", behavior="isolated")
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}"
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=128, pad_token_id=0, eos_token_id=1, bos_token_id=1,
    )
    return LlamaForCausalLM(config), tokenizer


class Recorder:
    """Passes TRL's call through to one of our rewards and keeps, per call (one per step here),
    the reference column TRL handed over and the values we handed back."""

    def __init__(self, reward):
        self.reward = reward
        self.__name__ = reward.__name__
        self.reward_range = reward.reward_range
        self.calls: list[tuple[list, list]] = []
        self.statuses: list[list[str]] = []

    @property
    def inner(self):
        return getattr(self.reward, "reward", self.reward)

    def __call__(self, completions, **kwargs):
        values = self.reward(completions=completions, **kwargs)
        self.record(completions, kwargs, values)
        return values

    def record(self, completions, kwargs, values):
        self.calls.append((list(kwargs["solution"]), list(values)))
        # the statuses behind the values, asked for separately (no logging callbacks passed)
        columns = {k: v for k, v in kwargs.items() if k not in ("log_metric", "log_extra")}
        self.statuses.append([v.status.value for v in self.inner.score(completions, **columns)])


class AsyncRecorder(Recorder):
    """The same, for the awaitable form (TRL awaits it on its event loop)."""

    def __init__(self, reward):
        super().__init__(AsyncReward(reward))
        self.reward_range = reward.reward_range

    async def __call__(self, completions, **kwargs):
        values = await self.reward(completions=completions, **kwargs)
        self.record(completions, kwargs, values)
        return values


def _nanmean(values):
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def _approx(value):
    return None if value is None else pytest.approx(value, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("conversational", [False, True], ids=["text", "conversational"])
def test_grpo_trainer_calls_our_rewards(tmp_path, conversational):
    _require_trl()
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from verifiers import (
        SoftOverlong,
        WeightedSum,
        accuracy_reward,
        format_reward,
        language_consistency_reward,
        tag_count_reward,
        think_format_reward,
    )

    model, tokenizer = _tiny_model_and_tokenizer()
    prompts = [f"what is {i}+{i}?" for i in range(8)]
    data = {
        "prompt": [[{"role": "user", "content": p}] for p in prompts] if conversational else prompts,
        # half the references are missing: our accuracy reward must give None, which TRL skips
        "solution": [str(2 * i) if i % 2 else None for i in range(8)],
        "language": ["en"] * 8,
    }
    overlong = SoftOverlong(unit="chars", max_len=16, cache=8)
    rewards = [
        Recorder(r)
        for r in (
            accuracy_reward, format_reward, think_format_reward, language_consistency_reward, overlong,
            WeightedSum([(format_reward, 0.5), (overlong, 0.5)], name="shaped"),
        )
    ]
    rewards.append(AsyncRecorder(tag_count_reward))  # an `async def __call__`: TRL awaits it
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=rewards,
        args=GRPOConfig(
            output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4, max_completion_length=16,
            max_steps=2, logging_steps=1, report_to="none", use_cpu=True, bf16=False, save_strategy="no",
            # dataset order: step 1 gets prompt 0 (reference null), step 2 prompt 1 (reference "2")
            shuffle_dataset=False,
        ),
        train_dataset=Dataset.from_dict(data),
    )
    trainer.train()
    logs = [entry for entry in trainer.state.log_history if "rewards/accuracy/mean" in entry]
    assert len(logs) == 2  # two optimisation steps, each logged
    for entry in logs:
        for reward in rewards:
            lo, hi = reward.reward_range
            mean = entry[f"rewards/{reward.__name__}/mean"]
            if mean is None or (isinstance(mean, float) and math.isnan(mean)):
                # a batch whose references are all missing: our None, which TRL skipped (NaN)
                assert reward.reward is accuracy_reward, reward.__name__
                continue
            assert lo <= mean <= hi, (reward.__name__, mean)

    # TRL's log_metric: per-status counts of each reward reach the trainer's logs, step by step
    # (one call per step here, so each logged value is that call's count), every status included.
    for step, entry in enumerate(logs):
        for reward in rewards:
            logged = {s: entry[f"rewards/{reward.__name__}/status/{s}"] for s in STATUSES}
            assert logged == {s: float(reward.statuses[step].count(s)) for s in STATUSES}, (step, reward.__name__)
            assert sum(logged.values()) == 4
    # why accuracy was skipped in step 1: every reference was missing (the data's fault)
    assert logs[0]["rewards/accuracy/status/missing_column"] == 4
    assert logs[1]["rewards/accuracy/status/missing_column"] == 0
    # TRL's log_extra: each row's status is a column of the completions table (which keeps the
    # rows since its last flush: the last step's at least)
    for reward in rewards:
        column = list(trainer._logs["extra"][f"{reward.__name__}/status"])
        assert len(column) >= 4 and column == [s for call in reward.statuses for s in call][-len(column):], (
            reward.__name__
        )

    # Our None reached TRL as a skipped reward: TRL turns None into NaN, leaves NaN out of each
    # reward's mean (nanmean; all NaN is logged as None) and out of the total (nansum).
    accuracy = rewards[0]
    assert [solution for solution, _ in accuracy.calls] == [[None] * 4, ["2"] * 4]  # one call per step
    null_batch, scored_batch = (values for _, values in accuracy.calls)
    assert null_batch == [None] * 4  # the data's fault: None, never the low reward
    assert all(isinstance(v, float) for v in scored_batch)
    assert [len(r.calls) for r in rewards] == [2] * len(rewards)
    for step, entry in enumerate(logs):
        rows = list(zip(*(r.calls[step][1] for r in rewards)))  # one tuple of values per completion
        assert len(rows) == 4
        for reward in rewards:
            # None for accuracy in step 1: a 0.0 instead of our None would be logged as 0.0
            assert entry[f"rewards/{reward.__name__}/mean"] == _approx(_nanmean(reward.calls[step][1])), (
                step, reward.__name__,
            )
        # the total left the None out: a NaN counted as a number would make it None (NaN)
        totals = [sum(v for v in row if v is not None) for row in rows if any(v is not None for v in row)]
        assert entry["reward"] == _approx(sum(totals) / len(totals)), step
    assert logs[0]["rewards/accuracy/mean"] is None and logs[0]["reward"] is not None
    # the tiny random model writes past 8 characters: the overlong punishment is active
    assert any(entry["rewards/overlong/mean"] < 0 for entry in logs)


@pytest.mark.parametrize("conversational", [False, True], ids=["text", "conversational"])
def test_grpo_trainer_with_a_router_over_a_rule_and_a_reward_model(tmp_path, conversational):
    """R1's last stage in TRL's real trainer: math rows to accuracy, the other rows to a learned
    reward model (a tiny sequence classifier built here), one Router as one reward function.
    The prompts TRL passes reach the model: the values equal the router's own, recomputed."""
    _require_trl()
    require("transformers", install="pip install 'reasoning-verifiers[model]'")
    import torch
    from datasets import Dataset
    from transformers import LlamaConfig, LlamaForSequenceClassification
    from trl import GRPOConfig, GRPOTrainer

    from verifiers import ModelReward, Router, accuracy_reward

    model, tokenizer = _tiny_model_and_tokenizer()
    torch.manual_seed(1)
    rm_config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=256, pad_token_id=0, num_labels=1,
    )
    LlamaForSequenceClassification(rm_config).save_pretrained(tmp_path / "rm")
    tokenizer.save_pretrained(tmp_path / "rm")
    helpful = ModelReward(str(tmp_path / "rm"), segment="full", low=-5.0, high=5.0)
    router = Router({"math": accuracy_reward}, default=helpful, name="r1_final")

    calls: list[dict] = []

    def r1_final(completions, **kwargs):
        values = router(completions=completions, **kwargs)
        calls.append({"completions": completions, "values": values, **kwargs})
        return values

    r1_final.reward_range = router.reward_range  # type: ignore[attr-defined]
    prompts = [f"what is {i}+{i}?" for i in range(8)]
    data = {
        "prompt": [[{"role": "user", "content": p}] for p in prompts] if conversational else prompts,
        "data_source": ["math" if i % 2 == 0 else "chat" for i in range(8)],
        "solution": [str(2 * i) if i % 2 == 0 else None for i in range(8)],
    }
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=[r1_final],
        args=GRPOConfig(
            output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, num_generations=4,
            max_completion_length=16, max_steps=2, logging_steps=1, report_to="none", use_cpu=True, bf16=False,
            save_strategy="no", shuffle_dataset=False,  # step 1: prompt 0 (math), step 2: prompt 1 (chat)
        ),
        train_dataset=Dataset.from_dict(data),
    )
    trainer.train()
    assert [call["data_source"] for call in calls] == [["math"] * 4, ["chat"] * 4]
    chat = calls[1]
    assert chat["prompts"] == [data["prompt"][1]] * 4  # TRL passed the prompt, as text or as messages
    verdicts = router.score(chat["completions"], prompts=chat["prompts"], data_source=chat["data_source"])
    assert [v.status for v in verdicts] == [Status.SCORED] * 4  # the model scored them (no missing prompt)
    assert chat["values"] == pytest.approx([v.reward for v in verdicts], rel=1e-4, abs=1e-5)
    assert all(-5.0 <= v <= 5.0 for v in chat["values"])
    math_statuses = {v.status for v in router.score(calls[0]["completions"], **{
        k: calls[0][k] for k in ("prompts", "data_source", "solution")})}
    assert math_statuses <= {Status.CORRECT, Status.INCORRECT, Status.NO_ANSWER}
    logs = [entry for entry in trainer.state.log_history if "rewards/r1_final/mean" in entry]
    assert len(logs) == 2 and logs[1]["rewards/r1_final/mean"] == pytest.approx(sum(chat["values"]) / 4, rel=1e-4)
