"""Contracts over a real registry (SQLite and PostgreSQL): request, negotiate, terminate, cover a job."""

import json
from datetime import UTC, datetime, timedelta

import pytest

import _governance as world
from resonance.errors import ResonanceError
from resonance.ledger import chain
from resonance.ledger.keys import space_public_key
from resonance.node import keys
from resonance.policy import contracts, odrl
from resonance.registry.db import transaction

FUTURE = (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)
STEPS = [("offer", "provider"), ("accept", "consumer"), ("agree", "provider"), ("verify", "consumer")]


@pytest.fixture
def gov(registry):
    world.build(registry)
    return registry


def request(session, **over):
    args = {
        "dataset": "ds-1@1",
        "consumer": "cons-a",
        "purpose": "scenario:sc-1",
        "actor": "test",
        "max_rounds": 10,
        "epsilon_budget": 2.0,
        "min_nodes": 2,
        "expires_at": FUTURE,
    }
    return contracts.request(session, **{**args, **over})


def finalize(session, contract_id):
    for step, party in [*STEPS, ("finalize", "provider")]:
        contracts.transition(session, contract_id, step, party=party, actor="test")
    return contracts.get(session, contract_id)


def test_full_negotiation_carries_every_contract_field(gov):
    with transaction(gov.sessions) as session:
        contract = finalize(session, request(session).id)
        shown = contracts.as_dict(session, contract)
        signed = contracts.signed_terms(session, contract)
    assert shown["state"] == "FINALIZED" and shown["state_zh"] == "已生效"
    assert (shown["provider"], shown["consumer"], shown["dataset"]) == ("prov-a", "cons-a", "ds-1@1")
    assert shown["dataset_fingerprint"] == world.FINGERPRINT
    assert (shown["purpose"], shown["purpose_kind"]) == ("sc-1", "scenario")
    assert shown["operations"] == ["federatedTrain"]
    assert shown["compute_node"] == world.NODE_ID
    assert (shown["max_rounds"], shown["epsilon_budget"], shown["min_nodes"]) == (10, 2.0, 2)
    assert shown["expires_at"] == FUTURE.isoformat()
    assert shown["output_restrictions"] == ["perRecordOutput", "rawExport"]
    assert [s["step"] for s in shown["signatures"]] == ["request", "offer", "accept", "agree", "verify", "finalize"]
    assert shown["policy"]["@type"] == "Agreement" and shown["next_steps"] == ["terminate"]
    terms = signed["terms"]
    assert terms["state"] == "FINALIZED" and terms["contract_id"] == str(contract.id)
    message = chain.canonical(terms).encode()
    assert keys.verify(space_public_key(), message, signed["signature"])
    with gov.session() as session:
        kinds = [e.kind for e in chain.events(session, subject=f"contract:{contract.id}")]
        assert kinds == [
            "contract.requested",
            "contract.offered",
            "contract.accepted",
            "contract.agreed",
            "contract.verified",
            "contract.finalized",
        ]
        assert chain.verify(session).ok


def test_a_disallowed_transition_names_state_and_next_steps(gov):
    with transaction(gov.sessions) as session:
        cid = request(session).id
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        contracts.transition(session, cid, "finalize", party="provider", actor="t")
    assert err.value.code == "invalid_transition"
    assert "REQUESTED" in err.value.what and "offer, terminate" in err.value.fix
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        contracts.transition(session, cid, "offer", party="consumer", actor="t")
    assert err.value.status == 403


def test_offer_replaces_terms_within_the_request(gov):
    with transaction(gov.sessions) as session:
        cid = request(session).id
        offer = odrl.build(
            target="ds-1@1",
            assigner="prov-a",
            operations=["federatedTrain", "evaluate"],
            purposes=["industry:steel"],
            max_rounds=4,
            epsilon_budget=1.0,
            min_nodes=3,
        )
        contract = contracts.transition(
            session, cid, "offer", party="provider", actor="t", policy=odrl.to_jsonld(offer)
        )
        assert (contract.max_rounds, contract.epsilon_budget, contract.min_nodes) == (4, 1.0, 3)
        assert contract.operations == ["evaluate", "federatedTrain"]
        assert contract.expires_at is None
        wrong = odrl.build(target="ds-1@1", assigner="prov-a", purposes=["scenario:sc-2"])
        with pytest.raises(ResonanceError, match="only be given with offer"):
            contracts.transition(session, cid, "accept", party="consumer", actor="t", policy=odrl.to_jsonld(wrong))


