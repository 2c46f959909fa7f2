"""The Ray backend on a real local Ray (``ray.init(num_cpus=2)``): the same results, order and
fault rule as the other backends, per-row deadlines, and survival of a lost worker."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from verifiers import MathAccuracy, Ray, Status, WeightedSum, WorkerCrashed, accuracy_reward, format_reward
from verifiers.errors import ConfigError

from optional import require
from toy_rewards import Toy

pytestmark = pytest.mark.slow

TESTS = str(Path(__file__).parent)


@pytest.fixture(scope="module")
def ray():
    (ray,) = require("ray", install="pip install 'reasoning-verifiers[ray]'")
    if not ray.is_initialized():
        # the workers import this directory's toy rewards by name
        ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": TESTS}})
    yield ray
    ray.shutdown()


MATH = [r"\boxed{2}", r"\boxed{\frac12}", "no answer", r"\boxed{3}", r"\boxed{2}", "", r"\boxed{x^2}"] * 5
SOLUTIONS = ["2", "0.5", "1", "4", "2", "1", "x**2"] * 5


def test_same_results_and_order_as_serial(ray):
    with Ray(jobs=2) as backend:
        on_ray = MathAccuracy(backend=backend)
        assert on_ray.score(MATH, solution=SOLUTIONS) == accuracy_reward.score(MATH, solution=SOLUTIONS)
        total = WeightedSum([(accuracy_reward, 1.0), (format_reward, 0.5)], backend=backend)
        plain = WeightedSum([(accuracy_reward, 1.0), (format_reward, 0.5)])
        assert total(MATH, solution=SOLUTIONS) == plain(MATH, solution=SOLUTIONS)
        # with a deadline (one row per call): the same again
    with Ray(jobs=2, timeout=30) as backend:
        assert MathAccuracy(backend=backend)(MATH, solution=SOLUTIONS) == accuracy_reward(MATH, solution=SOLUTIONS)


def test_a_row_over_its_deadline_is_a_timeout_and_the_rest_is_graded(ray):
    with Ray(jobs=2, timeout=1.0) as backend:
        toy = Toy(backend=backend)
        verdicts = toy.score(["a", "spin", "b", "sleep:0.1", "a"], target=["a", "a", "a", "a", "a"])
        assert [v.status for v in verdicts] == [
            Status.CORRECT, Status.TIMEOUT, Status.INCORRECT, Status.INCORRECT, Status.CORRECT,
        ]
        assert verdicts[1].reward == 0.0  # the model's fault: the low reward
        assert toy(["a"], target=["a"]) == [1.0]  # the killed actor was replaced


def test_a_lost_worker_raises_or_is_skipped_and_the_backend_survives(ray):
    with Ray(jobs=2) as backend:
        toy = Toy(backend=backend)
        with pytest.raises(WorkerCrashed):
            toy(["a", "crash", "a", "b"] * 3, target=["a"] * 12)
        assert toy(["a", "b"], target=["a", "a"]) == [1.0, 0.0]  # a new actor took its place
    with Ray(jobs=2, on_crash="skip") as backend:
        toy = Toy(backend=backend)
        texts = [str(i) if i % 2 == 0 else "x" for i in range(64)]  # distinct rows: none deduplicated
        texts[5] = "crash"  # 64 rows go in chunks of 8: the crashed chunk's rows are graded again one by one
        verdicts = toy.score(texts, target=[str(i) for i in range(64)])
        assert verdicts[5].status is Status.INFRA_ERROR and verdicts[5].reward is None  # never a silent 0.0
        assert [v.reward for i, v in enumerate(verdicts) if i != 5] == [
            1.0 if i % 2 == 0 else 0.0 for i in range(64) if i != 5
        ]


def test_a_bug_in_the_kernel_raises(ray):
    from toy_rewards import Broken

    with Ray(jobs=1) as backend, pytest.raises(Exception) as info:
        Broken(backend=backend)(["a", "boom"], target=["a", "a"])
    assert isinstance(info.value, ZeroDivisionError)


def test_pickles_without_its_actors(ray):
    with Ray(jobs=1, timeout=5) as backend:
        reward = MathAccuracy(backend=backend)
        assert reward([r"\boxed{1}"], solution=["1"]) == [1.0]
        copy = pickle.loads(pickle.dumps(reward))
        assert copy.backend._actors == [] and copy([r"\boxed{1}"], solution=["1"]) == [1.0]
        copy.backend.close()


def test_config_is_checked():
    with pytest.raises(ConfigError):
        Ray(jobs=0)
    with pytest.raises(ConfigError):
        Ray(timeout=-1)
    with pytest.raises(ConfigError):
        Ray(on_crash="ignore")  # type: ignore[arg-type]


def test_verify_score_and_eval_run_on_ray(ray, tmp_path, capsys, monkeypatch):
    """`verify score/eval --backend ray`: the same rows, in order, as in-process scoring."""
    import json

    from verifiers.cli import main

    mapped: list[int] = []
    real_map = Ray.map
    monkeypatch.setattr(Ray, "map", lambda self, fn, items: mapped.append(len(items)) or real_map(self, fn, items))

    rows = [{"completion": c, "solution": s, "prompt_id": i % 7} for i, (c, s) in enumerate(zip(MATH, SOLUTIONS))]
    rows.insert(3, {"completion": r"\boxed{1}", "prompt_id": 3})  # no solution: null, kept in place
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    plain, on_ray = tmp_path / "plain.jsonl", tmp_path / "ray.jsonl"
    # exit code 1: a row without a solution (the data's fault), written with a null reward
    rewards = ["-r", "accuracy", "-r", "language_consistency:0.5", "--none", "ignore"]  # a per-row kernel
    assert main(["score", str(src), "-o", str(plain), "-q", *rewards]) == 1
    on = ["--backend", "ray", "-j", "2", "--timeout", "30"]
    assert main(["score", str(src), "-o", str(on_ray), "-q", *rewards, *on]) == 1
    assert plain.read_text() == on_ray.read_text()
    assert sum(mapped) >= 7  # the distinct rows (identical ones are graded once) went through Ray
    mapped.clear()
    assert [json.loads(line)["verify"]["rewards"]["accuracy"]["reward"] for line in on_ray.read_text().splitlines()][
        :5
    ] == [1.0, 1.0, 0.0, None, 0.0]
    evaluated = []
    for extra in ([], ["--backend", "ray", "-j", "2"]):
        assert main(["eval", str(src), "-q", "--json", *rewards, *extra]) == 1  # the row without a solution
        evaluated.append(json.loads(capsys.readouterr().out))
    assert evaluated[0] == evaluated[1]
    assert sum(mapped) >= 7
