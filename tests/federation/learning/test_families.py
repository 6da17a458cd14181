from __future__ import annotations

import numpy as np
import pytest

from resonance.errors import ResonanceError
from resonance.federation.learning import get_family, merge_evaluations
from resonance.federation.learning.baselines import pooled_standardiser
from resonance.federation.learning.dp import update_norm
from resonance.federation.learning.spec import TaskSpec


def _train_and_score(parts, spec, epochs):
    """Fit on the first part (one node), score on every part's test rows."""
    family = get_family(spec)
    standardiser = pooled_standardiser(parts, spec)
    arrays = family.init(spec.n_inputs, spec, standardiser)
    first = parts[0]
    trained = spec.model_copy(update={"local_epochs": epochs})
    arrays, info = family.fit(arrays, standardiser.apply(first.train_X), first.train_y, trained)
    assert info["n"] == first.n_train and info["steps"] > 0 and np.isfinite(info["loss"])
    stats = [family.evaluate(arrays, standardiser.apply(p.test_X), p.test_y, spec) for p in parts]
    return merge_evaluations(stats)


def test_logistic_learns_failures(ai4i, ai4i_spec):
    spec = ai4i_spec.model_copy(update={"family": "logistic", "learning_rate": 0.05, "batch_size": 64})
    metrics = _train_and_score(ai4i, spec, epochs=3)
    assert metrics["auc"] > 0.8  # chance is 0.5
    assert metrics["accuracy"] > 0.96  # always "no failure" scores about 0.966


def test_linear_learns_rul(cmapss, cmapss_spec):
    spec = cmapss_spec.model_copy(update={"family": "linear", "learning_rate": 0.1})
    metrics = _train_and_score(cmapss, spec, epochs=5)
    assert metrics["r2"] > 0.6  # predicting the mean scores 0
    assert metrics["rmse"] < 26


def test_mlp_learns_both_tasks(ai4i, ai4i_spec, cmapss, cmapss_spec):
    assert _train_and_score(ai4i, ai4i_spec, epochs=10)["auc"] > 0.9
    regression = _train_and_score(cmapss, cmapss_spec, epochs=5)
    assert regression["r2"] > 0.7 and regression["rmse"] < 23


@pytest.mark.parametrize("family", ["logistic", "mlp"])
def test_fedprox_term_pulls_toward_global(ai4i, ai4i_spec, family):
    spec = ai4i_spec.model_copy(update={"family": family, "local_epochs": 2, "hidden": [16]})
    fam = get_family(spec)
    standardiser = pooled_standardiser(ai4i, spec)
    global_arrays = fam.init(spec.n_inputs, spec, standardiser)
    X, y = standardiser.apply(ai4i[2].train_X), ai4i[2].train_y

    def drift(mu):
        local, _ = fam.fit(global_arrays, X, y, spec.model_copy(update={"proximal_mu": mu}))
        return update_norm([a - g for a, g in zip(local, global_arrays, strict=True)])

    free, prox = drift(0.0), drift(5.0)
    assert prox < 0.6 * free
    # the anchor may differ from the start: a strong pull toward it moves the result there
    anchor = [a + 0.5 for a in global_arrays]
    pulled, _ = fam.fit(global_arrays, X, y, spec.model_copy(update={"proximal_mu": 50.0}), anchor)
    assert update_norm([p - a for p, a in zip(pulled, anchor, strict=True)]) < update_norm(
        [g - a for g, a in zip(global_arrays, anchor, strict=True)]
    )


