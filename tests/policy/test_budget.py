"""ε per dataset across jobs, on SQLite and PostgreSQL."""

import pytest

import _governance as world
from resonance.errors import ResonanceError
from resonance.ledger import chain
from resonance.policy import budget, contracts, odrl
from resonance.registry.db import transaction


@pytest.fixture
def gov(registry):
    world.build(registry)
    with transaction(registry.sessions) as session:
        ceiling = odrl.build(target="ds-1@1", assigner="prov-a", purposes=["industry:steel"], epsilon_budget=3.0)
        contracts.set_dataset_policy(session, "ds-1@1", odrl.to_jsonld(ceiling), actor="prov-a")
        contract = contracts.request(
            session, dataset="ds-1@1", consumer="cons-a", purpose="sc-1", actor="t", epsilon_budget=2.0
        )
        registry.contract_id = contract.id
    return registry


def test_reservations_add_up_across_jobs_until_the_contract_budget(gov):
    cid = gov.contract_id
    with transaction(gov.sessions) as session:
        budget.reserve(session, dataset="ds-1@1", job="J1", epsilon=1.2, contract_id=cid)
        budget.reserve(session, dataset="ds-1@1", job="J2", epsilon=0.8, contract_id=cid)
        assert budget.spent(session, "ds-1@1") == pytest.approx(2.0)
        assert budget.spent(session, "ds-1@1", cid) == pytest.approx(2.0)
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        budget.reserve(session, dataset="ds-1@1", job="J3", epsilon=0.1, contract_id=cid)
    assert err.value.code == "epsilon_exhausted" and err.value.status == 409
    assert "contract" in err.value.what and "隐私预算" in err.value.what


def test_the_dataset_budget_binds_every_consumer_together(gov):
    with transaction(gov.sessions) as session:
        budget.reserve(session, dataset="ds-1@1", job="J1", epsilon=2.0, contract_id=gov.contract_id)
        budget.reserve(session, dataset="ds-1@1", job="J2", epsilon=1.0)  # another consumer's job
        summary = budget.summary(session, "ds-1@1")
    assert (summary["budget"], summary["spent"], summary["remaining"]) == (3.0, 3.0, 0.0)
    assert [j["job"] for j in summary["jobs"]] == ["J1", "J2"]
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        budget.reserve(session, dataset="ds-1@1", job="J3", epsilon=0.01)
    assert "dataset ds-1@1" in err.value.what and "at most 0" in err.value.fix


def test_release_gives_back_and_settle_records_the_real_spend(gov):
    with transaction(gov.sessions) as session:
        budget.reserve(session, dataset="ds-1@1", job="J1", epsilon=2.0, contract_id=gov.contract_id)
        budget.release(session, dataset="ds-1@1", job="J1")
        assert budget.spent(session, "ds-1@1") == 0.0
        budget.reserve(session, dataset="ds-1@1", job="J2", epsilon=1.5, contract_id=gov.contract_id)
        assert budget.settle(session, dataset="ds-1@1", job="J2", epsilon=1.25).status == "spent"
        assert budget.spent(session, "ds-1@1") == pytest.approx(1.25)
        with pytest.raises(ResonanceError):
            budget.release(session, dataset="ds-1@1", job="J2")  # spent privacy is not given back
        with pytest.raises(ResonanceError):
            budget.settle(session, dataset="ds-1@1", job="J2", epsilon=9.0)
        assert [e.kind for e in chain.events(session, kind="budget.")] == ["budget.reserved", "budget.reserved"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"job": "J1", "epsilon": 0}, "validation_error"),
        ({"job": "J1", "epsilon": -1.0}, "validation_error"),
        ({"job": "J1", "epsilon": float("inf")}, "validation_error"),
        ({"job": "J1", "epsilon": "1"}, "validation_error"),
        ({"job": "", "epsilon": 1.0}, "validation_error"),
        ({"job": "J1", "epsilon": 1.0, "dataset": "nope@1"}, "unknown_reference"),
        ({"job": "J1", "epsilon": 1.0, "contract_id": 9999}, "not_found"),
    ],
)
def test_bad_reservations(gov, args, code):
    with pytest.raises(ResonanceError) as err, transaction(gov.sessions) as session:
        budget.reserve(session, **{"dataset": "ds-1@1", **args})
    assert err.value.code == code


def test_duplicate_reservation_and_unknown_reservation(gov):
    with transaction(gov.sessions) as session:
        budget.reserve(session, dataset="ds-1@1", job="J1", epsilon=0.5)
        with pytest.raises(ResonanceError) as err:
            budget.reserve(session, dataset="ds-1@1", job="J1", epsilon=0.5)
        assert err.value.code == "conflict"
        with pytest.raises(ResonanceError) as err:
            budget.settle(session, dataset="ds-1@1", job="J404")
        assert err.value.status == 404
        with pytest.raises(ResonanceError, match="not about"):
            budget.reserve(session, dataset="ds-2@1", job="J9", epsilon=0.1, contract_id=gov.contract_id)
