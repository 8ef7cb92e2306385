"""The matching engine on its own: scores that explain themselves, top-k, and an
assignment that is optimal over every pair where a greedy pass is not, never breaking a
capacity or a minimum, even when the best pairs lie outside each target's candidates."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from plugins.matching.engine import (
    CANDIDATES,
    Infeasible,
    Problem,
    Side,
    Weights,
    explain,
    greedy,
    optimal,
    score_matrix,
    top_k,
)


def brute_force(matrix, capacity, minimum, maximum):
    """The best total over every way of giving each target a set of associations, or None."""
    n_targets, n_assoc = matrix.shape
    options = [
        [c for size in range(minimum[t], maximum[t] + 1) for c in itertools.combinations(range(n_assoc), size)]
        for t in range(n_targets)
    ]
    best = None
    for choice in itertools.product(*options):
        load = np.zeros(n_assoc, int)
        for chosen in choice:
            load[list(chosen)] += 1
        if (load <= capacity).all():
            total = sum(matrix[t, a] for t, chosen in enumerate(choice) for a in chosen)
            best = total if best is None else max(best, total)
    return best


def check_constraints(assignment, capacity, minimum, maximum):
    assert len(set(assignment.pairs)) == len(assignment.pairs)
    per_target = np.bincount([t for t, _ in assignment.pairs], minlength=len(minimum))
    per_assoc = np.bincount([a for _, a in assignment.pairs], minlength=len(capacity))
    assert (per_assoc <= capacity).all()
    assert (per_target >= minimum).all() and (per_target <= maximum).all()


def test_greedy_takes_the_best_pair_and_loses_where_the_optimum_does_not():
    # Two villages, two associations of capacity 1. Greedy takes 甲村-A (90) first and leaves
    # 乙村 with B (10): 100. Giving 甲村 B (80) and 乙村 A (85) makes 165.
    scores = np.array([[90.0, 80.0], [85.0, 10.0]])
    capacity, minimum, maximum = np.array([1, 1]), np.array([1, 1]), np.array([1, 1])
    first = greedy(scores, capacity, minimum, maximum)
    assert first.pairs == [(0, 0), (1, 1)] and first.total == 100
    best = optimal(scores, capacity, minimum, maximum)
    assert best.pairs == [(0, 1), (1, 0)] and best.total == 165


def test_a_minimum_is_met_even_where_greedy_leaves_the_target_out():
    # 丙社区 must get one association; greedy gives the only one with capacity to 甲村.
    scores = np.array([[50.0], [20.0]])
    capacity, minimum, maximum = np.array([1]), np.array([0, 1]), np.array([1, 1])
    assert greedy(scores, capacity, minimum, maximum).short == [1]
    best = optimal(scores, capacity, minimum, maximum)
    assert best.pairs == [(1, 0)] and best.total == 20


def test_minimums_that_capacities_cannot_meet_are_named():
    with pytest.raises(Infeasible) as refused:
        optimal(np.array([[5.0], [7.0]]), np.array([1]), np.array([1, 1]), np.array([1, 1]))
    assert len(refused.value.targets) == 1


@st.composite
def instances(draw):
    n_targets, n_assoc = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    scores = np.array(draw(st.lists(st.lists(st.integers(0, 100), min_size=n_assoc, max_size=n_assoc),
                                    min_size=n_targets, max_size=n_targets)), dtype=float)
    capacity = np.array(draw(st.lists(st.integers(0, 3), min_size=n_assoc, max_size=n_assoc)))
    minimum = np.array(draw(st.lists(st.integers(0, 2), min_size=n_targets, max_size=n_targets)))
    extra = np.array(draw(st.lists(st.integers(0, 2), min_size=n_targets, max_size=n_targets)))
    return scores, capacity, minimum, np.minimum(minimum + extra, n_assoc)


@settings(max_examples=150, deadline=None)
@given(instances(), st.sampled_from([1, 2, CANDIDATES]))
def test_the_assignment_equals_brute_force_and_keeps_every_bound(instance, k):
    scores, capacity, minimum, maximum = instance
    expected = brute_force(scores, capacity, minimum, maximum)
    if expected is None:
        with pytest.raises(Infeasible):
            optimal(scores, capacity, minimum, maximum, k=k)
        return
    best = optimal(scores, capacity, minimum, maximum, k=k)
    assert best.total == pytest.approx(expected)
    check_constraints(best, capacity, minimum, maximum)
    first = greedy(scores, capacity, minimum, maximum)
    if not first.short:  # greedy kept every minimum, so its pairs are a feasible assignment
        assert best.total >= first.total - 1e-9


def full_lp(scores, capacity, minimum, maximum, allowed):
    """The programme over every allowed pair as one dense linear programme: its optimum, or None."""
    n_targets, n_assoc = scores.shape
    by_assoc = np.kron(np.ones((1, n_targets)), np.eye(n_assoc))
    by_target = np.kron(np.eye(n_targets), np.ones((1, n_assoc)))
    result = linprog(-scores.ravel(), A_ub=np.vstack([by_assoc, by_target, -by_target]),
                     b_ub=np.concatenate([capacity, maximum, -minimum]),
                     bounds=[(0, 1 if ok else 0) for ok in allowed.ravel()], method="highs")
    return None if result.status == 2 else -result.fun


@st.composite
def larger_instances(draw):
    """More associations than the one or two candidates each target starts from."""
    n_targets, n_assoc = draw(st.integers(1, 7)), draw(st.integers(3, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scores = rng.integers(0, 6, (n_targets, n_assoc)) * draw(st.sampled_from([1.0, 16.5]))
    capacity = rng.integers(0, 3, n_assoc)
    minimum = rng.integers(0, 3, n_targets)
    maximum = minimum + rng.integers(0, 3, n_targets)
    allowed = rng.random((n_targets, n_assoc)) < draw(st.sampled_from([0.7, 1.0]))
    return scores, capacity, minimum, maximum, allowed


@settings(max_examples=150, deadline=None)
@given(larger_instances(), st.integers(1, 2))
def test_pricing_reaches_the_optimum_of_the_programme_over_all_pairs(instance, k):
    scores, capacity, minimum, maximum, allowed = instance
    expected = full_lp(scores, capacity, minimum, maximum, allowed)
    if expected is None:
        with pytest.raises(Infeasible):
            optimal(scores, capacity, minimum, maximum, k=k, allowed=allowed)
        return
    best = optimal(scores, capacity, minimum, maximum, k=k, allowed=allowed)
    assert best.total == pytest.approx(expected)
    check_constraints(best, capacity, minimum, maximum)
    assert all(allowed[t, a] for t, a in best.pairs)


def test_pricing_adds_the_pair_a_target_needs_from_beyond_its_candidates():
    # Both villages rank association A first. With one candidate each they compete for A (capacity 1)
    # and one of them goes without: 9. Pricing finds 甲村-B (8, outside 甲村's candidates) and gives
    # 乙村 A: 17, the optimum over all pairs.
    scores = np.array([[9.0, 8.0, 1.0], [9.0, 2.0, 1.0]])
    best = optimal(scores, np.array([1, 1, 1]), np.array([0, 0]), np.array([1, 1]), k=1)
    assert best.pairs == [(0, 1), (1, 0)] and best.total == 17
    assert best.rounds >= 2 and best.added >= 1


def test_a_minimum_met_only_beyond_the_candidates_is_met():
    # Both communities must get one association and both rank A first; only B, outside their
    # single candidate, can serve the second one.
    scores = np.array([[30.0, 5.0], [20.0, 10.0]])
    best = optimal(scores, np.array([1, 1]), np.array([1, 1]), np.array([1, 1]), k=1)
    assert best.pairs == [(0, 0), (1, 1)] and best.total == 40
    assert best.added >= 1


def problem():
    """Three associations and two villages over needs (技术, 销售渠道, 资金) and chains (农业, 文旅)."""
    associations = Side(
        ids=np.array([11, 12, 13]),
        needs=np.array([[1, 1, 0], [0, 0, 1], [1, 0, 0]]),
        chains=np.array([[1, 0], [0, 1], [0, 0]]),
        district=np.array([0, 0, -1]), town=np.array([5, 6, -1]),
        low=np.zeros(3, int), high=np.array([2, 2, 2]),
    )
    targets = Side(
        ids=np.array([21, 22]),
        needs=np.array([[1, 1, 0], [0, 0, 1]]),
        chains=np.array([[1, 0], [0, 1]]),
        district=np.array([0, 1]), town=np.array([5, 9]),
        low=np.zeros(2, int), high=np.ones(2, int),
    )
    return Problem(associations, targets, Problem.history_of([(1, 2)], 2, 3))


def test_the_explanation_adds_up_to_the_score_factor_by_factor():
    weights = Weights(need=40, chain=25, distance=20, history=15)
    matrix = score_matrix(problem(), weights)
    parts = {row["factor"]: row for row in explain(problem(), weights, 0, 0)}
    # Village 21 needs 技术 and 销售渠道; association 11 offers both, shares 农业, same town.
    assert parts["need"]["value"] == 1 and parts["chain"]["value"] == 1 and parts["distance"]["value"] == 1
    assert parts["history"]["value"] == 0
    assert sum(row["points"] for row in parts.values()) == pytest.approx(matrix[0, 0], abs=1e-4)
    assert matrix[0, 0] == pytest.approx(85, abs=1e-4)
    city_wide = {row["factor"]: row["value"] for row in explain(problem(), weights, 1, 2)}
    assert city_wide["distance"] == pytest.approx(0.3) and city_wide["history"] == 1


def test_top_k_is_the_full_ranking_cut_at_k_and_weights_reorder_it():
    ranked, ranked_scores = top_k(problem(), Weights(), 2)
    assert ranked[1].tolist() == [1, 2] and ranked_scores[1][0] >= ranked_scores[1][1]
    history_only = Weights(need=0, chain=0, distance=0, history=100)
    assert top_k(problem(), history_only, 1)[0][1].tolist() == [2]
    assert top_k(problem(), Weights(need=100, chain=0, distance=0, history=0), 1)[0][1].tolist() == [1]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 6))
def test_top_k_agrees_with_sorting_every_score(seed, k):
    rng = np.random.default_rng(seed)

    def side(n):
        district = rng.integers(-1, 3, n)
        return Side(np.arange(n), rng.integers(0, 2, (n, 5)), rng.integers(0, 2, (n, 4)), district,
                    np.where(district >= 0, rng.integers(0, 3, n), -1), np.zeros(n, int), np.ones(n, int))

    p = Problem(side(9), side(7), Problem.history_of([(0, 1), (3, 4)], 7, 9))
    weights = Weights(*map(int, rng.integers(0, 50, 4)))
    matrix = score_matrix(p, weights)
    ranked, ranked_scores = top_k(p, weights, k)
    for t in range(7):
        expected = sorted(range(9), key=lambda a: (-matrix[t, a], a))[:k]
        assert ranked[t].tolist() == expected
        assert ranked_scores[t].tolist() == pytest.approx(matrix[t, expected].tolist())
