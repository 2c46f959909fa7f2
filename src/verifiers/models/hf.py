"""A learned reward model behind the Reward protocol: a Hugging Face sequence classifier.

:class:`ModelReward` scores ``(prompt, response)`` pairs with a sequence-classification reward
model (``AutoModelForSequenceClassification``: one logit per input, or one of several labels).
It is a :class:`~verifiers.base.BatchReward`, so it goes through the one scoring path:
``__call__`` returns floats (TRL), ``score`` verdicts, ``acall``/``ascore`` come free, and it
can be a part of a :class:`~verifiers.shaping.combine.WeightedSum` or a ``Gated`` reward.

**Input.** For each row, the judged segment of the completion (``segment``: the final answer,
the reasoning or the whole response, see :func:`~verifiers.models.segment.segment_text`) and
the row's ``prompts`` value (a string, or TRL's conversational list of messages). With a
tokenizer that has a chat template (and ``template="auto"``), the input is
``tokenizer.apply_chat_template(prompt_messages + [{"role": "assistant", "content": segment}],
tokenize=False)``, tokenized without adding special tokens (the template has them). Otherwise
it is ``prompt_text + separator + segment`` (``separator`` is ``""`` by default: TRL's
standard format, where the completion continues the prompt), tokenized with the tokenizer's
special tokens (BOS, ``[CLS]``...).

**Truncation.** An input longer than ``max_length`` tokens (capped by the model's
``max_position_embeddings``) keeps its special tokens and loses tokens from the left
(``truncation="left"``, the default: the start of the prompt goes first, the end of the
response is kept) or from the right. The verdict's detail says how many tokens were dropped.

**Batching.** Inputs are tokenized once, identical inputs are scored once, sorted by length
(longest first, ``sort_by_length``) so that padding is small, cut into batches of
``batch_size``, padded on the tokenizer's side, and run under ``torch.inference_mode()`` with
the model in eval mode. Results come back in the rows' order.

**Values.** The raw score is the logit of ``label`` (0 by default). ``normalize=None`` uses it
as it is; ``"affine"`` gives ``scale * raw + shift``; ``"running"`` gives
``scale * (raw - mean) / max(std, eps) + shift`` with the mean and (population) standard
deviation of every raw score this instance has seen, this batch included (Welford's algorithm).
Running normalization is stateful: the value of a row depends on what was scored before, so it
is not reproducible across batch orders, and each copy of the reward (each process a trainer
pickles it into) keeps its own statistics, starting from those it was pickled with. Every value
is then clipped to ``[low, high]``, so ``reward_range`` is ``(low, high)`` and finite (a
``WeightedSum`` adds ranges, a ``Gated`` reward gives ``low`` where its gate fails); the
defaults, ``[-10, 10]``, hold the logits of common reward models; widen them for a model with a
larger scale (the detail of a clipped row says so).

**Faults.** A row whose segment is empty or absent (no answer after ``</think>``, a completion
cut off inside its reasoning, an empty completion) is the model's fault: ``low``, status
``no_answer``. A learned model has no natural "wrong" value, so ``low`` (the bottom of the
range) is what such a row earns. A row without a prompt (``prompts`` missing or null) gets
``None`` with status ``missing_column`` unless ``require_prompt=False`` (then the response is
scored alone), and a prompt that is not text or messages ``None`` with ``malformed_input``
(the data's fault). A model or tokenizer that raises, or a score that is not a finite number,
is the infrastructure's fault: :class:`~verifiers.errors.InfrastructureError` (or, with
``on_error="skip"``, ``None`` with status ``infra_error`` for the rows of that batch), never a
0.0.

**Loading and pickling.** ``ModelReward(path)`` loads the model and tokenizer from a local
directory (``local_files_only=True``) on first use, in each process: pickling it (trainers
pickle reward functions into workers) carries the path and the config, never the loaded
weights. ``ModelReward(model=..., tokenizer=...)`` uses the given objects (anything with the
``model(input_ids=..., attention_mask=...).logits`` interface and a Hugging Face tokenizer's
interface); pickling it pickles them. torch and transformers are imported on first use:
``pip install 'reasoning-verifiers[model]'``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from verifiers._version import __version__
from verifiers.base import Batch, BatchReward, RewardConfig, Scores
from verifiers.errors import ConfigError, InfrastructureError, InputError, require
from verifiers.models.segment import Segment, prompt_messages, prompt_text, segment_text
from verifiers.types import Status, Verdict

__all__ = ["ModelConfig", "ModelReward"]

_EXTRA = "model"
_PURPOSE = "ModelReward (a learned reward model)"


@dataclass(frozen=True, kw_only=True)
class ModelConfig(RewardConfig):
    """Config of :class:`ModelReward`.

    Args:
        low: The bottom of the range: scores are clipped to it, and a row with an empty segment
            (no answer) gets it.
        high: The top of the range: scores are clipped to it.
        path: A local directory holding the model and its tokenizer (``save_pretrained``), or
            ``None`` when the reward is built from a model object.
        segment: What the model judges: ``"answer"`` (the text after the last ``</think>``),
            ``"reasoning"`` (the text inside ``<think>...</think>``) or ``"full"``.
        prefill: The prompt ends with ``<think>``: the completion starts inside its reasoning.
        require_prompt: Rows need the ``prompts`` column (``None``, ``missing_column``, without
            it); with ``False`` a row without a prompt is scored on its response alone.
        template: ``"auto"``: the tokenizer's chat template when it has one; ``"plain"``: always
            ``prompt + separator + response``.
        separator: What joins prompt and response without a chat template.
        label: The index of the logit used as the score (for models with several labels).
        max_length: The most tokens per input (special tokens included); longer inputs are
            truncated. Capped by the model's ``max_position_embeddings``.
        truncation: ``"left"`` (drop the start of the prompt first, keep the end of the
            response) or ``"right"``.
        batch_size: Inputs per forward pass.
        sort_by_length: Batch inputs of similar lengths together (less padding).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; ``None``: ``cuda`` when available, else
            ``cpu`` (a model object given with ``device=None`` stays where it is).
        dtype: The weights' dtype when loading from ``path`` (``None``: transformers' default).
        normalize: ``None`` (the raw logit), ``"affine"`` (``scale * raw + shift``) or
            ``"running"`` (``scale * z + shift``, ``z`` standardized with running statistics).
        scale: Multiplier of the normalized value.
        shift: Offset of the normalized value.
        eps: The least standard deviation used by running normalization.
        on_error: A model that raises: ``"raise"`` (:class:`~verifiers.errors.InfrastructureError`)
            or ``"skip"`` (``None``, status ``infra_error``, for the rows of that batch).

    >>> ModelConfig(path="rm", normalize="affine", scale=0.5).scale
    0.5
    >>> ModelConfig(path="rm", scale=2.0)
    Traceback (most recent call last):
    ...
    verifiers.errors.ConfigError: ModelConfig: scale and shift apply only with normalize='affine' or 'running'
    """

    low: float = -10.0
    high: float = 10.0
    path: str | None = None
    segment: Segment = "answer"
    prefill: bool = False
    require_prompt: bool = True
    template: Literal["auto", "plain"] = "auto"
    separator: str = ""
    label: int = 0
    max_length: int = 2048
    truncation: Literal["left", "right"] = "left"
    batch_size: int = 16
    sort_by_length: bool = True
    device: str | None = None
    dtype: Literal["float32", "float16", "bfloat16"] | None = None
    normalize: Literal["affine", "running"] | None = None
    scale: float = 1.0
    shift: float = 0.0
    eps: float = 1e-4
    on_error: Literal["raise", "skip"] = "raise"

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        for key in ("max_length", "batch_size"):
            if getattr(self, key) < 1:
                raise ConfigError(f"{name}.{key} must be at least 1, not {getattr(self, key)}")
        if self.label < 0:
            raise ConfigError(f"{name}.label must be a label index (0 or more), not {self.label}")
        if not (math.isfinite(self.scale) and math.isfinite(self.shift)):
            raise ConfigError(f"{name}: scale and shift must be finite")
        if not (self.eps > 0 and math.isfinite(self.eps)):
            raise ConfigError(f"{name}.eps must be positive, not {self.eps}")
        if self.normalize is None and (self.scale, self.shift) != (1.0, 0.0):
            raise ConfigError(f"{name}: scale and shift apply only with normalize='affine' or 'running'")
        if self.path is not None and not self.path.strip():
            raise ConfigError(f"{name}.path must name a model directory, not {self.path!r}")


class _Running:
    """Welford's running mean and variance (population)."""

    __slots__ = ("count", "m2", "mean")

    def __init__(self) -> None:
        self.count, self.mean, self.m2 = 0, 0.0, 0.0

    def update(self, values: Sequence[float]) -> None:
        for x in values:
            self.count += 1
            delta = x - self.mean
            self.mean += delta / self.count
            self.m2 += delta * (x - self.mean)

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / self.count) if self.count else 0.0


