"""Enrolment, the operator's decisions and publishing go on the ledger, node acts with the node's own signature."""

from __future__ import annotations

import json

import pytest

from resonance.ledger import chain
from resonance.node import keys
from resonance.registry import models as m
from resonance.registry import nodes, services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction


@pytest.fixture
def node_world(registry, tmp_path):
    with transaction(registry.sessions) as s:
        services.create(s, CONCEPTS["organisations"], {"code": "mill", "name_zh": "机床厂"})
    public = keys.generate(tmp_path / "node.key")
    return registry, public, keys.load_private(tmp_path / "node.key")


def test_node_acts_are_signed_by_the_node_and_verify(node_world):
    registry, public, key = node_world
    node_id = nodes.node_id_for(public)
    with transaction(registry.sessions) as s:
        nodes.enrol(s, "mill", public, name="车间", proof=keys.sign(key, f"enrol:{node_id}".encode()))
        nodes.decide(s, node_id, False, by="operator", reason="wrong organisation name")
        nodes.enrol(s, "mill", public, name="车间", proof=keys.sign(key, f"enrol:{node_id}".encode()))
        node = nodes.decide(s, node_id, True, by="operator")
        nodes.decide(s, node_id, True, by="operator")  # approving twice records nothing new
        body = json.dumps({"dataset": {"code": "log", "name_zh": "加工记录", "kind": "common", "industry": "steel"}})
        path = f"/api/v1/nodes/{node_id}/datasets"
        headers = keys.signed_headers(node_id, key, "POST", path, body.encode())
        act = chain.NodeAct.from_request(
            node_id, "POST", path, headers["X-Resonance-Timestamp"], body.encode(), headers["X-Resonance-Signature"]
        )
        nodes.publish_dataset(s, node, {**json.loads(body), "fingerprint": "sha256:00"}, act=act)
    with registry.session() as s:
        events = chain.events(s)
        assert [e.kind for e in events] == [
            "node.enrolled",
            "node.refused",
            "node.enrolled",
            "node.approved",
            "dataset.published",
        ]
        assert events[0].node_id == node_id and events[0].node_signature
        assert json.loads(events[1].payload)["reason"] == "wrong organisation name"
        assert events[4].subject == "dataset:log@1" and events[4].node_id == node_id
        assert chain.verify(s).ok
    with transaction(registry.sessions) as s:  # a forged node signature is caught even when re-hashed
        event = s.get(m.LedgerEvent, 5)
        forged = keys.sign(keys.Ed25519PrivateKey.generate(), b"x")
        event.payload = event.payload.replace(event.node_signature, forged)
        event.node_signature = forged
        event.hash = chain.event_hash(event)
    with registry.session() as s:
        report = chain.verify(s)
    assert any(p.where == "seq 5" and "not by node" in p.what for p in report.problems)
