"""What the trainer adapters share: reward specs (``NAME[:WEIGHT]``), built once per process,
and the mapping of a trainer's single reference (verl's ``ground_truth``, OpenRLHF's label)
onto the columns a reward reads."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from verifiers.base import BaseReward
from verifiers.errors import ConfigError, InputError, UnknownRewardError
from verifiers.registry import get_reward, names, split_weight
from verifiers.types import Status, Verdict

__all__ = [
    "STATUSES", "Options", "Spec", "build", "check_none", "columns_for", "fill_none", "parse_options", "parse_spec",
]

#: ``(("accuracy", 1.0), ("format", 0.2))``: rewards and their weights.
Spec = tuple[tuple[str, float], ...]


def parse_spec(value: Any, where: str) -> Spec:
    """A spec from ``"accuracy"``, ``"accuracy:1,format:0.2"`` or ``["accuracy", "format:0.2"]``;
    a name may be ``module:attribute`` (a reward of your own, e.g. a :class:`~verifiers.Router`).

    >>> parse_spec("accuracy:1, format:0.2", "test")
    (('accuracy', 1.0), ('format', 0.2))

    Raises:
        ConfigError: an empty spec, a weight that is not a finite number.
    """
    if isinstance(value, str):
        items = [part for part in (p.strip() for p in value.split(",")) if part]
    elif isinstance(value, Sequence) or (hasattr(value, "__iter__") and not isinstance(value, Mapping)):
        items = [str(part).strip() for part in value]
    else:
        raise ConfigError(f"{where}: rewards must be 'NAME[:WEIGHT],...' or a list of them, not {value!r}")
    spec = []
    for item in items:
        try:
            name, number = split_weight(item)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if not math.isfinite(number) or not name:
            raise ConfigError(f"{where}: {item!r}: expected NAME[:WEIGHT] with a finite weight")
        spec.append((name, number))
    if not spec:
        raise ConfigError(f"{where}: no reward given")
    return tuple(spec)


#: ``(("model", "path", "/models/rm"), ...)``: config options of named rewards.
Options = tuple[tuple[str, str, Any], ...]


def parse_options(items: Sequence[str], flag: str = "--set") -> Options:
    """Options from ``REWARD.OPTION=VALUE`` items (several per item, comma-separated; values
    read as JSON when they are JSON, else as strings), as ``verify score`` and ``verify serve``
    take them. ``REWARD`` may be ``module:attribute``.

    >>> parse_options(["accuracy.low=-1, model.path=/rm"])
    (('accuracy', 'low', -1), ('model', 'path', '/rm'))

    Raises:
        ConfigError: an item that is not ``REWARD.OPTION=VALUE``.
    """
    out = []
    for item in items:
        for pair in filter(None, (p.strip() for p in item.split(","))):
            key, eq, text = pair.partition("=")
            name, dot, option = key.strip().rpartition(".")
            if not (eq and dot and name and option and text.strip()):
                raise ConfigError(f"{flag} {pair!r}: expected REWARD.OPTION=VALUE")
            try:
                value = json.loads(text)
            except ValueError:
                value = text.strip()
            out.append((name, option, value))
    return tuple(out)


def build(spec: Spec, options: Options = ()) -> BaseReward:
    """The reward of a spec (one reward, or a ``WeightedSum`` named ``total``), with config
    options by reward name, built once per process, spec and options.

    Raises:
        UnknownRewardError: a name that is not registered (``code`` before the code reward
            is installed, a typo); the message lists the known names.
        ConfigError: an option for a reward that is not in the spec, or one it does not take.
    """
    return _build(spec, json.dumps(options, sort_keys=True))


@functools.lru_cache(maxsize=64)
def _build(spec: Spec, options_json: str) -> BaseReward:
    for name, _ in spec:
        if ":" not in name and name not in names(every=True):
            raise UnknownRewardError(
                f"reward {name!r} is not available in this installation of verifiers (known: "
                f"{', '.join(names(every=True))}); route its data source to another reward or install a "
                "version that has it"
            )
    config: dict[str, dict[str, Any]] = {}
    for name, option, value in json.loads(options_json):
        if name not in {n for n, _ in spec}:
            raise ConfigError(f"an option is set for {name!r}, which is not among the rewards ({option}={value!r})")
        config.setdefault(name, {})[option] = value
    if len(spec) == 1 and spec[0][1] == 1.0:
        return get_reward(spec[0][0], **config.get(spec[0][0], {}))  # type: ignore[no-any-return]
    from verifiers.shaping.combine import WeightedSum

    parts = [(get_reward(name, **config.get(name, {})), weight) for name, weight in spec]
    return WeightedSum(parts, name="total")


#: Where a single reference goes for a reward whose columns are all optional (its first
#: optional column otherwise): verl's and OpenRLHF's code datasets carry APPS-style
#: ``{"inputs": [...], "outputs": [...]}`` test cases.
REFERENCE_COLUMN = {"code": "input_output"}


def reference_column(reward: BaseReward) -> str | None:
    """The column a trainer's single reference fills for ``reward``."""
    if reward.columns:
        return reward.columns[0]
    for part in (reward, *getattr(reward, "parts", ())):
        name = getattr(part, "__name__", None)
        if name in REFERENCE_COLUMN:
            return REFERENCE_COLUMN[name]
    return reward.optional_columns[0] if reward.optional_columns else None


