"""The pages that query the most (progress, search, ledger) on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from webworld import build

from resonance.api.app import create_app
from resonance.registry.db import transaction


def test_key_pages_on_both_backends(registry: Any, tmp_path: Any) -> None:
    with transaction(registry.sessions) as session:
        world = build(session, tmp_path / "node")
    with TestClient(create_app(registry.url), follow_redirects=False) as client:
        login = client.post("/web/login", data={"token": world.tokens["operator"], "next": "/web/"})
        assert login.status_code == 303
        overview = client.get("/web/")
        assert overview.status_code == 200 and 'id="entity-jiangsu"' in overview.text
        search = client.get("/web/datasets", params={"q": "轧钢"})
        assert "共 1 条" in search.text and "steel-common-1@1" in search.text
        assert 'data-ok="true"' in client.get("/web/ledger/verify").text
        assert client.get("/web/datasets/ai4i-l").text.count("Plotly.newPlot(") >= 11
        assert client.get("/web/industries").status_code == 200
        for path in ("/web/ledger?subject=a%00b", "/web/datasets/ai4i%00"):  # PostgreSQL cannot take a NUL
            assert client.get(path).status_code == 422, path
