import json
from datetime import UTC, datetime

import pytest

from resonance.errors import ResonanceError
from resonance.policy.terms import ContractTerms, Decision, JobRequest

TERMS = {
    "contract_id": "7",
    "dataset_code": "ds-1",
    "dataset_version": "1",
    "dataset_fingerprint": "sha256:ab",
    "provider_org": "prov-a",
    "consumer_org": "cons-a",
    "purpose": "sc-1",
    "operations": ["evaluate", "federatedTrain"],
    "compute_node": "node-aaaaaaaaaaaa",
    "max_rounds": 10,
    "epsilon_budget": 2.0,
    "min_nodes": 2,
    "expires_at": "2030-01-01T00:00:00+00:00",
    "prohibitions": ["rawExport"],
    "state": "FINALIZED",
}


def test_terms_round_trip_through_json():
    terms = ContractTerms.from_dict(TERMS)
    assert terms.expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert terms.operations == {"federatedTrain", "evaluate"}
    again = ContractTerms.from_dict(json.loads(json.dumps(terms.to_dict())))
    assert again == terms and again.to_dict() == TERMS


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"operations": ["download"]}, "terms.operations"),
        ({"operations": "federatedTrain"}, "terms.operations"),
        ({"max_rounds": 0}, "terms.max_rounds"),
        ({"max_rounds": "5"}, "terms.max_rounds"),
        ({"epsilon_budget": -1}, "terms.epsilon_budget"),
        ({"expires_at": "soon"}, "terms.expires_at"),
        ({"prohibitions": ["share"]}, "terms.prohibitions"),
        ({"contract_id": ""}, "terms.contract_id"),
        ({"colour": "red"}, "terms"),
    ],
)
def test_bad_terms_are_refused(change, where):
    with pytest.raises(ResonanceError) as err:
        ContractTerms.from_dict({**TERMS, **change})
    assert err.value.where == where


def test_job_request_and_decision_round_trip():
    job = JobRequest("J1", "cons-a", "sc-1", "federatedTrain", 5, 1.0, 3)
    assert JobRequest.from_dict(job.to_dict()) == job
    decision = Decision(False, "expired", "已到期", "expired")
    assert Decision.from_dict(decision.to_dict()) == decision
    for bad in ({**job.to_dict(), "operation": "download"}, {**job.to_dict(), "rounds": 0}, "J1"):
        with pytest.raises(ResonanceError):
            JobRequest.from_dict(bad)
