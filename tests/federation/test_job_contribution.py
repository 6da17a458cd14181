"""Per-job contribution from the round updates: coalition models, exact/permutation Shapley, leave-one-out."""

from __future__ import annotations

import numpy as np
import pytest

from resonance.evaluation.contribution import exact_shapley, spearman
from resonance.federation import job_contribution as jc

TARGET = np.array([1.0, -2.0, 0.5, 3.0])


def _log(good: list[str], noisy: list[str], rounds: int = 3, seed: int = 0) -> jc.RoundLog:
    """Good providers step towards TARGET; noisy ones step in a random direction (like mislabelled data)."""
    rng = np.random.default_rng(seed)
    log = jc.RoundLog()
    current = [np.zeros((2, 2))]
    for r in range(1, rounds + 1):
        flat = current[0].ravel()
        updates = {}
        for p in good:
            updates[p] = ([(flat + 0.5 * (TARGET - flat)).reshape(2, 2)], 100)
        for p in noisy:
            updates[p] = ([(flat + rng.normal(0, 2.0, size=4)).reshape(2, 2)], 100)
        log.add(r, current, updates, expected=set(updates))
        total = sum(n for _, n in updates.values())
        current = [sum(a[0] * n / total for a, n in updates.values())]
    return log


def _utility(arrays: list[np.ndarray]) -> float:
    return -float(np.sum((arrays[0].ravel() - TARGET) ** 2))


def _scores(log: jc.RoundLog) -> dict:
    return {(i, c): _utility(jc.model(log, i, c)) for i, c in jc.requests(log)}


def test_coalition_models_are_the_fedavg_of_their_members() -> None:
    log = jc.RoundLog()
    start = [np.zeros(2), np.ones((1, 2))]
    a = ([np.array([1.0, 0.0]), np.array([[1.0, 1.0]])], 100)
    b = ([np.array([0.0, 3.0]), np.array([[4.0, 1.0]])], 300)
    log.add(1, start, {"a": a, "b": b}, expected={"a", "b"})
    both = jc.model(log, 0, frozenset({"a", "b"}))
    assert np.allclose(both[0], [0.25, 2.25]) and np.allclose(both[1], [[3.25, 1.0]])
    assert [x.shape for x in both] == [(2,), (1, 2)]
    assert np.allclose(jc.model(log, 0, frozenset({"a"}))[0], [1.0, 0.0])
    assert np.allclose(jc.model(log, 0, frozenset())[1], start[1])


def test_the_noisy_provider_gets_the_least_and_the_values_add_up_to_the_gain() -> None:
    log = _log(good=["mill-l", "mill-m"], noisy=["mill-h"])
    wanted = jc.requests(log)
    assert len(wanted) == 3 * 2**3  # every coalition of every round, the empty one included
    found = jc.estimate(log, _scores(log), orgs={"mill-l": "L", "mill-m": "M", "mill-h": "H"})
    assert found["available"] and found["method"] == "shapley_exact_per_round"
    assert min(found["shapley"], key=found["shapley"].get) == "mill-h"
    assert found["shapley"]["mill-l"] == pytest.approx(found["shapley"]["mill-m"])  # same data, same value
    assert sum(found["shapley"].values()) == pytest.approx(found["gain"])  # efficiency
    assert sum(found["share"].values()) == pytest.approx(1.0)
    assert found["orgs"]["mill-h"] == "H" and found["trainings"] == 0 and found["evaluations"] == 24


def test_a_duplicated_provider_gets_nothing_by_leave_one_out_but_its_share_by_shapley() -> None:
    log = _log(good=["a", "a-copy"], noisy=[], rounds=2)
    found = jc.estimate(log, _scores(log))
    assert found["leave_one_out"]["a"] == pytest.approx(0.0, abs=1e-12)  # the copy replaces it exactly
    assert found["shapley"]["a"] == pytest.approx(found["gain"] / 2)


def test_above_five_providers_guided_permutations_agree_with_exact_shapley() -> None:
    players = [f"p{i}" for i in range(7)]
    log = _log(good=players[:4], noisy=players[4:], rounds=2, seed=3)
    wanted = jc.requests(log)
    assert len(wanted) < 2 * 2**7  # not every coalition
    found = jc.estimate(log, _scores(log))
    assert found["method"] == "shapley_guided_permutations"
    exact = dict.fromkeys(players, 0.0)
    for i in range(len(log.rounds)):
        per_round = exact_shapley(players, lambda c, i=i: _utility(jc.model(log, i, frozenset(c)))).values
        for p in players:
            exact[p] += per_round[p]
    assert spearman(found["shapley"], exact) >= 0.9


def test_rounds_missing_a_provider_are_skipped_and_one_provider_is_not_enough() -> None:
    log = jc.RoundLog()
    start = [np.zeros(2)]
    log.add(1, start, {"a": ([np.ones(2)], 1)}, expected={"a", "b"})  # b did not answer
    assert log.skipped == [1] and jc.requests(log) == []
    found = jc.estimate(log, {})
    assert found == {"available": False, "reason": "fewer than two providers took part in every round",
                     "rounds_skipped": [1], "trainings": 0, "evaluations": 0}  # fmt: skip
