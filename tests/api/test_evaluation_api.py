"""The evaluation API: who may request runs and read them, leaderboards, data demands; SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from _evalworld import EVAL_DATASET, WEAR_SLICE, build, evaluation_rows, make_model, provider, signed_result
from resonance import tokens
from resonance.api.app import create_app
from resonance.evaluation import runs
from resonance.registry.db import transaction
from resonance.settings import get_settings


def test_runs_leaderboards_and_demands_over_http(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "space"))
    get_settings.cache_clear()
    world = build(registry, tmp_path)
    make_model(world, "mt-a", rows=600, rounds=1)
    _, rest = evaluation_rows()
    provider(world, "mill-l", rest[rest["Tool wear [min]"] >= 180].head(200), "wear-log")
    with transaction(world.sessions) as s:
        secrets = {
            name: tokens.create_token(s, name, role, org=org)[1]
            for name, role, org in (
                ("evaluator", "evaluator", "evaluator"),
                ("eval-b", "evaluator", "eval-b"),
                ("developer", "developer", "model-co"),
                ("provider", "provider", "mill-l"),
            )
        }
        secrets["viewer"] = tokens.create_token(s, "viewer", "viewer")[1]

    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {secrets[name]}"}

    with TestClient(create_app(world.registry.url)) as api:
        body = {"model": "mt-a", "dataset": EVAL_DATASET, "bootstrap": 100}
        made = api.post("/api/v1/evaluation-runs", json=body, headers=auth("evaluator"))
        assert made.status_code == 201 and made.json()["status"] == "queued" and made.json()["evaluator"] == "evaluator"
        run = made.json()["id"]
        other = api.post("/api/v1/evaluation-runs", json=body, headers=auth("eval-b"))
        assert other.status_code == 403 and "not the evaluator" in other.json()["error"]["what"]
        assert api.post("/api/v1/evaluation-runs", json=body, headers=auth("developer")).status_code == 403
        unknown = api.post("/api/v1/evaluation-runs", json={**body, "model": "nope"}, headers=auth("evaluator"))
        assert unknown.status_code == 404
        assert (
            api.post("/api/v1/evaluation-runs", json={**body, "extra": 1}, headers=auth("evaluator")).status_code == 422
        )
        assert api.get(f"/api/v1/evaluation-runs/{run}", headers=auth("developer")).json()["model"] == "mt-a@1"
        assert api.get(f"/api/v1/evaluation-runs/{run}", headers=auth("provider")).status_code == 404
        assert [r["id"] for r in api.get("/api/v1/evaluation-runs", headers=auth("provider")).json()] == []

        with transaction(world.sessions) as s:
            runs.fail(s, runs.get(s, run), "superseded")
        result = signed_result(world, "mt-a", {"auc": (0.8, 0.75, 0.85)}, slices=[WEAR_SLICE])
        board = api.get("/api/v1/leaderboards", params={"industry": "machine_tools"}, headers=auth("viewer"))
        assert board.status_code == 200
        assert [(r["model"], r["rank"], r["evaluation"]) for r in board.json()] == [("mt-a@1", 1, result)]
        assert api.get("/api/v1/leaderboards", params={"industry": "nope"}, headers=auth("viewer")).status_code == 422

        second_run = board.json()[0]["job"]
        assert api.post(f"/api/v1/evaluation-runs/{second_run}/demands", headers=auth("eval-b")).status_code == 403
        routed = api.post(f"/api/v1/evaluation-runs/{second_run}/demands", headers=auth("evaluator"))
        assert routed.status_code == 201 and [d["target"] for d in routed.json()] == ["mill-l"]
        demand = routed.json()[0]["id"]
        assert [d["id"] for d in api.get("/api/v1/demands", headers=auth("provider")).json()] == [demand]
        assert api.get("/api/v1/demands", headers=auth("developer")).status_code == 403
        stale = api.post(f"/api/v1/demands/{demand}/answer", json={"dataset": "wear-log@1"}, headers=auth("provider"))
        assert stale.status_code == 422 and stale.json()["error"]["code"] == "bad_answer"
        not_theirs = api.post(f"/api/v1/demands/{demand}/answer", json={"dataset": "x@1"}, headers=auth("evaluator"))
        assert not_theirs.status_code == 403
        assert api.get("/api/v1/demands/99999", headers=auth("provider")).status_code == 404
    get_settings.cache_clear()
