"""The API side of a node's federation enrolment, on SQLite and PostgreSQL: the SuperNode key in the enrolment
(bad keys refused with 422, nothing stored), approval and refusal through the API, and the public
``GET /api/v1/federation``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from resonance import tokens
from resonance.api.app import create_app
from resonance.federation import enrolment, flower_keys, pki, superlink
from resonance.node import keys
from resonance.registry import models as m
from resonance.registry import nodes, services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction
from resonance.settings import get_settings


@pytest.fixture
def space(tmp_path, monkeypatch):
    """The API process's space home (where its SuperLink files and CA live) is a fresh folder."""
    home = tmp_path / "space"
    monkeypatch.setenv("RESONANCE_HOME", str(home))
    get_settings.cache_clear()
    yield home
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def api(registry, space):
    with transaction(registry.sessions) as s:
        services.create(s, CONCEPTS["organisations"], {"code": "mill", "name_zh": "机床厂"})
        _, operator = tokens.create_token(s, "op", "operator")
        _, mill = tokens.create_token(s, "mill", "provider", org="mill")
    with TestClient(create_app(registry.url)) as client:
        yield client, {"Authorization": f"Bearer {operator}"}, {"Authorization": f"Bearer {mill}"}


def _enrolment(tmp_path, flower: object = None) -> dict:
    public = keys.generate(tmp_path / "node" / "node.key")
    key = keys.load_private(tmp_path / "node" / "node.key")
    node_id = nodes.node_id_for(public)
    if flower is None:
        flower = flower_keys.ensure_node_key(tmp_path / "node")
    signed = enrolment.enrolment_message(node_id, flower if isinstance(flower, str) else None)
    return {"org": "mill", "public_key": public, "proof": keys.sign(key, signed), "flower_public_key": flower}


@pytest.mark.parametrize("bad", ["", "ssh-rsa AAAAB3NzaC1yc2E", "ecdsa-sha2-nistp384 !!!", 12, {"key": "x"}])
def test_a_bad_supernode_key_is_a_422_naming_the_field_and_nothing_is_stored(api, registry, tmp_path, bad):
    client, _, mill = api
    reply = client.post("/api/v1/nodes/enrol", json=_enrolment(tmp_path, bad), headers=mill)
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert "flower_public_key" in (error["where"] + str(error.get("problems", "")))
    with registry.session() as s:
        assert s.scalar(select(func.count()).select_from(m.Node)) == 0


def test_an_oversized_key_is_refused(api, tmp_path):
    client, _, mill = api
    reply = client.post("/api/v1/nodes/enrol", json=_enrolment(tmp_path, "x" * 2001), headers=mill)
    assert reply.status_code == 422 and "flower_public_key" in reply.text


def test_enrol_approve_refuse_through_the_api_moves_the_key_at_the_superlink(api, space, tmp_path):
    client, operator, mill = api
    body = _enrolment(tmp_path)
    made = client.post("/api/v1/nodes/enrol", json=body, headers=mill)
    assert made.status_code == 201, made.text
    node = made.json()
    assert node["flower_public_key"] == " ".join(body["flower_public_key"].split()[:2])
    fp = flower_keys.fingerprint(body["flower_public_key"])
    assert client.post(f"/api/v1/nodes/{node['id']}/approve", headers=mill).status_code == 403
    assert superlink.authorised_keys(space) == {}
    approved = client.post(f"/api/v1/nodes/{node['id']}/approve", headers=operator)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert list(superlink.authorised_keys(space)) == [fp]
    refused = client.post(f"/api/v1/nodes/{node['id']}/refuse", json={"reason": "证照过期"}, headers=operator)
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert superlink.authorised_keys(space) == {}
    assert client.post("/api/v1/nodes/node-000000000000/approve", headers=operator).status_code == 404


def test_the_federation_route_is_public_and_gives_only_public_material(api, space):
    client, _, _ = api
    empty = client.get("/api/v1/federation")
    assert empty.status_code == 200
    assert empty.json() == {"superlink": None, "ca_cert": None, "ca_sha256": None}
    tls = pki.ensure_ca(space)
    info = client.get("/api/v1/federation").json()
    assert info["superlink"] is None  # not running: the node waits
    assert info["ca_cert"] == tls.ca_cert.read_text()
    assert len(info["ca_sha256"]) == 64
    assert "PRIVATE KEY" not in str(info)
    assert client.post("/api/v1/federation").status_code == 405