def test_offer_not_covering_the_purpose_is_refused(gov):
    with transaction(gov.sessions) as session:
        cid = request(session).id
    wrong = odrl.to_jsonld(odrl.build(target="ds-1@1", assigner="prov-a", purposes=["scenario:sc-2"]))
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        contracts.transition(session, cid, "offer", party="provider", actor="t", policy=wrong)
    assert err.value.code == "policy_violation"


@pytest.mark.parametrize(
    ("over", "fragment"),
    [
        ({"dataset": "nope@1"}, "no dataset"),
        ({"consumer": "nobody"}, "no organisation"),
        ({"purpose": "scenario:sc-404"}, "no scenario or model"),
        ({"purpose": "industry:steel"}, "names no scenario or model"),
        ({"purpose": ""}, "names no scenario or model"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "already past"),
        ({"expires_at": "tomorrow"}, "ISO 8601"),
        ({"max_rounds": 0}, "whole number"),
        ({"epsilon_budget": -1.0}, "finite number"),
        ({"operations": ["download"]}, "unknown action"),
        ({"policy": {"target": "ds-2@1", "assigner": "prov-a", "permission": [{"action": "evaluate"}]}}, "target"),
    ],
)
def test_bad_requests_are_refused(gov, over, fragment):
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        request(session, **over)
    assert fragment in str(err.value) + " ".join(str(p) for p in err.value.problems)


def test_duplicate_open_request_is_refused_but_allowed_after_termination(gov):
    with transaction(gov.sessions) as session:
        first = request(session).id
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        request(session)
    assert err.value.code == "conflict" and str(first) in err.value.what
    with transaction(gov.sessions) as session:
        with pytest.raises(ResonanceError, match="reason"):
            contracts.terminate(session, first, party="consumer", actor="t", reason=" ")
        contracts.terminate(session, first, party="consumer", actor="t", reason="changed plans")
        assert request(session).id != first
        assert contracts.get(session, first).reason == "changed plans"


def test_model_purpose_and_unknown_ids(gov):
    with transaction(gov.sessions) as session:
        assert request(session, purpose="mdl-1").purpose_kind == "model"
        for bad in ("999", "abc", "", "1" * 20):
            with pytest.raises(ResonanceError) as err:
                contracts.get(session, bad)
            assert err.value.status == 404


def test_dataset_policy_is_the_ceiling(gov):
    ceiling = odrl.build(
        target="ds-1@1",
        assigner="prov-a",
        purposes=["industry:steel"],
        consumers=["cons-a"],
        max_rounds=20,
        epsilon_budget=3.0,
        min_nodes=2,
    )
    with transaction(gov.sessions) as session:
        contracts.set_dataset_policy(session, "ds-1@1", odrl.to_jsonld(ceiling), actor="prov-a")
        assert request(session, max_rounds=20).state == "REQUESTED"
    for over, fragment in [
        ({"consumer": "cons-b"}, "consumers cons-a only"),
        ({"max_rounds": 21, "purpose": "sc-2"}, "exceeds"),
        ({"max_rounds": None, "purpose": "sc-2"}, "exceeds"),
        ({"epsilon_budget": 5.0, "purpose": "sc-2"}, "exceeds"),
        ({"min_nodes": 1, "purpose": "sc-2"}, "below"),
        ({"operations": ["evaluate"], "purpose": "sc-2"}, "does not permit"),
    ]:
        with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
            request(session, **over)
        assert err.value.code == "policy_violation"
        assert fragment in " ".join(p.what for p in err.value.problems)
    with pytest.raises(ResonanceError, match="assigner"), transaction(gov.sessions) as session:
        other = odrl.to_jsonld(ceiling.with_changes(assigner="cons-a"))
        contracts.set_dataset_policy(session, "ds-1@1", other, actor="x")
    with gov.session() as session:
        assert [e.kind for e in chain.events(session, kind="policy.changed")] == ["policy.changed"]


def test_finalize_needs_a_node_and_an_unchanged_dataset(gov):
    with transaction(gov.sessions) as session:
        no_node = request(session, dataset="ds-2@1").id
        changed = request(session, purpose="sc-2").id
        for cid in (no_node, changed):
            for step, party in STEPS:
                contracts.transition(session, cid, step, party=party, actor="t")
        world.dataset(session).fingerprint = "sha256:other"
    for cid, fragment in ((no_node, "not served by any node"), (changed, "changed since")):
        with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
            contracts.transition(session, cid, "finalize", party="provider", actor="t")
        assert fragment in err.value.what


