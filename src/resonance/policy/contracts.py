"""数字合约 service functions over the registry: request, negotiate, terminate (revoke), read, and find the
contract that covers a job. The API and the CLI are thin doors onto these.

A contract binds one consumer organisation to one dataset version (by its fingerprint, the version hash),
for one purpose (a scenario or model), with the operations, caps (rounds, ε), minimum nodes, expiry and output
restrictions of the ODRL policy the provider offered. The dataset's own policy (``set_dataset_policy``) is the
ceiling every request and offer must stay within. Every step is signed by the space key in the contract's
``signatures`` and appended to the ledger as ``contract.<state>``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.errors import Conflict, NotFound, Problem, ResonanceError
from resonance.ledger import chain
from resonance.ledger import keys as space_keys
from resonance.policy import negotiation, odrl
from resonance.policy.negotiation import Party
from resonance.policy.terms import ContractTerms
from resonance.registry import models as m
from resonance.registry.references import display_key, resolve

OPEN_STATES = ("REQUESTED", "OFFERED", "ACCEPTED", "AGREED", "VERIFIED", "FINALIZED")
OUTPUT_RESTRICTIONS = ("rawExport", "perRecordOutput")  # per-record outputs are never allowed (POLICY-NOTES §2)


def _now() -> datetime:
    return datetime.now(UTC)


def _invalid(what: str, where: str, fix: str, problems: list[Problem] | None = None) -> ResonanceError:
    return ResonanceError(what=what, where=where, fix=fix, code="validation_error", status=422, problems=problems or [])


# --- reading ------------------------------------------------------------------------------------------


def get(session: Session, contract_id: int | str) -> m.Contract:
    """The contract with this id; NotFound (404) for an unknown or malformed id."""
    text = str(contract_id).strip()
    row = session.get(m.Contract, int(text)) if text.isdigit() and len(text) < 12 else None
    if row is None:
        raise NotFound("contract", contract_id, fix="list contracts with `resonance contract list`")
    return row


def list_contracts(
    session: Session,
    *,
    dataset: str | None = None,
    consumer: str | None = None,
    provider: str | None = None,
    state: str | None = None,
) -> list[m.Contract]:
    stmt = select(m.Contract).order_by(m.Contract.id)
    if dataset:
        stmt = stmt.where(m.Contract.dataset_id == resolve(session, m.Dataset, dataset, where="dataset").id)
    if consumer:
        stmt = stmt.where(m.Contract.consumer_org_id == resolve(session, m.Organisation, consumer, "consumer").id)
    if provider:
        stmt = stmt.where(m.Contract.provider_org_id == resolve(session, m.Organisation, provider, "provider").id)
    if state:
        if state.upper() not in negotiation.STATES:
            raise _invalid(f"unknown state {state!r}", "state", f"use one of: {', '.join(negotiation.STATES)}")
        stmt = stmt.where(m.Contract.state == state.upper())
    return list(session.scalars(stmt))


def _org_code(session: Session, org_id: int) -> str:
    org = session.get(m.Organisation, org_id)
    return org.code if org else str(org_id)


def terms(session: Session, contract: m.Contract) -> ContractTerms:
    """The terms a provider's node keeps and enforces (see ``resonance.policy.terms``)."""
    dataset = session.get(m.Dataset, contract.dataset_id)
    return ContractTerms(
        contract_id=str(contract.id),
        dataset_code=dataset.code,
        dataset_version=dataset.version,
        dataset_fingerprint=contract.dataset_fingerprint or "",
        provider_org=_org_code(session, contract.provider_org_id),
        consumer_org=_org_code(session, contract.consumer_org_id),
        purpose=contract.purpose,
        operations=frozenset(contract.operations or ()),
        compute_node=contract.compute_node or "",
        max_rounds=contract.max_rounds,
        epsilon_budget=contract.epsilon_budget,
        min_nodes=contract.min_nodes or 1,
        expires_at=contract.expires_at,
        prohibitions=frozenset(p for p in (contract.output_restrictions or ()) if p == "rawExport"),
        state=contract.state,
    )


