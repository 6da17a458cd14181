"""数字合约 negotiation over HTTP (Dataspace Protocol states), dataset usage policies, ε budget, metering and the
存证 ledger. Listing and reading contracts stay with the generic ``/api/v1/contracts`` routes.

Who may take a step (``resonance.permissions.contract_party``): the consumer's steps (request, accept,
verify) need a developer or evaluator token of the consumer organisation; the provider's steps (offer, agree,
finalize) a provider token of the dataset's owner; terminate either party or the operator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from resonance import permissions
from resonance.api._inputs import _walk, raise_problems
from resonance.api.auth import PrincipalDep
from resonance.api.deps import SessionDep
from resonance.api.errors import ERROR_RESPONSES
from resonance.errors import NotFound, Problem
from resonance.ledger import chain
from resonance.policy import budget, contracts, metering, odrl
from resonance.registry import models as m
from resonance.registry.references import resolve

router = APIRouter(prefix="/api/v1", tags=["contracts"], responses=ERROR_RESPONSES)

Text = Annotated[str, Field(min_length=1, max_length=200)]
ContractId = Annotated[str, Path(min_length=1, max_length=20, description="the contract's numeric id")]
DatasetKey = Annotated[str, Path(min_length=1, max_length=200, description="the dataset, CODE@VERSION")]
Policy = Annotated[dict[str, Any], Field(description="an ODRL policy, JSON-LD (docs/contracts.md)")]


class ContractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: Text = Field(description="the dataset, CODE@VERSION")
    consumer: Text | None = Field(default=None, description="the consumer organisation; default: the token's")
    purpose: Text = Field(description="scenario:CODE or model:CODE")
    operations: list[Literal["federatedTrain", "evaluate"]] = Field(
        default=["federatedTrain"], min_length=1, max_length=2
    )
    max_rounds: int | None = Field(default=None, ge=1, le=1_000_000)
    epsilon_budget: float | None = Field(default=None, gt=0, le=1_000_000, allow_inf_nan=False)
    min_nodes: int = Field(default=1, ge=1, le=10_000)
    expires_at: datetime | None = None
    policy: Policy | None = Field(default=None, description="instead of the fields above: the requested policy")


class OfferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy: Policy | None = Field(default=None, description="the provider's own terms; default: those requested")


class TerminateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000, description="why (both parties read it)")


class ContractView(BaseModel):
    """Every field of a 数字合约 (POLICY-NOTES §2) and the steps allowed next."""

    id: int
    state: str
    state_zh: str
    dataset: str
    dataset_fingerprint: str
    provider: str
    consumer: str
    purpose: str
    purpose_kind: str
    operations: list[str]
    compute_node: str
    max_rounds: int | None
    epsilon_budget: float | None
    min_nodes: int
    expires_at: str | None
    output_restrictions: list[str]
    signatures: list[dict[str, Any]]
    reason: str
    next_steps: list[str]
    policy: dict[str, Any]
    created_at: str | None
    updated_at: str | None


class SignedTerms(BaseModel):
    terms: dict[str, Any]
    signature: str = Field(description="Ed25519 by the space key over the canonical JSON of terms")


class LedgerEventView(BaseModel):
    seq: int
    at: str
    kind: str
    subject: str
    actor: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    signature: str
    node_id: str | None
    node_signature: str | None


class VerifyView(BaseModel):
    ok: bool
    count: int
    head_seq: int
    problems: list[dict[str, Any]]


class BudgetView(BaseModel):
    dataset: str
    budget: float | None
    spent: float
    remaining: float | None
    jobs: list[dict[str, Any]]


class MeteringView(BaseModel):
    job: str
    dataset: str
    provider: str | None
    node: str
    contract: int | None
    rounds: int
    samples: int
    compute_seconds: float
    epsilon: float


def _clean(values: dict[str, Any], where: str = "body") -> None:
    problems: list[Problem] = []
    _walk(values, where, problems)
    raise_problems(problems)


def _visible(session: Any, principal: Any, contract_id: str) -> m.Contract:
    _clean({"id": contract_id}, "path")
    contract = contracts.get(session, contract_id)
    if not permissions.can_read_row(principal, permissions.CONCEPTS["contracts"], contract):
        raise NotFound("contract", contract_id)  # another organisation's contract: do not reveal it exists
    return contract


@router.post("/contracts/request", status_code=201, response_model=ContractView, summary="Request a contract")
def request_contract(body: ContractRequest, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """The consumer asks for a contract on a dataset (state REQUESTED). 使用方发起合约请求。"""
    data = body.model_dump()
    _clean(data)
    consumer = body.consumer or principal.org_code
    if consumer is None:
        permissions.contract_party(principal, None, "request")
    org = resolve(session, m.Organisation, consumer, where="consumer")
    permissions.contract_party(principal, None, "request", consumer_org_id=org.id)
    row = contracts.request(
        session,
        dataset=body.dataset,
        consumer=org.code,
        purpose=body.purpose,
        actor=principal.label,
        operations=body.operations,
        max_rounds=body.max_rounds,
        epsilon_budget=body.epsilon_budget,
        min_nodes=body.min_nodes,
        expires_at=body.expires_at,
        policy=body.policy,
    )
    return contracts.as_dict(session, row)


def _take(step: str, contract_id: str, principal: Any, session: Any, **extra: Any) -> dict[str, Any]:
    contract = _visible(session, principal, contract_id)
    party = permissions.contract_party(principal, contract, step)
    row = contracts.transition(session, contract.id, step, party=party, actor=principal.label, **extra)
    return contracts.as_dict(session, row)


@router.post("/contracts/{contract_id}/offer", response_model=ContractView, summary="Provider offers terms")
def offer(
    contract_id: ContractId,
    principal: PrincipalDep,
    session: SessionDep,
    body: Annotated[OfferBody | None, Body()] = None,
) -> dict[str, Any]:
    policy = body.policy if body else None
    if policy is not None:
        _clean(policy, "body.policy")
    return _take("offer", contract_id, principal, session, policy=policy)


@router.post("/contracts/{contract_id}/accept", response_model=ContractView, summary="Consumer accepts the offer")
def accept(contract_id: ContractId, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return _take("accept", contract_id, principal, session)


@router.post("/contracts/{contract_id}/agree", response_model=ContractView, summary="Provider agrees")
def agree(contract_id: ContractId, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return _take("agree", contract_id, principal, session)


@router.post("/contracts/{contract_id}/verify", response_model=ContractView, summary="Consumer verifies")
def verify(contract_id: ContractId, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return _take("verify", contract_id, principal, session)


@router.post("/contracts/{contract_id}/finalize", response_model=ContractView, summary="Provider finalizes")
def finalize(contract_id: ContractId, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return _take("finalize", contract_id, principal, session)


@router.post("/contracts/{contract_id}/terminate", response_model=ContractView, summary="Terminate (revoke)")
def terminate(
    contract_id: ContractId, body: TerminateBody, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    _clean(body.model_dump())
    return _take("terminate", contract_id, principal, session, reason=body.reason)


@router.get("/contracts/{contract_id}/terms", response_model=SignedTerms, summary="The signed terms a node enforces")
def signed_terms(contract_id: ContractId, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return contracts.signed_terms(session, _visible(session, principal, contract_id))


@router.get("/policies/{dataset}", response_model=dict[str, Any] | None, summary="A dataset's usage policy")
def get_policy(dataset: DatasetKey, principal: PrincipalDep, session: SessionDep) -> dict[str, Any] | None:
    """The ODRL policy a provider attached to a dataset (null when none). 数据集使用策略。"""
    _clean({"dataset": dataset}, "path")
    row = resolve(session, m.Dataset, dataset, where="dataset")
    policy = contracts.dataset_policy(session, row)
    return odrl.to_jsonld(policy) if policy else None


@router.put("/policies/{dataset}", response_model=dict[str, Any], summary="Attach a usage policy to a dataset")
def put_policy(
    dataset: DatasetKey, body: Annotated[Policy, Body()], principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    """Provider of the owner organisation (or the operator); the ceiling of every contract on the dataset."""
    _clean({"dataset": dataset}, "path")
    _clean(body)
    row = resolve(session, m.Dataset, dataset, where="dataset")
    permissions.require_provider_of(principal, row.owner_org_id, f"set the policy of {dataset}")
    return odrl.to_jsonld(contracts.set_dataset_policy(session, dataset, body, actor=principal.label))


@router.get("/budgets/{dataset}", response_model=BudgetView, summary="A dataset's ε budget and spending")
def get_budget(dataset: DatasetKey, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    _clean({"dataset": dataset}, "path")
    row = resolve(session, m.Dataset, dataset, where="dataset")
    permissions.require_provider_of(principal, row.owner_org_id, f"read the ε spending of {dataset}")
    return budget.summary(session, dataset)


@router.get("/metering", response_model=list[MeteringView], summary="计量 per job × provider")
def get_metering(
    principal: PrincipalDep,
    session: SessionDep,
    job: Annotated[str | None, Query(max_length=80)] = None,
    provider: Annotated[str | None, Query(max_length=200)] = None,
) -> list[dict[str, Any]]:
    """Operator: every row; a provider: its own datasets' rows only."""
    _clean({"job": job, "provider": provider}, "query")
    if principal.role != "operator":
        permissions.require_provider_of(principal, principal.org_id, "read metering")
        provider = principal.org_code
    return metering.read(session, job=job, provider=provider)


@router.get("/ledger", response_model=list[LedgerEventView], tags=["ledger"], summary="存证 ledger events")
def ledger_events(
    principal: PrincipalDep,
    session: SessionDep,
    kind: Annotated[str | None, Query(max_length=60)] = None,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    after: Annotated[int, Query(ge=0, le=2_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Operator and authority (监管方) tokens read the ledger."""
    _clean({"kind": kind, "subject": subject}, "query")
    permissions.require_ledger_reader(principal)
    return [chain.as_dict(e) for e in chain.events(session, kind=kind, subject=subject, after=after, limit=limit)]


@router.get("/ledger/verify", response_model=VerifyView, tags=["ledger"], summary="Verify the 存证 ledger")
def ledger_verify(principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """Recompute every hash and check every signature; ``problems`` name each bad seq."""
    permissions.require_ledger_reader(principal)
    return chain.verify(session).as_dict()
