"""Who may see and decide on nodes through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from resonance import tokens
from resonance.api.app import create_app
from resonance.node import keys
from resonance.registry import nodes, services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction


def test_only_the_operator_lists_and_decides_and_orgs_see_only_their_nodes(registry, tmp_path):
    with transaction(registry.sessions) as s:
        for code in ("mill", "rival"):
            services.create(s, CONCEPTS["organisations"], {"code": code, "name_zh": code})
        _, operator = tokens.create_token(s, "op", "operator")
        _, mill = tokens.create_token(s, "mill", "provider", org="mill")
        _, rival = tokens.create_token(s, "rival", "provider", org="rival")
    public = keys.generate(tmp_path / "n.key")
    key = keys.load_private(tmp_path / "n.key")
    node_id = nodes.node_id_for(public)
    body = {"org": "mill", "public_key": public, "proof": keys.sign(key, f"enrol:{node_id}".encode()), "name": "n"}
    app = create_app(registry.url)
    with TestClient(app) as client:

        def auth(secret: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {secret}"}

        assert client.post("/api/v1/nodes/enrol", json=body, headers=auth(rival)).status_code == 403
        assert client.post("/api/v1/nodes/enrol", json={**body, "proof": "AAAA"}, headers=auth(mill)).status_code == 422
        made = client.post("/api/v1/nodes/enrol", json=body, headers=auth(mill))
        assert made.status_code == 201 and made.json()["status"] == "pending"
        assert client.get("/api/v1/nodes", headers=auth(mill)).status_code == 403
        assert client.get(f"/api/v1/nodes/{node_id}", headers=auth(mill)).json()["org"] == "mill"
        assert client.get(f"/api/v1/nodes/{node_id}", headers=auth(rival)).status_code == 404
        assert client.post(f"/api/v1/nodes/{node_id}/approve", headers=auth(mill)).status_code == 403
        no_reason = client.post(f"/api/v1/nodes/{node_id}/refuse", json={}, headers=auth(operator))
        assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["what"]
        approved = client.post(f"/api/v1/nodes/{node_id}/approve", headers=auth(operator))
        assert approved.json()["status"] == "approved"
        listed = client.get("/api/v1/nodes", params={"status": "approved"}, headers=auth(operator)).json()
        assert [n["id"] for n in listed] == [node_id]
        assert client.get("/api/v1/nodes/node-000000000000", headers=auth(operator)).status_code == 404
        unsigned = client.post(f"/api/v1/nodes/{node_id}/datasets", content=b"{}")
        assert unsigned.status_code == 403 and "enrolled nodes only" in unsigned.json()["error"]["what"]