def terms_digest(contract_terms: ContractTerms) -> str:
    return hashlib.sha256(chain.canonical(contract_terms.to_dict()).encode("utf-8")).hexdigest()


def signed_terms(session: Session, contract: m.Contract) -> dict[str, Any]:
    """``{"terms", "signature"}``: the terms with the space key's signature over their canonical JSON."""
    current = terms(session, contract).to_dict()
    return {"terms": current, "signature": space_keys.sign(chain.canonical(current).encode("utf-8"))}


def as_dict(session: Session, contract: m.Contract) -> dict[str, Any]:
    """Every 数字合约 field (POLICY-NOTES §2), as the CLI's --json and the API show it."""
    dataset = session.get(m.Dataset, contract.dataset_id)
    return {
        "id": contract.id,
        "state": contract.state,
        "state_zh": negotiation.STATES_ZH.get(contract.state, contract.state),
        "dataset": display_key(dataset),
        "dataset_fingerprint": contract.dataset_fingerprint,
        "provider": _org_code(session, contract.provider_org_id),
        "consumer": _org_code(session, contract.consumer_org_id),
        "purpose": contract.purpose,
        "purpose_kind": contract.purpose_kind,
        "operations": list(contract.operations or []),
        "compute_node": contract.compute_node,
        "max_rounds": contract.max_rounds,
        "epsilon_budget": contract.epsilon_budget,
        "min_nodes": contract.min_nodes,
        "expires_at": contract.expires_at.isoformat() if contract.expires_at else None,
        "output_restrictions": list(contract.output_restrictions or []),
        "signatures": list(contract.signatures or []),
        "reason": contract.reason,
        "next_steps": negotiation.next_steps(contract.state),
        "policy": contract.policy,
        "created_at": contract.created_at.isoformat() if contract.created_at else None,
        "updated_at": contract.updated_at.isoformat() if contract.updated_at else None,
    }


# --- dataset policies ---------------------------------------------------------------------------------


def dataset_policy(session: Session, dataset: m.Dataset) -> odrl.Policy | None:
    row = session.get(m.DatasetPolicy, dataset.id)
    return odrl.parse(row.policy) if row is not None else None


def _check_target(policy: odrl.Policy, dataset: m.Dataset, where: str) -> None:
    if policy.target not in (display_key(dataset), dataset.code):
        raise _invalid(
            f"the policy's target {policy.target!r} is not dataset {display_key(dataset)}",
            f"{where}.target",
            f"set target to {display_key(dataset)!r}",
        )


def set_dataset_policy(session: Session, dataset: str, doc: Any, actor: str) -> odrl.Policy:
    """Attach (or replace) a dataset's usage policy (assigner = the dataset's owner); ledger: policy.changed."""
    row = resolve(session, m.Dataset, dataset, where="dataset")
    policy = odrl.parse(doc)
    _check_target(policy, row, "policy")
    owner = _org_code(session, row.owner_org_id)
    if policy.assigner != owner:
        raise _invalid(
            f"the policy's assigner {policy.assigner!r} does not own {display_key(row)}",
            "policy.assigner",
            f"set assigner to {owner!r}",
        )
    stored = session.get(m.DatasetPolicy, row.id)
    policy = policy.with_changes(kind="Set")
    jsonld = odrl.to_jsonld(policy)
    if stored is None:
        session.add(m.DatasetPolicy(dataset_id=row.id, policy=jsonld))
    else:
        stored.policy = jsonld
    session.flush()
    chain.append(
        session,
        kind="policy.changed",
        subject=f"dataset:{display_key(row)}",
        payload={"dataset": display_key(row), "policy": jsonld},
        actor=actor,
    )
    return policy


