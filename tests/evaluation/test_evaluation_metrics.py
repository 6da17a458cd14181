"""evaluation/metrics.py: point values equal scikit-learn's, intervals cover and are seeded, compare, by_slice."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from resonance.errors import ResonanceError
from resonance.evaluation.metrics import MetricValue, by_slice, compare, task_metrics


@pytest.fixture(scope="module")
def scored() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    y = (rng.random(4000) < 0.15).astype(int)
    score = np.clip(rng.normal(0.3 + 0.35 * y, 0.2), 0, 1).round(2)  # rounded: many tied scores
    return y, score


def test_classification_point_values_equal_sklearn(scored):
    y, score = scored
    values = task_metrics("classification", y, score, bootstrap=0)
    predicted = score >= 0.5
    assert values["auc"].value == pytest.approx(skm.roc_auc_score(y, score), abs=1e-12)
    assert values["f1"].value == pytest.approx(skm.f1_score(y, predicted))
    assert values["precision"].value == pytest.approx(skm.precision_score(y, predicted))
    assert values["recall"].value == pytest.approx(skm.recall_score(y, predicted))
    assert values["accuracy"].value == pytest.approx(skm.accuracy_score(y, predicted))
    precision, recall, _ = skm.precision_recall_curve(y, score)
    assert values["recall_at_precision"].value == pytest.approx(recall[precision >= 0.9].max())
    assert values["auc"].low is None and values["auc"].high is None


def test_recall_at_precision_follows_the_target(scored):
    y, score = scored
    loose = task_metrics("classification", y, score, precision_at=0.5, bootstrap=0)["recall_at_precision"].value
    strict = task_metrics("classification", y, score, precision_at=0.95, bootstrap=0)["recall_at_precision"].value
    precision, recall, _ = skm.precision_recall_curve(y, score)
    assert loose == pytest.approx(recall[precision >= 0.5].max())
    assert strict < loose


def test_regression_point_values_equal_sklearn():
    rng = np.random.default_rng(3)
    y = rng.normal(10, 3, 2000)
    prediction = y + rng.normal(0, 1, 2000)
    values = task_metrics("regression", y, prediction, bootstrap=0)
    assert values["rmse"].value == pytest.approx(np.sqrt(skm.mean_squared_error(y, prediction)))
    assert values["mae"].value == pytest.approx(skm.mean_absolute_error(y, prediction))
    assert values["r2"].value == pytest.approx(skm.r2_score(y, prediction))
    assert values["rmse"].higher_is_better is False and values["r2"].higher_is_better is True


def test_bootstrap_interval_matches_a_plain_loop_and_is_seeded(scored):
    y, score = scored
    values = task_metrics("classification", y, score, bootstrap=400, seed=11)
    again = task_metrics("classification", y, score, bootstrap=400, seed=11)
    other = task_metrics("classification", y, score, bootstrap=400, seed=12)
    assert values["auc"] == again["auc"]
    assert values["auc"].low != other["auc"].low
    # the vectorised resampling gives the interval a plain scikit-learn loop gives, up to Monte-Carlo error
    rng = np.random.default_rng(0)
    loop = []
    for _ in range(400):
        rows = rng.integers(0, len(y), len(y))
        loop.append(skm.roc_auc_score(y[rows], score[rows]))
    low, high = np.percentile(loop, [2.5, 97.5])
    auc = values["auc"]
    assert auc.low < auc.value < auc.high
    assert abs(auc.low - low) < 0.01 and abs(auc.high - high) < 0.01
    width = auc.high - auc.low
    assert 0.01 < width < 0.08


def test_bootstrap_of_regression_metrics_brackets_the_value():
    rng = np.random.default_rng(5)
    y = rng.normal(0, 1, 3000)
    values = task_metrics("regression", y, y + rng.normal(0, 0.5, 3000), bootstrap=300)
    for name in ("rmse", "mae", "r2"):
        assert values[name].low < values[name].value < values[name].high
    assert values["rmse"].low == pytest.approx(0.5, abs=0.03)


def test_single_class_leaves_auc_undefined_not_an_error():
    values = task_metrics("classification", [0, 0, 0, 0], [0.1, 0.7, 0.2, 0.4], bootstrap=50)
    assert np.isnan(values["auc"].value)
    assert values["auc"].as_dict()["value"] is None and values["auc"].low is None
    assert values["accuracy"].value == pytest.approx(0.75)


def test_extra_metric_is_bootstrapped_and_named(scored):
    y, score = scored

    def cost(truth, s):  # a missed failure costs 10, a false alarm 1
        predicted = s >= 0.5
        return float((10 * ((truth == 1) & ~predicted) + ((truth == 0) & predicted)).sum() / len(truth))

    values = task_metrics("classification", y, score, bootstrap=100, extra={"cost": cost})
    assert values["cost"].value == pytest.approx(cost(y, score))
    assert values["cost"].low < values["cost"].value < values["cost"].high
    assert values["cost"].higher_is_better is False


@pytest.mark.parametrize(
    ("task", "y_true", "y_score", "where"),
    [
        ("ranking", [0, 1], [0.1, 0.9], "task"),
        ("classification", [0, 1, 1], [0.1, 0.9], "y_score"),
        ("classification", [], [], "y_true"),
        ("classification", [0, 2, 1], [0.1, 0.9, 0.3], "y_true"),
        ("classification", [0, 1, 1], [0.1, np.nan, 0.3], "y_score"),
        ("classification", ["a", "b"], [0.1, 0.2], "y_true"),
        ("regression", [1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]], "y_score"),
    ],
)
def test_bad_inputs_are_refused(task, y_true, y_score, where):
    with pytest.raises(ResonanceError) as caught:
        task_metrics(task, y_true, y_score, bootstrap=0)
    assert caught.value.where == where and caught.value.fix


def test_bad_options_are_refused(scored):
    y, score = scored
    with pytest.raises(ResonanceError, match="bootstrap"):
        task_metrics("classification", y, score, bootstrap=-1)
    with pytest.raises(ResonanceError, match="precision_at"):
        task_metrics("classification", y, score, precision_at=1.5)
    with pytest.raises(ResonanceError, match="built-in"):
        task_metrics("classification", y, score, bootstrap=0, extra={"auc": lambda t, s: 0.0})
    with pytest.raises(ResonanceError, match="failed"):
        task_metrics("classification", y, score, bootstrap=0, extra={"boom": lambda t, s: 1 / 0})


def test_compare_is_a_tie_when_intervals_overlap():
    a = MetricValue("auc", 0.90, 0.88, 0.92)
    assert compare(a, MetricValue("auc", 0.89, 0.87, 0.91)) == "tie"
    assert compare(a, MetricValue("auc", 0.80, 0.78, 0.82)) == "better"
    assert compare(MetricValue("auc", 0.80, 0.78, 0.82), a) == "worse"
    rmse = MetricValue("rmse", 1.0, 0.9, 1.1, higher_is_better=False)
    assert compare(rmse, MetricValue("rmse", 2.0, 1.8, 2.2, higher_is_better=False)) == "better"
    assert compare(MetricValue("auc", 0.9), MetricValue("auc", 0.8)) == "better"  # no intervals: by value
    assert compare(MetricValue("auc", float("nan")), a) == "tie"
    with pytest.raises(ResonanceError):
        compare(a, rmse)


def test_metric_value_round_trips_through_json_form():
    value = MetricValue("rmse", 1.5, 1.2, 1.8, higher_is_better=False)
    assert MetricValue.from_dict(value.as_dict()) == value


def test_by_slice_gives_each_slice_its_own_metrics(scored):
    y, score = scored
    kinds = np.where(np.arange(len(y)) % 3 == 0, "H", "L")
    kinds[:3] = "M"  # a slice of 3 rows: below min_n, left out
    slices = by_slice("classification", y, score, kinds, min_n=5, bootstrap=0)
    assert [s.key for s in slices] == ["H", "L"]
    h = kinds == "H"
    assert slices[0].n == int(h.sum())
    assert slices[0].metrics["auc"].value == pytest.approx(skm.roc_auc_score(y[h], score[h]))
    assert slices[0].as_dict()["slice"] == "H"
    with pytest.raises(ResonanceError, match="slices has"):
        by_slice("classification", y, score, kinds[:-1])
