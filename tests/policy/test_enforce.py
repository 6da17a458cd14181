from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from resonance.policy.enforce import decide
from resonance.policy.terms import ContractTerms, JobRequest

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
TERMS = ContractTerms(
    contract_id="7",
    dataset_code="ds-1",
    dataset_version="1",
    dataset_fingerprint="sha256:ab",
    provider_org="prov-a",
    consumer_org="cons-a",
    purpose="sc-1",
    operations=frozenset({"federatedTrain"}),
    compute_node="node-aaaaaaaaaaaa",
    max_rounds=10,
    epsilon_budget=3.0,
    min_nodes=3,
    expires_at=NOW + timedelta(days=30),
    prohibitions=frozenset({"rawExport"}),
    state="FINALIZED",
)
JOB = JobRequest(
    job_id="J1", consumer_org="cons-a", purpose="sc-1", operation="federatedTrain", rounds=5, epsilon=1.0, nodes=3
)


def check(terms=TERMS, job=JOB, round_number=0, rounds_used=0, epsilon_spent=0.0, now=NOW):
    return decide(terms, job, round_number=round_number, rounds_used=rounds_used, epsilon_spent=epsilon_spent, now=now)


def test_a_finalized_contract_allows_a_matching_job():
    decision = check()
    assert (decision.allowed, decision.code) == (True, "ok")
    assert check(round_number=3, rounds_used=2, epsilon_spent=0.4).allowed


@pytest.mark.parametrize(
    ("terms", "job", "code"),
    [
        (replace(TERMS, state="TERMINATED"), JOB, "revoked"),
        (replace(TERMS, state="AGREED"), JOB, "not_finalized"),
        (replace(TERMS, expires_at=NOW), JOB, "expired"),
        (replace(TERMS, expires_at=NOW - timedelta(seconds=1)), JOB, "expired"),
        (TERMS, replace(JOB, consumer_org="cons-b"), "wrong_consumer"),
        (TERMS, replace(JOB, purpose="sc-2"), "wrong_purpose"),
        (TERMS, replace(JOB, operation="evaluate"), "operation_not_allowed"),
        (TERMS, replace(JOB, nodes=2), "too_few_nodes"),
        (TERMS, replace(JOB, rounds=11), "rounds_exhausted"),
        (TERMS, replace(JOB, epsilon=None), "dp_required"),
        (TERMS, replace(JOB, epsilon=3.5), "epsilon_exhausted"),
    ],
)
def test_each_constraint_refuses_at_job_start(terms, job, code):
    decision = check(terms, job)
    assert (decision.allowed, decision.code) == (False, code)
    assert decision.reason_en and decision.reason_zh and decision.reason_zh != decision.reason_en


def test_rounds_cap_counts_rounds_used_across_jobs():
    assert check(rounds_used=5).allowed  # 5 used + 5 planned = the cap
    assert check(rounds_used=6).code == "rounds_exhausted"
    assert check(round_number=4, rounds_used=9).allowed  # the 10th round
    assert check(round_number=5, rounds_used=10).code == "rounds_exhausted"


def test_epsilon_budget_counts_what_was_spent():
    assert check(epsilon_spent=2.0).allowed  # 2 + 1 = 3 = the budget
    assert check(epsilon_spent=2.5).code == "epsilon_exhausted"
    # before a round: the job's per-round share (1.0 / 5 rounds = 0.2) must still fit
    assert check(round_number=2, epsilon_spent=2.8).allowed
    assert check(round_number=2, epsilon_spent=2.81).code == "epsilon_exhausted"


def test_expiry_is_checked_before_every_round():
    later = TERMS.expires_at + timedelta(minutes=1)
    assert check(round_number=3, rounds_used=2, now=later).code == "expired"
    naive = (TERMS.expires_at - timedelta(minutes=1)).replace(tzinfo=None)
    assert check(now=naive).allowed  # a naive now is UTC


def test_uncapped_contract_and_evaluation_without_dp():
    open_terms = replace(TERMS, max_rounds=None, epsilon_budget=None, min_nodes=1, expires_at=None)
    assert check(open_terms, replace(JOB, rounds=1000, epsilon=None, nodes=1), rounds_used=10_000).allowed
    evaluate = replace(TERMS, operations=frozenset({"evaluate"}))
    assert check(evaluate, replace(JOB, operation="evaluate", epsilon=None)).allowed