# --- purposes -----------------------------------------------------------------------------------------


def resolve_purpose(session: Session, purpose: str) -> tuple[str, str, str]:
    """``scenario:CODE``, ``model:CODE`` or a bare code (scenario first) → (kind, code, industry code)."""
    text = (purpose or "").strip()
    kind, sep, code = text.partition(":")
    if not sep:
        kind, code = "", text
    if not code or (kind and kind not in ("scenario", "model")):
        raise _invalid(
            f"purpose {purpose!r} names no scenario or model",
            "purpose",
            "give a scenario code (scenario:CODE) or a model code (model:CODE) the contract is for",
        )
    if kind in ("", "scenario"):
        scenario = session.scalars(select(m.Scenario).where(m.Scenario.code == code)).first()
        if scenario is not None:
            return "scenario", code, _industry(session, scenario.industry_id)
    if kind in ("", "model"):
        model = session.scalars(select(m.ModelVersion).where(m.ModelVersion.code == code)).first()
        if model is not None:
            return "model", code, _industry(session, model.industry_id)
    raise _invalid(
        f"purpose {purpose!r}: no scenario or model with code {code!r}",
        "purpose",
        "list scenarios with `resonance scenario list` or models with `resonance model list`",
    )


def _industry(session: Session, industry_id: int) -> str:
    return session.get(m.Industry, industry_id).code


# --- requesting and negotiating -----------------------------------------------------------------------


def _within(ceiling: odrl.Policy | None, policy: odrl.Policy, purpose: tuple[str, str, str], consumer: str) -> None:
    """Refuse a requested or offered policy that does not allow the contract or exceeds the dataset's policy."""
    wanted = policy.constraints()
    problems: list[Problem] = []
    kind, code, industry = purpose
    if not odrl.purpose_allowed(wanted.purposes, kind, code, industry):
        problems.append(Problem(what=f"the policy does not allow purpose {kind}:{code}", where="policy.purpose"))
    if wanted.consumers and consumer not in wanted.consumers:
        problems.append(Problem(what=f"the policy does not allow consumer {consumer}", where="policy.recipient"))
    if ceiling is not None:
        limit = ceiling.constraints()
        extra = policy.operations - ceiling.operations
        if extra:
            problems.append(Problem(what=f"the dataset's policy does not permit {sorted(extra)}", where="operations"))
        if not odrl.purpose_allowed(limit.purposes, kind, code, industry):
            allowed = ", ".join(limit.purposes)
            problems.append(Problem(what=f"the dataset's policy allows purposes {allowed} only", where="purpose"))
        if limit.consumers and consumer not in limit.consumers:
            shown = ", ".join(limit.consumers)
            problems.append(Problem(what=f"the dataset's policy allows consumers {shown} only", where="consumer"))
        for name, label in (("max_rounds", "rounds"), ("epsilon_budget", "ε budget"), ("expires_at", "expiry")):
            cap, asked = getattr(limit, name), getattr(wanted, name)
            if cap is not None and (asked is None or asked > cap):
                problems.append(Problem(what=f"{label} {asked} exceeds the dataset's cap {cap}", where=name))
        if wanted.min_nodes < limit.min_nodes:
            problems.append(
                Problem(
                    what=f"min nodes {wanted.min_nodes} is below the dataset's {limit.min_nodes}", where="min_nodes"
                )
            )
    if problems:
        raise ResonanceError(
            what=f"the contract's policy is not allowed: {problems[0].what}",
            where=problems[0].where,
            fix="stay within the dataset's usage policy (`resonance contract policy show DATASET`)",
            code="policy_violation",
            status=422,
            problems=problems,
        )


