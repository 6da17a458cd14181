from __future__ import annotations

import numpy as np
import pytest

from resonance.errors import ResonanceError
from resonance.federation.learning.alignment import (
    Standardiser,
    combine_stats,
    local_stats,
    one_hot,
    vocabulary_from_profiles,
)
from resonance.federation.learning.spec import TaskSpec


def test_combined_stats_equal_pooled_mean_and_std(cmapss, cmapss_spec):
    pooled_X = np.concatenate([p.train_X for p in cmapss])
    pooled_y = np.concatenate([p.train_y for p in cmapss])
    standardiser = combine_stats([local_stats(p.train_X, p.train_y, cmapss_spec) for p in cmapss])
    np.testing.assert_allclose(standardiser.mean, pooled_X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(standardiser.std, pooled_X.std(axis=0), rtol=1e-9)
    assert standardiser.n == len(pooled_X)
    assert standardiser.y_mean == pytest.approx(pooled_y.mean(), rel=1e-12)
    assert standardiser.y_std == pytest.approx(pooled_y.std(), rel=1e-9)
    Z = standardiser.apply(pooled_X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-8)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-6)


def test_class_counts_and_constant_feature(ai4i, ai4i_spec):
    standardiser = combine_stats([local_stats(p.train_X, p.train_y, ai4i_spec) for p in ai4i])
    pooled_y = np.concatenate([p.train_y for p in ai4i])
    assert standardiser.classes.tolist() == [len(pooled_y) - pooled_y.sum(), pooled_y.sum()]
    spec = TaskSpec(task="regression", target="y", features=["a", "b"], family="linear")
    X = np.column_stack([np.full(10, 7.0), np.arange(10.0)])
    flat = combine_stats([local_stats(X, np.arange(10.0), spec)])
    assert flat.std[0] == 1.0 and np.all(flat.apply(X)[:, 0] == 0.0)
    assert Standardiser.from_arrays(flat.to_arrays()).y_mean == flat.y_mean


def test_bad_stats_are_refused():
    spec = TaskSpec(task="regression", target="y", features=["a", "b"], family="linear")
    with pytest.raises(ResonanceError, match="no node statistics"):
        combine_stats([])
    with pytest.raises(ResonanceError, match=r"expected X of shape \(rows, 2\)"):
        local_stats(np.zeros((3, 3)), np.zeros(3), spec)
    good = local_stats(np.ones((3, 2)), np.zeros(3), spec)
    other = local_stats(np.ones((3, 1)), np.zeros(3), spec.model_copy(update={"features": ["a"]}))
    with pytest.raises(ResonanceError, match="do not match"):
        combine_stats([good, other])
    with pytest.raises(ResonanceError, match="no training rows"):
        combine_stats([local_stats(np.zeros((0, 2)), np.zeros(0), spec)])
    with pytest.raises(ResonanceError, match="has 3 columns but the standardiser has 2"):
        combine_stats([good]).apply(np.zeros((1, 3)))


def _profile(values: list[tuple[str, int]], suppressed: int) -> dict:
    return {
        "rows": 100,
        "columns": [
            {
                "name": "机型",
                "top_values": [{"value": v, "count": c} for v, c in values],
                "suppressed_values": suppressed,
            },
            {"name": "other", "top_values": [{"value": "x", "count": 100}]},
        ],
    }


def test_vocabulary_from_published_top_values_ignores_suppressed():
    # node B saw "VX-9" 3 times with k = 5: it suppressed it, so the value is not in its profile
    node_a = _profile([("A1", 60), ("B2", 40)], suppressed=0)
    node_b = {"profile": _profile([("B2", 70), ("C3", 27)], suppressed=1)}
    vocabulary = vocabulary_from_profiles([node_a, node_b], "机型")
    assert vocabulary == ["B2", "A1", "C3"]
    assert "VX-9" not in vocabulary
    encoded = one_hot(["C3", "VX-9", "B2"], vocabulary)
    assert encoded.tolist() == [[0, 0, 1], [0, 0, 0], [1, 0, 0]]


def test_vocabulary_bad_input():
    with pytest.raises(ResonanceError, match="no published profile has a column '温度'"):
        vocabulary_from_profiles([_profile([("A", 9)], 0)], "温度")
    with pytest.raises(ResonanceError, match="not a mapping"):
        vocabulary_from_profiles(["columns"], "机型")  # type: ignore[list-item]


def test_standardiser_round_trip_and_bad_arrays():
    spec = TaskSpec(task="classification", target="y", features=["a", "b"], family="logistic")
    made = combine_stats([local_stats(np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([0.0, 1.0]), spec)])
    back = Standardiser.from_arrays(made.to_arrays())
    assert back.mean.tolist() == [2.0, 3.5] and back.std.tolist() == [1.0, 1.5] and back.classes.tolist() == [1, 1]
    with pytest.raises(ResonanceError, match="missing std, n"):
        Standardiser.from_arrays({"mean": np.zeros(2)})
    with pytest.raises(ResonanceError, match="differ in shape"):
        Standardiser.from_arrays({"mean": np.zeros(2), "std": np.ones(3), "n": np.array([4])})