def columns_for(reward: BaseReward, reference: Any, extra: Any = None, route: Any = None) -> dict[str, Any]:
    """One row's columns for ``reward`` from a trainer's reference and extra fields.

    A reference that is a mapping (or a JSON object in a string) whose keys name the reward's
    columns gives columns by key (Countdown's ``{"target": ..., "nums": ...}``); any other
    reference is the value of the reward's reference column (``solution`` for ``accuracy``,
    ``input_output`` for ``code``). Keys of ``extra`` that the reward reads fill in what the
    reference did not give.

    A :class:`~verifiers.Router` (the reward, or a part of it) takes the row's route key from
    ``route`` (verl's ``data_source``), else from ``extra`` or the reference's keys, and the
    reference then fills the columns of the reward that key routes to.
    """
    router = _router_in(reward)
    if router is not None:
        column = router.column
        by_key = reference if isinstance(reference, Mapping) else _json_object(reference)
        for source in (extra, by_key):
            if route is None and isinstance(source, Mapping) and source.get(column) is not None:
                route = _plain(source[column])
        target = router.route(route) if route is not None else None
        row = columns_for(target, reference, extra) if isinstance(target, BaseReward) else {}
        if route is not None:
            row[column] = route
        return row
    wanted = (*reward.columns, *reward.optional_columns)
    row: dict[str, Any] = {}
    if isinstance(extra, Mapping):
        row.update({k: _plain(extra[k]) for k in wanted if k in extra and extra[k] is not None})
    by_key = reference if isinstance(reference, Mapping) else _json_object(reference)
    target = reference_column(reward)
    if by_key is not None and any(k in by_key for k in wanted) and (
        isinstance(reference, Mapping) or any(k in by_key for k in reward.columns) or not reward.columns
    ):
        row.update({k: _plain(by_key[k]) for k in wanted if k in by_key})
    elif target is not None:
        row[target] = _plain(reference)
    return row


def add_prompts(reward: BaseReward, rows: list[dict[str, Any]], prompts: Sequence[Any]) -> None:
    """Give each row its prompt as TRL's ``prompts`` column, where the reward reads one (a
    learned reward model scores the prompt with the response)."""
    if "prompts" in (*reward.columns, *reward.optional_columns):
        for row, prompt in zip(rows, prompts):
            if prompt is not None:
                row["prompts"] = prompt


def _router_in(reward: Any) -> Any:
    from verifiers.router import Router

    for part in (reward, *getattr(reward, "parts", ())):
        if isinstance(part, Router):
            return part
    return None


def _json_object(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None
    return None


def _plain(value: Any) -> Any:
    """numpy scalars and arrays (verl keeps its non-tensor batch in object arrays) as Python values."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    return value


def check_none(none: Any, where: str = "") -> Any:
    """``none`` (what a row without a usable reference gets), checked: ``"raise"`` or a finite
    number.

    Raises:
        ConfigError: anything else.
    """
    if none == "raise" or _finite(none):
        return none
    raise ConfigError(f"{where}none must be 'raise' or a finite number, not {none!r}")


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def fill_none(verdict: Verdict, none: Any, where: str) -> float:
    """The number a trainer that cannot skip a row gets for ``verdict``.

    A ``None`` (the data's fault: a missing or unusable reference) raises unless ``none`` is a
    number the caller opted in to (for GRPO, where every sample of a prompt shares its
    reference, a constant gives the whole group a zero advantage).

    Raises:
        InputError: ``verdict.reward`` is ``None`` and ``none`` is ``"raise"``.
    """
    if verdict.reward is not None:
        return float(verdict.reward)
    if none == "raise" or none is None:
        raise InputError(
            f"{where}: no reward for this row ({verdict.status.value}: {verdict.detail}); it is the data's "
            "fault, so verifiers gives no number. Fix the reference, or set none=<number> to give such "
            "rows a constant"
        )
    return float(check_none(none, f"{where}: "))


#: Every status, in order: adapters that log one value per status use this fixed set of keys.
STATUSES = tuple(status.value for status in Status)
