"""A node's SuperNode key: sent under the enrolment proof, stored on its row, authorised by the operator's approval
and withdrawn by a refusal — on SQLite and PostgreSQL (the SuperLink is not running: keys are remembered)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import func, select

from resonance.errors import Conflict, ResonanceError
from resonance.federation import enrolment, flower_keys, superlink
from resonance.ledger import chain
from resonance.node import keys
from resonance.registry import models as m
from resonance.registry import nodes, services
from resonance.registry.concepts import CONCEPTS


@pytest.fixture
def world(registry, tmp_path):
    with registry.session() as s:
        services.create(s, CONCEPTS["organisations"], {"code": "mill", "name_zh": "机床厂"})
        s.commit()
    return registry, tmp_path / "space"


def _node(tmp_path, name: str):
    """An Ed25519 identity and a SuperNode key in a node home of its own."""
    home = tmp_path / name
    public = keys.generate(home / "node.key")
    return public, keys.load_private(home / "node.key"), flower_keys.ensure_node_key(home)


def _enrol(s, public, key, flower, proof_flower=None):
    node_id = nodes.node_id_for(public)
    proof = keys.sign(key, enrolment.enrolment_message(node_id, proof_flower if proof_flower is not None else flower))
    return nodes.enrol(s, "mill", public, name="车间节点", proof=proof, flower_public_key=flower)


def _kinds(s, node_id: str) -> list[str]:
    return [e.kind for e in chain.events(s, subject=f"node:{node_id}")]


def test_the_row_holds_the_key_the_proof_covers_and_the_ledger_verifies(world, tmp_path):
    registry, _ = world
    public, key, flower = _node(tmp_path, "a")
    with registry.session() as s:
        node = _enrol(s, public, key, flower)
        s.commit()
        kind, blob, comment = flower.split()
        assert comment == "resonance-node" and node.flower_public_key == f"{kind} {blob}"
        assert nodes.as_dict(s, node)["flower_public_key"] == f"{kind} {blob}"
        event = chain.events(s, kind="node.enrolled")[0]
        assert json.loads(event.payload)["flower_public_key"] == f"{kind} {blob}"
        assert json.loads(event.payload)["node_act"]["message"] == f"enrol:{node.id}\nflower:{flower}"
        assert chain.verify(s).ok


def _ssh_public(private) -> str:
    encoding, fmt = serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    return private.public_key().public_bytes(encoding, fmt).decode()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "not a key",
        "ecdsa-sha2-nistp384 AAAAnot-base64",
        "ssh-ed25519 " + "A" * 68,
        "ed25519",  # wrong type of key material
        "rsa",
        7,
        ["ecdsa-sha2-nistp384", "AAAA"],
    ],
)
def test_a_bad_key_is_refused_with_422_naming_the_field_and_nothing_is_stored(world, tmp_path, bad):
    registry, _ = world
    public, key, _ = _node(tmp_path, "a")
    if bad == "ed25519":
        bad = _ssh_public(ed25519.Ed25519PrivateKey.generate())
    elif bad == "rsa":
        bad = _ssh_public(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with registry.session() as s:
        with pytest.raises(ResonanceError) as caught:
            nodes.enrol(s, "mill", public, proof=keys.sign(key, b"x"), flower_public_key=bad)
        error = caught.value
        assert (error.status, error.code, error.where) == (422, "validation_error", "flower_public_key")
        s.rollback()
        assert s.scalar(select(func.count()).select_from(m.Node)) == 0
        assert s.scalar(select(func.count()).select_from(m.LedgerEvent)) == 0


def test_the_proof_must_cover_the_key_sent(world, tmp_path):
    registry, _ = world
    public, key, flower = _node(tmp_path, "a")
    _, _, other_flower = _node(tmp_path, "b")
    with registry.session() as s:
        with pytest.raises(ResonanceError, match="not signed by this node key") as caught:
            _enrol(s, public, key, flower, proof_flower="")  # signed the old message, without the key
        assert caught.value.code == "bad_proof"
        with pytest.raises(ResonanceError, match="not signed by this node key"):
            _enrol(s, public, key, other_flower, proof_flower=flower)  # key swapped after signing
        s.rollback()
        assert s.scalar(select(func.count()).select_from(m.Node)) == 0


def test_one_key_per_node(world, tmp_path):
    registry, _ = world
    public, key, flower = _node(tmp_path, "a")
    other_public, other_key, _ = _node(tmp_path, "b")
    with registry.session() as s:
        _enrol(s, public, key, flower)
        s.commit()
        with pytest.raises(Conflict, match="already held by node") as caught:
            _enrol(s, other_public, other_key, flower)
        assert caught.value.where == "flower_public_key"
        s.rollback()
        assert s.scalars(select(m.Node.id)).all() == [nodes.node_id_for(public)]


def test_approval_authorises_the_key_and_refusal_withdraws_it(world, tmp_path):
    registry, space = world
    public, key, flower = _node(tmp_path, "a")
    fp = flower_keys.fingerprint(flower)
    with registry.session() as s:
        node = _enrol(s, public, key, flower)
        assert superlink.authorised_keys(space) == {}
        nodes.decide(s, node.id, approve=True, by="operator", space_home=space)
        entry = superlink.authorised_keys(space)[fp]
        assert entry["name"] == node.id and entry["node_id"] == ""  # remembered until the SuperLink starts
        assert flower_keys.fingerprint(entry["public_key"]) == fp
        nodes.decide(s, node.id, approve=True, by="operator", space_home=space)  # again: no second event
        assert _kinds(s, node.id) == ["node.enrolled", "node.approved", "node.federation_authorised"]
        nodes.decide(s, node.id, approve=False, by="operator", reason="审计未通过", space_home=space)
        assert superlink.authorised_keys(space) == {}
        assert _kinds(s, node.id)[-2:] == ["node.refused", "node.federation_deauthorised"]
        event = chain.events(s, kind="node.federation_deauthorised")[0]
        assert json.loads(event.payload) == {"node": node.id, "fingerprint": fp, "status": "refused"}
        assert chain.verify(s).ok


def test_refusing_a_pending_node_authorises_nothing(world, tmp_path):
    registry, space = world
    public, key, flower = _node(tmp_path, "a")
    with registry.session() as s:
        node = _enrol(s, public, key, flower)
        nodes.decide(s, node.id, approve=False, by="operator", reason="资料不全", space_home=space)
        assert superlink.authorised_keys(space) == {}
        assert _kinds(s, node.id) == ["node.enrolled", "node.refused"]


def test_a_node_without_a_key_is_approved_and_authorised_when_it_sends_one(world, tmp_path, monkeypatch):
    registry, space = world
    public, key, flower = _node(tmp_path, "a")
    monkeypatch.setattr(enrolment, "_space_home", lambda: space)  # the configured home, for enrol's own call
    with registry.session() as s:
        node_id = nodes.node_id_for(public)
        nodes.enrol(s, "mill", public, proof=keys.sign(key, f"enrol:{node_id}".encode()))  # an older node
        nodes.decide(s, node_id, approve=True, by="operator", space_home=space)
        assert nodes.get(s, node_id).flower_public_key is None and superlink.authorised_keys(space) == {}
        _enrol(s, public, key, flower)
        assert list(superlink.authorised_keys(space)) == [flower_keys.fingerprint(flower)]
        assert nodes.get(s, node_id).status == "approved"
        _, _, other = _node(tmp_path, "b")
        with pytest.raises(Conflict, match="approved with another SuperNode key"):
            _enrol(s, public, key, other)


def test_a_pending_node_may_replace_its_key_and_a_refused_one_enrols_again(world, tmp_path):
    registry, space = world
    public, key, flower = _node(tmp_path, "a")
    _, _, second = _node(tmp_path, "b")
    with registry.session() as s:
        node = _enrol(s, public, key, flower)
        _enrol(s, public, key, second)
        assert node.flower_public_key == " ".join(second.split()[:2])
        nodes.decide(s, node.id, approve=False, by="operator", reason="重新申请", space_home=space)
        assert _enrol(s, public, key, flower).status == "pending"
        assert node.flower_public_key == " ".join(flower.split()[:2])
        assert superlink.authorised_keys(space) == {}
        assert chain.verify(s).ok
