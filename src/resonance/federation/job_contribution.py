"""Each provider's contribution to a federated job, from the round updates the ServerApp already had.

No coalition is retrained (the idea of GTG-Shapley, Liu et al. 2022, and of Song et al.'s multi-round
reconstruction, 2019): in round t a coalition S's model is the round's starting model plus the FedAvg of S's
updates (``resonance.evaluation.contribution.Round``). The ServerApp keeps each round's start, updates and
weights (``RoundLog``), builds the coalition models it needs (``requests``) and sends them with the final
evaluation message; every node scores them on its own test rows and answers with the same mergeable statistics
as for the final model, so a coalition's utility is the job's metric on the pooled test rows of all nodes and
no row or per-row prediction leaves a node. ``estimate`` then gives, summed over the rounds:

- ``shapley``: with ≤ ``EXACT_MAX`` providers the exact Shapley value of each round's game (every coalition is
  scored: 2^n models a round); above, the mean marginal gain over guided permutations (each provider leads once
  a round), as in GTG-Shapley without truncation (all models of a round go out in one message, so nothing is
  gained by stopping early);
- ``leave_one_out``: u(N) − u(N∖{i}) per round.

Cost is reported as trainings (always 0: no retraining) and models evaluated. Not available under SecAgg+ (the
space never sees an individual update, by design) or when fewer than two providers took part in every round.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from resonance.evaluation.contribution import Round, coalition_model, exact_shapley, leave_one_out

EXACT_MAX = 5
"""Up to this many providers every coalition of every round is scored (2^5 = 32 models a round)."""


@dataclass
class RoundLog:
    """What the ServerApp saw in its plain rounds: per round the start and each node's update and weight."""

    shapes: list[tuple[int, ...]] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)

    def add(
        self,
        round_number: int,
        start: Sequence[np.ndarray],
        updates: Mapping[str, tuple[Sequence[np.ndarray], int]],
        expected: set[str],
    ) -> None:
        """Keep one round; a round in which not every expected node answered cannot be reconstructed."""
        if set(updates) != expected or len(expected) < 2:
            self.skipped.append(round_number)
            return
        self.shapes = [tuple(np.shape(a)) for a in start]
        base = flatten(start)
        self.rounds.append(
            Round(
                start=base,
                updates={node: flatten(arrays) - base for node, (arrays, _) in updates.items()},
                weights={node: float(n) for node, (_, n) in updates.items()},
            )
        )


def flatten(arrays: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays]) if arrays else np.zeros(0)


def unflatten(vector: np.ndarray, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    out, at = [], 0
    for shape in shapes:
        size = int(np.prod(shape)) if shape else 1
        out.append(vector[at : at + size].reshape(shape))
        at += size
    return out


def players_of(log: RoundLog) -> list[str]:
    """The providers present in every kept round (GTG needs full participation; others were dropped rounds)."""
    if not log.rounds:
        return []
    common = set(log.rounds[0].updates)
    for one in log.rounds[1:]:
        common &= set(one.updates)
    return sorted(common)


def requests(log: RoundLog, *, seed: int = 0) -> list[tuple[int, frozenset]]:
    """Which (round index, coalition) models to score: every coalition (≤ EXACT_MAX players) or permutation prefixes."""
    players = players_of(log)
    if len(players) < 2:
        return []
    wanted: list[tuple[int, frozenset]] = []
    rng = np.random.default_rng(seed)
    for index in range(len(log.rounds)):
        if len(players) <= EXACT_MAX:
            coalitions = [frozenset(c) for k in range(len(players) + 1) for c in itertools.combinations(players, k)]
        else:
            coalitions = {frozenset(), frozenset(players)} | {frozenset(players) - {p} for p in players}
            for order in _guided_orders(players, rng):
                coalitions |= {frozenset(order[: k + 1]) for k in range(len(order))}
            coalitions = sorted(coalitions, key=lambda c: (len(c), sorted(c)))
        wanted += [(index, c) for c in coalitions]
    return wanted


def model(log: RoundLog, index: int, coalition: frozenset) -> list[np.ndarray]:
    """Coalition ``coalition``'s model in kept round ``index``, as the job's list of arrays."""
    return unflatten(coalition_model(log.rounds[index], coalition), log.shapes)


def estimate(
    log: RoundLog,
    scores: Mapping[tuple[int, frozenset], float],
    *,
    orgs: Mapping[str, str] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Shapley and leave-one-out per provider, summed over the kept rounds, from the scored coalition models."""
    players = players_of(log)
    if len(players) < 2:
        return unavailable("fewer than two providers took part in every round", log)
    shapley = dict.fromkeys(players, 0.0)
    loo = dict.fromkeys(players, 0.0)
    rng = np.random.default_rng(seed)
    for index in range(len(log.rounds)):

        def utility(coalition: frozenset, index: int = index) -> float:
            return float(scores[(index, frozenset(coalition))])

        loo_round = leave_one_out(players, utility)
        if len(players) <= EXACT_MAX:
            shapley_round = exact_shapley(players, utility).values
        else:
            shapley_round = _permutation_shapley(players, utility, _guided_orders(players, rng))
        for p in players:
            shapley[p] += float(shapley_round[p])
            loo[p] += float(loo_round.values[p])
    everyone = frozenset(players)
    gain = sum(scores[(i, everyone)] - scores[(i, frozenset())] for i in range(len(log.rounds)))
    return {
        "available": True,
        "method": "shapley_exact_per_round" if len(players) <= EXACT_MAX else "shapley_guided_permutations",
        "players": players,
        "orgs": {p: (orgs or {}).get(p, "") for p in players},
        "shapley": shapley,
        "leave_one_out": loo,
        "share": _shares(shapley),
        # Σ shapley (efficiency): the sum of the rounds' gains; when every provider took part in every round this
        # is the metric's change from the first round's start to the last round's model
        "gain": float(gain),
        "rounds": len(log.rounds),
        "rounds_skipped": list(log.skipped),
        "trainings": 0,
        "evaluations": len(scores),
    }


def unavailable(reason: str, log: RoundLog | None = None) -> dict[str, Any]:
    return {
        "available": False,
        "reason": reason,
        "rounds_skipped": list(log.skipped) if log else [],
        "trainings": 0,
        "evaluations": 0,
    }


def _shares(values: Mapping[str, float]) -> dict[str, float]:
    positive = {p: max(v, 0.0) for p, v in values.items()}
    total = sum(positive.values())
    return {p: (v / total if total > 0 else 0.0) for p, v in positive.items()}


def _guided_orders(players: Sequence[Hashable], rng: np.random.Generator) -> list[list[Hashable]]:
    orders = []
    for leader in players:
        rest = [p for p in players if p != leader]
        orders.append([leader, *[rest[i] for i in rng.permutation(len(rest))]])
    return orders


def _permutation_shapley(players: Sequence[Hashable], utility: Any, orders: list[list[Hashable]]) -> dict:
    values = dict.fromkeys(players, 0.0)
    for order in orders:
        prefix: frozenset = frozenset()
        before = utility(prefix)
        for p in order:
            prefix = prefix | {p}
            after = utility(prefix)
            values[p] += (after - before) / len(orders)
            before = after
    return values
