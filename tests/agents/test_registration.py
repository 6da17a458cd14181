"""Registering agents from signed cards: through the API (per role) and the service; discovery; quotas."""

from __future__ import annotations

import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import card_data
from resonance.agents import cards
from resonance.api.app import create_app
from resonance.registry import models as m
from resonance.registry.db import transaction


@pytest.fixture
def api(space):
    with TestClient(create_app(space.url)) as client:
        yield client


def _auth(secret):
    return {"Authorization": f"Bearer {secret}"}


def _register(api, space, card, role="developer", org="model-co"):
    return api.post("/api/v1/agents/register", json=card, headers=_auth(space.token(role, org)))


def test_a_developer_registers_its_agent_and_anyone_discovers_it(api, space, agent_key):
    signed = cards.sign(card_data(), agent_key)
    reply = _register(api, space, signed)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["code"] == "mt-maintenance"
    assert body["organisation"] == "model-co" and body["scenario"] == "JS-MT-01"
    assert body["models"] == ["mt-failure"] and body["signed"] is True
    assert body["kid"] == cards.parse(signed).facts.key
    # A2A discovery: public, the card exactly as signed
    public = api.get("/agents/mt-maintenance/.well-known/agent-card.json")
    assert public.status_code == 200
    card = cards.parse(public.json())
    cards.verify(card, *cards.card_key(card))
    # discovery through the registry API: list, filter by scenario, search in Chinese
    viewer = _auth(space.token("viewer"))
    listed = api.get("/api/v1/agents", params={"scenario": "JS-MT-01"}, headers=viewer).json()
    assert [a["code"] for a in listed["items"]] == ["mt-maintenance"]
    found = api.get("/api/v1/agents", params={"q": "预测性维护"}, headers=viewer).json()
    assert found["total"] == 1
    assert api.get("/api/v1/agents/mt-maintenance/verify", headers=viewer).json()["ok"] is True
    # registration is on the ledger
    with transaction(space.registry.sessions) as session:
        kinds = session.scalars(select(m.LedgerEvent.kind).where(m.LedgerEvent.subject == "agent:mt-maintenance")).all()
    assert kinds == ["agent.registered"]


@pytest.mark.parametrize(("role", "org"), [("viewer", None), ("provider", "mill-l"), ("evaluator", "evaluator")])
def test_roles_that_may_not_write_agents_are_refused(api, space, agent_key, role, org):
    reply = _register(api, space, cards.sign(card_data(), agent_key), role, org)
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "forbidden"
    assert _count_agents(space) == 0


def test_a_developer_cannot_register_for_another_organisation(api, space, agent_key):
    reply = _register(api, space, cards.sign(card_data(), agent_key), "developer", "other-co")
    assert reply.status_code == 403
    assert "organisation" in reply.json()["error"]["where"]
    assert _count_agents(space) == 0


def test_the_operator_registers_for_any_organisation(api, space, agent_key):
    reply = _register(api, space, cards.sign(card_data(organisation="other-co"), agent_key), "operator", None)
    assert reply.status_code == 201
    assert reply.json()["organisation"] == "other-co"


def test_tampered_unsigned_and_invalid_cards_are_refused_with_nothing_written(api, space, agent_key):
    signed = cards.sign(card_data(), agent_key)
    tampered = copy.deepcopy(signed)
    tampered["supportedInterfaces"][0]["url"] = "http://evil.example/a2a"
    reply = _register(api, space, tampered)
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "bad_signature"
    reply = _register(api, space, card_data())
    assert reply.json()["error"]["code"] == "unsigned_card"
    bad = copy.deepcopy(signed)
    bad["skills"] = [{"id": "x"}]
    reply = _register(api, space, bad)
    assert reply.status_code == 422 and "card.skills[0].name" in reply.json()["error"]["where"]
    assert _count_agents(space) == 0
    with transaction(space.registry.sessions) as session:
        assert session.scalars(select(m.LedgerEvent).where(m.LedgerEvent.kind.like("agent.%"))).first() is None


def test_unknown_references_are_refused(api, space, agent_key):
    reply = _register(api, space, cards.sign(card_data(models=["no-such-model"]), agent_key))
    assert reply.status_code == 422
    assert reply.json()["error"]["where"] == "card.capabilities.extensions.params.models[0]"
    reply = _register(api, space, cards.sign(card_data(scenario="NOPE-01"), agent_key))
    assert reply.status_code == 422
    assert "scenario" in reply.text
    assert _count_agents(space) == 0


def test_duplicate_registration_is_a_conflict(api, space, agent_key):
    assert _register(api, space, cards.sign(card_data(), agent_key)).status_code == 201
    reply = _register(api, space, cards.sign(card_data(), Ed25519PrivateKey.generate()))
    assert reply.status_code == 409


