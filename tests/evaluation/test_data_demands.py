"""Data demands: a diagnosed slice routed to the providers whose published profiles cover it, answered with a
new dataset version, closed after retraining; refusals; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from _evalworld import WEAR_SLICE, evaluation_rows, make_model, provider, signed_result
from resonance.errors import ResonanceError
from resonance.evaluation import data_demands
from resonance.ledger import chain
from resonance.registry.db import transaction


def test_a_slice_becomes_demands_to_the_covering_providers_who_answer_with_a_new_version(eval_world):
    world = eval_world
    make_model(world, "mt-a", rows=600, rounds=1)
    _, rest = evaluation_rows()
    worn = rest[rest["Tool wear [min]"] >= 180].head(200)
    fresh = rest[rest["Tool wear [min]"] < 150].head(300)
    provider(world, "mill-l", worn, "wear-log")  # covers the slice
    provider(world, "model-co", fresh, "fresh-log")  # its profile shows no row in the slice
    result = signed_result(world, "mt-a", {"auc": (0.8, 0.75, 0.85)}, slices=[WEAR_SLICE])
    with transaction(world.sessions) as s:
        made = [data_demands.as_dict(s, d) for d in data_demands.route_result(s, result, actor="evaluator")]
        again = data_demands.route_result(s, result, actor="evaluator")
    assert [(d["target"], d["dataset"], d["status"]) for d in made] == [("mill-l", "wear-log@1", "open")]
    assert [d.id for d in again] == [made[0]["id"]]  # routing the same result again makes no new demands
    demand = made[0]
    assert 150 <= demand["estimated_rows"] <= 200 and 30 <= demand["examples_wanted"] <= demand["estimated_rows"]
    assert "Tool wear" in demand["slice"]["en"] and demand["evaluation"] == result

    def refused(**kwargs) -> ResonanceError:
        with pytest.raises(ResonanceError) as caught, transaction(world.sessions) as s:
            data_demands.answer(s, demand["id"], actor="t", **{"org": "mill-l", **kwargs})
        return caught.value

    assert refused(dataset="wear-log@1").code == "bad_answer"  # the routed version itself: nothing new
    assert refused(dataset="fresh-log@1").code == "bad_answer"  # another organisation's data
    assert refused(dataset="wear-log@1", org="model-co").status == 403  # not addressed to model-co
    with pytest.raises(ResonanceError) as caught, transaction(world.sessions) as s:
        data_demands.close(s, demand["id"], actor="t")
    assert caught.value.status == 409  # nothing answered yet

    provider(world, "mill-l", rest[rest["Tool wear [min]"] >= 180].head(400), "wear-log", version="2")
    with transaction(world.sessions) as s:
        answered = data_demands.as_dict(
            s, data_demands.answer(s, demand["id"], dataset="wear-log@2", org="mill-l", actor="mill-l", note="+200")
        )
    assert answered["status"] == "answered" and answered["answer_dataset"] == "wear-log@2"
    assert refused(dataset="wear-log@2").status == 409  # answered already
    with transaction(world.sessions) as s:
        closed = data_demands.as_dict(s, data_demands.close(s, demand["id"], actor="flywheel", note="job 9"))
        assert [d["id"] for d in map(lambda d: data_demands.as_dict(s, d), data_demands.list_demands(
            s, target="mill-l", status="closed"))] == [demand["id"]]  # fmt: skip
        kinds = [e.kind for e in chain.events(s, kind="demand.")]
        assert chain.verify(s).ok
    assert closed["status"] == "closed" and "job 9" in closed["answer_note"]
    assert kinds == ["demand.routed", "demand.answered", "demand.closed"]


def test_unknown_results_and_demands_are_refused(eval_world):
    world = eval_world
    with pytest.raises(ResonanceError) as caught, transaction(world.sessions) as s:
        data_demands.route_result(s, 999, actor="t")
    assert caught.value.status == 404
    with pytest.raises(ResonanceError) as caught, transaction(world.sessions) as s:
        data_demands.get(s, "x1")
    assert caught.value.status == 404
    with pytest.raises(ResonanceError) as caught, transaction(world.sessions) as s:
        data_demands.list_demands(s, status="pending")
    assert caught.value.code == "validation_error"
