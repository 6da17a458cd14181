"""evaluation/slices.py: planted weak slices are found, described readably, re-selected, and small ones suppressed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from resonance.demo.bundled import AI4I_FEATURES, AI4I_TARGET, ai4i_frame
from resonance.errors import ResonanceError
from resonance.evaluation.slices import Slice, find_slices, round_edges


def planted(rows: int = 6000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Type L ∧ tool wear ≥ 200 is where the model misses the failures; elsewhere it is nearly right."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "Type": rng.choice(["L", "M", "H"], rows, p=[0.5, 0.3, 0.2]),
            "tool_wear": rng.uniform(0, 250, rows).round(),
            "torque": rng.normal(40, 10, rows),
            "noise": rng.normal(0, 1, rows),
        }
    )
    y = (rng.random(rows) < 0.3).astype(int)
    score = np.where(y == 1, 0.8, 0.2) + rng.normal(0, 0.05, rows)
    flip = rng.random(rows) < 0.05  # some errors everywhere
    score[flip] = 1 - score[flip]
    weak = ((frame["Type"] == "L") & (frame["tool_wear"] >= 200)).to_numpy()
    score[weak & (y == 1)] = 0.3  # failures missed there
    return frame, y, score


def test_finds_the_planted_slice_and_describes_it():
    frame, y, score = planted()
    found = find_slices(
        frame,
        y,
        score,
        task="classification",
        features=["Type", "tool_wear", "torque", "noise"],
        units={"tool_wear": "min"},
    )
    best = found[0]
    assert sorted(best.predicates) == [("Type", "==", "L"), ("tool_wear", ">=", 200.0)]
    weak = ((frame["Type"] == "L") & (frame["tool_wear"] >= 200)).to_numpy()
    assert best.n == int(weak.sum())
    assert best.metric == "recall"
    predicted = score >= 0.5
    assert best.value == pytest.approx((predicted & weak & (y == 1)).sum() / (weak & (y == 1)).sum())
    assert best.overall == pytest.approx((predicted & (y == 1)).sum() / (y == 1).sum())
    assert best.error_ratio > 2 and best.score > 0
    assert best.describe("en") == (
        f"Type = L ∧ tool_wear ≥ 200 min: recall {best.value:.2f} vs {best.overall:.2f} overall, n = {best.n}"
    )
    assert (
        best.describe("zh")
        == f"Type = L ∧ tool_wear ≥ 200 min：召回率 {best.value:.2f}，整体 {best.overall:.2f}，n = {best.n}"
    )
    assert best.matches(frame).tolist() == weak.tolist()
    scores = [s.score for s in found]
    assert scores == sorted(scores, reverse=True) and len(found) <= 5


def test_no_slice_under_the_minimum_support_ever_leaves():
    frame, y, score = planted(rows=3000)
    tiny = np.zeros(len(y), dtype=bool)
    tiny[:20] = True  # 20 rows all wrong: the worst slice there is, but under 30 rows
    frame.loc[tiny, "Type"] = "X"
    score[tiny] = 1 - y[tiny]
    found = find_slices(frame, y, score, task="classification", features=["Type", "tool_wear"], top=50, k=5)
    assert found and all(s.n >= 30 for s in found)
    assert all(("Type", "==", "X") not in s.predicates for s in found)
    with_low_support = find_slices(
        frame, y, score, task="classification", features=["Type", "tool_wear"], top=50, k=5, min_support=10
    )
    assert ("Type", "==", "X") in [p for s in with_low_support for p in s.predicates]
    assert all(s.n >= 10 for s in with_low_support)
    # k wins over a smaller min_support: nothing under k rows
    strict = find_slices(frame, y, score, task="classification", features=["Type"], top=50, k=25, min_support=10)
    assert all(s.n >= 25 for s in strict)


def test_every_slice_reselects_exactly_its_rows_and_survives_json():
    frame, y, score = planted()
    found = find_slices(frame, y, score, task="classification", features=["Type", "tool_wear", "torque"], top=10)
    assert len(found) >= 5  # only slices worse than average (score > 0) are returned
    assert any(p[1] == "between" for item in found for p in item.predicates)
    for item in found:
        assert int(item.matches(frame).sum()) == item.n
        again = Slice.from_dict(item.as_dict())
        assert [(c, o, list(v) if o == "between" else v) for c, o, v in item.predicates] == again.predicates
        assert again.describe("en") == item.describe("en") and again.describe("zh") == item.describe("zh")
        assert int(again.matches(frame).sum()) == item.n


def test_level_three_finds_a_three_way_slice():
    rng = np.random.default_rng(1)
    rows = 8000
    frame = pd.DataFrame({c: rng.choice(["a", "b"], rows) for c in ("f1", "f2", "f3", "f4")})
    y = rng.integers(0, 2, rows)
    score = np.where(rng.random(rows) < 0.05, 1 - y, y).astype(float)
    weak = ((frame.f1 == "a") & (frame.f2 == "b") & (frame.f3 == "a")).to_numpy()
    score[weak] = np.where(rng.random(weak.sum()) < 0.6, 1 - y[weak], y[weak])
    found = find_slices(frame, y, score, task="classification", features=["f1", "f2", "f3", "f4"], max_level=3)
    assert sorted(found[0].predicates) == [("f1", "==", "a"), ("f2", "==", "b"), ("f3", "==", "a")]
    two = find_slices(frame, y, score, task="classification", features=["f1", "f2", "f3", "f4"], max_level=2)
    assert all(s.level <= 2 for s in two)


def test_regression_slices_by_squared_error():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"load": rng.uniform(0, 100, 5000), "site": rng.choice(["n", "s"], 5000)})
    y = rng.normal(50, 10, 5000)
    prediction = y + rng.normal(0, 1, 5000)
    weak = ((frame.load >= 80) & (frame.site == "s")).to_numpy()
    prediction[weak] += rng.normal(0, 8, weak.sum())
    found = find_slices(frame, y, prediction, task="regression", features=["load", "site"])
    assert found[0].metric == "rmse"
    assert sorted(found[0].predicates) == [("load", ">=", 81.0), ("site", "==", "s")]  # the 80% quantile, rounded
    assert found[0].value > 2.5 * found[0].overall
    assert found[0].value == pytest.approx(np.sqrt(((y - prediction)[found[0].matches(frame)] ** 2).mean()))


def test_no_errors_means_no_slices():
    frame = pd.DataFrame({"a": np.arange(100) % 3})
    y = np.arange(100) % 2
    assert find_slices(frame, y, y.astype(float), task="classification", features=["a"]) == []


def test_on_ai4i_with_a_real_model_descriptions_are_readable():
    frame = ai4i_frame()
    x, y = frame[AI4I_FEATURES].to_numpy(), frame[AI4I_TARGET].to_numpy()
    score = LogisticRegression(max_iter=2000).fit(x, y).predict_proba(x)[:, 1]
    found = find_slices(frame, y, score, task="classification", features=[*AI4I_FEATURES, "Type"], top=3)
    assert len(found) == 3
    for item in found:
        assert item.n >= 30 and item.error_ratio > 1
        text = item.describe("en")
        assert f"n = {item.n}" in text and "overall" in text
        for _column, op, value in item.predicates:
            if op in ("<", ">="):
                assert value == round(value, 1)  # round edges


def test_round_edges_are_round_and_inside_the_range():
    assert round_edges(np.array([47.3, 101.9, 148.2, 203.7]), 0, 253) == [50.0, 100.0, 150.0, 200.0]
    assert round_edges(np.array([298.14, 300.07]), 295.3, 304.5) == [298.1, 300.1]
    assert round_edges(np.array([5.0]), 5.0, 5.0) == []


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"features": ["nope"]}, "unknown feature"),
        ({"features": []}, "non-empty"),
        ({"features": ["Type", "Type"]}, "twice"),
        ({"max_level": 4}, "max_level"),
        ({"k": 0}, "k must"),
        ({"top": "5"}, "top must"),
        ({"alpha": 0}, "alpha"),
        ({"metric": "rmse"}, "does not describe"),
        ({"task": "ranking"}, "unknown task"),
    ],
)
def test_bad_calls_are_refused(change, match):
    frame, y, score = planted(rows=200)
    arguments = {"task": "classification", "features": ["Type"]} | change
    with pytest.raises(ResonanceError, match=match):
        find_slices(frame, y, score, **arguments)


def test_mismatched_rows_and_bad_slices_are_refused():
    frame, y, score = planted(rows=200)
    with pytest.raises(ResonanceError, match="rows"):
        find_slices(frame.iloc[:100], y, score, task="classification", features=["Type"])
    with pytest.raises(ResonanceError, match="DataFrame"):
        find_slices(frame.to_dict(), y, score, task="classification", features=["Type"])
    with pytest.raises(ResonanceError, match="not a slice"):
        Slice.from_dict({"predicates": [{"column": "a", "op": "~", "value": 1}], "n": 3, "metric": "recall"})
    item = Slice([("missing", "==", 1)], 40, "recall", 0.1, 0.5, 3.0, 1.0)
    with pytest.raises(ResonanceError, match="column"):
        item.matches(frame)
