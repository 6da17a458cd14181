"""The 存证 ledger's rows, the ε spent per dataset and the metering of jobs (migration 0005).

Ledger rows are written only by ``resonance.ledger.chain``; spending and metering rows only by
``resonance.policy.budget`` and ``resonance.policy.metering``. Jobs are named by a free reference (the job
id the federation uses), so these tables do not depend on how jobs are stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resonance.registry.models.base import Base, Timestamped, UTCDateTime, utcnow


class LedgerEvent(Base):
    """One signed, hash-chained event. ``hash`` covers every other column but ``signature``."""

    __tablename__ = "ledger_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC, kept as text: the hash covers these exact bytes
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, kept as text for the same reason
    signature: Mapped[str] = mapped_column(String(100))  # Ed25519 by the space key over ``hash``
    node_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    node_signature: Mapped[str | None] = mapped_column(String(100), nullable=True)


class LedgerHead(Base):
    """The signed newest (seq, hash): without it, deleting the last events would leave no trace."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default="")
    signature: Mapped[str] = mapped_column(String(100), default="")


class EpsilonSpending(Base):
    """ε reserved (then spent, or released) by one job on one dataset, under one contract."""

    __tablename__ = "epsilon_spending"
    __table_args__ = (UniqueConstraint("dataset_id", "job_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="RESTRICT"), index=True)
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contracts.id", ondelete="SET NULL"), index=True, nullable=True
    )
    job_ref: Mapped[str] = mapped_column(String(80), index=True)
    epsilon: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="reserved")  # reserved | spent | released
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Metering(Timestamped, Base):
    """计量: what one job used of one provider's dataset — rounds, samples, compute seconds, ε."""

    __tablename__ = "metering"
    __table_args__ = (UniqueConstraint("job_ref", "dataset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_ref: Mapped[str] = mapped_column(String(80), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="RESTRICT"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contracts.id", ondelete="SET NULL"), index=True, nullable=True
    )
    node_id: Mapped[str] = mapped_column(String(40), default="")
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    samples: Mapped[int] = mapped_column(BigInteger, default=0)
    compute_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    epsilon: Mapped[float] = mapped_column(Float, default=0.0)
