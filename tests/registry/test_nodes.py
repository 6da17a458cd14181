"""Enrolment, approval and metadata publishing of nodes, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from resonance.errors import Conflict, Forbidden, ResonanceError, Unauthorized
from resonance.node import keys
from resonance.registry import models as m
from resonance.registry import nodes, services
from resonance.registry.concepts import CONCEPTS


@pytest.fixture
def world(registry, tmp_path):
    with registry.session() as s:
        services.create(s, CONCEPTS["organisations"], {"code": "mill", "name_zh": "机床厂"})
        services.create(s, CONCEPTS["organisations"], {"code": "rival", "name_zh": "另一家"})
        s.commit()
    public = keys.generate(tmp_path / "node.key")
    return registry, public, keys.load_private(tmp_path / "node.key")


def _enrol(s, public, key, org="mill"):
    node_id = nodes.node_id_for(public)
    return nodes.enrol(s, org, public, name="车间节点", proof=keys.sign(key, f"enrol:{node_id}".encode()))


def _signed(node, key, body=b"{}", path="/api/v1/nodes/publish"):
    h = keys.signed_headers(node.id, key, "POST", path, body)
    return (node.id, "POST", path, body, h["X-Resonance-Timestamp"], h["X-Resonance-Signature"])


def test_a_node_is_pending_until_approved_and_refusal_needs_a_reason(world):
    registry, public, key = world
    with registry.session() as s:
        node = _enrol(s, public, key)
        assert (node.status, node.id) == ("pending", nodes.node_id_for(public))
        with pytest.raises(Forbidden, match="waiting for the operator"):
            nodes.authenticate(s, *_signed(node, key))
        with pytest.raises(ResonanceError, match="needs a reason"):
            nodes.decide(s, node.id, approve=False, by="operator")
        nodes.decide(s, node.id, approve=False, by="operator", reason="营业执照未核验")
        with pytest.raises(Forbidden, match="营业执照未核验"):
            nodes.authenticate(s, *_signed(node, key))
        nodes.decide(s, node.id, approve=True, by="operator")
        assert nodes.authenticate(s, *_signed(node, key)).last_seen_at is not None
        assert [n.id for n in nodes.list_nodes(s, "approved")] == [node.id]


def test_enrolment_needs_proof_of_the_key_and_one_org_per_key(world, tmp_path):
    registry, public, key = world
    with registry.session() as s:
        with pytest.raises(ResonanceError, match="not signed by this node key"):
            nodes.enrol(s, "mill", public, proof=keys.sign(key, b"enrol:someone-else"))
        _enrol(s, public, key)
        with pytest.raises(Conflict, match="another organisation"):
            _enrol(s, public, key, org="rival")
        other_public = keys.generate(tmp_path / "other.key")
        impostor = keys.load_private(tmp_path / "other.key")
        node = s.get(m.Node, nodes.node_id_for(public))
        nodes.decide(s, node.id, approve=True, by="op")
        with pytest.raises(Unauthorized):
            nodes.authenticate(s, *_signed(node, impostor))
        assert other_public != public


def test_an_approved_node_publishes_metadata_for_its_own_org_only(world):
    registry, public, key = world
    with registry.session() as s:
        node = _enrol(s, public, key)
        nodes.decide(s, node.id, approve=True, by="op")
        payload = {
            "dataset": {
                "code": "ai4i-l",
                "name_zh": "铣削故障数据集",
                "kind": "common",
                "industry": "machine_tools",
                "row_count": 6000,
            },
            "fingerprint": "ab" * 32,
            "profile": {"rows": 6000},
            "quality": {"grade": "A"},
            "grading": {"level": "general"},
            "card": {"basic": {"name_zh": "铣削故障数据集"}},
        }
        row = nodes.publish_dataset(s, node, payload)
        s.commit()
        assert (row.status, row.node_id, row.owner_org_id, row.row_count) == ("published", node.id, 1, 6000)
        again = nodes.publish_dataset(s, node, {**payload, "quality": {"grade": "B"}})
        assert again.id == row.id and again.quality == {"grade": "B"}
        with pytest.raises(Forbidden, match="cannot publish for rival"):
            nodes.publish_dataset(s, node, {"dataset": {**payload["dataset"], "owner": "rival"}})
        with pytest.raises(ResonanceError, match="must be a JSON object"):
            nodes.publish_dataset(s, node, {**payload, "profile": [1, 2]})
