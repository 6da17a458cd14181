"""Contract negotiation, policies, budget, metering and the ledger over the real API (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from apiworld import error
from sqlalchemy import update

import _governance as world
from resonance.registry import models as m
from resonance.registry.db import transaction

BASE = "/api/v1/contracts"


@pytest.fixture
def gov(api):
    world.build(api.registry)
    api.consumer = api.token("developer", org="cons-a")
    api.other = api.token("developer", org="cons-b")
    api.provider = api.token("provider", org="prov-a")
    api.stranger = api.token("provider", org="cons-b")
    return api


def ask(api, headers=None, **over):
    body = {"dataset": "ds-1@1", "purpose": "scenario:sc-1", "max_rounds": 10, "epsilon_budget": 2.0, "min_nodes": 2}
    return api.post(f"{BASE}/request", {**body, **over}, headers=api.consumer if headers is None else headers)


def test_negotiation_by_the_right_parties(gov):
    made = ask(gov)
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    assert made.json()["consumer"] == "cons-a" and made.json()["state"] == "REQUESTED"
    for step, who, state in [
        ("offer", gov.provider, "OFFERED"),
        ("accept", gov.consumer, "ACCEPTED"),
        ("agree", gov.provider, "AGREED"),
        ("verify", gov.consumer, "VERIFIED"),
        ("finalize", gov.provider, "FINALIZED"),
    ]:
        response = gov.post(f"{BASE}/{cid}/{step}", None, headers=who)
        assert response.status_code == 200, response.text
        assert response.json()["state"] == state
    generic = gov.get(f"{BASE}/{cid}", headers=gov.consumer).json()  # the generic read shows the new fields
    assert generic["compute_node"] == world.NODE_ID and generic["max_rounds"] == 10
    terms = gov.get(f"{BASE}/{cid}/terms", headers=gov.provider).json()
    assert terms["terms"]["state"] == "FINALIZED" and terms["signature"]
    events = gov.get("/api/v1/ledger", params={"kind": "contract."}).json()
    assert [e["kind"] for e in events][-1] == "contract.finalized"
    assert gov.get("/api/v1/ledger/verify").json()["ok"] is True
    ended = gov.post(f"{BASE}/{cid}/terminate", {"reason": "revoked by the operator"})
    assert ended.json()["state"] == "TERMINATED"


def test_the_wrong_party_is_refused(gov):
    cid = ask(gov).json()["id"]
    for step, headers in [("offer", gov.consumer), ("accept", gov.provider), ("offer", gov.operator)]:
        response = gov.post(f"{BASE}/{cid}/{step}", None, headers=headers)
        assert response.status_code == 403, (step, response.text)
        assert step in error(response)["what"]
    # another organisation does not learn the contract exists
    assert gov.post(f"{BASE}/{cid}/offer", None, headers=gov.stranger).status_code == 404
    assert gov.post(f"{BASE}/{cid}/accept", None, headers=gov.other).status_code == 404
    # requesting on behalf of another organisation, or as a provider or the operator
    assert ask(gov, consumer="cons-b").status_code == 403
    assert ask(gov, headers=gov.provider).status_code == 403
    assert ask(gov, headers=gov.operator).status_code == 403
    assert gov.post(f"{BASE}/{cid}/terminate", {"reason": "x"}, headers=gov.other).status_code == 404


def test_disallowed_transition_says_state_and_next_steps(gov):
    cid = ask(gov).json()["id"]
    response = gov.post(f"{BASE}/{cid}/finalize", None, headers=gov.provider)
    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "invalid_transition" and "REQUESTED" in body["what"] and "offer" in body["fix"]


@pytest.mark.parametrize(
    ("over", "status"),
    [
        ({"dataset": "nope@1"}, 422),
        ({"purpose": "scenario:sc-404"}, 422),
        ({"max_rounds": 0}, 422),
        ({"max_rounds": "ten"}, 422),
        ({"epsilon_budget": -1}, 422),
        ({"min_nodes": 0}, 422),
        ({"operations": ["download"]}, 422),
        ({"operations": []}, 422),
        ({"expires_at": "next week"}, 422),
        ({"expires_at": "2020-01-01T00:00:00Z"}, 422),
        ({"colour": "red"}, 422),
        ({"purpose": "sc\u0000"}, 422),
        ({"policy": {"target": "ds-1@1", "assigner": "prov-a", "permission": [{"action": ["x"]}]}}, 422),
        ({"consumer": "nobody"}, 422),
    ],
)
def test_bad_requests(gov, over, status):
    response = ask(gov, **over)
    assert response.status_code == status, response.text
    error(response)


def test_duplicates_unknown_ids_and_bad_bodies(gov):
    cid = ask(gov).json()["id"]
    assert ask(gov).status_code == 409
    for key in ("999", "abc", "1" * 20):
        response = gov.post(f"{BASE}/{key}/offer", None, headers=gov.provider)
        assert response.status_code in (404, 422), key
        error(response)
    assert gov.post(f"{BASE}/{cid}/terminate", {}, headers=gov.consumer).status_code == 422
    assert gov.post(f"{BASE}/{cid}/terminate", {"reason": 5}, headers=gov.consumer).status_code == 422
    assert gov.post(f"{BASE}/{cid}/offer", {"policy": "odrl"}, headers=gov.provider).status_code == 422
    bad_offer = {"policy": {"target": "ds-1@1", "assigner": "prov-a", "permission": []}}
    response = gov.post(f"{BASE}/{cid}/offer", bad_offer, headers=gov.provider)
    assert response.status_code == 422 and error(response)["code"] == "invalid_policy"


def test_expired_token_is_refused(gov):
    headers = gov.token("developer", org="cons-a", days=30)
    assert ask(gov, headers=headers).status_code == 201
    with transaction(gov.registry.sessions) as session:
        session.execute(
            update(m.ApiToken)
            .where(m.ApiToken.role == "developer", m.ApiToken.expires_at.is_not(None))
            .values(expires_at=datetime(2026, 1, 2, tzinfo=UTC))
        )
    response = ask(gov, headers=headers, purpose="sc-2")
    assert response.status_code == 401 and "expired" in error(response)["what"]


def test_policies_budget_metering_and_ledger_permissions(gov):
    policy = {
        "@type": "Set",
        "target": "ds-1@1",
        "assigner": "prov-a",
        "permission": [
            {
                "action": "federatedTrain",
                "constraint": [{"leftOperand": "epsilonBudget", "operator": "lteq", "rightOperand": 3}],
            }
        ],
    }
    assert gov.client.put("/api/v1/policies/ds-1@1", json=policy, headers=gov.consumer).status_code == 403
    stored = gov.client.put("/api/v1/policies/ds-1@1", json=policy, headers=gov.provider)
    assert stored.status_code == 200, stored.text
    assert gov.get("/api/v1/policies/ds-1@1", headers=gov.consumer).json()["@type"] == "Set"
    assert gov.get("/api/v1/policies/ds-2@1").json() is None
    assert gov.get("/api/v1/policies/nope@1").status_code == 422
    assert gov.get("/api/v1/budgets/ds-1@1", headers=gov.provider).json()["budget"] == 3.0
    assert gov.get("/api/v1/budgets/ds-1@1", headers=gov.consumer).status_code == 403
    assert gov.get("/api/v1/metering", headers=gov.provider).json() == []
    assert gov.get("/api/v1/metering", headers=gov.consumer).status_code == 403
    assert gov.get("/api/v1/ledger", headers=gov.provider).status_code == 403
    assert gov.get("/api/v1/ledger/verify", headers=gov.token("viewer")).status_code == 403
    authority = gov.token("authority", entity="ent-g")  # the 监管方 reads the ledger
    assert gov.get("/api/v1/ledger/verify", headers=authority).json()["ok"] is True
    assert gov.get("/api/v1/ledger", params={"limit": 0}).status_code == 422
