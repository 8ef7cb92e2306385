"""The matching engine: scores, explanations, top-k recommendations and the optimal assignment.

Pure numpy and SciPy, no database: :mod:`.programme` loads the arrays from the indexed
projections. A score is a weighted sum of four factors, each in [0, 1]:

- ``need``: the share of the target's needs that the association offers;
- ``chain``: 1 when they share an industry chain;
- ``distance``: 1 in the same town or street, 0.6 in the same district, 0.3 for a
  city-wide association (no district of its own), else 0;
- ``history``: 1 when they have cooperated before (an earlier pairing that was
  confirmed, an intention or a project).

The programme-wide assignment maximises the total score with every association at most
its capacity and every target between its minimum and its maximum. It is the linear
programme of a min-cost flow (source → associations → targets → sink), solved by HiGHS's
simplex through :mod:`highspy`; its constraint matrix is a network matrix, so the basic
optimal answer is integral (and checked to be). The programme is solved over each
target's :data:`CANDIDATES` best associations first and then priced: the duals of that
solution give every pair left out a reduced cost, and the pairs that could still raise
the total join the model as new columns, the simplex going on from the basis it had,
until none can. Then the duals are feasible for the programme over all pairs, so by LP
duality the total is the largest there is over every pair, not only over the candidates.
A greedy pass (best candidate pair first) is computed beside it for comparison, never
instead of it.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import highspy
import numpy as np
from scipy import sparse

FACTORS = ("need", "chain", "distance", "history")
FACTOR_LABELS = {
    "need": "需求契合",
    "chain": "产业链匹配",
    "distance": "距离相近",
    "history": "以往合作",
}
DEFAULT_WEIGHTS = {"need": 40, "chain": 25, "distance": 20, "history": 15}
SAME_TOWN, SAME_DISTRICT, CITY_WIDE = 1.0, 0.6, 0.3
#: Targets scored per block: bounds the memory of a block to block × associations floats.
BLOCK = 2048
#: Candidates per target the assignment starts from (and greedy chooses from): its best associations.
CANDIDATES = 10
#: Pairs a pricing round adds per target at most: its left-out pairs of the highest reduced cost.
PRICED = 5
#: How far (points) below zero a reduced cost may be for its pair to join in a round that found
#: an improving pair: the duals move once it is added, and taking the near ones too saves rounds.
NEAR = 20.0


class Infeasible(ValueError):
    """The minimums cannot all be met with the capacities there are; ``targets`` are the
    indexes of the targets left short."""

    def __init__(self, targets: Sequence[int]):
        super().__init__(f"{len(targets)} 个对象达不到最低结对数")
        self.targets = list(targets)


@dataclasses.dataclass(frozen=True)
class Weights:
    """Non-negative integer weights, one per factor; a score is their weighted mean."""

    need: int = DEFAULT_WEIGHTS["need"]
    chain: int = DEFAULT_WEIGHTS["chain"]
    distance: int = DEFAULT_WEIGHTS["distance"]
    history: int = DEFAULT_WEIGHTS["history"]

    def shares(self) -> dict[str, float]:
        total = sum(getattr(self, f) for f in FACTORS)
        if total <= 0:
            return dict.fromkeys(FACTORS, 1 / len(FACTORS))
        return {f: getattr(self, f) / total for f in FACTORS}


@dataclasses.dataclass
class Side:
    """Associations or targets as arrays, row i being the i-th of ``ids``.

    ``needs`` is a 0/1 matrix over the needs vocabulary (what a target needs, what an
    association offers), ``chains`` over the industry chains; ``district`` and ``town``
    are integer codes, -1 where unknown. ``low`` and ``high`` bound the number of
    pairings: (0, capacity) for an association, (minimum, maximum) for a target.
    """

    ids: np.ndarray
    needs: np.ndarray
    chains: np.ndarray
    district: np.ndarray
    town: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclasses.dataclass
class Problem:
    associations: Side
    targets: Side
    #: (target index, association index) pairs that cooperated before.
    history: sparse.csr_matrix

    @staticmethod
    def history_of(pairs: Sequence[tuple[int, int]], targets: int, associations: int) -> sparse.csr_matrix:
        rows = np.array([t for t, _ in pairs], dtype=np.int64)
        cols = np.array([a for _, a in pairs], dtype=np.int64)
        data = np.ones(len(pairs), dtype=np.float32)
        matrix = sparse.csr_matrix((data, (rows, cols)), shape=(targets, associations))
        matrix.data[:] = 1  # a pair named twice is still one past cooperation
        return matrix


def factors(problem: Problem, rows: slice) -> dict[str, np.ndarray]:
    """Each factor for the targets ``rows`` against every association: block × associations."""
    a, t = problem.associations, problem.targets
    needs = t.needs[rows].astype(np.float32)
    wanted = needs.sum(axis=1, keepdims=True)
    need = np.divide(needs @ a.needs.T.astype(np.float32), wanted, out=np.zeros((needs.shape[0], len(a)), np.float32),
                     where=wanted > 0)
    chain = ((t.chains[rows].astype(np.float32) @ a.chains.T.astype(np.float32)) > 0).astype(np.float32)
    same_district = (t.district[rows, None] == a.district[None, :]) & (a.district[None, :] >= 0)
    same_town = same_district & (t.town[rows, None] == a.town[None, :]) & (a.town[None, :] >= 0)
    distance = np.where(same_town, SAME_TOWN,
                        np.where(same_district, SAME_DISTRICT,
                                 np.where(a.district[None, :] < 0, CITY_WIDE, 0.0))).astype(np.float32)
    history = problem.history[rows].toarray().astype(np.float32)
    return {"need": need, "chain": chain, "distance": distance, "history": history}


def scores(problem: Problem, weights: Weights, rows: slice | None = None) -> np.ndarray:
    """Scores (0-100) of the targets ``rows`` (default all) against every association."""
    rows = rows or slice(0, len(problem.targets))
    shares = weights.shares()
    parts = factors(problem, rows)
    total = np.zeros_like(parts["need"])
    for name in FACTORS:
        total += np.float32(shares[name] * 100) * parts[name]
    return total


def score_matrix(problem: Problem, weights: Weights) -> np.ndarray:
    """Every target's score against every association, computed a block of targets at a time."""
    n = len(problem.targets)
    return np.vstack([scores(problem, weights, slice(s, min(s + BLOCK, n))) for s in range(0, n, BLOCK)]) \
        if n else np.zeros((0, len(problem.associations)), np.float32)


