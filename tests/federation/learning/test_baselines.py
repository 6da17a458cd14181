"""The goals on the bundled data, with the presets: federated ≥ 0.99 × centralized and better than every
local-only model, all scored on the same pooled test set. Value assertions on deterministic runs (seeded)."""

from __future__ import annotations

import numpy as np
import pytest

from resonance.errors import ResonanceError
from resonance.federation.learning import get_family, merge_evaluations, preset
from resonance.federation.learning.baselines import centralized, evaluate_pooled, federated_reference, local_only
from resonance.federation.learning.dp import epsilon_spent
from resonance.federation.learning.metrics import ratio, score


def _goals(parts, spec, rounds):
    seen = []
    fed = federated_reference(parts, spec, rounds, on_round=lambda r, m: seen.append(r))
    cen = centralized(parts, spec, rounds)
    local = local_only(parts, spec, rounds)
    assert seen == list(range(1, rounds + 1)) and len(fed.history) == rounds
    assert fed.metrics["n"] == cen.metrics["n"] == sum(p.n_test for p in parts)  # the same pooled test rows
    assert all(o.metrics["n"] == fed.metrics["n"] for o in local)
    assert ratio(fed.metrics, cen.metrics, spec.task) >= 0.99
    for outcome in local:
        assert score(fed.metrics, spec.task) > score(outcome.metrics, spec.task), outcome.name
    return fed


@pytest.mark.slow
def test_ai4i_federated_meets_the_goals(ai4i, ai4i_spec):
    fed = _goals(ai4i, ai4i_spec, preset("ai4i")["rounds"])
    assert fed.metrics["auc"] > 0.95


@pytest.mark.slow
def test_cmapss_federated_meets_the_goals(cmapss, cmapss_spec):
    fed = _goals(cmapss, cmapss_spec, preset("cmapss_fd001")["rounds"])
    assert fed.metrics["rmse"] < 20


def test_reference_is_deterministic_and_its_metrics_are_the_pooled_ones(ai4i, ai4i_spec):
    spec = ai4i_spec.model_copy(update={"family": "logistic", "local_epochs": 1, "learning_rate": 0.05})
    one = federated_reference(ai4i, spec, 2)
    two = federated_reference(ai4i, spec, 2)
    assert all(np.array_equal(a, b) for a, b in zip(one.arrays, two.arrays, strict=True))
    # merging per-node test statistics gives what one evaluation of the pooled test rows gives
    pooled_X = np.concatenate([p.test_X for p in ai4i])
    pooled_y = np.concatenate([p.test_y for p in ai4i])
    whole = merge_evaluations([get_family(spec).evaluate(one.arrays, one.standardiser.apply(pooled_X), pooled_y, spec)])
    assert evaluate_pooled(one.arrays, ai4i, spec, one.standardiser)["auc"] == whole["auc"]


def test_fedprox_and_dp_runs(ai4i, ai4i_spec):
    base = ai4i_spec.model_copy(update={"family": "logistic", "local_epochs": 1, "learning_rate": 0.05})
    prox = federated_reference(ai4i, base.model_copy(update={"proximal_mu": 0.1}), 3)
    assert prox.metrics["auc"] > 0.8
    private = base.model_copy(update={"dp_clip": 1.0, "dp_noise_multiplier": 0.5})
    assert private.private
    noisy = federated_reference(ai4i, private, 3, dp_seed=1)
    again = federated_reference(ai4i, private, 3, dp_seed=1)
    other = federated_reference(ai4i, private, 3, dp_seed=2)
    assert np.array_equal(noisy.arrays[0], again.arrays[0]) and not np.array_equal(noisy.arrays[0], other.arrays[0])
    assert np.isfinite(noisy.metrics["auc"])
    assert epsilon_spent(0.5, 3, 1e-5) > epsilon_spent(0.5, 2, 1e-5) > 0


def test_bad_parts_are_refused(ai4i, ai4i_spec, cmapss):
    with pytest.raises(ResonanceError, match="no data parts"):
        centralized([], ai4i_spec)
    with pytest.raises(ResonanceError, match="has features"):
        local_only(cmapss, ai4i_spec)
    with pytest.raises(ResonanceError, match="rounds must be ≥ 1"):
        federated_reference(ai4i, ai4i_spec, 0)