def _apply_policy(contract: m.Contract, policy: odrl.Policy) -> None:
    constraints = policy.constraints()
    contract.policy = odrl.to_jsonld(policy)
    contract.operations = sorted(policy.operations)
    contract.max_rounds = constraints.max_rounds
    contract.epsilon_budget = constraints.epsilon_budget
    contract.min_nodes = constraints.min_nodes
    contract.expires_at = constraints.expires_at
    contract.output_restrictions = sorted(set(policy.prohibitions) | set(OUTPUT_RESTRICTIONS))


def _sign_step(session: Session, contract: m.Contract, step: str, party: str, actor: str, reason: str = "") -> None:
    digest = terms_digest(terms(session, contract))
    at = _now().isoformat()
    message = f"contract:{contract.id}:{step}:{contract.state}:{digest}:{at}".encode()
    record = {
        "step": step,
        "state": contract.state,
        "party": party,
        "by": actor,
        "at": at,
        "terms_sha256": digest,
        "signature": space_keys.sign(message),
    }
    contract.signatures = [*(contract.signatures or []), record]
    session.flush()
    payload = {
        "contract": contract.id,
        "dataset": display_key(session.get(m.Dataset, contract.dataset_id)),
        "provider": _org_code(session, contract.provider_org_id),
        "consumer": _org_code(session, contract.consumer_org_id),
        "purpose": contract.purpose,
        "state": contract.state,
        "step": step,
        "party": party,
        "terms_sha256": digest,
    }
    if reason:
        payload["reason"] = reason
    chain.append(
        session,
        kind=f"contract.{contract.state.lower()}",
        subject=f"contract:{contract.id}",
        payload=payload,
        actor=actor,
    )


def request(
    session: Session,
    *,
    dataset: str,
    consumer: str,
    purpose: str,
    actor: str,
    operations: list[str] | tuple[str, ...] = ("federatedTrain",),
    max_rounds: int | None = None,
    epsilon_budget: float | None = None,
    min_nodes: int = 1,
    expires_at: datetime | str | None = None,
    policy: Any = None,
) -> m.Contract:
    """The consumer asks for a contract (state REQUESTED), with terms given as values or as an ODRL document.

    Refused: unknown dataset / consumer / purpose (404/422), terms outside the dataset's policy (422), an open
    contract for the same dataset, consumer and purpose (409), an expiry already past (422).
    """
    row = resolve(session, m.Dataset, dataset, where="dataset")
    org = resolve(session, m.Organisation, consumer, where="consumer")
    purpose_ref = resolve_purpose(session, purpose)
    provider = _org_code(session, row.owner_org_id)
    if policy is not None:
        wanted = odrl.parse(policy)
        _check_target(wanted, row, "policy")
    else:
        wanted = odrl.build(
            target=display_key(row),
            assigner=provider,
            assignee=org.code,
            operations=list(operations),
            purposes=[f"{purpose_ref[0]}:{purpose_ref[1]}"],
            consumers=[org.code],
            expires_at=expires_at,
            max_rounds=max_rounds,
            epsilon_budget=epsilon_budget,
            min_nodes=min_nodes,
        )
    expiry = wanted.constraints().expires_at
    if expiry is not None and expiry <= _now():
        raise _invalid(f"the expiry {expiry.isoformat()} is already past", "expires_at", "give a future date-time")
    _within(dataset_policy(session, row), wanted, purpose_ref, org.code)
    duplicate = session.scalars(
        select(m.Contract.id).where(
            m.Contract.dataset_id == row.id,
            m.Contract.consumer_org_id == org.id,
            m.Contract.purpose == purpose_ref[1],
            m.Contract.state.in_(OPEN_STATES),
        )
    ).first()
    if duplicate is not None:
        raise Conflict(
            what=f"contract {duplicate} already covers {display_key(row)} for {org.code} and purpose {purpose_ref[1]}",
            fix=f"continue that negotiation (`resonance contract show {duplicate}`) or terminate it first",
        )
    contract = m.Contract(
        dataset_id=row.id,
        provider_org_id=row.owner_org_id,
        consumer_org_id=org.id,
        purpose=purpose_ref[1],
        purpose_kind=purpose_ref[0],
        dataset_fingerprint=row.fingerprint or "",
        compute_node=row.node_id or "",
        state=negotiation.transition(None, "request", "consumer"),
        reason="",
        signatures=[],
    )
    _apply_policy(contract, wanted.with_changes(assignee=org.code))
    session.add(contract)
    session.flush()
    _sign_step(session, contract, "request", "consumer", actor)
    return contract


