from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.metrics import log_loss, mean_absolute_error, r2_score, roc_auc_score

from resonance.errors import ResonanceError
from resonance.federation.learning.metrics import (
    BINS,
    classification_stats,
    merge_evaluations,
    ratio,
    regression_stats,
)


def _classification_data(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.05).astype(float)
    logits = rng.normal(-3.0, 1.5, n) + 2.5 * y
    return logits, y


def test_merged_classification_equals_pooled():
    logits, y = _classification_data()
    cuts = [0, 400, 1800, 3000]
    parts = [classification_stats(logits[a:b], y[a:b]) for a, b in itertools.pairwise(cuts)]
    merged = merge_evaluations(parts)
    pooled = merge_evaluations([classification_stats(logits, y)])
    assert merged.keys() == pooled.keys()
    for key in merged:  # counts and AUC exactly; float sums up to summation order
        assert merged[key] == pytest.approx(pooled[key], rel=1e-12), key
    assert merged["auc"] == pooled["auc"]
    prob = 1 / (1 + np.exp(-logits))
    assert merged["auc"] == pytest.approx(roc_auc_score(y, logits), abs=0.005)
    assert merged["log_loss"] == pytest.approx(log_loss(y, prob), rel=1e-9)
    predicted = logits >= 0
    assert merged["accuracy"] == pytest.approx(np.mean(predicted == (y == 1)))
    assert merged["positives"] == y.sum() and merged["n"] == 3000


def test_merged_regression_equals_pooled():
    rng = np.random.default_rng(1)
    y = rng.uniform(0, 125, 1000)
    pred = y + rng.normal(0, 15, 1000)
    parts = [regression_stats(pred[a : a + 250], y[a : a + 250]) for a in range(0, 1000, 250)]
    merged = merge_evaluations(parts)
    assert merged["rmse"] == pytest.approx(np.sqrt(np.mean((pred - y) ** 2)), rel=1e-12)
    assert merged["mae"] == pytest.approx(mean_absolute_error(y, pred), rel=1e-12)
    assert merged["r2"] == pytest.approx(r2_score(y, pred), rel=1e-9)


def test_stats_are_plain_numbers_for_a_metric_record():
    logits, y = _classification_data(n=50)
    for stats in (classification_stats(logits, y), regression_stats(logits, y)):
        for value in stats.values():
            assert isinstance(value, int | float) or all(isinstance(v, int) for v in value)
    assert len(classification_stats(logits, y)["hist_pos"]) == BINS


def test_ratio_orients_the_headline_metric():
    assert ratio({"auc": 0.9}, {"auc": 0.95}, "classification") == pytest.approx(0.9 / 0.95)
    assert ratio({"rmse": 20.0}, {"rmse": 19.0}, "regression") == pytest.approx(0.95)


def test_bad_evaluations_are_refused():
    logits, y = _classification_data(n=50)
    with pytest.raises(ResonanceError, match="no evaluations"):
        merge_evaluations([])
    with pytest.raises(ResonanceError, match="lacks hist_pos"):
        merge_evaluations([classification_stats(logits, y), regression_stats(logits, y)])
    short = classification_stats(logits, y) | {"hist_pos": [1, 2, 3]}
    with pytest.raises(ResonanceError, match="3 bins, expected 200"):
        merge_evaluations([short])
    with pytest.raises(ResonanceError, match="no rows"):
        merge_evaluations([regression_stats(np.zeros(0), np.zeros(0))])
    one_class = merge_evaluations([classification_stats(logits, np.zeros(50))])
    assert np.isnan(one_class["auc"])
