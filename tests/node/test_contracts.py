"""The provider node's contract store: save, get, revoke, check_round, record_round, and sync with a real space."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import _governance as world
from _server import running_space
from resonance import tokens
from resonance.errors import ResonanceError
from resonance.ledger import chain
from resonance.node import contracts as node_contracts
from resonance.node import keys
from resonance.node.client import SpaceClient
from resonance.node.home import NodeHome
from resonance.policy import contracts
from resonance.policy.terms import ContractTerms, JobRequest
from resonance.registry import models as m
from resonance.registry import nodes
from resonance.registry.db import transaction
from resonance.settings import get_settings

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
JOB = JobRequest("J1", "cons-a", "sc-1", "federatedTrain", rounds=3, epsilon=0.9, nodes=3)


def terms_for(home: NodeHome, **over) -> ContractTerms:
    base = ContractTerms(
        contract_id="7",
        dataset_code="ds-1",
        dataset_version="1",
        dataset_fingerprint=world.FINGERPRINT,
        provider_org="prov-a",
        consumer_org="cons-a",
        purpose="sc-1",
        operations=frozenset({"federatedTrain"}),
        compute_node=home.load().node_id,
        max_rounds=5,
        epsilon_budget=1.5,
        min_nodes=2,
        expires_at=NOW + timedelta(days=1),
        prohibitions=frozenset({"rawExport"}),
        state="FINALIZED",
    )
    return replace(base, **over)


@pytest.fixture
def home(tmp_path) -> NodeHome:
    target = NodeHome(tmp_path / "node")
    target.create(org="prov-a", space_url="http://127.0.0.1:9")  # nothing listens on port 9
    return target


def test_store_get_and_usage_counters_drive_check_round(home):
    node_contracts.save(home, terms_for(home), "unsigned-before-pinning")
    assert node_contracts.get(home, "7") == terms_for(home)
    assert node_contracts.check_round(home, "7", JOB, 0, now=NOW).code == "ok"
    for r in (1, 2, 3):
        assert node_contracts.check_round(home, "7", JOB, r, now=NOW).allowed
        node_contracts.record_round(home, "7", "J1", r, samples=100, seconds=0.5, epsilon=0.3)
    node_contracts.record_round(home, "7", "J1", 3, samples=100, seconds=0.5, epsilon=0.3)  # a retry counts once
    assert node_contracts.usage(home, "7") == {
        "rounds": 3,
        "samples": 300,
        "seconds": 1.5,
        "epsilon": pytest.approx(0.9),
    }
    # a second job: 3 more planned rounds exceed the cap of 5; ε 0.9 + 0.9 exceeds 1.5
    job2 = replace(JOB, job_id="J2")
    assert node_contracts.check_round(home, "7", job2, 0, now=NOW).code == "rounds_exhausted"
    assert node_contracts.check_round(home, "7", replace(job2, rounds=2), 0, now=NOW).code == "epsilon_exhausted"
    assert node_contracts.check_round(home, "7", JOB, 1, now=NOW + timedelta(days=2)).code == "expired"


def test_refusing_decisions_for_unknown_wrong_node_and_min_nodes(home):
    assert node_contracts.check_round(home, "404", JOB, 0).code == "unknown_contract"
    node_contracts.save(home, terms_for(home, compute_node=""), "x")
    assert node_contracts.check_round(home, "7", replace(JOB, nodes=1), 0, now=NOW).code == "too_few_nodes"
    assert node_contracts.check_round(home, "7", replace(JOB, consumer_org="cons-b"), 0, now=NOW).code == (
        "wrong_consumer"
    )
    with pytest.raises(ResonanceError) as err:
        node_contracts.save(home, terms_for(home, contract_id="8", compute_node="node-bbbbbbbbbbbb"), "x")
    assert err.value.code == "wrong_node"


def test_revoke_is_immediate_and_holds_when_the_space_is_unreachable(home):
    node_contracts.save(home, terms_for(home), "x")
    with pytest.raises(ResonanceError, match="reason"):
        node_contracts.revoke(home, "7", "  ")
    node_contracts.revoke(home, "7", "audit found a problem")
    assert node_contracts.get(home, "7").state == "TERMINATED"
    assert node_contracts.check_round(home, "7", JOB, 1, now=NOW).code == "revoked"
    assert node_contracts.revocation_reported(home, "7") is False
    node_contracts.save(home, terms_for(home), "x")  # the space still says FINALIZED: the local revocation wins
    assert node_contracts.check_round(home, "7", JOB, 1, now=NOW).code == "revoked"
    listed = node_contracts.list_contracts(home)
    assert listed[0]["revoked_here"] and listed[0]["revoke_reason"] == "audit found a problem"
    with pytest.raises(ResonanceError) as err:
        node_contracts.revoke(home, "404", "why")
    assert err.value.status == 404


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("7", "J1", -1, 1, 0.1, 0.0), "round_number"),
        (("7", "J1", 1, 1.5, 0.1, 0.0), "samples"),
        (("7", "J1", 1, 1, float("inf"), 0.0), "seconds"),
        (("7", "J1", 1, 1, 0.1, "0.1"), "epsilon"),
        (("7", "", 1, 1, 0.1, 0.0), "job_id"),
    ],
)
def test_bad_metering_is_refused(home, args, where):
    node_contracts.save(home, terms_for(home), "x")
    with pytest.raises(ResonanceError) as err:
        node_contracts.record_round(home, *args)
    assert err.value.where == where
    with pytest.raises(ResonanceError):
        node_contracts.record_round(home, "404", "J1", 1, 1, 0.1, 0.0)


def test_pinned_space_key_checks_signatures(home, tmp_path):
    public = keys.generate(tmp_path / "space.key")
    space = keys.load_private(tmp_path / "space.key")
    node_contracts.pin_space_key(home, public)
    terms = terms_for(home)
    good = keys.sign(space, chain.canonical(terms.to_dict()).encode())
    node_contracts.save(home, terms, good)
    with pytest.raises(ResonanceError) as err:
        node_contracts.save(home, replace(terms, max_rounds=500), good)
    assert err.value.code == "bad_signature"
    other = keys.generate(tmp_path / "other.key")
    with pytest.raises(ResonanceError) as err:
        node_contracts.pin_space_key(home, other)
    assert err.value.code == "space_key_changed"
    with pytest.raises(ResonanceError):
        node_contracts.pin_space_key(home, "not a key")


def _finalize(session, contract_id: int) -> None:
    for step, party in [
        ("offer", "provider"),
        ("accept", "consumer"),
        ("agree", "provider"),
        ("verify", "consumer"),
        ("finalize", "provider"),
    ]:
        contracts.transition(session, contract_id, step, party=party, actor="test")


def test_sync_and_revocation_with_a_real_space(sqlite_registry, tmp_path, monkeypatch):
    space_home = tmp_path / "space"
    monkeypatch.setenv("RESONANCE_HOME", str(space_home))  # this process signs with the space's own key
    get_settings.cache_clear()
    node_home = NodeHome(tmp_path / "node")
    try:
        with running_space(sqlite_registry.url, space_home) as base:
            config = node_home.create(org="prov-a", space_url=base)
            world.build(sqlite_registry, node_id=config.node_id)
            with transaction(sqlite_registry.sessions) as session:
                _, token = tokens.create_token(session, "p", "provider", org="prov-a")
            with SpaceClient(node_home, token=token) as client:
                client.enrol()
            with transaction(sqlite_registry.sessions) as session:
                nodes.decide(session, config.node_id, True, by="operator")
                kept = contracts.request(
                    session, dataset="ds-1@1", consumer="cons-a", purpose="sc-1", actor="t", max_rounds=4
                ).id
                ended = contracts.request(session, dataset="ds-1@1", consumer="cons-b", purpose="sc-1", actor="t").id
                revoked = contracts.request(session, dataset="ds-1@1", consumer="cons-a", purpose="sc-2", actor="t").id
                contracts.request(session, dataset="ds-1@1", consumer="cons-b", purpose="sc-2", actor="t")  # open
                for cid in (kept, ended, revoked):
                    _finalize(session, cid)

            first = node_contracts.sync(node_home)
            assert first["contracts"] == 3
            assert node_contracts.pinned_space_key(node_home) == (space_home / "keys" / "space.pub").read_text().strip()
            assert node_contracts.get(node_home, str(kept)).max_rounds == 4
            job = JobRequest("J1", "cons-b", "sc-1", "federatedTrain", rounds=2, epsilon=None, nodes=1)
            assert node_contracts.check_round(node_home, str(ended), job, 0).allowed

            with transaction(sqlite_registry.sessions) as session:
                contracts.terminate(session, ended, party="consumer", actor="t", reason="project stopped")
            second = node_contracts.sync(node_home)
            assert second["terminated_by_space"] == [str(ended)]
            assert node_contracts.check_round(node_home, str(ended), job, 1).code == "revoked"

            node_contracts.revoke(node_home, str(revoked), "data owner withdrew consent")
            assert node_contracts.revocation_reported(node_home, str(revoked))
            with sqlite_registry.session() as session:
                row = session.get(m.Contract, revoked)
                assert (row.state, row.reason) == ("TERMINATED", "data owner withdrew consent")
                event = session.scalars(
                    select(m.LedgerEvent).where(m.LedgerEvent.kind == "contract.revoked_at_node")
                ).one()
                assert event.node_id == config.node_id and event.node_signature
                kinds = {e.kind for e in chain.events(session)}
                assert {"node.enrolled", "node.approved", "contract.finalized", "contract.terminated"} <= kinds
                assert chain.verify(session).ok

            # another node cannot revoke a contract it does not compute
            other = NodeHome(tmp_path / "other")
            other.create(org="cons-a", space_url=base)
            with transaction(sqlite_registry.sessions) as session:
                _, token_b = tokens.create_token(session, "c", "developer", org="cons-a")
            with SpaceClient(other, token=token_b) as client:
                client.enrol()
            with transaction(sqlite_registry.sessions) as session:
                nodes.decide(session, other.load().node_id, True, by="operator")
            with SpaceClient(other) as client, pytest.raises(ResonanceError) as err:
                client.revoke_contract(str(kept), "not mine")
            assert err.value.status == 404
            with SpaceClient(node_home) as client, pytest.raises(ResonanceError) as err:
                client.revoke_contract(str(kept), "")
            assert err.value.status == 422
            assert node_contracts.sync(other)["contracts"] == 0
    finally:
        get_settings.cache_clear()