def transition(
    session: Session,
    contract_id: int | str,
    step: str,
    *,
    party: Party,
    actor: str,
    policy: Any = None,
    reason: str = "",
) -> m.Contract:
    """Take one negotiation step as ``party``; a disallowed step is refused naming the state and the next steps.

    ``policy`` (ODRL JSON-LD) only with ``offer``: the provider's offered terms replace the requested ones.
    ``reason`` is required with ``terminate``. Steps other than terminate are refused on an expired contract,
    and ``finalize`` needs the dataset to be unchanged (same fingerprint) and served by a node.
    """
    contract = get(session, contract_id)
    new_state = negotiation.transition(contract.state, step, party)
    dataset = session.get(m.Dataset, contract.dataset_id)
    if policy is not None and step != "offer":
        raise _invalid(f"a policy can only be given with offer, not with {step}", "policy", "leave --policy out")
    if step == negotiation.TERMINATE:
        if not reason.strip():
            raise _invalid("terminating a contract needs a reason", "reason", "add --reason '…' (both parties see it)")
        contract.reason = reason.strip()[:2000]
    else:
        if contract.expires_at is not None and contract.expires_at <= _now():
            raise ResonanceError(
                what=f"contract {contract.id} expired at {contract.expires_at.isoformat()}",
                fix="terminate it and request a new one with a later expiry",
                code="expired",
                status=409,
            )
        if step == "offer" and policy is not None:
            offered = odrl.parse(policy)
            _check_target(offered, dataset, "policy")
            consumer = _org_code(session, contract.consumer_org_id)
            purpose_ref = resolve_purpose(session, f"{contract.purpose_kind}:{contract.purpose}")
            _within(dataset_policy(session, dataset), offered, purpose_ref, consumer)
            _apply_policy(contract, offered.with_changes(assignee=consumer, kind="Offer"))
        if step == "offer" and policy is None and not contract.operations:
            raise _invalid(
                f"contract {contract.id} permits no operation yet, so there is nothing to offer",
                "policy",
                "offer with an ODRL policy (--policy FILE) that permits federatedTrain and/or evaluate",
            )
        if step == "finalize":
            _check_finalizable(contract, dataset)
    contract.state = new_state
    if step == "agree":
        contract.policy = {**(contract.policy or {}), "@type": "Agreement"}
    session.flush()
    _sign_step(session, contract, step, party, actor, reason=contract.reason if step == "terminate" else "")
    return contract


def _check_finalizable(contract: m.Contract, dataset: m.Dataset) -> None:
    if not contract.dataset_fingerprint:  # requested through the generic registry route: bind the version now
        contract.dataset_fingerprint = dataset.fingerprint or ""
    if (dataset.fingerprint or "") != (contract.dataset_fingerprint or ""):
        raise Conflict(
            what=f"dataset {display_key(dataset)} changed since the contract was requested (its version hash differs)",
            fix="terminate this contract and request a new one for the current version",
        )
    if not dataset.node_id:
        raise Conflict(
            what=f"dataset {display_key(dataset)} is not served by any node, so no node could enforce the contract",
            fix="publish the dataset from the provider's node (`resonance data publish`) first",
        )
    contract.compute_node = dataset.node_id


def terminate(session: Session, contract_id: int | str, *, party: Party, actor: str, reason: str) -> m.Contract:
    """Terminate a contract from any non-final state; for a FINALIZED one this is its revocation."""
    return transition(session, contract_id, negotiation.TERMINATE, party=party, actor=actor, reason=reason)


