"""The provider node's own contract store and usage counters (使用控制 at the 接入连接器).

The node keeps the terms of every FINALIZED contract on its datasets (synced from the space, each with the
space key's signature), its own local revocations, and what each job used per round. ``check_round`` is the
enforcement point the Flower mod calls at job start and before every round: it decides with the node's own
counters, so neither the space nor the consumer can make the node exceed a contract.

Tables live in the node's catalog SQLite (``catalog.sqlite`` in the node home), next to the local datasets.
The space's public key is pinned in ``keys/space.pub`` on the first sync; terms signed by another key are
refused from then on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text, UniqueConstraint, create_engine, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from resonance.errors import NotFound, ResonanceError
from resonance.node import keys
from resonance.node.catalog_schema import ensure_schema
from resonance.node.home import NodeHome
from resonance.policy.enforce import decide
from resonance.policy.terms import ContractTerms, Decision, JobRequest

SPACE_KEY_FILE = "keys/space.pub"


class _Base(DeclarativeBase):
    pass


class LocalContract(_Base):
    """A contract's terms as the node enforces them; a local revocation wins over anything the space says."""

    __tablename__ = "local_contracts"

    contract_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(20))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    revoke_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))


class LocalUsage(_Base):
    """One round of one job under one contract, as the node measured it (node-side metering)."""

    __tablename__ = "local_contract_usage"
    __table_args__ = (UniqueConstraint("contract_id", "job_id", "round_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(40), index=True)
    job_id: Mapped[str] = mapped_column(String(80))
    round_number: Mapped[int] = mapped_column(Integer)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    epsilon: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))


_factories: dict[str, sessionmaker[Session]] = {}


def _session(home: NodeHome) -> Session:
    url = home.catalog_url
    factory = _factories.get(url)
    if factory is None:
        home.path.mkdir(parents=True, exist_ok=True)
        ensure_schema(url)
        engine = create_engine(url, connect_args={"timeout": 30})
        factory = _factories[url] = sessionmaker(engine, expire_on_commit=False)
    return factory()


def _row(session: Session, contract_id: str) -> LocalContract:
    row = session.get(LocalContract, str(contract_id).strip())
    if row is None:
        raise NotFound("contract", contract_id, fix="sync this node's contracts with `resonance node contracts sync`")
    return row


# --- the space key ------------------------------------------------------------------------------------


def pinned_space_key(home: NodeHome) -> str | None:
    path = home.path / SPACE_KEY_FILE
    return path.read_text(encoding="ascii").strip() if path.is_file() else None


def pin_space_key(home: NodeHome, public_key: str) -> None:
    """Remember the space's key on first contact; a different key later is refused (it is not our space)."""
    keys.parse_public(public_key, where="space_public_key")
    current = pinned_space_key(home)
    if current is None:
        path = home.path / SPACE_KEY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(public_key.strip() + "\n", encoding="ascii")
    elif current != public_key.strip():
        raise ResonanceError(
            what="the space presents another signing key than the one this node pinned",
            where=str(home.path / SPACE_KEY_FILE),
            fix="if the space really changed its key, delete that file and sync again; otherwise do not trust it",
            code="space_key_changed",
            status=409,
        )


def _canonical(terms: ContractTerms) -> bytes:
    from resonance.ledger.chain import canonical

    return canonical(terms.to_dict()).encode("utf-8")


# --- the interface the federation uses ----------------------------------------------------------------


