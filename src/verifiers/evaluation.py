"""Evaluation statistics over k sampled completions per prompt, as DeepSeek-R1 reports them.

* **pass@1** (R1's definition): for each prompt, the share of its samples that are correct;
  averaged over prompts. :func:`bootstrap_ci` gives its 95% interval by resampling prompts.
* **pass@k** (Chen et al. 2021, "Evaluating Large Language Models Trained on Code"): the
  unbiased estimate, from ``n`` samples of which ``c`` are correct, of the chance that at least
  one of ``k`` samples is correct, ``1 - C(n-c, k) / C(n, k)``, computed in the numerically
  stable product form ``1 - prod_{i=n-c+1}^{n} (1 - k/i)`` (:func:`pass_at_k`).
* **maj@k** (R1's cons@64): the answers of the *first* ``k`` samples of a prompt (in input
  order) are clustered by math equivalence (:func:`same_answer`); the biggest cluster wins
  and the prompt counts as solved when that cluster's first sample is correct. **Tie rule:**
  among clusters of equal size, the one whose first sample came first wins (deterministic,
  and independent of hashing). Samples with no extracted answer do not vote; a prompt where
  none voted is not solved.

:class:`Evaluation` accumulates samples one at a time, in any order, keeping per prompt only
its counts and, until it has ``max(k)`` samples, its answer clusters: memory grows with the
number of prompts, not of samples.

>>> ev = Evaluation(ks=(1, 2))
>>> for answer, ok in [("1/2", True), (r"\\frac{1}{2}", True), ("3", False)]:
...     ev.add("p1", correct=ok, answer=answer, status="correct" if ok else "incorrect")
>>> s = ev.summary()["overall"]
>>> round(s["pass@1"], 4), s["pass@2"], s["maj@2"], s["n_prompts"]
(0.6667, 1.0, 1.0, 1)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from verifiers.math.compare import equal
from verifiers.math.parse import Node, Unparsed, parse

__all__ = [
    "Evaluation",
    "KTooLarge",
    "bootstrap_ci",
    "majority_vote",
    "pass_at_k",
    "same_answer",
]

#: Bootstrap resamples drawn by default, and the default seed (results are reproducible).
RESAMPLES = 1000
SEED = 0
_CACHE = 1 << 16


class KTooLarge(ValueError):
    """A requested k is larger than the number of samples of some prompt.

    Args:
        k: The k asked for.
        prompt: The first prompt (by id) with too few samples.
        n: How many samples that prompt has.
        short: How many prompts have fewer than k samples.
    """

    def __init__(self, k: int, prompt: Hashable, n: int, short: int = 1) -> None:
        others = f" (and {short - 1} other prompts)" if short > 1 else ""
        name = repr(prompt) if len(repr(prompt)) <= 80 else repr(prompt)[:76] + "...'"
        super().__init__(
            f"k={k} is larger than the {n} graded samples of prompt {name}{others}; "
            f"pass@k and maj@k need at least k samples per prompt: ask for a smaller k"
        )
        self.k, self.prompt, self.n, self.short = k, prompt, n, short


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from ``n`` samples with ``c`` correct (Chen et al. 2021).

    ``1 - C(n-c, k) / C(n, k)``, computed as ``1 - prod_{i=n-c+1}^{n} (1 - k/i)``, which never
    forms the (huge) binomial coefficients.

    Args:
        n: Samples drawn for the prompt.
        c: How many of them are correct.
        k: The budget, ``1 <= k <= n``.

    Returns:
        The estimate, in ``[0, 1]``.

    Raises:
        ValueError: ``k`` is not in ``1..n``, or ``c`` not in ``0..n``.

    >>> pass_at_k(10, 3, 1), round(pass_at_k(10, 3, 5), 4), pass_at_k(10, 6, 5)
    (0.3, 0.9167, 1.0)
    >>> pass_at_k(4, 1, 8)
    Traceback (most recent call last):
    ...
    ValueError: k=8 is larger than the n=4 samples: pass@k needs at least k samples
    """
    if not 0 <= c <= n:
        raise ValueError(f"c={c} correct samples is not between 0 and n={n}")
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    if k > n:
        raise ValueError(f"k={k} is larger than the n={n} samples: pass@k needs at least k samples")
    if n - c < k:
        return 1.0
    if k == 1:
        return c / n  # the same value, without the rounding of 1 - (1 - c/n)
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def bootstrap_ci(
    values: Sequence[float], *, confidence: float = 0.95, resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (one value per prompt).

    Prompts are resampled with replacement ``resamples`` times from ``numpy``'s
    ``default_rng(seed)``, so the interval is the same on every run. Resamples are drawn in
    chunks, so memory stays bounded by ``len(values)`` times a constant.

    Args:
        values: Per-prompt scores, e.g. each prompt's pass@1.
        confidence: Coverage of the interval.
        resamples: Bootstrap resamples.
        seed: The random seed.

    Returns:
        ``(low, high)``; ``(nan, nan)`` for no values.

    >>> bootstrap_ci([1.0, 1.0, 1.0])
    (1.0, 1.0)
    >>> low, high = bootstrap_ci([0.0, 0.5, 1.0, 0.25])
    >>> low <= 0.4375 <= high
    True
    """
    import numpy as np

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    m = len(values)
    if m == 0:
        return (math.nan, math.nan)
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    chunk = max(1, min(resamples, (1 << 20) // m))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        index = rng.integers(0, m, size=(size, m))
        means[start : start + size] = data[index].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return (float(low), float(high))


@lru_cache(maxsize=_CACHE)
def _tree(answer: str) -> Node | None:
    try:
        return parse(answer)
    except (Unparsed, RecursionError, ArithmeticError, ValueError, OverflowError):
        return None


@lru_cache(maxsize=_CACHE)
def same_answer(answer: str, other: str) -> bool:
    """Whether two extracted answers vote together: equal by the math engine's fast path
    (:func:`verifiers.math.compare.equal`, ``answer`` read as the prediction and ``other`` as
    the reference), else identical once stripped. The symbolic tail is not used (it has no
    deadline here). Results and parses are cached (LRU, 65,536 entries each).

    >>> same_answer(r"\\frac{1}{2}", "0.5"), same_answer("1/2", "0.5"), same_answer("2", "3")
    (True, True, False)
    >>> same_answer("a blue whale", " a blue whale")
    True
    """
    if answer.strip() == other.strip():
        return True
    a, b = _tree(answer), _tree(other)
    if a is None or b is None:
        return False
    try:
        return bool(equal(a, b))
    except (RecursionError, ArithmeticError, ValueError, OverflowError, TypeError):
        return False


@dataclass
class _Cluster:
    answer: str
    first: int
    correct: bool
    size: int = 1


def _join(clusters: list[_Cluster], answer: str, index: int, correct: bool) -> None:
    for cluster in clusters:
        if same_answer(answer, cluster.answer):
            cluster.size += 1
            return
    clusters.append(_Cluster(answer, index, correct))


def _winner(clusters: list[_Cluster]) -> _Cluster | None:
    # the biggest cluster; on a tie, the one whose first sample came first
    return min(clusters, key=lambda c: (-c.size, c.first), default=None)


def majority_vote(answers: Sequence[str | None]) -> int | None:
    """Index of the sample whose answer wins the vote: the first sample of the biggest
    cluster of equivalent answers (:func:`same_answer`); ties go to the cluster whose first
    sample came first. ``None`` answers do not vote; ``None`` when nobody voted.

    Each answer joins the first existing cluster (in order of creation) whose first answer it
    equals.

    >>> majority_vote(["3", "1/2", "0.5", r"\\frac{1}{2}", "3"])
    1
    >>> majority_vote(["4", "5", None]), majority_vote([None])
    (0, None)
    """
    clusters: list[_Cluster] = []
    for i, answer in enumerate(answers):
        if answer is not None:
            _join(clusters, answer, i, False)
    won = _winner(clusters)
    return None if won is None else won.first


@dataclass
class _Prompt:
    group: Any
    n: int = 0
    correct: int = 0
    clusters: list[_Cluster] | None = field(default_factory=list)
    majority: dict[int, bool] = field(default_factory=dict)


class Evaluation:
    """Accumulates graded samples and summarizes them per prompt group and overall.

    Args:
        ks: The k's of pass@k and maj@k (pass@1 is always reported).
        resamples: Bootstrap resamples for the interval of pass@1.
        seed: Bootstrap seed.

    A sample is *graded* when it has a verdict (``correct`` is ``True`` or ``False``); a sample
    whose grade is ``None`` (the data's fault: unusable reference, missing column) is counted
    in the statuses but not in ``n``, and a prompt with no graded sample is left out of the
    means (it is counted as ``ungraded_prompts``).

    >>> ev = Evaluation(ks=(2,))
    >>> ev.add("q", correct=True, answer="2", status="correct", group="gsm8k")
    >>> ev.add("q", correct=False, answer="3", status="incorrect", group="gsm8k")
    >>> out = ev.summary()
    >>> out["by"]["gsm8k"]["pass@1"], out["overall"]["pass@2"], out["overall"]["statuses"]
    (0.5, 1.0, {'correct': 1, 'incorrect': 1})
    """

    def __init__(self, ks: Iterable[int] = (1,), *, resamples: int = RESAMPLES, seed: int = SEED) -> None:
        self.ks = tuple(sorted(set(ks)))
        if not self.ks or self.ks[0] < 1:
            raise ValueError(f"every k must be at least 1, not {self.ks}")
        self.resamples, self.seed = resamples, seed
        self._max_k = self.ks[-1]
        self._prompts: dict[Hashable, _Prompt] = {}
        self._statuses: dict[Any, dict[str, int]] = {}

    def add(
        self,
        prompt: Hashable,
        *,
        correct: bool | None,
        answer: str | None = None,
        status: str = "",
        group: Any = None,
    ) -> None:
        """Record one sample of ``prompt``.

        Args:
            prompt: The prompt's id.
            correct: Whether the sample is correct; ``None`` when it could not be graded.
            answer: The extracted final answer, for majority voting (``None``: no vote).
            status: Why it got its grade (counted per status).
            group: The value of the grouping column (e.g. ``data_source``); the first
                sample of a prompt decides its group.
        """
        state = self._prompts.get(prompt)
        if state is None:
            state = self._prompts[prompt] = _Prompt(group)
        counts = self._statuses.setdefault(state.group, {})
        if status:
            counts[status] = counts.get(status, 0) + 1
        if correct is None:
            return
        index = state.n
        state.n += 1
        state.correct += bool(correct)
        clusters = state.clusters
        if clusters is None:
            return
        if answer is not None:
            _join(clusters, answer, index, bool(correct))
        if state.n in self.ks:
            won = _winner(clusters)
            state.majority[state.n] = bool(won is not None and won.correct)
        if state.n >= self._max_k:
            state.clusters = None  # the vote is over: free the answers

    @property
    def prompts(self) -> int:
        """Prompts seen so far."""
        return len(self._prompts)

    def check(self) -> None:
        """Raise :class:`KTooLarge` when some graded prompt has fewer samples than a k; the
        message names the prompt with the fewest samples and the smallest k it lacks."""
        short = [(key, p.n) for key, p in self._prompts.items() if 0 < p.n < self._max_k]
        if short:
            key, n = min(short, key=lambda item: item[1])  # the prompt with the fewest samples
            k = next(k for k in self.ks if k > n)
            raise KTooLarge(k, key, n, sum(1 for _, m in short if m < k))

    def summary(self) -> dict[str, Any]:
        """``{"overall": {...}, "by": {group: {...}}}``; each ``{...}`` has ``n_prompts``,
        ``samples_per_prompt`` (the fewest graded samples of a prompt), ``pass@1``,
        ``pass@1_ci`` (``[low, high]``), ``pass@K`` and ``maj@K`` for every K, ``statuses``
        and ``ungraded_prompts``.

        Raises:
            KTooLarge: a prompt has fewer graded samples than some k.
        """
        self.check()
        groups: dict[Any, list[_Prompt]] = {}
        for p in self._prompts.values():
            groups.setdefault(p.group, []).append(p)
        overall = self._stats(list(self._prompts.values()), _merge(self._statuses.values()))
        by = {}
        for name in sorted(groups, key=lambda g: (g is None, str(g))):
            by["null" if name is None else str(name)] = self._stats(groups[name], self._statuses.get(name, {}))
        return {"overall": overall, "by": by}

    def _stats(self, prompts: list[_Prompt], statuses: dict[str, int]) -> dict[str, Any]:
        graded = [p for p in prompts if p.n]
        out: dict[str, Any] = {
            "n_prompts": len(graded),
            "samples_per_prompt": min((p.n for p in graded), default=0),
        }
        per_prompt = [p.correct / p.n for p in graded]
        out["pass@1"] = _mean(per_prompt)
        low, high = bootstrap_ci(per_prompt, resamples=self.resamples, seed=self.seed)
        out["pass@1_ci"] = [None if math.isnan(low) else low, None if math.isnan(high) else high]
        for k in self.ks:
            out[f"pass@{k}"] = _mean([pass_at_k(p.n, p.correct, k) for p in graded])
        for k in self.ks:
            out[f"maj@{k}"] = _mean([float(p.majority[k]) for p in graded])
        out["statuses"] = dict(sorted(statuses.items()))
        out["ungraded_prompts"] = len(prompts) - len(graded)
        return out


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _merge(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for one in counts:
        for status, n in one.items():
            out[status] = out.get(status, 0) + n
    return out
