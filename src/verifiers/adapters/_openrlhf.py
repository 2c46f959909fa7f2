"""The implementation of :mod:`verifiers.adapters.openrlhf` (re-exported there, so that the
function is the same object, importable and picklable, when OpenRLHF loads that file by path).

Also what ``verify serve`` answers with: :func:`score_queries` is OpenRLHF's protocol without
torch."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from verifiers.adapters._common import (
    STATUSES,
    Spec,
    add_prompts,
    build,
    check_none,
    columns_for,
    fill_none,
    parse_spec,
)
from verifiers.base import BaseReward
from verifiers.errors import ConfigError, InputError, require
from verifiers.types import Verdict

__all__ = ["END_TOKENS", "OpenRLHFConfig", "reward_func", "score_queries"]

#: End-of-turn and end-of-sequence tokens that OpenRLHF leaves at the end of a query (it decodes
#: with ``skip_special_tokens=False``); removed from the end of the response before grading.
END_TOKENS = (
    "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "</s>", "<eos>", "<end_of_turn>", "<|end|>",
    "<｜end▁of▁sentence｜>", "<|return|>",
)

ENV_REWARDS = "VERIFIERS_OPENRLHF_REWARDS"
ENV_NONE = "VERIFIERS_OPENRLHF_NONE"
ENV_CONFIG = "VERIFIERS_OPENRLHF_CONFIG"


@dataclass(frozen=True)
class OpenRLHFConfig:
    """What OpenRLHF's reward gives: which rewards, and what a row without a usable reference gets.

    Read by :meth:`from_env` from ``VERIFIERS_OPENRLHF_CONFIG`` (a JSON file with the fields
    below), then ``VERIFIERS_OPENRLHF_REWARDS`` (``"accuracy:1,format:0.2"``) and
    ``VERIFIERS_OPENRLHF_NONE`` (``raise`` or a number), which override the file.

    Args:
        rewards: The rewards and weights (default: ``accuracy``).
        none: ``"raise"`` (default: the row has no reward, and OpenRLHF logs the error) or the
            number such rows get.
        end_tokens: Tokens stripped from the end of each response.
    """

    rewards: Spec = (("accuracy", 1.0),)
    none: Any = "raise"
    end_tokens: tuple[str, ...] = END_TOKENS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OpenRLHFConfig:
        env = os.environ if environ is None else environ
        fields: dict[str, Any] = {}
        path = env.get(ENV_CONFIG, "").strip()
        if path:
            try:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{ENV_CONFIG}={path}: {exc}") from None
            if not isinstance(data, dict) or set(data) - {"rewards", "none", "end_tokens"}:
                raise ConfigError(f"{ENV_CONFIG}={path}: expected an object with rewards, none, end_tokens")
            fields.update(data)
        if env.get(ENV_REWARDS, "").strip():
            fields["rewards"] = env[ENV_REWARDS]
        if env.get(ENV_NONE, "").strip():
            text = env[ENV_NONE].strip()
            fields["none"] = text if text == "raise" else _number(text, ENV_NONE)
        return cls.of(**fields)

    @classmethod
    def of(cls, rewards: Any = "accuracy", none: Any = "raise", end_tokens: Any = END_TOKENS) -> OpenRLHFConfig:
        """A checked config from plain values."""
        check_none(none)
        if isinstance(end_tokens, str) or not all(isinstance(t, str) and t for t in end_tokens):
            raise ConfigError(f"end_tokens must be a list of non-empty strings, not {end_tokens!r}")
        return cls(parse_spec(rewards, "openrlhf rewards"), none, tuple(end_tokens))


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{where}={text!r}: expected 'raise' or a number") from None


def response_of(query: str, prompt: Any, end_tokens: Sequence[str]) -> str:
    """The response in an OpenRLHF query (prompt + response, decoded with special tokens).

    >>> response_of("<|im_start|>user 1+1?<|im_end|>2<|im_end|>", "<|im_start|>user 1+1?<|im_end|>", END_TOKENS)
    '2'
    """
    text = query
    if isinstance(prompt, str) and prompt:
        if text.startswith(prompt):
            text = text[len(prompt) :]
        else:  # a prompt the tokenizer did not give back byte for byte: cut after its last line
            at = text.find(prompt)
            if at >= 0:
                text = text[at + len(prompt) :]
    stripped = True
    while stripped:
        stripped = False
        tail = text.rstrip()
        for token in end_tokens:
            if tail.endswith(token):
                text, stripped = tail[: -len(token)], True
    return text


def score_queries(
    queries: Sequence[Any], prompts: Sequence[Any] | None, labels: Sequence[Any] | None, config: OpenRLHFConfig
) -> tuple[list[float], dict[str, list[float]]]:
    """Rewards (one per query) and per-status indicators (0.0 or 1.0, one list per key
    ``NAME/STATUS`` for each reward of the config), the way OpenRLHF's protocol needs them.

    Raises:
        InputError: the lists differ in length or are not lists; a row without a usable
            reference when ``config.none`` is ``"raise"``.
    """
    n = _length(queries, "queries")
    prompts = [None] * n if prompts is None else prompts
    labels = [None] * n if labels is None else labels
    for name, values in (("prompts", prompts), ("labels", labels)):
        if _length(values, name) != n:
            raise InputError(f"openrlhf: {name} has {_length(values, name)} values for {n} queries")
    reward = build(config.rewards)
    texts: list[Any] = []
    for query, prompt in zip(queries, prompts):
        texts.append(response_of(query, prompt, config.end_tokens) if isinstance(query, str) else query)
    rows = [columns_for(reward, label) for label in labels]
    add_prompts(reward, rows, prompts)
    columns = {
        name: [row.get(name) for row in rows]
        for name in (*reward.columns, *reward.optional_columns) if any(name in row for row in rows)
    }
    total, parts = _score_parts(reward, texts, columns)
    values = [fill_none(v, config.none, f"openrlhf: query {i}") for i, v in enumerate(total)]
    logs: dict[str, list[float]] = {}
    for part, verdicts in parts.items():
        for status in STATUSES:
            logs[f"{part}/{status}"] = [1.0 if v.status.value == status else 0.0 for v in verdicts]
    return values, logs


def _score_parts(
    reward: BaseReward, texts: list[Any], columns: dict[str, Any]
) -> tuple[list[Verdict], dict[str, list[Verdict]]]:
    score_parts = getattr(reward, "score_parts", None)
    if score_parts is not None:
        total, parts = score_parts(texts, **columns)
        return total, {"total": total, **parts}
    verdicts = reward.score(texts, **columns)
    return verdicts, {reward.__name__: verdicts}


def _length(values: Any, name: str) -> int:
    if values is None or isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__len__"):
        raise InputError(f"openrlhf: {name} must be a list, not {type(values).__name__}")
    return len(values)


def reward_func(
    queries: Sequence[str], prompts: Sequence[Any], labels: Sequence[Any], **kwargs: Any
) -> dict[str, Any]:
    """OpenRLHF's reward function (``--remote_rm_url /path/to/verifiers/adapters/openrlhf.py``).

    OpenRLHF calls ``reward_func(queries, prompts, labels)`` from a worker thread (today one
    sample per call); each query is the prompt and the response decoded with special tokens.
    The prompt and trailing end tokens are removed, the response is graded against its label
    (``--label_key``: a reference, or a JSON object of columns), and the rewards configured by
    :class:`OpenRLHFConfig` (environment variables) are applied.

    Returns:
        ``{"rewards": tensor, "scores": tensor, "extra_logs": {"NAME/STATUS": tensor, ...}}``,
        float tensors with one value per query; ``scores`` (used by dynamic filtering) equal
        the rewards.

    Raises:
        InputError: a row without a usable reference (unless ``VERIFIERS_OPENRLHF_NONE`` is a
            number); OpenRLHF logs it and leaves that sample without a reward.
        BackendUnavailable: torch is not installed.
    """
    torch: Any = require("torch", "openrlhf", "verifiers' OpenRLHF reward_func")
    values, logs = score_queries(queries, prompts, labels, OpenRLHFConfig.from_env())
    rewards = torch.tensor(values, dtype=torch.float32)
    return {
        "rewards": rewards,
        "scores": rewards.clone(),
        "extra_logs": {key: torch.tensor(column, dtype=torch.float32) for key, column in logs.items()},
    }

