"""Nodes (接入连接器): enrolment with a token of the node's organisation, the operator's decision, and the
signed requests of approved nodes (heartbeat, publishing dataset metadata — never rows)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from resonance.api.auth import PrincipalDep
from resonance.api.deps import SessionDep
from resonance.errors import Forbidden, NotFound, ResonanceError
from resonance.ledger import chain
from resonance.ledger import keys as space_keys
from resonance.policy import contracts
from resonance.registry import models as m
from resonance.registry import nodes, services
from resonance.registry.concepts import CONCEPTS

router = APIRouter(prefix="/api/v1/nodes", tags=["nodes"])


class EnrolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org: str = Field(min_length=1, max_length=200, description="the node's organisation (code or 中文名)")
    public_key: str = Field(min_length=1, max_length=64, description="base64 Ed25519 public key")
    proof: str = Field(
        min_length=1, max_length=200, description="signature with the key of 'enrol:<node id>' (see flower_public_key)"
    )
    name: str = Field(default="", max_length=120)
    software_version: str = Field(default="", max_length=40)
    flower_public_key: str | None = Field(
        default=None,
        max_length=2000,
        description="the node's SuperNode public key (OpenSSH line, ECDSA on a NIST curve, keys/flower.pub); "
        "the proof then signs 'enrol:<node id>\\nflower:<this line>'. Approval authorises it at the SuperLink",
    )


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=2000)


class NodeRead(BaseModel):
    id: str
    org: str | None
    name: str
    status: str
    reason: str
    public_key: str
    flower_public_key: str | None
    decided_by: str
    decided_at: str | None
    requested_at: str | None
    last_seen_at: str | None


def _operator(principal: Any) -> None:
    if principal.role != "operator":
        raise Forbidden(f"a {principal.label} cannot manage nodes", fix="ask the space operator")


@router.post("/enrol", status_code=201, response_model=NodeRead, summary="A node asks to join the space")
def enrol(body: EnrolRequest, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    org = services.resolve(session, m.Organisation, body.org, where="org")
    if principal.role != "operator" and principal.org_id != org.id:
        raise Forbidden(
            f"a {principal.label} cannot enrol a node for {org.code}",
            fix="use a token bound to that organisation (`resonance token create --role provider --org …`)",
        )
    node = nodes.enrol(
        session,
        org.code,
        body.public_key,
        body.name,
        body.proof,
        body.software_version,
        flower_public_key=body.flower_public_key,
    )
    return nodes.as_dict(session, node)


@router.get("", response_model=list[NodeRead], summary="List nodes (operator)")
def list_nodes(principal: PrincipalDep, session: SessionDep, status: str | None = None) -> list[dict[str, Any]]:
    _operator(principal)
    return [nodes.as_dict(session, n) for n in nodes.list_nodes(session, status)]


@router.get("/{node_id}", response_model=NodeRead, summary="One node: operator, or its own organisation")
def get_node(node_id: str, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    node = nodes.get(session, node_id)
    if principal.role != "operator" and principal.org_id != node.org_id:
        raise NotFound("node", node_id)  # another organisation's node: do not reveal that it exists
    return nodes.as_dict(session, node)


@router.post(
    "/{node_id}/approve",
    response_model=NodeRead,
    summary="Approve a node (operator); its SuperNode key is authorised at the SuperLink",
)
def approve(node_id: str, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    _operator(principal)
    return nodes.as_dict(session, nodes.decide(session, node_id, True, by=principal.label))


@router.post(
    "/{node_id}/refuse",
    response_model=NodeRead,
    summary="Refuse a node, with a reason (operator); its SuperNode key is withdrawn",
)
def refuse(node_id: str, body: Decision, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    _operator(principal)
    return nodes.as_dict(session, nodes.decide(session, node_id, False, by=principal.label, reason=body.reason))


async def _signed_node(
    request: Request, session: Any, node_id: str, require_approved: bool = True
) -> tuple[m.Node, bytes]:
    body = await request.body()
    header_node = request.headers.get("x-resonance-node")
    if header_node is not None and header_node != node_id:
        raise Forbidden("the signed request names another node than the URL", fix="send it from that node")
    node = nodes.authenticate(
        session,
        header_node,
        request.method,
        request.url.path,
        body,
        request.headers.get("x-resonance-timestamp"),
        request.headers.get("x-resonance-signature"),
        require_approved,
    )
    return node, body


def _act(request: Request, node: m.Node, body: bytes) -> chain.NodeAct:
    """The node's signature of this request, for the ledger event of the act it carried."""
    return chain.NodeAct.from_request(
        node.id,
        request.method,
        request.url.path,
        request.headers.get("x-resonance-timestamp", ""),
        body,
        request.headers.get("x-resonance-signature", ""),
    )


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ResonanceError(
            what="the body is not UTF-8 JSON", fix="send the node's output unchanged", code="bad_request", status=400
        ) from None
    if not isinstance(data, dict):
        raise ResonanceError(what="the body must be a JSON object", code="validation_error", status=422)
    return data


