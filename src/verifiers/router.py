"""Per-row routing: each row is scored by the reward its route column names.

R1's last RL stage mixes data: math and code prompts keep their rule-based rewards, general
prompts are scored by a learned reward model. :class:`Router` does this behind the one
:class:`~verifiers.base.BaseReward` path: the rows of each route are scored together, as one
batch, by that route's reward; the results come back in the rows' order.

Matching a row's key (the value of its route column, as a string) against the routes:

1. a route of exactly that key;
2. else the longest route ending in ``*`` whose beginning the key starts with
   (``"aime*"`` matches ``"aime_2024"``);
3. else the ``default`` reward, when there is one;
4. else the row gets ``None`` with status ``no_route`` (the data's fault: nothing was
   configured for it). A row whose route column is absent or null gets ``missing_column``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from verifiers._version import __version__
from verifiers.base import BaseReward, Scores, _warn_missing, nested_scores, subset_columns
from verifiers.engine.backends import Backend
from verifiers.errors import ConfigError, InputError
from verifiers.shaping.combine import _combine_parts, _union
from verifiers.types import Reward, Status, Verdict

__all__ = ["Router", "match_route"]


def match_route(routes: Mapping[str, Any], key: str) -> Any | None:
    """The value of the route that ``key`` takes: an exact key, else the longest ``prefix*``
    key that ``key`` starts with, else ``None``.

    >>> match_route({"math": 1, "aime*": 2, "a*": 3}, "aime_2024"), match_route({"math": 1}, "code")
    (2, None)
    """
    if key in routes:
        return routes[key]
    best: str | None = None
    for route in routes:
        if route.endswith("*") and key.startswith(route[:-1]) and (best is None or len(route) > len(best)):
            best = route
    return routes[best] if best is not None else None


class Router(BaseReward):
    """Score each row with the reward its ``column`` routes it to.

    Each route's rows are scored as one batch (identical rows graded once, per-row kernels on
    the backend), and the verdicts come back in row order, each the routed reward's own
    (``correct``, ``timeout``, ``scored``, ...), so TRL's per-status logging shows why.

    Args:
        routes: Route key (``"openai/gsm8k"``, or ``"aime*"`` for every key that starts with
            ``aime``) to reward.
        column: The dataset column holding each row's key (default ``data_source``, as in verl
            and most R1-style datasets; ``task``, ``source``, ...).
        default: The reward of rows no route matches; ``None``: they get ``None``, status
            ``no_route``.
        name: The name TRL logs it under (default ``"router"``).
        backend: Where the routed rewards' per-row kernels run, unless they have their own.

    Raises:
        ConfigError: no route, a key that is not a string, or a value that is not a reward.

    >>> from verifiers import accuracy_reward, format_reward
    >>> router = Router({"math": accuracy_reward}, default=format_reward)
    >>> router([r"\\boxed{2}", "<think>.</think><answer>hi</answer>", "3"],
    ...        solution=["2", None, "4"], data_source=["math", "chat", "math"])
    [1.0, 1.0, 0.0]
    >>> router.columns, router.optional_columns
    (('data_source',), ('solution',))
    """

    def __init__(
        self,
        routes: Mapping[str, Reward],
        *,
        column: str = "data_source",
        default: Reward | None = None,
        name: str = "router",
        backend: Backend | None = None,
    ) -> None:
        if not isinstance(routes, Mapping) or not routes:
            raise ConfigError("Router needs a mapping of at least one route key to a reward")
        for key in routes:
            if not isinstance(key, str) or not key:
                raise ConfigError(f"Router route keys must be non-empty strings, not {key!r}")
        if not isinstance(column, str) or not column:
            raise ConfigError(f"Router column must be a column name, not {column!r}")
        self.routes = dict(routes)
        self.default = default
        self.column = column
        parts = [*self.routes.values(), *([default] if default is not None else [])]
        _combine_parts(self, parts, backend, name)
        # Only the route column is needed by every row; each part's columns are needed by its rows.
        read = dict.fromkeys((*_union(parts, "columns"), *_union(parts, "optional_columns")))
        self.optional_columns = tuple(c for c in read if c != column)
        self.columns = (column,)

    @property
    def parts(self) -> tuple[Any, ...]:
        """The routed rewards (each once), then the default."""
        unique: dict[int, Any] = {}
        for reward in (*self.routes.values(), self.default):
            if reward is not None:
                unique.setdefault(id(reward), reward)
        return tuple(unique.values())

    @property
    def reward_range(self) -> tuple[float, float]:
        ranges = [reward.reward_range for reward in self.parts]
        return (min(lo for lo, _ in ranges), max(hi for _, hi in ranges))

    def signature(self) -> str:
        """``NAME(column:COL)[KEY=>SIG;...;*=>SIG]|v:VERSION``."""
        inner = [f"{key}=>{reward.signature()}" for key, reward in self.routes.items()]
        if self.default is not None:
            inner.append(f"default=>{self.default.signature()}")
        return f"{self.__name__}(column:{self.column})[{';'.join(inner)}]|v:{__version__}"

    def route(self, key: Any) -> Reward | None:
        """The reward a row whose route column holds ``key`` is scored by (``None``: no route).

        >>> from verifiers import accuracy_reward
        >>> Router({"numina_*": accuracy_reward}).route("numina_math") is accuracy_reward
        True
        """
        found = match_route(self.routes, str(key))
        return found if found is not None else self.default

    def _evaluate(self, completions: Sequence[Any], columns: Mapping[str, Any], backend: Backend | None) -> Scores:
        n = len(completions)
        keys = columns.get(self.column)
        verdicts: list[Verdict | None] = [None] * n
        groups: dict[int, tuple[Any, list[int]]] = {}
        if keys is None:
            _warn_missing(self.__name__, self.column)
            missing = Verdict(None, Status.MISSING_COLUMN, detail=f"column {self.column!r} is missing")
            return Scores.from_verdicts([missing] * n)
        if isinstance(keys, (str, bytes, Mapping)) or not hasattr(keys, "__len__") or len(keys) != n:
            raise InputError(f"column {self.column!r} must be a list with one value per completion")
        for i in range(n):
            key = keys[i]
            if key is None:
                verdicts[i] = Verdict(None, Status.MISSING_COLUMN, detail=f"{self.column!r} is null")
                continue
            reward = self.route(key)
            if reward is None:
                verdicts[i] = Verdict(
                    None, Status.NO_ROUTE, detail=f"no reward for {self.column} {str(key)[:80]!r} and no default"
                )
                continue
            groups.setdefault(id(reward), (reward, []))[1].append(i)
        for reward, rows in groups.values():
            scores = nested_scores(
                reward, [completions[i] for i in rows], subset_columns(columns, rows, n), backend
            )
            if len(scores) != len(rows):
                raise InputError(f"{reward.__name__} returned {len(scores)} scores for {len(rows)} rows")
            for j, i in enumerate(rows):
                verdicts[i] = scores.verdict(j)
        return Scores.from_verdicts(verdicts)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Router({self.routes!r}, column={self.column!r}, default={self.default!r})"