def top_k(problem: Problem, weights: Weights, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best associations of every target: (indexes, scores), best first; ties
    go to the lower index so the order is stable."""
    n, m = len(problem.targets), len(problem.associations)
    k = min(k, m)
    best = np.zeros((n, k), np.int64)
    best_scores = np.zeros((n, k), np.float32)
    for start in range(0, n, BLOCK):
        rows = slice(start, min(start + BLOCK, n))
        block = scores(problem, weights, rows)
        chosen = _best_columns(block, k)
        picked = np.take_along_axis(block, chosen, axis=1)
        order = np.lexsort((chosen, -picked), axis=1)
        best[rows] = np.take_along_axis(chosen, order, axis=1)
        best_scores[rows] = np.take_along_axis(picked, order, axis=1)
    return best, best_scores


def _best_columns(block: np.ndarray, k: int) -> np.ndarray:
    """For each row, the columns of its ``k`` largest values, ties at the cut to the lower column."""
    if k >= block.shape[1]:
        return np.tile(np.arange(block.shape[1]), (block.shape[0], 1))
    kth = -np.partition(-block, k - 1, axis=1)[:, k - 1:k]
    above = block > kth
    at_cut = block == kth
    wanted = k - above.sum(axis=1, keepdims=True)
    mask = above | (at_cut & (np.cumsum(at_cut, axis=1) <= wanted))
    return np.nonzero(mask)[1].reshape(block.shape[0], k)


def explain(problem: Problem, weights: Weights, target: int, association: int) -> list[dict]:
    """How one score is made: each factor's value, weight and contribution (points)."""
    parts = factors(problem, slice(target, target + 1))
    shares = weights.shares()
    return [
        {"factor": name, "label": FACTOR_LABELS[name], "value": float(parts[name][0, association]),
         "weight": getattr(weights, name), "points": float(parts[name][0, association] * shares[name] * 100)}
        for name in FACTORS
    ]


# the assignment -----------------------------------------------------------------


@dataclasses.dataclass
class Assignment:
    """Chosen (target, association) index pairs and their total score."""

    pairs: list[tuple[int, int]]
    total: float
    #: Targets below their minimum (only a greedy pass leaves any).
    short: list[int] = dataclasses.field(default_factory=list)
    #: Pricing rounds of the optimum: solves of which the last left no pair to add.
    rounds: int = 0
    #: Pairs pricing added to the first candidates.
    added: int = 0


def usable(capacity: np.ndarray, maximum: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """The pairs an assignment may take at all: association with capacity, target with room,
    among the ``allowed`` pairs (default all), as a boolean target × association matrix."""
    pairs = (np.asarray(capacity) > 0)[None, :] & (np.asarray(maximum) > 0)[:, None]
    return pairs if allowed is None else pairs & allowed


def candidates(matrix: np.ndarray, capacity: np.ndarray, maximum: np.ndarray, k: int = CANDIDATES,
               allowed: np.ndarray | None = None) -> np.ndarray:
    """Each target's ``k`` best :func:`usable` pairs (all of them when there are no more
    than ``k`` associations), as a boolean matrix."""
    n_targets, n_assoc = matrix.shape
    open_ = usable(capacity, maximum, allowed)
    if n_assoc <= k:
        return open_
    masked = np.where(open_, matrix, -np.inf)
    best = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    chosen = np.zeros(matrix.shape, dtype=bool)
    chosen[np.repeat(np.arange(n_targets), k), best.ravel()] = True
    return chosen & open_


def optimal(matrix: np.ndarray, capacity: np.ndarray, minimum: np.ndarray, maximum: np.ndarray, *,
            k: int = CANDIDATES, allowed: np.ndarray | None = None) -> Assignment:
    """The assignment of the largest total score over every :func:`usable` pair: target t
    gets between ``minimum[t]`` and ``maximum[t]`` distinct associations, association a at
    most ``capacity[a]`` targets. The solver starts from the ``k`` best :func:`candidates`
    of each target and prices the rest (see the module's docstring); ``rounds`` and
    ``added`` of the answer tell how much pricing it took.

    Raises :class:`Infeasible` with the targets whose minimum no choice of pairs can meet.
    """
    n_targets, n_assoc = matrix.shape
    matrix = np.asarray(matrix, dtype=np.float64)
    capacity, minimum = np.asarray(capacity, np.int64), np.asarray(minimum, np.int64)
    maximum = np.minimum(np.asarray(maximum, np.int64), n_assoc)
    if np.any(minimum > maximum):
        raise Infeasible([int(t) for t in np.flatnonzero(minimum > maximum)])
    # A unit short of a minimum costs more than any chain of swaps could gain (each swap
    # gives up at most the best score, and a chain passes each association at most once).
    penalty = (n_assoc + 1) * (float(matrix.max(initial=0.0)) + 1.0)
    tolerance = 1e-6 * (1.0 + float(np.abs(matrix).max(initial=0.0)))
    open_ = usable(capacity, maximum, allowed)
    chosen = candidates(matrix, capacity, maximum, k, allowed)
    flow = _Flow(capacity, minimum, maximum, penalty)
    rows, cols = np.nonzero(chosen)
    flow.add(matrix[rows, cols], rows, cols)
    rounds = added = 0
    while True:
        x, slack, duals = flow.solve()
        rounds += 1
        new_rows, new_cols = _price(matrix, open_ & ~chosen, duals, tolerance)
        if not len(new_rows):
            break
        chosen[new_rows, new_cols] = True
        flow.add(matrix[new_rows, new_cols], new_rows, new_cols)
        rows, cols = np.concatenate([rows, new_rows]), np.concatenate([cols, new_cols])
        added += len(new_rows)
    short = [t for t, s in slack.items() if s > 0.5]
    if short:
        raise Infeasible(short)
    if not np.allclose(x, np.round(x), atol=1e-6):
        raise RuntimeError("the solver returned a fractional flow")
    picked = x > 0.5
    pairs = sorted(zip(rows[picked].tolist(), cols[picked].tolist(), strict=True))
    return Assignment(pairs, float(sum(matrix[t, a] for t, a in pairs)), rounds=rounds, added=added)


def _price(matrix, left_out, duals, tolerance):
    """The left-out pairs to add, as (target indexes, association indexes): none when no
    reduced cost exceeds ``tolerance``, else each target's best :data:`PRICED` of those
    within :data:`NEAR` of zero (the improving ones come first, so each round adds them).

    With the maximising duals u ≥ 0 of the capacities and v of the targets' rows (≥ 0 at a
    target's maximum, ≤ 0 at its minimum), pair (t, a) costs s − u[a] − v[t]. A left-out
    pair's own bound x ≤ 1 is not binding, so its dual is 0: when no reduced cost is
    positive the duals are feasible for the programme over all pairs, and their objective,
    equal to the restricted optimum, bounds it.
    """
    u, v = duals
    found_rows, found_cols = [], []
    improving = False
    for start in range(0, matrix.shape[0], BLOCK):
        block = slice(start, min(start + BLOCK, matrix.shape[0]))
        reduced = np.where(left_out[block], matrix[block] - u[None, :] - v[block, None], -np.inf)
        improving = improving or bool((reduced > tolerance).any())
        near = np.flatnonzero((reduced > -NEAR).any(axis=1))
        if not len(near):
            continue
        reduced = reduced[near]
        take = min(PRICED, reduced.shape[1])
        best = np.argpartition(-reduced, take - 1, axis=1)[:, :take]
        keep = np.take_along_axis(reduced, best, axis=1) > -NEAR
        found_rows.append(np.repeat(start + near, take)[keep.ravel()])
        found_cols.append(best[keep])
    if not improving:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(found_rows), np.concatenate(found_cols)


class _Flow:
    """The flow's linear programme in one HiGHS model that pricing grows: a row per
    association (at most its capacity) and per target (between its minimum and maximum),
    a column per candidate pair (0 to 1, cost minus its score) and, for a target with a
    minimum, a slack column (up to the minimum, cost ``penalty``) that fills the row when
    the pairs cannot (the penalty keeps it at zero once they reach the minimum, so it never
    counts against the maximum). Columns added later start at zero, outside the basis, so
    each solve goes on from the last one's basis instead of from scratch."""

    def __init__(self, capacity, minimum, maximum, penalty):
        self.n_assoc = len(capacity)
        self.needy = np.flatnonzero(minimum > 0)
        # The core class: the Python wrapper ``highspy.Highs`` installs its callback on
        # construction, which prints HiGHS's banner to stdout before output can be turned off.
        self.highs = highspy._Highs()
        self.highs.setOptionValue("output_flag", False)
        n_rows = self.n_assoc + len(maximum)
        lower = np.concatenate([np.zeros(self.n_assoc), minimum]).astype(np.float64)
        upper = np.concatenate([capacity, maximum]).astype(np.float64)
        self.highs.addRows(n_rows, lower, upper, 0, np.zeros(n_rows, np.int32), np.zeros(0, np.int32),
                           np.zeros(0))
        self._columns(np.full(len(self.needy), penalty), minimum[self.needy].astype(np.float64),
                      [self.n_assoc + self.needy])

    def add(self, values, rows, cols):
        """Pairs (``rows[i]``, ``cols[i]``) of score ``values[i]`` as new columns."""
        self._columns(-np.asarray(values, np.float64), np.ones(len(values)), [cols, self.n_assoc + rows])

    def _columns(self, cost, upper, entries):
        """Columns of the given costs and upper bounds, each with a 1 in the rows ``entries``."""
        count, per = len(cost), len(entries)
        if not count:
            return
        indices = np.column_stack(entries).ravel().astype(np.int32)
        self.highs.addCols(count, cost, np.zeros(count), upper, count * per,
                           np.arange(0, count * per, per, dtype=np.int32), indices, np.ones(count * per))

    def solve(self):
        """Returns (x of the pairs in the order added, slack by target with a minimum, duals):
        the maximising duals (u, v) of the association rows and the target rows."""
        n_targets = self.highs.getNumRow() - self.n_assoc
        slacks = len(self.needy)
        if self.highs.getNumCol() == 0:  # nothing can be paired and nothing has to be
            return np.zeros(0), {}, (np.zeros(self.n_assoc), np.zeros(n_targets))
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the solver stopped: {self.highs.modelStatusToString(status)}")
        solution = self.highs.getSolution()
        x = np.asarray(solution.col_value)
        slack = {int(t): float(s) for t, s in zip(self.needy, x[:slacks], strict=True)}
        # HiGHS gives ∂(minimised cost)/∂(row bound): the maximising duals are their negation.
        duals = -np.asarray(solution.row_dual)
        return x[slacks:], slack, (duals[:self.n_assoc], duals[self.n_assoc:])


def greedy(matrix: np.ndarray, capacity: np.ndarray, minimum: np.ndarray, maximum: np.ndarray, *,
           k: int = CANDIDATES, allowed: np.ndarray | None = None) -> Assignment:
    """What taking the best remaining candidate pair first gives: the comparison the page shows.

    Minimums are not planned for; targets left below theirs are reported in ``short``.
    """
    n_targets, n_assoc = matrix.shape
    left = np.asarray(capacity, np.int64).copy()
    room = np.minimum(np.asarray(maximum, np.int64), min(n_assoc, k))
    rows, cols = np.nonzero(candidates(matrix, capacity, room, k, allowed))
    values = np.asarray(matrix, np.float64)[rows, cols]
    pairs, total = [], 0.0
    for index in np.lexsort((cols, rows, -values)):
        t, a = int(rows[index]), int(cols[index])
        if room[t] > 0 and left[a] > 0:
            pairs.append((t, a))
            total += float(values[index])
            room[t] -= 1
            left[a] -= 1
    counts = np.bincount(np.array([t for t, _ in pairs], np.int64), minlength=n_targets)
    short = [int(t) for t in np.flatnonzero(counts < np.asarray(minimum))]
    return Assignment(sorted(pairs), total, short=short)
