"""The implementation of :mod:`verifiers.adapters.verl` (that module re-exports it, so that the
functions stay picklable by reference even when verl loads that file by path)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from verifiers.adapters._common import Spec, build, check_none, columns_for, fill_none, parse_spec
from verifiers.base import BaseReward
from verifiers.errors import ConfigError, InputError
from verifiers.router import match_route
from verifiers.types import Status, Verdict

__all__ = ["DEFAULT_ROUTES", "compute_score", "compute_score_async", "compute_score_batch"]

#: data_source -> reward spec. verl's own dataset names (``verl.utils.reward_score``); a key
#: ending in ``*`` matches every data source that starts with what precedes it.
DEFAULT_ROUTES: dict[str, str] = {
    **dict.fromkeys(
        [
            "openai/gsm8k", "lighteval/MATH", "DigitalLearningGmbH/MATH-lighteval", "HuggingFaceH4/MATH-500",
            "math_dapo", "math", "math_dapo_reasoning", "aime*", "numina_*",
        ],
        "accuracy",
    ),
    **dict.fromkeys(["codecontests", "apps", "codeforces", "taco"], "code"),
}


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> float | dict[str, Any]:
    """Score one response, as verl's ``NaiveRewardManager`` (and its reward loop) calls it.

    Configure it with ``custom_reward_function.reward_kwargs`` (verl merges them into every
    call); keywords it does not know (verl's ``reward_router_address``, ...) are ignored.

    Args:
        data_source: The row's ``data_source``; picks the reward (see ``routes``).
        solution_str: The decoded response.
        ground_truth: ``reward_model.ground_truth``: the reference (or a mapping of columns,
            e.g. Countdown's ``{"target": ..., "nums": ...}``).
        extra_info: The row's ``extra_info``; keys that the reward reads are used as columns.
        **kwargs: ``rewards`` (a spec for every data source: ``"accuracy:1,format:0.2"``),
            ``routes`` (``{data_source: spec}``, over :data:`DEFAULT_ROUTES`), ``default``
            (the spec of data sources no route matches; default: an error), ``none``
            (``"raise"``, the default, or the number a row without a usable reference gets),
            ``extras`` (``True``, the default: a dict with ``score``, ``acc``, ``pred`` and
            ``status``; ``False``: the float alone).

    Returns:
        The reward, or ``{"score": ..., "acc": ..., "pred": ..., "status": ...}``.

    Raises:
        ConfigError: no route for ``data_source``, or the routed reward is not installed.
        InputError: the row has no usable reference and ``none`` is ``"raise"``.

    >>> compute_score("openai/gsm8k", "so the answer is #### 72", "72")["score"]
    1.0
    >>> compute_score("lighteval/MATH", r"\\boxed{\\frac{1}{2}}", "0.5", extras=False)
    1.0
    """
    return compute_score_batch(
        data_sources=[data_source], solution_strs=[solution_str], ground_truths=[ground_truth],
        extra_infos=[extra_info], **kwargs,
    )[0]


async def compute_score_async(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> float | dict[str, Any]:
    """:func:`compute_score` as a coroutine (verl's reward loop awaits it on its event loop):
    the same result, graded in a worker thread."""
    import asyncio

    return await asyncio.to_thread(
        compute_score, data_source, solution_str, ground_truth, extra_info, **kwargs
    )


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    **kwargs: Any,
) -> list[float | dict[str, Any]]:
    """Score a batch, as verl's ``BatchRewardManager`` calls it (plural keyword lists).

    Rows are grouped by the reward their data source routes to, and each group is scored in
    one call (identical rows graded once). Keywords as for :func:`compute_score`.

    Raises:
        InputError: the lists do not have one value per response.

    >>> compute_score_batch(
    ...     data_sources=["openai/gsm8k", "openai/gsm8k"], solution_strs=["so #### 3", "so #### 4"],
    ...     ground_truths=["3", "3"], extra_infos=[{}, {}], extras=False,
    ... )
    [1.0, 0.0]
    """
    options = _Options.of(kwargs)
    n = _length(solution_strs, "solution_strs")
    for name, values in (("data_sources", data_sources), ("ground_truths", ground_truths)):
        if _length(values, name) != n:
            raise InputError(f"verl: {name} has {_length(values, name)} values for {n} solution_strs")
    if extra_infos is None:
        extra_infos = [None] * n
    elif _length(extra_infos, "extra_infos") != n:
        raise InputError(f"verl: extra_infos has {_length(extra_infos, 'extra_infos')} values for {n} solution_strs")
    groups: dict[Spec, list[int]] = {}
    for i in range(n):
        groups.setdefault(options.route(data_sources[i]), []).append(i)
    out: list[Any] = [None] * n
    for spec, rows in groups.items():
        reward = build(spec)
        verdicts = _score(reward, [solution_strs[i] for i in rows], [ground_truths[i] for i in rows],
                          [extra_infos[i] for i in rows], [data_sources[i] for i in rows])
        for i, verdict in zip(rows, verdicts):
            where = f"verl: data_source {data_sources[i]!r}, row {i}"
            score = fill_none(verdict, options.none, where)
            out[i] = _result(score, verdict) if options.extras else score
    return out


def _score(
    reward: BaseReward, texts: list[Any], references: list[Any], extras: list[Any], sources: list[Any]
) -> list[Verdict]:
    rows = [columns_for(reward, *row) for row in zip(references, extras, sources)]
    columns: dict[str, list[Any]] = {}
    for name in (*reward.columns, *reward.optional_columns):
        if any(name in row for row in rows):
            columns[name] = [row.get(name) for row in rows]
    verdicts = reward.score([t if t is not None else "" for t in texts], **columns)
    return [
        Verdict(None, Status.MISSING_COLUMN, detail="the response is missing (null)") if t is None else v
        for t, v in zip(texts, verdicts)
    ]


def _result(score: float, verdict: Verdict) -> dict[str, Any]:
    # The same keys for every row (verl gathers each key into one list per batch); strings
    # (pred, status) are shown but left out of verl's numeric metrics; pred feeds maj@N.
    return {
        "score": score,
        "acc": 1.0 if verdict.status is Status.CORRECT else 0.0,
        "pred": verdict.extracted if verdict.extracted is not None else "",
        "status": verdict.status.value,
    }


def _length(values: Any, name: str) -> int:
    if values is None or isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__len__"):
        raise InputError(f"verl: {name} must be a list with one value per response, not {type(values).__name__}")
    return len(values)


class _Options:
    """The keywords of one call, checked."""

    __slots__ = ("default", "everything", "extras", "none", "routes")

    def __init__(self) -> None:
        self.everything: Spec | None = None
        self.routes: dict[str, Spec] = {}
        self.default: Spec | None = None
        self.none: Any = "raise"
        self.extras = True

    @classmethod
    def of(cls, kwargs: Mapping[str, Any]) -> _Options:
        options = cls()
        if kwargs.get("rewards") is not None:
            options.everything = parse_spec(kwargs["rewards"], "verl rewards")
        routes: Any = dict(DEFAULT_ROUTES)
        if kwargs.get("routes") is not None:
            extra = kwargs["routes"]
            if not isinstance(extra, Mapping):
                raise ConfigError(f"verl routes must be a mapping of data_source to rewards, not {extra!r}")
            routes.update({str(k): v for k, v in extra.items()})
        options.routes = {k: parse_spec(v, f"verl route {k!r}") for k, v in routes.items()}
        if kwargs.get("default") is not None:
            options.default = parse_spec(kwargs["default"], "verl default")
        options.none = check_none(kwargs.get("none", "raise"), "verl ")
        options.extras = bool(kwargs.get("extras", True))
        return options

    def route(self, data_source: Any) -> Spec:
        if self.everything is not None:
            return self.everything
        key = str(data_source)
        found = match_route(self.routes, key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        if self.default is not None:
            return self.default
        raise ConfigError(
            f"verl: no reward for data_source {key!r}; add it to custom_reward_function.reward_kwargs.routes "
            "(e.g. {'" + key + "': 'accuracy'}), or set reward_kwargs.default"
        )
