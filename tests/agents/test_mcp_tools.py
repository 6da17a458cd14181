"""The MCP tools' functions in process: dataset cards are metadata only, search is scoped by role."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from resonance import tokens
from resonance.agents import mcp_server
from resonance.errors import ResonanceError
from resonance.registry import models as m
from resonance.registry.db import transaction


def _principal(space, role, org=None):
    with transaction(space.registry.sessions) as session:
        return tokens.verify(session, space.token(role, org))


def test_dataset_card_is_metadata_only(space):
    with transaction(space.registry.sessions) as session:
        row = session.scalars(select(m.Dataset).where(m.Dataset.code == "ai4i-l")).one()
        row.card = {"title": "铣削加工记录"}
        row.quality = {"overall": 91.5, "grade": "A", "dimensions": [{"key": "completeness", "score": 99.0}]}
        row.profile = {"columns": [{"name": "Torque [Nm]", "histogram": [1, 2, 3]}]}
        row.grading = {"level": "general"}
    viewer = _principal(space, "viewer")
    with transaction(space.registry.sessions) as session:
        card = mcp_server.dataset_metadata(session, viewer, "ai4i-l")
    assert card["card"] == {"title": "铣削加工记录"}
    assert card["quality"]["grade"] == "A" and card["grading"] == {"level": "general"}
    assert "profile" not in card and "histogram" not in str(card)
    with transaction(space.registry.sessions) as session, pytest.raises(ResonanceError) as info:
        mcp_server.dataset_metadata(session, viewer, "no-such-dataset")
    assert info.value.status == 404


def test_search_answers_what_the_rest_search_answers_for_the_same_token(space):
    from fastapi.testclient import TestClient

    from resonance.api.app import create_app

    with TestClient(create_app(space.url)) as client:
        for role, org in (("viewer", None), ("developer", "model-co"), ("operator", None)):
            headers = {"Authorization": f"Bearer {space.token(role, org)}"}
            rest = client.get("/api/v1/search", params={"q": "机床"}, headers=headers).json()
            with transaction(space.registry.sessions) as session:
                mine = mcp_server.search(session, _principal(space, role, org), "机床")
            assert [(r["concept"], r["total"]) for r in mine["results"]] == [
                (r["concept"], r["total"]) for r in rest["results"]
            ]
            assert {r["concept"] for r in mine["results"]} >= {"scenarios", "models"}


def test_search_checks_the_query(space):
    with transaction(space.registry.sessions) as session:
        for query in ("", "x" * 201):
            with pytest.raises(ResonanceError) as info:
                mcp_server.search(session, _principal(space, "viewer"), query)
            assert info.value.where == "query"