class _Runtime:
    """A loaded model and tokenizer, and what was worked out about them once."""

    def __init__(self, torch: Any, model: Any, tokenizer: Any, config: ModelConfig, *, move: bool) -> None:
        self.torch, self.model, self.tokenizer = torch, model, tokenizer
        device = config.device
        if device is None and move:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device is not None and callable(getattr(model, "to", None)):
            model = self.model = model.to(device)
        if device is None:  # a model object left where it is: inputs go to its device
            params = getattr(model, "parameters", None)
            first = next(iter(params()), None) if callable(params) else None
            device = str(first.device) if first is not None else "cpu"
        self.device = device
        if callable(getattr(model, "eval", None)):
            model.eval()
        model_config = getattr(model, "config", None)
        pad = getattr(model_config, "pad_token_id", None)
        if pad is None:
            pad = getattr(tokenizer, "pad_token_id", None)
            if pad is not None and model_config is not None:
                # what the model needs to find each row's last token (decoder reward models)
                model_config.pad_token_id = pad
        self.pad_id: int | None = pad
        self.padding_side = getattr(tokenizer, "padding_side", "right")
        limit = getattr(model_config, "max_position_embeddings", None)
        self.max_length = min(config.max_length, limit) if isinstance(limit, int) and limit > 0 else config.max_length
        self.templated = config.template == "auto" and bool(getattr(tokenizer, "chat_template", None))
        self.prefix, self.suffix = ((), ()) if self.templated else _special_tokens(tokenizer)
        if self.max_length <= len(self.prefix) + len(self.suffix):
            raise ConfigError(f"max_length {self.max_length} leaves no room for text")
        self.bos = getattr(tokenizer, "bos_token_id", None)


