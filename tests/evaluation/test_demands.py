"""evaluation/demands.py: slices routed to the datasets whose published profiles cover them, with counts wanted."""

from __future__ import annotations

import pytest

from resonance.demo.bundled import ai4i_parts
from resonance.errors import ResonanceError
from resonance.evaluation.demands import examples_wanted, route
from resonance.evaluation.slices import Slice
from resonance.node.pipeline import published_profile
from resonance.node.profiler import profile
from resonance.node.sources import open_source


def column(name: str, *, kind: str = "numeric", histogram=(), top=(), suppressed=0, null_ratio=0.0, **more):
    return {
        "name": name,
        "kind": kind,
        "null_ratio": null_ratio,
        "histogram": [{"low": a, "high": b, "count": c} for a, b, c in histogram],
        "top_values": [{"value": v, "count": c} for v, c in top],
        "suppressed_values": suppressed,
        "top_values_exact": True,
        **more,
    }


def entry(dataset: str, owner: str, rows: int, columns: list[dict], node: str | None = None) -> dict:
    return {"dataset": dataset, "owner": owner, "node": node, "profile": {"rows": rows, "columns": columns}}


WEAR = [(0, 100, 400), (100, 200, 400), (200, 250, 200)]  # 1,000 rows; 200 at ≥ 200 min

SLICE = Slice(
    predicates=[("Type", "==", "L"), ("Tool wear [min]", ">=", 200.0)],
    n=143,
    metric="recall",
    value=0.31,
    overall=0.78,
    error_ratio=3.0,
    score=1.2,
)


def test_wanted_examples_follow_the_error_ratio():
    assert examples_wanted(SLICE) == 286  # 143 · (3 − 1)
    mild = Slice(SLICE.predicates, 100, "recall", 0.7, 0.78, 1.1, 0.1)
    assert examples_wanted(mild) == 30  # at least the minimum
    assert examples_wanted(mild, minimum=5) == 10


def test_routes_to_covering_profiles_with_estimates():
    profiles = [
        entry(
            "mill-l@1",
            "mill-l",
            1000,
            [column("Type", kind="text", top=[("L", 1000)]), column("Tool wear [min]", histogram=WEAR)],
            "n-l",
        ),
        entry(
            "mill-m@1",
            "mill-m",
            1000,
            [column("Type", kind="text", top=[("M", 1000)]), column("Tool wear [min]", histogram=WEAR)],
        ),
        entry(
            "mixed@2",
            "mixed",
            2000,
            [
                column("Type", kind="text", top=[("L", 1000), ("H", 1000)]),
                column("Tool wear [min]", histogram=[(0, 150, 1500), (150, 250, 500)]),
            ],
        ),
        entry("no-wear@1", "other", 5000, [column("Type", kind="text", top=[("L", 5000)])]),
    ]
    routes = route(SLICE, profiles)
    assert [r.dataset for r in routes] == ["mill-l@1", "mixed@2"]
    first, second = routes
    assert first.estimated_rows == 200 and first.owner == "mill-l" and first.node == "n-l"
    assert first.fraction == pytest.approx(0.2)
    # mixed: half its rows are L, and 500 · 50/100 = 250 of 2,000 have wear ≥ 200 → 2000 · 0.5 · 0.125 = 125
    assert second.estimated_rows == 125
    assert first.uncertain and second.uncertain  # two predicates: independence assumed
    assert [b["basis"] for b in first.basis] == ["top values", "histogram"]
    # 286 wanted, shared 200 : 125 and never above a dataset's estimate
    assert first.wanted + second.wanted == 286
    assert first.wanted <= 200 and second.wanted <= 125 and first.wanted > second.wanted
    assert first.as_dict()["wanted"] == first.wanted


def test_range_predicates_read_histograms_and_fall_back_to_min_max():
    between = Slice([("speed", "between", (1400.0, 1500.0))], 50, "recall", 0.2, 0.8, 2.0, 0.5)
    profiles = [
        entry("hist@1", "a", 1000, [column("speed", histogram=[(1000, 1400, 500), (1400, 1600, 500)])]),
        entry("minmax@1", "b", 1000, [column("speed", min=1000, max=2000)]),
        entry("text@1", "c", 1000, [column("speed", kind="text", top=[("fast", 1000)])]),
    ]
    routes = {r.dataset: r for r in route(between, profiles)}
    assert routes["hist@1"].estimated_rows == 250  # half of the 1400–1600 bin
    assert routes["minmax@1"].estimated_rows == 100 and routes["minmax@1"].basis[0]["basis"] == "min/max (uniform)"
    assert "text@1" not in routes
    below = Slice([("speed", "<", 1200.0)], 50, "recall", 0.2, 0.8, 2.0, 0.5)
    missing = [entry("nulls@1", "d", 1000, [column("speed", histogram=[(1000, 1400, 500)], null_ratio=0.5)])]
    assert route(below, missing)[0].estimated_rows == 250  # half the values below 1200, and half the rows null
    present = [entry("full@1", "d", 1000, [column("speed", histogram=[(1000, 1400, 1000)])])]
    assert route(below, present)[0].estimated_rows == 500


def test_a_value_hidden_among_suppressed_ones_is_marked_uncertain():
    rare = Slice([("Type", "==", "X")], 40, "recall", 0.1, 0.8, 4.0, 1.0)
    hidden = [entry("a@1", "a", 100, [column("Type", kind="text", top=[("L", 95)], suppressed=2)])]
    assert route(rare, hidden) == []  # an estimate under one row is not routed


def test_real_published_profiles_of_the_demo_enterprises(tmp_path):
    """The three AI4I parts profiled by the node's own profiler, as `resonance data publish` sends them."""
    profiles = []
    for kind, part in ai4i_parts().items():
        path = tmp_path / f"{kind}.csv"
        part.to_csv(path, index=False)
        with open_source(path, workdir=tmp_path / "work") as source:
            profiles.append(entry(f"ai4i-{kind.lower()}@1", f"mill-{kind.lower()}", 0, []))
            profiles[-1]["profile"] = published_profile(profile(source, k=5).as_dict())
    routes = route(SLICE, profiles)
    assert [r.dataset for r in routes] == ["ai4i-l@1"]
    truth = ai4i_parts()["L"]
    actual = int((truth["Tool wear [min]"] >= 200).sum())
    assert routes[0].estimated_rows == pytest.approx(actual, rel=0.25)  # from a 20-bin histogram


@pytest.mark.parametrize(
    ("profiles", "match"),
    [
        ([["not", "a", "dict"]], "must be an object"),
        ([{"dataset": "a@1", "owner": "a"}], "needs a dataset and a profile"),
        ([{"dataset": "a@1", "profile": {"rows": "many", "columns": []}}], "rows must be"),
        ([{"dataset": "a@1", "profile": {"rows": 5}}], "no list of columns"),
        ([{"dataset": "a@1", "profile": {"rows": 5, "columns": [{"kind": "numeric"}]}}], "has no name"),
        ([entry("a@1", "a", 5, []), entry("a@1", "a", 5, [])], "listed twice"),
        (
            [
                entry(
                    "a@1",
                    "a",
                    5,
                    [
                        column("Type", kind="text", top=[("L", 5)]),
                        {"name": "Tool wear [min]", "kind": "numeric", "histogram": [{"low": 0}]},
                    ],
                )
            ],
            "malformed",
        ),
    ],
)
def test_malformed_profiles_are_refused(profiles, match):
    with pytest.raises(ResonanceError, match=match):
        route(SLICE, profiles)


def test_only_slices_are_routed():
    with pytest.raises(ResonanceError, match="Slice"):
        route({"predicates": []}, [])