def save(home: NodeHome, terms: ContractTerms, signature: str) -> None:
    """Keep (or update) a contract's terms; refused when not for this node or not signed by the pinned space key.

    A contract this node revoked stays revoked whatever the new terms say. Before the first sync has pinned
    the space key (``keys/space.pub``) there is nothing to check the signature against, and it is kept as given.
    """
    node_id = home.load().node_id
    if terms.compute_node and terms.compute_node != node_id:
        raise ResonanceError(
            what=f"contract {terms.contract_id} is computed on node {terms.compute_node}, not on this node {node_id}",
            fix="sync contracts on the node that serves the dataset",
            code="wrong_node",
            status=409,
        )
    public = pinned_space_key(home)
    if public is not None and not keys.verify(public, _canonical(terms), signature):
        raise ResonanceError(
            what=f"the terms of contract {terms.contract_id} are not signed by the space this node trusts",
            fix="sync again from the space; if it persists, the terms were altered on the way",
            code="bad_signature",
            status=422,
        )
    with _session(home) as session, session.begin():
        row = session.get(LocalContract, terms.contract_id)
        if row is None:
            session.add(
                LocalContract(
                    contract_id=terms.contract_id, terms=terms.to_dict(), signature=signature, state=terms.state
                )
            )
        else:
            row.terms, row.signature, row.state = terms.to_dict(), signature, terms.state


def get(home: NodeHome, contract_id: str) -> ContractTerms:
    """The terms this node enforces (state TERMINATED once revoked here or at the space); NotFound if unknown."""
    with _session(home) as session:
        row = _row(session, contract_id)
        terms = ContractTerms.from_dict(row.terms)
        if row.revoked_at is not None:
            terms = ContractTerms.from_dict({**terms.to_dict(), "state": "TERMINATED"})
        return terms


def revoke(home: NodeHome, contract_id: str, reason: str) -> None:
    """Revoke at once, locally (the next ``check_round`` refuses); then tell the space if it can be reached.

    When the space cannot be reached the revocation still holds here, and the next sync reports it.
    """
    if not isinstance(reason, str) or not reason.strip():
        raise ResonanceError(what="a revocation needs a reason", where="reason", fix="add --reason '…'")
    with _session(home) as session, session.begin():
        row = _row(session, contract_id)
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
            row.revoke_reason = reason.strip()[:2000]
    report_revocations(home)


def report_revocations(home: NodeHome, client: Any = None) -> list[str]:
    """Tell the space of local revocations it has not heard of; returns the contract ids reported."""
    with _session(home) as session:
        pending = [
            (r.contract_id, r.revoke_reason)
            for r in session.scalars(
                sa_select(LocalContract).where(LocalContract.revoked_at.is_not(None), ~LocalContract.revoke_reported)
            )
        ]
    if not pending:
        return []
    reported: list[str] = []
    own = client is None
    try:
        if own:
            from resonance.node.client import SpaceClient

            client = SpaceClient(home)
        for contract_id, reason in pending:
            client.revoke_contract(contract_id, reason)
            reported.append(contract_id)
    except ResonanceError:
        pass  # the space is unreachable or refused: the local revocation holds, the next sync retries
    finally:
        if own and client is not None:
            client.close()
    if reported:
        with _session(home) as session, session.begin():
            for contract_id in reported:
                session.get(LocalContract, contract_id).revoke_reported = True
    return reported


def revocation_reported(home: NodeHome, contract_id: str) -> bool:
    """Whether the space has been told of this node's revocation of ``contract_id``."""
    with _session(home) as session:
        return bool(_row(session, contract_id).revoke_reported)


def usage(home: NodeHome, contract_id: str) -> dict[str, Any]:
    """What this node has recorded under a contract: rounds, samples, seconds and ε, over every job."""
    with _session(home) as session:
        rounds, samples, seconds, epsilon = session.execute(
            sa_select(
                func.count(LocalUsage.id),
                func.coalesce(func.sum(LocalUsage.samples), 0),
                func.coalesce(func.sum(LocalUsage.seconds), 0.0),
                func.coalesce(func.sum(LocalUsage.epsilon), 0.0),
            ).where(LocalUsage.contract_id == str(contract_id))
        ).one()
    return {"rounds": int(rounds), "samples": int(samples), "seconds": float(seconds), "epsilon": float(epsilon)}