#: Characters kept per token of ``max_length`` before tokenizing (tokens average 3-5 characters;
#: a token of more than 32 is rare even in byte-level vocabularies).
CHARS_PER_TOKEN = 32


def _cut(text: str, cap: int, keep_end: bool) -> str:
    """``text`` cut to ``cap`` characters, keeping its end (or its start)."""
    if len(text) <= cap:
        return text
    return text[-cap:] if keep_end else text[:cap]


def _special_tokens(tokenizer: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The special tokens the tokenizer puts before and after a text (``[CLS]``/``[SEP]``,
    BOS...), found by tokenizing a probe with and without them."""
    probe = "reward model probe"
    plain = list(tokenizer(probe, add_special_tokens=False)["input_ids"])
    full = list(tokenizer(probe, add_special_tokens=True)["input_ids"])
    for start in range(len(full) - len(plain) + 1):
        if full[start : start + len(plain)] == plain:
            return tuple(full[:start]), tuple(full[start + len(plain) :])
    return (), ()


class ModelReward(BatchReward[ModelConfig]):
    """A Hugging Face sequence-classification reward model as a reward (see the module docstring).

    Args:
        path: A local model directory (or a :class:`ModelConfig`).
        model: A model object instead of a path: ``model(input_ids=..., attention_mask=...)``
            returns ``.logits`` of shape ``[batch, num_labels]`` (or ``[batch]``).
        tokenizer: The model's tokenizer (required with ``model``).
        backend: Accepted for uniformity; the model always runs in the calling process.
        **overrides: :class:`ModelConfig` fields.

    Raises:
        ConfigError: neither ``path`` nor ``model`` given, or both, or ``model`` without
            ``tokenizer``; a bad config field.

    The model is loaded on first use; a path that holds no model raises ``ConfigError`` then
    (call :meth:`load` to fail early). Without torch and transformers,
    :class:`~verifiers.errors.BackendUnavailable` names the extra to install.

    >>> rm = ModelReward("models/my-rm", segment="full", max_length=512)
    >>> rm.signature().rsplit("|v:", 1)[0]
    'model|path:models/my-rm|segment:full|max_length:512|truncation:left|norm:none|range:-10,10'
    >>> rm.reward_range, rm.columns
    ((-10.0, 10.0), ('prompts',))
    """

    name = "model"
    config_class = ModelConfig

    def __init__(
        self,
        path: str | ModelConfig | None = None,
        /,
        *,
        model: Any = None,
        tokenizer: Any = None,
        backend: Any = None,
        **overrides: Any,
    ) -> None:
        config = None
        if isinstance(path, ModelConfig):
            config = path
        elif path is not None:
            if not isinstance(path, str):
                path = str(path)  # a pathlib.Path
            overrides["path"] = path
        elif overrides.get("path") is not None and not isinstance(overrides["path"], str):
            overrides["path"] = str(overrides["path"])
        super().__init__(config, backend=backend, **overrides)
        if model is None and self.config.path is None:
            raise ConfigError("ModelReward needs path= (a local model directory) or model= and tokenizer=")
        if model is not None and self.config.path is not None:
            raise ConfigError("ModelReward takes path= or model=, not both")
        if model is not None and tokenizer is None:
            raise ConfigError("ModelReward(model=...) needs the model's tokenizer= too")
        self._model, self._tokenizer = model, tokenizer
        required = self.config.require_prompt
        self.columns = ("prompts",) if required else ()
        self.optional_columns = () if required else ("prompts",)
        self._runtime: _Runtime | None = None
        self._stats = _Running()
        self._lock = threading.Lock()

    # -- pickling: the path, never the loaded weights ------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_runtime"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and other.config == self.config  # type: ignore[attr-defined]
            and other._model is self._model  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self), self.config, id(self._model)))

    def __repr__(self) -> str:
        if self._model is None:
            return f"ModelReward({self.config.path!r})"
        return f"ModelReward(model={type(self._model).__name__})"

    # -- the protocol ----------------------------------------------------------------------------
    def signature(self) -> str:
        """``model|path:...|segment:...|max_length:...|truncation:...|norm:...|range:...|v:...``
        (the model class instead of the path for a model object)."""
        c = self.config
        source = f"path:{c.path}" if self._model is None else f"class:{type(self._model).__name__}"
        norm: str = "none" if c.normalize is None else c.normalize
        if c.normalize is not None and (c.scale, c.shift) != (1.0, 0.0):
            norm += f"({c.scale:g},{c.shift:g})"
        parts = ["model", source, f"segment:{c.segment}", f"max_length:{c.max_length}", f"truncation:{c.truncation}",
                 f"norm:{norm}", f"range:{c.low:g},{c.high:g}"]
        if c.label:
            parts.append(f"label:{c.label}")
        if c.prefill:
            parts.append("prefill:True")
        if c.dtype is not None:
            parts.append(f"dtype:{c.dtype}")
        if c.normalize == "running" and c.eps != 1e-4:
            parts.append(f"eps:{c.eps:g}")
        if c.template != "auto":
            parts.append(f"template:{c.template}")
        if c.separator:
            parts.append(f"sep:{c.separator!r}")
        parts.append(f"v:{__version__}")
        return "|".join(parts)

    def load(self) -> ModelReward:
        """Load the model and tokenizer now (otherwise on first use); returns the reward.

        Raises:
            ConfigError: nothing loadable at ``path``.
            BackendUnavailable: torch or transformers is not installed.
        """
        self._loaded()
        return self

    @property
    def running_stats(self) -> tuple[int, float, float]:
        """``(count, mean, std)`` of the raw scores seen so far (what ``"running"`` uses)."""
        return (self._stats.count, self._stats.mean, self._stats.std)

    def _loaded(self) -> _Runtime:
        runtime = self._runtime
        if runtime is not None:
            return runtime
        with self._lock:
            if self._runtime is None:
                self._runtime = self._load()
            return self._runtime

    def _load(self) -> _Runtime:
        torch: Any = require("torch", _EXTRA, _PURPOSE)
        if self._model is not None:
            return _Runtime(torch, self._model, self._tokenizer, self.config, move=False)
        transformers: Any = require("transformers", _EXTRA, _PURPOSE)
        path = self.config.path
        kwargs: dict[str, Any] = {"local_files_only": True}
        if self.config.dtype is not None:
            new = tuple(int(x) for x in transformers.__version__.split(".")[:2] if x.isdigit()) >= (4, 56)
            kwargs["dtype" if new else "torch_dtype"] = getattr(torch, self.config.dtype)
        bars = transformers.utils.logging
        shown = bars.is_progress_bar_enabled()
        bars.disable_progress_bar()  # a reward loads quietly: no bar in a trainer's or verify's output
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = transformers.AutoModelForSequenceClassification.from_pretrained(path, **kwargs)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"ModelReward: cannot load a reward model from {path!r} (local files only): {exc}"
            ) from exc
        finally:
            if shown:
                bars.enable_progress_bar()
        return _Runtime(torch, model, tokenizer, self.config, move=True)

    # -- the kernel ------------------------------------------------------------------------------
    def grade_batch(self, batch: Batch) -> Scores:
        """Model scores for the rows with a segment; ``low`` (``no_answer``) for the others."""
        c = self.config
        n = len(batch)
        prompts = batch.column("prompts")
        faults: dict[int, Verdict] = {}
        segments: list[str] = [""] * n
        for i, text in enumerate(batch.texts):
            seg = segment_text(text, c.segment, prefill=c.prefill)
            if seg is None:
                faults[i] = Verdict(c.low, Status.NO_ANSWER, detail=_ABSENT[c.segment])
            else:
                segments[i] = seg
        todo = [i for i in range(n) if i not in faults]
        values: list[float] = [0.0] * n
        if not todo:
            return Scores.from_values(values, faults, _no_describe)
        runtime = self._loaded()
        inputs: dict[int, str] = {}
        for i in todo:
            try:
                inputs[i] = self._render(runtime, None if prompts is None else prompts[i], segments[i])
            except InputError as exc:
                faults[i] = Verdict(None, Status.MALFORMED_INPUT, detail=f"prompt: {exc}")
        raw, dropped, errors = self._forward(runtime, list(inputs.values()))
        rows = list(inputs)
        raws: dict[int, float] = {}
        for j, i in enumerate(rows):
            if j in errors:
                faults[i] = Verdict(None, Status.INFRA_ERROR, detail=errors[j])
            elif not math.isfinite(raw[j]):
                detail = f"the model produced {raw[j]!r}, not a finite number"
                if c.on_error == "raise":
                    raise InfrastructureError(f"ModelReward: {detail}")
                faults[i] = Verdict(None, Status.INFRA_ERROR, detail=detail)
            else:
                raws[i] = raw[j]
        clipped: set[int] = set()
        transform = self._transform(list(raws.values()))
        for i, r in raws.items():
            value = transform(r)
            if not c.low <= value <= c.high:
                clipped.add(i)
                value = min(max(value, c.low), c.high)
            values[i] = value
        cut = {i: dropped[j] for j, i in enumerate(rows) if dropped[j]}

        def describe(i: int, value: float) -> Verdict:
            parts = [f"raw {raws[i]:.6g}"]
            if i in clipped:
                parts.append(f"clipped to [{c.low:g}, {c.high:g}]")
            if i in cut:
                parts.append(f"{cut[i]} tokens truncated ({c.truncation})")
            return Verdict(value, Status.SCORED, detail="; ".join(parts))

        return Scores.from_values(values, faults, describe)

    def _render(self, runtime: _Runtime, prompt: Any, response: str) -> str:
        """The model's input text for one row (see the module docstring).

        Every text (the response, the prompt, each prompt message) is first cut to
        ``CHARS_PER_TOKEN * max_length`` characters on the side that truncation drops: far more
        than ``max_length`` tokens, so the tokens kept are the same, and a 10 MB completion
        costs no more to tokenize than a long one."""
        cap = CHARS_PER_TOKEN * runtime.max_length
        keep_end = self.config.truncation == "left"
        response = _cut(response, cap, keep_end)
        if runtime.templated:
            messages = [{**m, "content": _cut(m["content"], cap, keep_end)} for m in prompt_messages(prompt)]
            messages.append({"role": "assistant", "content": response})
            return str(runtime.tokenizer.apply_chat_template(messages, tokenize=False))
        if prompt is None:
            return response
        return _cut(prompt_text(prompt), cap, keep_end) + self.config.separator + response

    def _transform(self, raws: list[float]) -> Any:
        c = self.config
        if c.normalize is None:
            return float
        if c.normalize == "affine":
            return lambda r: c.scale * r + c.shift
        with self._lock:
            self._stats.update(raws)
            mean, std = self._stats.mean, max(self._stats.std, c.eps)
        return lambda r: c.scale * (r - mean) / std + c.shift

    def _encode(self, runtime: _Runtime, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        """Token ids of each text, truncated to ``max_length``, and how many tokens each lost."""
        if not texts:
            return [], []
        encoded = runtime.tokenizer(texts, add_special_tokens=False)["input_ids"]
        prefix, suffix = list(runtime.prefix), list(runtime.suffix)
        budget = runtime.max_length - len(prefix) - len(suffix)
        left = self.config.truncation == "left"
        out, dropped = [], []
        for ids in encoded:
            ids = list(ids)
            lost = max(0, len(ids) - budget)
            if lost:
                if runtime.templated and ids[0] == runtime.bos and runtime.bos is not None:
                    head, body = [ids[0]], ids[1:]  # the template's BOS stays first
                    ids = head + (body[len(body) - (budget - 1) :] if left else body[: budget - 1])
                else:
                    ids = ids[lost:] if left else ids[:budget]
            out.append(prefix + ids + suffix)
            dropped.append(lost)
        return out, dropped

    def _forward(self, runtime: _Runtime, texts: list[str]) -> tuple[list[float], list[int], dict[int, str]]:
        """Raw scores of ``texts`` (in order), tokens dropped from each, and ``{index: detail}``
        for inputs whose batch failed with ``on_error="skip"``."""
        c = self.config
        slot: dict[str, int] = {}
        unique: list[str] = []
        where = []
        for text in texts:
            k = slot.get(text)
            if k is None:
                k = slot[text] = len(unique)
                unique.append(text)
            where.append(k)
        try:
            ids, dropped = self._encode(runtime, unique)
        except Exception as exc:
            raise InfrastructureError(f"ModelReward: the tokenizer failed: {exc!r}") from exc
        order = list(range(len(unique)))
        if c.sort_by_length:
            order.sort(key=lambda k: -len(ids[k]))
        size = c.batch_size if runtime.pad_id is not None else 1  # nothing to pad with: one by one
        scores: list[float] = [math.nan] * len(unique)
        failed: dict[int, str] = {}
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            try:
                values = self._run(runtime, [ids[k] for k in chunk])
            except Exception as exc:
                if c.on_error == "raise":
                    raise InfrastructureError(
                        f"ModelReward: the model failed on a batch of {len(chunk)} inputs: {exc!r}"
                    ) from exc
                for k in chunk:
                    failed[k] = f"the model failed on this row's batch: {exc!r}"
                continue
            for k, value in zip(chunk, values):
                scores[k] = value
        errors = {j: failed[k] for j, k in enumerate(where) if k in failed}
        return [scores[k] for k in where], [dropped[k] for k in where], errors

    def _run(self, runtime: _Runtime, rows: list[list[int]]) -> list[float]:
        """One forward pass over token-id rows: padded, masked, the ``label`` logit of each."""
        torch = runtime.torch
        width = max(map(len, rows))
        pad = runtime.pad_id if runtime.pad_id is not None else 0
        input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, ids in enumerate(rows):
            span = slice(width - len(ids), width) if runtime.padding_side == "left" else slice(0, len(ids))
            input_ids[r, span] = torch.tensor(ids, dtype=torch.long)
            mask[r, span] = 1
        with torch.inference_mode():
            out = runtime.model(input_ids=input_ids.to(runtime.device), attention_mask=mask.to(runtime.device))
            logits = getattr(out, "logits", None)
            if logits is None:
                logits = out[0] if isinstance(out, (tuple, list)) else out
            if logits.dim() == 2:
                logits = logits[:, self.config.label]
            elif logits.dim() != 1:
                raise ValueError(f"logits of shape {tuple(logits.shape)}; expected [batch, num_labels]")
            return [float(x) for x in logits.float().cpu().tolist()]


_ABSENT = {
    "answer": "no answer: nothing after </think> (or a completion cut off inside its reasoning)",
    "reasoning": "no reasoning: no <think> block, or an empty one",
    "full": "empty completion",
}


def _no_describe(i: int, value: float) -> Verdict:  # pragma: no cover - every row has a fault
    raise AssertionError("no row to describe")

