"""Rows/s of ModelReward on CPU, by batch size, with and without length sorting.

Run: python benchmarks/bench_model.py [--rows 256] [--runs 3] [--sizes 1,16,64] [--threads N]

The model is a small randomly initialized Llama sequence classifier (hidden 128, 4 layers,
4 heads, one label) with a byte-level BPE tokenizer (vocabulary 2,000) trained on the
benchmark's own words, both built here (no download) and saved to a temporary directory, so the
reward loads them by path as it would a real reward model. Rows are (prompt, response) pairs of
realistic mixed lengths: prompts of 10-60 tokens, R1-style completions
(``<think>...</think> answer``) whose scored segment (``segment="full"``) takes the whole
input to 20-400 tokens, drawn log-uniformly (many short rows, a tail of long ones), the same
rows for every configuration.

For each batch size it measures, in the same run:

* ``ModelReward.__call__`` with ``sort_by_length=True`` (the default) and ``False``;
* the reference: what one writes by hand with transformers, the rows in their given order,
  ``tokenizer(texts, padding=True, truncation=True, max_length=512, return_tensors="pt")`` and
  one forward pass per batch under ``torch.inference_mode()``.

Each figure is the median of ``--runs`` runs (configurations interleaved), in rows per second,
after one warm-up call per configuration. The scores of every configuration are checked equal
(within float tolerance) to the reference's first.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import tempfile
import time
from typing import Any

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

from verifiers.models import ModelReward

WORDS = [
    "the", "a", "of", "to", "and", "is", "in", "that", "it", "for", "as", "with", "was", "on", "be", "by", "this",
    "are", "we", "let", "number", "sum", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "answer", "so", "then", "therefore", "because", "if", "not", "but", "or", "each", "first", "next", "step",
    "check", "compute", "equation", "value", "total", "square", "root", "prime", "divide", "multiply", "add",
    "subtract", "wait", "hmm", "actually", "consider", "case", "both", "result", "final", "x", "y", "n", "k",
    "solve", "find", "give", "show", "true", "false",
]


def build_model(directory: str, seed: int = 0) -> None:
    random.seed(seed)
    corpus = [" ".join(random.choices(WORDS, k=40)) for _ in range(2000)]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=2000, special_tokens=["<pad>", "<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator([*corpus, "<think> </think> 0123456789 +-*/=()"], trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))]
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=128, intermediate_size=512, num_hidden_layers=4,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=1024, num_labels=1,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    transformers.LlamaForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def make_rows(tokenizer: Any, n: int, seed: int = 1) -> tuple[list[str], list[str]]:
    """Prompts of 10-60 tokens and completions so that prompt + completion is 20-400 tokens,
    log-uniform."""
    rng = random.Random(seed)

    def text(tokens: int) -> str:
        words: list[str] = []
        while len(tokenizer(" ".join(words), add_special_tokens=False)["input_ids"]) < tokens:
            words.extend(rng.choices(WORDS, k=max(1, (tokens - len(words)) // 2)))
        return " ".join(words)

    prompts, completions = [], []
    for _ in range(n):
        total = int(math.exp(rng.uniform(math.log(20), math.log(400))))
        prompt_len = rng.randint(10, min(60, max(10, total - 10)))
        body = max(5, total - prompt_len - 4)
        think = body * 3 // 4
        prompts.append(text(prompt_len) + "\n")
        completions.append(f"<think>{text(think)}</think> {text(body - think)}")
    return prompts, completions


class Reference:
    """The rows in their order, padded per batch by the tokenizer, one forward pass per batch."""

    def __init__(self, directory: str) -> None:
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(directory, local_files_only=True)
        self.model = transformers.AutoModelForSequenceClassification.from_pretrained(
            directory, local_files_only=True
        ).eval()

    def __call__(self, texts: list[str], batch_size: int) -> list[float]:
        out: list[float] = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                enc = self.tokenizer(
                    texts[start : start + batch_size], padding=True, truncation=True, max_length=512,
                    return_tensors="pt",
                )
                logits = self.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
                out.extend(logits[:, 0].tolist())
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1,16,64")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory() as directory:
        build_model(directory)
        reference = Reference(directory)
        prompts, completions = make_rows(reference.tokenizer, args.rows)
        texts = [p + c for p, c in zip(prompts, completions)]
        lengths = [len(reference.tokenizer(t)["input_ids"]) for t in texts]
        expected = reference(texts, 1)

        configs: dict[tuple[int, str], Any] = {}
        for size in sizes:
            for sort in (True, False):
                reward = ModelReward(directory, segment="full", max_length=512, batch_size=size, sort_by_length=sort,
                                     template="plain", device="cpu")
                got = reward(completions, prompts=prompts)  # warm-up (loads the model), and a check
                assert all(math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-4) for a, b in zip(got, expected)), size
                configs[(size, "sorted" if sort else "unsorted")] = reward
            reference(texts, size)  # warm-up
            configs[(size, "reference")] = size

        times: dict[tuple[int, str], list[float]] = {key: [] for key in configs}
        for _ in range(args.runs):
            for key, what in configs.items():
                start = time.perf_counter()
                if isinstance(what, int):
                    reference(texts, what)
                else:
                    what(completions, prompts=prompts)
                times[key].append(time.perf_counter() - start)

    print(f"{args.rows} rows, {min(lengths)}-{max(lengths)} tokens (median {statistics.median(lengths):.0f}, "
          f"mean {statistics.fmean(lengths):.0f}); torch {torch.__version__} with {torch.get_num_threads()} threads, "
          f"transformers {transformers.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
          f"median of {args.runs} runs")
    print()
    print("| batch size | sorted (default) | unsorted | reference (unsorted, tokenizer padding) | sorted / reference |")
    print("|---|---|---|---|---|")
    for size in sizes:
        kinds = ("sorted", "unsorted", "reference")
        rate = {kind: args.rows / statistics.median(times[(size, kind)]) for kind in kinds}
        print(f"| {size} | {rate['sorted']:,.0f} | {rate['unsorted']:,.0f} | {rate['reference']:,.0f} | "
              f"{rate['sorted'] / rate['reference']:.2f}x |")


if __name__ == "__main__":
    main()