def test_fit_is_deterministic_and_seed_sensitive(ai4i, ai4i_spec):
    fam = get_family(ai4i_spec)
    start = fam.init(ai4i_spec.n_inputs, ai4i_spec)
    X, y = ai4i[2].train_X[:300] / 1000.0, ai4i[2].train_y[:300]
    one, _ = fam.fit(start, X, y, ai4i_spec)
    two, _ = fam.fit(start, X, y, ai4i_spec)
    three, _ = fam.fit(start, X, y, ai4i_spec, seed=99)
    assert all(np.array_equal(a, b) for a, b in zip(one, two, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(one, three, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(start, fam.init(ai4i_spec.n_inputs, ai4i_spec), strict=True))


def test_predict_shapes_and_ranges(ai4i_spec):
    X = np.random.default_rng(0).normal(size=(7, 5))
    for name in ("logistic", "mlp"):
        fam = get_family(name, "classification")
        p = fam.predict(fam.init(5, ai4i_spec.model_copy(update={"family": name})), X)
        assert p.shape == (7,) and np.all((p > 0) & (p < 1))


def test_bad_inputs_are_refused(ai4i_spec):
    ai4i_spec = ai4i_spec.model_copy(update={"derived": {}})  # the five readings: 5 inputs
    fam = get_family("logistic")
    arrays = fam.init(5, ai4i_spec)
    with pytest.raises(ResonanceError, match=r"X must have shape \(rows, 5\)"):
        fam.fit(arrays, np.zeros((4, 3)), np.zeros(4), ai4i_spec.model_copy(update={"family": "logistic"}))
    with pytest.raises(ResonanceError, match="one value per row"):
        fam.evaluate(arrays, np.zeros((4, 5)), np.zeros(3), ai4i_spec)
    with pytest.raises(ResonanceError, match="NaN or infinite"):
        fam.predict(arrays, np.full((2, 5), np.nan))
    with pytest.raises(ResonanceError, match="model arrays have shapes"):
        fam.fit([np.zeros(4), np.zeros(1)], np.zeros((4, 5)), np.zeros(4), ai4i_spec)
    mlp = get_family("mlp")
    with pytest.raises(ResonanceError, match="which one is not known"):
        mlp.predict(mlp.init(5, ai4i_spec), np.zeros((1, 5)))
    with pytest.raises(ResonanceError, match="weight/bias pairs"):
        mlp.predict([np.zeros((3, 5))], np.zeros((1, 5)), task="classification")
    with pytest.raises(ResonanceError, match="model arrays have shapes"):
        mlp.fit(mlp.init(5, ai4i_spec), np.zeros((4, 5)), np.zeros(4), ai4i_spec.model_copy(update={"hidden": [8]}))
    with pytest.raises(ResonanceError, match="model arrays have shapes"):
        fam.predict([], np.zeros((1, 5)))
    with pytest.raises(ResonanceError, match="weight/bias pairs"):
        mlp.predict([np.zeros(5), np.zeros(1)], np.zeros((1, 5)), task="regression")
    with pytest.raises(ResonanceError, match="unknown model family 'forest'"):
        get_family("forest")


def test_regression_init_starts_at_target_mean(cmapss, cmapss_spec):
    standardiser = pooled_standardiser(cmapss, cmapss_spec)
    for name in ("linear", "mlp"):
        spec = cmapss_spec.model_copy(update={"family": name})
        arrays = get_family(spec).init(spec.n_inputs, spec, standardiser)
        assert arrays[-1][0] == pytest.approx(standardiser.y_mean)
    assert TaskSpec(task="regression", target="RUL", features=["s2"], family="linear").family == "linear"


def test_arrays_and_statistics_travel_in_flower_records(ai4i, ai4i_spec):
    # the ClientApp sends these in ArrayRecord / MetricRecord; they must survive the round trip unchanged
    from flwr.app import Array, ArrayRecord, MetricRecord

    from resonance.federation.learning import combine_stats, get_family, local_stats, merge_evaluations

    stats = local_stats(ai4i[0].train_X, ai4i[0].train_y, ai4i_spec)
    record = ArrayRecord({k: Array(v) for k, v in stats.items()})
    back = {k: v.numpy() for k, v in record.items()}
    assert combine_stats([back]).mean.tolist() == combine_stats([stats]).mean.tolist()
    family = get_family(ai4i_spec)
    arrays = family.init(ai4i_spec.n_inputs, ai4i_spec, combine_stats([stats]))
    travelled = ArrayRecord(arrays).to_numpy_ndarrays()
    evaluation = family.evaluate(travelled, combine_stats([stats]).apply(ai4i[0].test_X), ai4i[0].test_y, ai4i_spec)
    assert merge_evaluations([dict(MetricRecord(evaluation))]) == merge_evaluations([evaluation])
