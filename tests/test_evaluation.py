"""verifiers.evaluation: pass@k, maj@k and the bootstrap interval against brute-force references."""

from __future__ import annotations

import itertools
import math
import tracemalloc
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifiers.evaluation import Evaluation, KTooLarge, bootstrap_ci, majority_vote, pass_at_k, same_answer

# -- pass@k ---------------------------------------------------------------------------------------


@st.composite
def n_c_k(draw, max_n=300):
    n = draw(st.integers(1, max_n))
    return n, draw(st.integers(0, n)), draw(st.integers(1, n))


@given(n_c_k())
def test_pass_at_k_is_the_binomial_formula_with_big_integers(nck):
    n, c, k = nck
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    assert pass_at_k(n, c, k) == pytest.approx(float(exact), abs=1e-12)


@given(st.lists(st.booleans(), min_size=1, max_size=9), st.data())
def test_pass_at_k_is_the_share_of_k_subsets_with_a_correct_sample(samples, data):
    k = data.draw(st.integers(1, len(samples)))
    subsets = list(itertools.combinations(samples, k))
    brute = sum(any(s) for s in subsets) / len(subsets)
    assert pass_at_k(len(samples), sum(samples), k) == pytest.approx(brute, abs=1e-12)


@given(n_c_k(max_n=120))
def test_pass_at_k_is_monotone_in_k_and_in_c(nck):
    n, c, k = nck
    value = pass_at_k(n, c, k)
    assert 0.0 <= value <= 1.0
    if k < n:
        assert pass_at_k(n, c, k + 1) >= value - 1e-12
    if c < n:
        assert pass_at_k(n, c + 1, k) >= value - 1e-12


def test_pass_at_1_is_the_share_correct():
    assert pass_at_k(64, 16, 1) == 0.25 and pass_at_k(3, 0, 3) == 0.0 and pass_at_k(3, 1, 3) == 1.0


@pytest.mark.parametrize(("n", "c", "k"), [(4, 1, 5), (0, 0, 1), (3, 4, 1), (3, 1, 0)])
def test_pass_at_k_refuses_impossible_arguments(n, c, k):
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_pass_at_k_with_many_samples_stays_finite():
    # C(10000, 5000) overflows a float; the product form never forms it
    assert pass_at_k(10_000, 1, 5_000) == pytest.approx(0.5)
    assert pass_at_k(10_000, 0, 5_000) == 0.0


# -- R1's definition on a worked example ----------------------------------------------------------


def test_r1_pass_at_1_on_a_worked_example():
    """R1: pass@1 = (1/k) sum_i p_i over k samples, averaged over the prompts. Two prompts,
    four samples each: 3/4 and 1/4 correct, so pass@1 = (0.75 + 0.25) / 2 = 0.5."""
    ev = Evaluation(ks=(1, 4))
    for prompt, grades in {"a": [1, 1, 0, 1], "b": [0, 0, 1, 0]}.items():
        for g in grades:
            ev.add(prompt, correct=bool(g), answer=str(g), status="correct" if g else "incorrect")
    overall = ev.summary()["overall"]
    assert overall["pass@1"] == 0.5 and overall["pass@4"] == 1.0
    assert overall["samples_per_prompt"] == 4 and overall["n_prompts"] == 2
    # maj@4: prompt a votes "1" (3 to 1), correct; prompt b votes "0" (3 to 1), wrong
    assert overall["maj@4"] == 0.5
    assert overall["statuses"] == {"correct": 4, "incorrect": 4}


# -- majority vote --------------------------------------------------------------------------------


def brute_majority(answers):
    """String-equal answers, biggest group, ties to the group seen first."""
    votes = [a for a in answers if a is not None]
    if not votes:
        return None
    counts = Counter(votes)
    best = max(counts.values())
    first_winner = next(a for a in votes if counts[a] == best)
    return answers.index(first_winner)


@settings(max_examples=300)
@given(st.lists(st.one_of(st.none(), st.integers(0, 4).map(str)), max_size=12))
def test_majority_vote_matches_a_counter_with_the_tie_rule(answers):
    assert majority_vote(answers) == brute_majority(answers)


def test_equivalent_answers_vote_together():
    # three spellings of one half outvote two threes; string equality would elect "3"
    answers = ["3", r"\frac{1}{2}", "3", "0.5", "1/2"]
    assert brute_majority(answers) == 0
    assert majority_vote(answers) == 1
    assert same_answer(r"\frac{1}{2}", "0.5") and same_answer("1/2", r"\frac{1}{2}")
    assert not same_answer("1/2", "0.3") and not same_answer("x", "y")


def test_the_tie_rule_is_first_seen_not_hash_order():
    assert majority_vote(["7", "5", "5", "7"]) == 0
    assert majority_vote(["5", "7", "7", "5"]) == 0
    assert majority_vote([None, "2", "9"]) == 1


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=10), st.data())
def test_maj_at_k_uses_the_first_k_samples(samples, data):
    k = data.draw(st.integers(1, len(samples)))
    # a sample's correctness is a function of its answer, as it is for a real grader
    truth = {a: ok for a, ok in samples}
    ev = Evaluation(ks=(k,))
    for answer, _ in samples:
        ev.add("p", correct=truth[answer], answer=str(answer))
    winner = brute_majority([str(a) for a, _ in samples[:k]])
    assert ev.summary()["overall"][f"maj@{k}"] == float(truth[samples[winner][0]])