# --- covering a job -----------------------------------------------------------------------------------


def covering(
    session: Session, dataset: str, consumer: str, purpose: str, operation: str, now: datetime | None = None
) -> m.Contract:
    """The FINALIZED, unexpired contract that lets ``consumer`` use ``dataset`` for ``purpose`` and ``operation``.

    ``purpose`` is a scenario or model code (optionally ``scenario:``/``model:``-prefixed). Raises a
    ResonanceError (code ``no_contract``, 403) saying why each of the consumer's contracts on the dataset
    does not cover the job, and what to do.
    """
    row = resolve(session, m.Dataset, dataset, where="dataset")
    org = resolve(session, m.Organisation, consumer, where="consumer")
    kind, _, code = purpose.partition(":") if ":" in purpose else ("", "", purpose)
    now = now or _now()
    candidates = list(
        session.scalars(
            select(m.Contract)
            .where(m.Contract.dataset_id == row.id, m.Contract.consumer_org_id == org.id)
            .order_by(m.Contract.id.desc())
        )
    )
    reasons: list[Problem] = []
    for contract in candidates:
        where = f"contract {contract.id}"
        if contract.purpose != code or (kind and contract.purpose_kind != kind):
            reasons.append(Problem(what=f"covers purpose {contract.purpose}, not {code}", where=where))
        elif contract.state != "FINALIZED":
            reasons.append(Problem(what=f"is {contract.state}, not FINALIZED", where=where))
        elif contract.expires_at is not None and contract.expires_at <= now:
            reasons.append(Problem(what=f"expired at {contract.expires_at.isoformat()}", where=where))
        elif operation not in (contract.operations or []):
            reasons.append(Problem(what=f"does not permit {operation}", where=where))
        else:
            return contract
    raise ResonanceError(
        what=f"no FINALIZED contract lets {org.code} use {display_key(row)} for {operation} with purpose {purpose}"
        + (f" ({len(reasons)} contract(s) checked)" if reasons else ""),
        where="dataset",
        fix=f"request one with `resonance contract request {display_key(row)} --consumer {org.code} "
        f"--purpose {purpose}` and complete the negotiation",
        code="no_contract",
        status=403,
        problems=reasons,
    )


# --- the provider's node ------------------------------------------------------------------------------


def for_node(session: Session, node_id: str) -> list[dict[str, Any]]:
    """Signed terms of every contract computed on ``node_id`` that was finalized (incl. those since terminated)."""
    rows = session.scalars(
        select(m.Contract)
        .where(m.Contract.compute_node == node_id, m.Contract.state.in_(("FINALIZED", "TERMINATED")))
        .order_by(m.Contract.id)
    )
    return [
        signed_terms(session, row)
        for row in rows
        if row.state == "FINALIZED" or any(s.get("step") == "finalize" for s in row.signatures or [])
    ]


def revoke_by_node(
    session: Session, node: m.Node, contract_id: str, reason: str, act: chain.NodeAct | None = None
) -> m.Contract:
    """A provider's node revoked a contract it computes: terminate it at the space (idempotent), with the node's act.

    Refused (404) for a contract the node does not compute, so a node cannot learn of others' contracts.
    """
    try:
        contract = get(session, contract_id)
    except NotFound:
        contract = None
    if contract is None or contract.compute_node != node.id:
        raise NotFound("contract", contract_id, fix="this node can only revoke contracts it computes")
    if contract.state == "TERMINATED":
        return contract
    contract = transition(session, contract.id, negotiation.TERMINATE, party="provider", actor=node.id, reason=reason)
    chain.append(
        session,
        kind="contract.revoked_at_node",
        subject=f"contract:{contract.id}",
        payload={"contract": contract.id, "node": node.id, "reason": contract.reason},
        actor=node.id,
        node=act,
    )
    return contract
