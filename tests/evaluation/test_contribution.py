"""evaluation/contribution.py: exact Shapley's axioms, and each approximation against it on constructed AI4I games.

The games (``evaluation._games``): five providers — three clean of different sizes, one with 35% of its labels
flipped, one holding a copy of another's rows — and a logistic model; utility = test log-loss skill.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from resonance.errors import ResonanceError
from resonance.evaluation._games import ai4i_game, central_utility, fedavg, federated_utility, skill
from resonance.evaluation.contribution import (
    Round,
    exact_shapley,
    gtg_shapley,
    leave_one_out,
    monte_carlo_shapley,
    spearman,
    stratified_shapley,
)


@pytest.fixture(scope="module")
def game():
    return ai4i_game()


@pytest.fixture(scope="module")
def central(game):
    cache: dict = {}
    utility = central_utility(game)

    def cached(coalition):  # the estimators count their own calls; this only spares the tests' retraining
        if coalition not in cache:
            cache[coalition] = utility(coalition)
        return cache[coalition]

    return cached


@pytest.fixture(scope="module")
def exact(game, central):
    return exact_shapley(list(game.providers), central)


def test_exact_shapley_on_a_hand_computed_game():
    # a and b are worth 2 more together; c adds nothing anywhere → φ_a = 6 + 1, φ_b = 4 + 1, φ_c = 0
    table = {"": 0, "a": 6, "b": 4, "c": 0, "ab": 12, "ac": 6, "bc": 4, "abc": 12}
    result = exact_shapley("abc", lambda s: table["".join(sorted(s))])
    assert result.values == {"a": pytest.approx(7), "b": pytest.approx(5), "c": pytest.approx(0)}
    assert result.trainings == 8 and result.ranking() == ["a", "b", "c"]


def test_exact_shapley_on_the_ai4i_game_is_efficient_and_symmetric(exact, central, game):
    values = exact.values
    assert sum(values.values()) == pytest.approx(central(frozenset(game.providers)) - central(frozenset()))
    assert values["clean-b"] == pytest.approx(values["copy-b"], abs=1e-12)  # the same data, the same value
    assert exact.ranking()[0] == "clean-a" and exact.ranking()[-1] == "noisy"
    assert values["noisy"] < 0 < values["clean-c"] < values["clean-b"] < values["clean-a"]
    assert exact.trainings == 32


def test_leave_one_out_misses_duplicated_data(exact, central, game):
    loo = leave_one_out(list(game.providers), central)
    everyone = frozenset(game.providers)
    for p, v in loo.values.items():
        assert v == pytest.approx(central(everyone) - central(everyone - {p}))
    assert loo.trainings == 6
    # each copy makes the other redundant: LOO gives the pair far less than their Shapley value
    assert loo.values["copy-b"] < 0.5 * exact.values["copy-b"]
    assert spearman(loo, exact) >= 0.9  # measured 0.975: the ranking survives here, the magnitudes do not


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_monte_carlo_ranks_like_exact(exact, central, game, seed):
    estimate = monte_carlo_shapley(list(game.providers), central, permutations=10, seed=seed)
    assert spearman(estimate, exact) >= 0.9
    assert estimate.trainings < exact.trainings  # coalitions it never met are never trained
    total = sum(estimate.values.values())
    assert total == pytest.approx(central(frozenset(game.providers)))  # each permutation adds up to u(N) − u(∅)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stratified_sampling_ranks_like_exact(exact, central, game, seed):
    estimate = stratified_shapley(list(game.providers), central, samples=2, seed=seed)
    assert spearman(estimate, exact) >= 0.9
    assert estimate.trainings <= exact.trainings


def test_truncation_skips_the_tail_of_permutations(central, game):
    plain = monte_carlo_shapley(list(game.providers), central, permutations=10, seed=0)
    truncated = monte_carlo_shapley(list(game.providers), central, permutations=10, tolerance=0.05, seed=0)
    assert truncated.details["truncated_steps"] > 0 and plain.details["truncated_steps"] == 0
    assert truncated.trainings <= plain.trainings


def test_truncation_never_stops_at_the_empty_coalition():
    # a helps as much as b harms: u(N) = u(∅), yet neither is worth 0
    table = {"": 0.0, "a": 1.0, "b": -1.0, "ab": 0.0}
    result = monte_carlo_shapley("ab", lambda s: table["".join(sorted(s))], permutations=2, tolerance=0.5)
    assert result.values == {"a": pytest.approx(1.0), "b": pytest.approx(-1.0)}


def test_gtg_shapley_ranks_like_exact_federated_shapley_without_training(game):
    players = list(game.providers)
    exact_federated = exact_shapley(players, federated_utility(game))
    _, rounds = fedavg(game, frozenset(players))
    for seed in (0, 1):
        estimate = gtg_shapley(rounds, lambda w: skill(w, game.test), seed=seed)
        assert spearman(estimate, exact_federated) >= 0.9  # measured 0.975
        assert estimate.trainings == 0 and estimate.evaluations > 0
        assert estimate.values["noisy"] == min(estimate.values.values())
        assert estimate.details["rounds"] == game.rounds


def test_gtg_skips_rounds_where_the_model_did_not_move():
    start = np.zeros(2)
    still = Round(start, {"a": np.zeros(2), "b": np.zeros(2)}, {"a": 1.0, "b": 1.0})
    moving = Round(start, {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 0.0])}, {"a": 1.0, "b": 1.0})
    result = gtg_shapley([still, moving], lambda w: float(w[0]), max_permutations=4)
    assert result.details["rounds_skipped"] == 1
    # the round's model moves by (a's update)/2 when both join: a's value 0.5 of the gain... exactly:
    # u(∅)=0, u({a})=1, u({b})=0, u({a,b})=0.5 → φ_a = 0.75, φ_b = −0.25
    assert result.values["a"] == pytest.approx(0.75) and result.values["b"] == pytest.approx(-0.25)


def test_bad_inputs_are_refused():
    with pytest.raises(ResonanceError, match="twice"):
        exact_shapley(["a", "a"], lambda s: 0.0)
    with pytest.raises(ResonanceError, match="no players"):
        leave_one_out([], lambda s: 0.0)
    with pytest.raises(ResonanceError, match="trainings"):
        exact_shapley([str(i) for i in range(11)], lambda s: 0.0)
    with pytest.raises(ResonanceError, match="finite"):
        exact_shapley(["a", "b"], lambda s: math.nan)
    with pytest.raises(ResonanceError, match="permutations"):
        monte_carlo_shapley(["a"], lambda s: 0.0, permutations=0)
    with pytest.raises(ResonanceError, match="samples"):
        stratified_shapley(["a"], lambda s: 0.0, samples=0)
    with pytest.raises(ResonanceError, match="no rounds"):
        gtg_shapley([], lambda w: 0.0)
    start = np.zeros(1)
    one = Round(start, {"a": np.ones(1), "b": np.ones(1)}, {"a": 1.0, "b": 1.0})
    other = Round(start, {"a": np.ones(1)}, {"a": 1.0})
    with pytest.raises(ResonanceError, match="other clients"):
        gtg_shapley([one, other], lambda w: 0.0)
    with pytest.raises(ResonanceError, match="weight"):
        gtg_shapley([Round(start, {"a": np.ones(1)}, {"a": 0.0})], lambda w: 0.0)
    with pytest.raises(ResonanceError, match="different players"):
        spearman({"a": 1.0}, {"b": 1.0})