def test_no_vote_is_not_solved_and_data_faults_are_not_samples():
    ev = Evaluation(ks=(2,))
    ev.add("p", correct=False, answer=None, status="no_answer")
    ev.add("p", correct=None, status="bad_reference")
    ev.add("p", correct=False, answer=None, status="no_answer")
    ev.add("q", correct=None, status="bad_reference")
    overall = ev.summary()["overall"]
    assert overall["maj@2"] == 0.0 and overall["samples_per_prompt"] == 2 and overall["n_prompts"] == 1
    assert overall["ungraded_prompts"] == 1 and overall["statuses"] == {"bad_reference": 2, "no_answer": 2}


# -- refusing k > n -------------------------------------------------------------------------------


def test_k_larger_than_a_prompts_samples_is_refused_with_a_clear_message():
    ev = Evaluation(ks=(1, 4, 8))
    for prompt, n in {"a": 8, "b": 5, "c": 3}.items():
        for _ in range(n):
            ev.add(prompt, correct=True, answer="1")
    with pytest.raises(KTooLarge, match=r"k=4 is larger than the 3 graded samples of prompt 'c'") as info:
        ev.summary()
    assert info.value.k == 4 and info.value.n == 3
    # c is the only prompt short of 4 (b has 5)
    assert "other prompts" not in str(info.value)


# -- groups, bootstrap -----------------------------------------------------------------------------


def test_groups_are_summarized_apart_and_overall():
    ev = Evaluation(ks=(1,))
    for prompt, group, ok in [("a", "gsm8k", True), ("b", "gsm8k", False), ("c", "math", True)]:
        ev.add(prompt, correct=ok, answer="1", status="x", group=group)
    out = ev.summary()
    assert list(out["by"]) == ["gsm8k", "math"]
    assert out["by"]["gsm8k"]["pass@1"] == 0.5 and out["by"]["math"]["pass@1"] == 1.0
    assert out["overall"]["pass@1"] == pytest.approx(2 / 3) and out["overall"]["n_prompts"] == 3


def test_bootstrap_matches_a_loop_over_resamples():
    values = [0.0, 0.25, 1.0, 0.5, 0.75, 1.0, 0.0]
    rng = np.random.default_rng(7)
    means = [np.mean([values[i] for i in rng.integers(0, len(values), size=len(values))]) for _ in range(500)]
    expected = tuple(np.percentile(means, [2.5, 97.5]))
    assert bootstrap_ci(values, resamples=500, seed=7) == pytest.approx(expected)
    assert bootstrap_ci(values, resamples=500, seed=7) == bootstrap_ci(values, resamples=500, seed=7)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_bootstrap_interval_is_ordered_and_inside_the_range(values):
    low, high = bootstrap_ci(values, resamples=200)
    assert min(values) - 1e-12 <= low <= high <= max(values) + 1e-12


def test_bootstrap_converges_on_the_exact_bootstrap_distribution():
    """For 4 prompts, all 4^4 resamples can be enumerated: the interval from many random
    resamples lies within the exact 1%..99% quantiles and covers the exact median."""
    values = [0.0, 0.25, 0.5, 1.0]
    exact = sorted(sum(values[i] for i in idx) / 4 for idx in itertools.product(range(4), repeat=4))
    low, high = bootstrap_ci(values, resamples=20_000, seed=1)
    assert exact[int(0.01 * len(exact))] <= low <= exact[len(exact) // 2] <= high <= exact[int(0.99 * len(exact))]
    assert low == pytest.approx(exact[int(0.025 * len(exact))], abs=0.07)
    assert high == pytest.approx(exact[int(0.975 * len(exact))], abs=0.07)


def test_memory_is_bounded_by_prompts_not_samples():
    def peak(samples_per_prompt):
        ev = Evaluation(ks=(1, 4))
        tracemalloc.start()
        for p in range(200):
            for s in range(samples_per_prompt):
                ev.add(p, correct=s % 3 == 0, answer=f"{p}-{s}", status="correct" if s % 3 == 0 else "incorrect")
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(8), peak(400)
    assert large < small * 1.5, (small, large)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=3, max_size=7), min_size=1, max_size=6), st.integers(1, 3))
def test_evaluation_over_random_groups_matches_enumerated_subsets(groups, k):
    ev = Evaluation(ks=(k,), resamples=50)
    for p, samples in enumerate(groups):
        for ok in samples:
            ev.add(p, correct=ok, answer="1" if ok else "0", group=p % 2)
    out = ev.summary()

    def brute(samples):
        subsets = list(itertools.combinations(samples, k))
        return sum(any(s) for s in subsets) / len(subsets)

    assert out["overall"][f"pass@{k}"] == pytest.approx(sum(map(brute, groups)) / len(groups))
    assert out["overall"]["pass@1"] == pytest.approx(sum(sum(g) / len(g) for g in groups) / len(groups))
    for parity in (0, 1):
        mine = [g for p, g in enumerate(groups) if p % 2 == parity]
        if mine:
            assert out["by"][str(parity)][f"pass@{k}"] == pytest.approx(sum(map(brute, mine)) / len(mine))