def test_expired_contract_cannot_advance(gov):
    with transaction(gov.sessions) as session:
        cid = request(session).id
        contracts.get(session, cid).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        contracts.transition(session, cid, "offer", party="provider", actor="t")
    assert err.value.code == "expired"
    with transaction(gov.sessions) as session:  # terminating stays possible
        assert contracts.terminate(session, cid, party="operator", actor="op", reason="expired").state == "TERMINATED"


def test_covering_finds_the_finalized_contract_or_says_why_not(gov):
    with transaction(gov.sessions) as session:
        pending = request(session, purpose="sc-2").id
        cid = finalize(session, request(session).id).id
        assert contracts.covering(session, "ds-1@1", "cons-a", "sc-1", "federatedTrain").id == cid
        assert contracts.covering(session, "ds-1", "cons-a", "scenario:sc-1", "federatedTrain").id == cid
    cases = [
        (("ds-1@1", "cons-a", "sc-1", "evaluate"), "does not permit evaluate"),
        (("ds-1@1", "cons-a", "sc-2", "federatedTrain"), "REQUESTED, not FINALIZED"),
        (("ds-1@1", "cons-a", "model:sc-1", "federatedTrain"), "covers purpose"),
        (("ds-1@1", "cons-b", "sc-1", "federatedTrain"), ""),
    ]
    for args, fragment in cases:
        with pytest.raises(ResonanceError) as err, gov.session() as session:
            contracts.covering(session, *args)
        assert err.value.code == "no_contract" and err.value.status == 403
        assert fragment in " ".join(p.what for p in err.value.problems)
    with pytest.raises(ResonanceError) as err, gov.session() as session:
        contracts.covering(session, "ds-1@1", "cons-a", "sc-1", "federatedTrain", now=FUTURE + timedelta(days=1))
    assert "expired" in err.value.problems[0].what
    with transaction(gov.sessions) as session:
        contracts.terminate(session, cid, party="provider", actor="t", reason="revoked")
    with pytest.raises(ResonanceError) as err, gov.session() as session:
        contracts.covering(session, "ds-1@1", "cons-a", "sc-1", "federatedTrain")
    assert "TERMINATED" in err.value.problems[0].what
    assert pending


def test_list_filters(gov):
    with transaction(gov.sessions) as session:
        request(session)
        request(session, consumer="cons-b")
        assert len(contracts.list_contracts(session, consumer="cons-b")) == 1
        assert len(contracts.list_contracts(session, provider="prov-a", state="requested")) == 2
        assert contracts.list_contracts(session, state="FINALIZED") == []
        with pytest.raises(ResonanceError):
            contracts.list_contracts(session, state="DONE")
        assert json.dumps(contracts.as_dict(session, contracts.list_contracts(session)[0]))


def test_a_contract_made_through_the_generic_route_is_negotiated_with_a_policy(gov):
    from resonance.registry import services
    from resonance.registry.concepts import CONCEPTS

    with transaction(gov.sessions) as session:
        row = services.create(
            session, CONCEPTS["contracts"], {"dataset": "ds-1@1", "consumer": "cons-a", "purpose": "sc-1"}
        )
        session.flush()
        cid = row.id
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        contracts.transition(session, cid, "offer", party="provider", actor="t")
    assert "permits no operation" in err.value.what
    offer = odrl.to_jsonld(odrl.build(target="ds-1@1", assigner="prov-a", purposes=["scenario:sc-1"], max_rounds=3))
    with transaction(gov.sessions) as session:
        contracts.transition(session, cid, "offer", party="provider", actor="t", policy=offer)
        for step, party in [*STEPS[1:], ("finalize", "provider")]:
            contracts.transition(session, cid, step, party=party, actor="t")
        done = contracts.get(session, cid)
        assert (done.state, done.dataset_fingerprint, done.max_rounds) == ("FINALIZED", world.FINGERPRINT, 3)
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        services.update(session, CONCEPTS["contracts"], contracts.get(session, cid), {"purpose": "sc-2"})
    assert "can no longer be edited" in str(err.value)
