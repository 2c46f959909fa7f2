"""Router: per-row routing by a column, each route scored as one batch, row order kept."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import pytest

from verifiers import (
    ConfigError,
    Gated,
    InputError,
    MathAccuracy,
    ProcessPool,
    Router,
    Status,
    WeightedSum,
    accuracy_reward,
    format_reward,
    get_reward,
)
from verifiers.base import Batch, BatchReward, RewardConfig, Scores, VerifiersWarning
from verifiers.router import match_route
from verifiers.types import Verdict


@dataclass(frozen=True, kw_only=True)
class SpyConfig(RewardConfig):
    value: float = 0.5


class Spy(BatchReward[SpyConfig]):
    """Scores every row ``value`` and records each batch it was given: (texts, its columns)."""

    name = "spy"
    config_class = SpyConfig
    optional_columns = ("note",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[list[str], Any]] = []

    def grade_batch(self, batch: Batch) -> Scores:
        self.calls.append((list(batch.texts), batch.column("note")))
        v = self.config.value
        return Scores.from_verdicts([Verdict(v, Status.SCORED) for _ in batch.texts])


def test_rows_go_to_their_route_each_route_in_one_batch_and_order_is_kept():
    math_spy, chat_spy = Spy(value=0.25), Spy(value=0.75)
    router = Router({"math": math_spy, "chat": chat_spy})
    sources = ["math", "chat", "math", "chat", "chat", "math"]
    texts = [f"t{i}" for i in range(6)]
    notes = [f"n{i}" for i in range(6)]
    assert router(texts, data_source=sources, note=notes) == [0.25, 0.75, 0.25, 0.75, 0.75, 0.25]
    # one call per route, with exactly that route's rows and their own column values, in order
    assert math_spy.calls == [(["t0", "t2", "t5"], ["n0", "n2", "n5"])]
    assert chat_spy.calls == [(["t1", "t3", "t4"], ["n1", "n3", "n4"])]


def test_real_rewards_mixed_rows():
    router = Router({"gsm8k": accuracy_reward, "chat": format_reward}, column="task")
    texts = [r"so \boxed{4}", "<think>a</think><answer>b</answer>", r"\boxed{5}", "no tags", r"\boxed{7}"]
    task = ["gsm8k", "chat", "gsm8k", "chat", "gsm8k"]
    solution = ["4", None, "4", None, "7"]
    verdicts = router.score(texts, task=task, solution=solution)
    assert [v.reward for v in verdicts] == [1.0, 1.0, 0.0, 0.0, 1.0]
    assert [v.status for v in verdicts] == [
        Status.CORRECT, Status.CORRECT, Status.INCORRECT, Status.BAD_FORMAT, Status.CORRECT,
    ]


def test_unknown_route_is_none_with_status_unless_there_is_a_default():
    router = Router({"math": accuracy_reward})
    verdicts = router.score([r"\boxed{1}", "hello"], data_source=["math", "poetry"], solution=["1", "x"])
    assert verdicts[0].reward == 1.0
    assert verdicts[1].reward is None and verdicts[1].status is Status.NO_ROUTE
    assert "poetry" in verdicts[1].detail
    assert Status.NO_ROUTE.fault.value == "data"
    with_default = Router({"math": accuracy_reward}, default=Spy(value=0.5))
    assert with_default([r"\boxed{1}", "hello"], data_source=["math", "poetry"], solution=["1", "x"]) == [1.0, 0.5]


def test_missing_or_null_route_column_is_the_datas_fault():
    router = Router({"math": accuracy_reward}, default=Spy())
    with pytest.warns(VerifiersWarning, match="data_source"):
        missing = router.score([r"\boxed{1}", "x"], solution=["1", "2"])
    assert [(v.reward, v.status) for v in missing] == [(None, Status.MISSING_COLUMN)] * 2
    null = router.score([r"\boxed{1}", r"\boxed{3}"], data_source=[None, "math"], solution=["1", "2"])
    assert (null[0].reward, null[0].status) == (None, Status.MISSING_COLUMN)
    assert (null[1].reward, null[1].status) == (0.0, Status.INCORRECT)


def test_a_route_column_of_the_wrong_length_is_the_callers_error():
    with pytest.raises(InputError, match="data_source"):
        Router({"math": accuracy_reward})(["a", "b"], data_source=["math"], solution=["1", "2"])


def test_prefix_routes_longest_wins_exact_first():
    routes = {"aime*": "aime", "a*": "a", "aime_2024": "exact"}
    assert match_route(routes, "aime_2024") == "exact"
    assert match_route(routes, "aime_2025") == "aime"
    assert match_route(routes, "amc") == "a"
    assert match_route(routes, "math") is None
    assert match_route({"math": 1}, "math_hard") is None  # no prefix matching without '*'
    router = Router({"numina_*": Spy(value=0.1), "numina_olympiads": Spy(value=0.9)})
    assert router(["x", "y", "z"], data_source=["numina_amc", "numina_olympiads", "numinaX"]) == [0.1, 0.9, None]


def test_route_keys_are_compared_as_strings():
    router = Router({"1": Spy(value=0.3)})
    assert router(["x"], data_source=[1]) == [0.3]


def test_columns_range_signature_and_parts():
    spy = Spy(value=0.5, low=-2.0, high=3.0)
    router = Router({"math": accuracy_reward, "also_math": accuracy_reward}, default=spy)
    assert router.columns == ("data_source",)
    assert "solution" in router.optional_columns and "note" in router.optional_columns
    assert router.reward_range == (-2.0, 3.0)
    assert router.parts == (accuracy_reward, spy)  # each reward once
    sig = router.signature()
    assert sig.startswith("router(column:data_source)[math=>accuracy|") and "default=>spy|" in sig


def test_bad_config():
    with pytest.raises(ConfigError):
        Router({})
    with pytest.raises(ConfigError):
        Router({"math": "accuracy"})  # type: ignore[dict-item]
    with pytest.raises(ConfigError):
        Router({1: accuracy_reward})  # type: ignore[dict-item]
    with pytest.raises(ConfigError):
        Router({"math": accuracy_reward}, default=42)  # type: ignore[arg-type]


def test_works_inside_combinators():
    router = Router({"math": accuracy_reward, "chat": Spy(value=0.5)})
    total = WeightedSum([(router, 2.0), (format_reward, 1.0)])
    good = r"<think>t</think><answer>\boxed{3}</answer>"
    assert total([good, good, "nope"], data_source=["math", "chat", "math"], solution=["3", None, "3"]) == [
        3.0, 2.0, 0.0,
    ]
    gated = Gated(router, gate=format_reward)
    assert gated([good, r"\boxed{3}"], data_source=["math", "math"], solution=["3", "3"]) == [1.0, 0.0]
    # A Router inside a Router.
    outer = Router({"stem": Router({"math": accuracy_reward}, column="kind")}, column="domain")
    assert outer([r"\boxed{2}"], domain=["stem"], kind=["math"], solution=["2"]) == [1.0]


def test_on_a_process_pool_the_routed_rows_get_deadlines():
    pool = ProcessPool(jobs=1, timeout=30)
    try:
        router = Router({"math": MathAccuracy()}, default=Spy(value=0.5), backend=pool)
        texts = [r"\boxed{\frac{1}{2}}", "chat", r"\boxed{0.5}"]
        assert router(texts, data_source=["math", "chat", "math"], solution=["0.5", None, "1/2"]) == [1.0, 0.5, 1.0]
    finally:
        pool.close()


def test_pickles_and_logs_statuses_like_any_reward():
    router = pickle.loads(pickle.dumps(Router({"math": accuracy_reward}, name="mix")))
    logged: dict[str, float] = {}
    extra: dict[str, Any] = {}
    out = router(
        [r"\boxed{1}", "x"], data_source=["math", "chat"], solution=["1", None],
        log_metric=logged.__setitem__, log_extra=extra.__setitem__,
    )
    assert out == [1.0, None]
    assert logged["rewards/mix/status/correct"] == 1.0 and logged["rewards/mix/status/no_route"] == 1.0
    assert extra["mix/status"] == ["correct", "no_route"]


def test_loadable_by_module_attribute_for_the_cli_and_servers(tmp_path, monkeypatch):
    (tmp_path / "my_routes.py").write_text(
        "from verifiers import Router, accuracy_reward, format_reward\n"
        "router = Router({'math': accuracy_reward}, default=format_reward)\n"
        "def make(low=0.0):\n"
        "    return Router({'math': accuracy_reward.__class__(low=low)})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert isinstance(get_reward("my_routes:router"), Router)
    assert get_reward("my_routes:make", low=-1.0)(["x"], data_source=["math"], solution=["1"]) == [-1.0]
    with pytest.raises(ConfigError, match="takes no options"):
        get_reward("my_routes:router", low=1.0)
    with pytest.raises(ConfigError, match="cannot load"):
        get_reward("my_routes:nothing_here")
    with pytest.raises(ConfigError, match="not a reward"):
        get_reward("my_routes:Router.__doc__")


@pytest.fixture
def my_routes(tmp_path, monkeypatch):
    """A user's module with a Router over math and Countdown rows, importable as my_routes2."""
    (tmp_path / "my_routes2.py").write_text(
        "from verifiers import Router, accuracy_reward, countdown_reward\n"
        "router = Router({'gsm8k': accuracy_reward, 'countdown': countdown_reward})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return "my_routes2:router"


def test_verl_routes_by_its_data_source(my_routes):
    from verifiers.adapters.verl import compute_score_batch

    out = compute_score_batch(
        data_sources=["gsm8k", "countdown", "gsm8k", "poetry"],
        solution_strs=["#### 72", "<answer>(1 + 2) * 3</answer>", "#### 71", "roses"],
        ground_truths=["72", {"target": 9, "nums": [1, 2, 3]}, "72", "x"],
        extra_infos=[{}, {}, {}, {}],
        rewards=my_routes, none=-1.0, extras=False,
    )
    assert out == [1.0, 1.0, 0.0, -1.0]  # the last: no route, the data's fault -> the substitute


def test_openrlhf_and_serve_take_the_route_from_a_json_label(my_routes):
    from verifiers.adapters.openrlhf import OpenRLHFConfig, score_queries

    config = OpenRLHFConfig.of(rewards=my_routes, none=-1.0)
    labels = [
        '{"data_source": "gsm8k", "solution": "72"}',
        '{"data_source": "countdown", "target": 9, "nums": [1, 2, 3]}',
        "72",  # no route key anywhere: the row cannot be routed
    ]
    values, logs = score_queries(["Q: #### 72", "Q: <answer>1+2+3+3</answer>", "Q: #### 72"], ["Q: "] * 3,
                                 labels, config)
    assert values == [1.0, 0.0, -1.0]
    assert logs["router/missing_column"] == [0.0, 0.0, 1.0]
