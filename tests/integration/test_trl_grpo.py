"""Our rewards in TRL's real GRPOTrainer: a tiny Llama built here (no hub), two training steps.

Needs the `trl` extra (CI installs it with the CPU build of torch). Without it the test is
skipped and says so, except under CI, where a missing extra is a failure.
"""

from __future__ import annotations

import math
import os

import pytest

pytestmark = pytest.mark.slow


def _require_trl():
    try:
        import datasets  # noqa: F401
        import torch  # noqa: F401
        import trl  # noqa: F401
    except ImportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install the trl extra: {exc}")
        pytest.skip(f"TRL integration needs: pip install torch==2.13.0 'reasoning-verifiers[trl]' ({exc})")


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
        accuracy_reward, format_reward, think_format_reward, language_consistency_reward, overlong,
        WeightedSum([(format_reward, 0.5), (overlong, 0.5)], name="shaped"),
    ]
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=rewards,
        args=GRPOConfig(
            output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4, max_completion_length=16,
            max_steps=2, logging_steps=1, report_to="none", use_cpu=True, bf16=False, save_strategy="no",
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
                assert reward is accuracy_reward, reward.__name__
                continue
            assert lo <= mean <= hi, (reward.__name__, mean)
    # the tiny random model writes past 8 characters: the overlong punishment is active
    assert any(entry["rewards/overlong/mean"] < 0 for entry in logs)