def check_round(
    home: NodeHome, contract_id: str, request: JobRequest, round_number: int, now: datetime | None = None
) -> Decision:
    """``decide()`` with this node's own counters: round 0 = job start, then 1, 2, … before each round.

    Never raises for a contract it cannot use: an unknown contract or one for another node is a refusing
    Decision (``unknown_contract`` / ``wrong_node``), so the caller can always answer the job cleanly.
    """
    try:
        terms = get(home, contract_id)
    except NotFound:
        return Decision(
            False,
            "unknown_contract",
            f"本节点没有合约 {contract_id}",
            f"this node holds no contract {contract_id}; sync contracts first",
        )
    node_id = home.load().node_id
    if terms.compute_node and terms.compute_node != node_id:
        return Decision(
            False,
            "wrong_node",
            f"合约 {contract_id} 指定的计算节点是 {terms.compute_node}",
            f"contract {contract_id} is computed on node {terms.compute_node}, not here",
        )
    used = usage(home, contract_id)
    return decide(
        terms,
        request,
        round_number=round_number,
        rounds_used=used["rounds"],
        epsilon_spent=used["epsilon"],
        now=now or datetime.now(UTC),
    )


def record_round(
    home: NodeHome, contract_id: str, job_id: str, round_number: int, samples: int, seconds: float, epsilon: float
) -> None:
    """Record one round's usage; recording the same (contract, job, round) again replaces it (retries count once)."""
    for name, value, kind in (
        ("round_number", round_number, int),
        ("samples", samples, int),
        ("seconds", seconds, int | float),
        ("epsilon", epsilon, int | float),
    ):
        if isinstance(value, bool) or not isinstance(value, kind) or value < 0 or value == float("inf"):
            raise ResonanceError(what=f"{name} must be a finite number ≥ 0 (got {value!r})", where=name)
    if not isinstance(job_id, str) or not job_id.strip() or len(job_id) > 80:
        raise ResonanceError(what="a job id is 1–80 characters", where="job_id")
    with _session(home) as session, session.begin():
        _row(session, contract_id)
        found = session.scalars(
            sa_select(LocalUsage).where(
                LocalUsage.contract_id == str(contract_id),
                LocalUsage.job_id == job_id,
                LocalUsage.round_number == round_number,
            )
        ).first()
        if found is None:
            found = LocalUsage(contract_id=str(contract_id), job_id=job_id, round_number=round_number)
            session.add(found)
        found.samples, found.seconds, found.epsilon = samples, float(seconds), float(epsilon)


# --- listing and syncing ------------------------------------------------------------------------------


def list_contracts(home: NodeHome) -> list[dict[str, Any]]:
    """Every contract this node holds, with its local state, revocation and usage (for the CLI)."""
    with _session(home) as session:
        rows = list(session.scalars(sa_select(LocalContract).order_by(LocalContract.contract_id)))
    out = []
    for row in rows:
        terms = dict(row.terms)
        out.append(
            {
                **terms,
                "state": "TERMINATED" if row.revoked_at else row.state,
                "revoked_here": row.revoked_at is not None,
                "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
                "revoke_reason": row.revoke_reason,
                "usage": usage(home, row.contract_id),
            }
        )
    return out


def sync(home: NodeHome, client: Any = None) -> dict[str, Any]:
    """Fetch this node's contracts from the space (signed request), keep them, report local revocations.

    A contract the space terminated becomes TERMINATED here at once. Returns counts of what changed.
    """
    own = client is None
    if own:
        from resonance.node.client import SpaceClient

        client = SpaceClient(home)
    try:
        reply = client.sync_contracts()
        pin_space_key(home, str(reply.get("space_public_key") or ""))
        saved, terminated = 0, []
        for item in reply.get("contracts") or []:
            terms = ContractTerms.from_dict(item.get("terms"), where="contracts[].terms")
            before = _state_or_none(home, terms.contract_id)
            save(home, terms, str(item.get("signature") or ""))
            saved += 1
            if terms.state == "TERMINATED" and before not in (None, "TERMINATED"):
                terminated.append(terms.contract_id)
        reported = report_revocations(home, client)
    finally:
        if own:
            client.close()
    return {"contracts": saved, "terminated_by_space": terminated, "revocations_reported": reported}


def _state_or_none(home: NodeHome, contract_id: str) -> str | None:
    with _session(home) as session:
        row = session.get(LocalContract, contract_id)
        return row.state if row else None
