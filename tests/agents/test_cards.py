"""AgentCards: A2A validation naming the field, Ed25519 JWS signatures over the canonical card."""

from __future__ import annotations

import copy
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import card_data
from resonance.agents import cards, keys
from resonance.errors import ResonanceError


def _refused(data, code="invalid_card"):
    with pytest.raises(ResonanceError) as info:
        cards.parse(data, require_signature=False)
    assert info.value.code == code
    return info.value


def test_the_bundled_card_is_a_valid_a2a_card():
    card = cards.parse(card_data(), require_signature=False)
    assert card.facts.code == "mt-maintenance"
    assert card.facts.scenario == "JS-MT-01"
    assert card.facts.models == ["mt-failure"]
    assert card.endpoint.startswith("http://127.0.0.1")
    assert card.message.skills[0].id == "diagnose"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("name"), "card.name"),
        (lambda d: d.update(skills=[]), "card.skills"),
        (lambda d: d["skills"][0].pop("tags"), "card.skills[0].tags"),
        (lambda d: d.pop("supportedInterfaces"), "card.supportedInterfaces"),
        (lambda d: d["supportedInterfaces"][0].pop("protocolBinding"), "card.supportedInterfaces[0].protocolBinding"),
        (lambda d: d.pop("defaultInputModes"), "card.defaultInputModes"),
    ],
)
def test_missing_required_fields_are_named(change, field):
    data = card_data()
    change(data)
    error = _refused(data)
    assert field in error.what
    assert any(p.where == field for p in error.problems)


def test_unknown_field_and_wrong_type_are_named():
    data = card_data()
    data["skils"] = []
    assert "skils" in _refused(data).what
    data = card_data()
    data["skills"][0]["tags"] = "not-a-list"
    assert "tags" in _refused(data).what


def test_extension_is_required_and_checked():
    data = card_data()
    data["capabilities"]["extensions"] = []
    assert cards.EXTENSION_URI in _refused(data).what
    data = card_data(code="bad code!", organisation="")
    error = _refused(data)
    wheres = {p.where for p in error.problems}
    assert "card.capabilities.extensions[0].params.code" in wheres
    assert "card.capabilities.extensions[0].params.organisation" in wheres
    data = card_data(colour="blue")
    assert "colour" in _refused(data).what


def test_endpoint_must_be_http_and_card_must_be_an_object():
    data = card_data()
    data["supportedInterfaces"][0]["url"] = "ftp://x"
    assert _refused(data).where == "card.supportedInterfaces[0].url"
    assert "JSON object" in _refused(["not", "a", "card"]).what


def test_signed_card_verifies_and_names_its_key(agent_key):
    signed = cards.sign(card_data(), agent_key)
    card = cards.parse(signed)
    kid, public = cards.card_key(card)
    assert kid == keys.thumbprint(keys.public_jwk(agent_key.public_key()))
    assert card.facts.key == kid
    cards.verify(card, kid, public)  # no exception
    header = cards.protected_headers(card.message)[0]
    assert header["alg"] == "EdDSA" and header["jwk"]["crv"] == "Ed25519"


def test_an_unsigned_card_is_refused():
    with pytest.raises(ResonanceError) as info:
        cards.parse(card_data())
    assert info.value.code == "unsigned_card"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.update(description="篡改后的描述"),
        lambda d: d["supportedInterfaces"][0].update(url="http://evil.example/a2a"),
        lambda d: d["capabilities"]["extensions"][0]["params"]["models"].append("other-model"),
        lambda d: d["skills"][0]["tags"].append("extra"),
    ],
)
def test_a_tampered_card_is_refused(agent_key, tamper):
    signed = cards.sign(card_data(), agent_key)
    tampered = copy.deepcopy(signed)
    tamper(tampered)
    card = cards.parse(tampered)
    with pytest.raises(ResonanceError) as info:
        cards.verify(card, *cards.card_key(card))
    assert info.value.code == "bad_signature"
    assert "changed after it was signed" in info.value.what


def test_a_card_signed_by_another_key_than_it_names_is_refused(agent_key):
    signed = cards.sign(card_data(), agent_key)
    other = cards.sign(card_data(), Ed25519PrivateKey.generate())
    mixed = copy.deepcopy(signed)
    mixed["signatures"] = other["signatures"]  # a valid signature by another key, on a card naming the first key
    card = cards.parse(mixed)
    with pytest.raises(ResonanceError) as info:
        cards.card_key(card)
    assert info.value.code == "bad_signature"
    # and verified against the right key, the other key's signature does not count
    first = cards.parse(signed)
    kid, public = cards.card_key(first)
    with pytest.raises(ResonanceError):
        cards.verify(cards.parse({**mixed, "signatures": other["signatures"]}), kid, public)


def test_a_forged_jwk_that_does_not_match_the_kid_is_refused(agent_key):
    signed = cards.sign(card_data(), agent_key)
    header = cards.protected_headers(cards.parse(signed).message)[0]
    header["jwk"] = keys.public_jwk(Ed25519PrivateKey.generate().public_key())
    import base64

    forged = copy.deepcopy(signed)
    forged["signatures"][0]["protected"] = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
    with pytest.raises(ResonanceError) as info:
        cards.card_key(cards.parse(forged))
    assert "does not match its kid" in info.value.what


def test_garbage_protected_header_is_refused(agent_key):
    signed = cards.sign(card_data(), agent_key)
    signed["signatures"][0]["protected"] = "%%%not-base64%%%"
    with pytest.raises(ResonanceError) as info:
        cards.card_key(cards.parse(signed))
    assert info.value.where == "card.signatures[0].protected"


def test_non_ascii_text_survives_signing(agent_key):
    data = card_data(name_zh="机床预测性维护智能体（第二版）")
    card = cards.parse(cards.sign(data, agent_key))
    cards.verify(card, *cards.card_key(card))
    assert card.facts.name_zh.endswith("（第二版）")