@router.post("/{node_id}/heartbeat", summary="Signed: a node says it is alive and learns its status")
async def heartbeat(node_id: str, request: Request, session: SessionDep) -> dict[str, Any]:
    node, _ = await _signed_node(request, session, node_id, require_approved=False)
    return {"id": node.id, "status": node.status, "reason": node.reason}


@router.post("/{node_id}/datasets", status_code=201, summary="Signed: an approved node publishes dataset metadata")
async def publish(node_id: str, request: Request, session: SessionDep) -> dict[str, Any]:
    node, body = await _signed_node(request, session, node_id)
    row = nodes.publish_dataset(session, node, _json(body), act=_act(request, node, body))
    return services.read_one(session, CONCEPTS["datasets"], row)


@router.post("/{node_id}/contracts/sync", summary="Signed: the signed terms of the contracts this node computes")
async def sync_contracts(node_id: str, request: Request, session: SessionDep) -> dict[str, Any]:
    node, _ = await _signed_node(request, session, node_id)
    return {"space_public_key": space_keys.space_public_key(), "contracts": contracts.for_node(session, node.id)}


@router.post("/{node_id}/evaluations/next", summary="Signed: the next evaluation handed to this evaluator node")
async def next_evaluation(node_id: str, request: Request, session: SessionDep) -> dict[str, Any]:
    from resonance.evaluation import runs
    from resonance.settings import get_settings

    node, _ = await _signed_node(request, session, node_id)
    return {"evaluation": runs.next_for(session, node, get_settings().home)}


@router.post("/{node_id}/evaluations/{job_id}/result", status_code=201, summary="Signed: a node's signed result")
async def evaluation_result(node_id: str, job_id: str, request: Request, session: SessionDep) -> dict[str, Any]:
    from resonance.evaluation import runs

    node, body = await _signed_node(request, session, node_id)
    result = runs.submit_result(session, node, job_id, _json(body), act=_act(request, node, body))
    return runs.result_dict(session, result)


@router.post("/{node_id}/evaluations/{job_id}/failed", summary="Signed: the node could not run an evaluation")
async def evaluation_failed(node_id: str, job_id: str, request: Request, session: SessionDep) -> dict[str, Any]:
    from resonance.evaluation import runs

    node, body = await _signed_node(request, session, node_id)
    reason = _json(body).get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ResonanceError(what="a failure needs a reason", where="reason", code="validation_error", status=422)
    job = runs.report_failure(session, node, job_id, reason)
    return {"id": job.id, "status": job.status, "reason": job.spec.get("reason", "")}


@router.post("/{node_id}/contracts/{contract_id}/revoke", summary="Signed: the node revoked a contract it computes")
async def revoke_contract(node_id: str, contract_id: str, request: Request, session: SessionDep) -> dict[str, Any]:
    node, body = await _signed_node(request, session, node_id)
    data = _json(body)
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
        raise ResonanceError(
            what="a revocation needs a reason (1–2000 characters)",
            where="reason",
            fix="send {'reason': '…'}",
            code="validation_error",
            status=422,
        )
    contract = contracts.revoke_by_node(session, node, contract_id, reason, act=_act(request, node, body))
    return contracts.as_dict(session, contract)