def test_updates_are_verified_against_the_registered_key(api, space, agent_key):
    assert _register(api, space, cards.sign(card_data(), agent_key)).status_code == 201
    headers = _auth(space.token("developer", "model-co"))
    newer = card_data()
    newer["version"] = "1.1.0"
    newer["supportedInterfaces"][0]["url"] = "http://127.0.0.1:9999/agents/mt-maintenance"
    # signed by the agent's key: accepted, the row follows the card
    reply = api.put("/api/v1/agents/mt-maintenance/card", json=cards.sign(newer, agent_key), headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.json()["endpoint"] == "http://127.0.0.1:9999/agents/mt-maintenance"
    # signed by another key (a valid signature of its own): refused, nothing changes
    reply = api.put(
        "/api/v1/agents/mt-maintenance/card",
        json=cards.sign(card_data(), Ed25519PrivateKey.generate()),
        headers=headers,
    )
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "bad_signature"
    assert "registered with key" in reply.json()["error"]["what"]
    # tampered after signing with the right key: refused
    tampered = cards.sign(newer, agent_key)
    tampered["description"] = "changed"
    reply = api.put("/api/v1/agents/mt-maintenance/card", json=tampered, headers=headers)
    assert reply.json()["error"]["code"] == "bad_signature"
    # another developer may not update it even with a valid card
    other = _auth(space.token("developer", "other-co"))
    assert (
        api.put("/api/v1/agents/mt-maintenance/card", json=cards.sign(newer, agent_key), headers=other).status_code
        == 403
    )
    public = api.get("/agents/mt-maintenance/.well-known/agent-card.json").json()
    assert public["version"] == "1.1.0"
    with transaction(space.registry.sessions) as session:
        kinds = session.scalars(select(m.LedgerEvent.kind).where(m.LedgerEvent.subject == "agent:mt-maintenance")).all()
    assert kinds == ["agent.registered", "agent.updated"]


def test_unknown_agents_answer_404(api, space):
    assert api.get("/agents/nobody/.well-known/agent-card.json").status_code == 404
    headers = _auth(space.token("developer", "model-co"))
    assert api.put("/api/v1/agents/nobody/card", json=card_data(), headers=headers).status_code == 404


def test_a_stored_card_edited_in_the_database_fails_verification(api, space, agent_key):
    assert _register(api, space, cards.sign(card_data(), agent_key)).status_code == 201
    with transaction(space.registry.sessions) as session:
        row = session.scalars(select(m.Agent)).one()
        changed = copy.deepcopy(row.card)
        changed["description"] = "edited behind the registry's back"
        row.card = changed
    check = api.get("/api/v1/agents/mt-maintenance/verify", headers=_auth(space.token("viewer"))).json()
    assert check["ok"] is False and "changed after it was signed" in check["problems"][0]


def test_landing_cases_of_an_agent_count_toward_the_scenario_quota(api, space, agent_key):
    from resonance.registry.rules import progress

    assert _register(api, space, cards.sign(card_data(entity="js"), agent_key)).status_code == 201
    headers = _auth(space.token("developer", "model-co"))

    def agent_status(session):
        report = progress(session, entity="js")
        found = [
            s
            for p in report
            for s in p.rules
            if s.rule_id == "landing_cases_per_agent" and s.scope_key == "mt-maintenance"
        ]
        assert len(found) == 1
        return found[0]

    with transaction(space.registry.sessions) as session:
        before = agent_status(session)
    assert before.current == 0 and not before.met
    for n in range(3):
        case = {
            "code": f"landing-{n}",
            "name_zh": f"落地案例{n}",
            "kind": "landing",
            "industry": "machine_tools",
            "entity": "js",
            "scenario": "JS-MT-01",
            "agent": "mt-maintenance",
            "organisation": "model-co",
        }
        assert api.post("/api/v1/cases", json=case, headers=headers).status_code == 201
    with transaction(space.registry.sessions) as session:
        after = agent_status(session)
    assert after.current == 3 and after.met


def _count_agents(space):
    with transaction(space.registry.sessions) as session:
        return len(session.scalars(select(m.Agent)).all())


def test_register_update_and_search_on_both_backends(any_space, agent_key):
    with TestClient(create_app(any_space.url)) as client:
        developer = _auth(any_space.token("developer", "model-co"))
        reply = client.post("/api/v1/agents/register", json=cards.sign(card_data(), agent_key), headers=developer)
        assert reply.status_code == 201, reply.text
        newer = card_data(name_zh="机床预测性维护智能体二代")
        reply = client.put("/api/v1/agents/mt-maintenance/card", json=cards.sign(newer, agent_key), headers=developer)
        assert reply.status_code == 200 and reply.json()["name_zh"] == "机床预测性维护智能体二代"
        wrong = cards.sign(newer, Ed25519PrivateKey.generate())
        reply = client.put("/api/v1/agents/mt-maintenance/card", json=wrong, headers=developer)
        assert reply.status_code == 422
        found = client.get("/api/v1/agents", params={"q": "二代"}, headers=_auth(any_space.token("viewer"))).json()
        assert [a["code"] for a in found["items"]] == ["mt-maintenance"]


def test_a_registered_agents_card_facts_change_only_with_a_new_signed_card(api, space, agent_key):
    assert _register(api, space, cards.sign(card_data(), agent_key)).status_code == 201
    headers = _auth(space.token("developer", "model-co"))
    before = api.get("/api/v1/agents/mt-maintenance", headers=headers).json()
    for change in ({"name_zh": "改名"}, {"endpoint": "http://127.0.0.1:1/x"}, {"scenario": None, "status": "retired"}):
        reply = api.patch("/api/v1/agents/mt-maintenance", json=change, headers=headers)
        assert reply.status_code == 422, (change, reply.text)  # refused like any other invalid field, with the why
        assert "signed A2A card" in reply.text and "/api/v1/agents/mt-maintenance/card" in reply.text
    assert api.get("/api/v1/agents/mt-maintenance", headers=headers).json() == before  # nothing was written
    # the status is the registry's own (the operator retires an agent): still editable
    retired = api.patch("/api/v1/agents/mt-maintenance", json={"status": "retired"}, headers=headers)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    # an agent added by hand to the registry (no card) keeps the generic edits
    plain = {"code": "plain-agent", "name_zh": "普通智能体", "industry": "machine_tools", "organisation": "model-co"}
    assert api.post("/api/v1/agents", json=plain, headers=headers).status_code == 201
    renamed = api.patch("/api/v1/agents/plain-agent", json={"name_zh": "改名"}, headers=headers)
    assert renamed.status_code == 200 and renamed.json()["name_zh"] == "改名"
