"""Data nodes (接入连接器) enrolled in the space: an organisation's machine, known by its Ed25519 key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from resonance.registry.models.base import Base, Timestamped, UTCDateTime


class Node(Timestamped, Base):
    """A node asks to enrol (``pending``); the operator approves or refuses it. Only approved nodes publish."""

    __tablename__ = "nodes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "node-" + 12 hex of the key's hash
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    software_version: Mapped[str] = mapped_column(String(40), default="")
    # the SuperNode key (ECDSA, OpenSSH line) the approval authorises at the SuperLink; None for older nodes
    flower_public_key: Mapped[str | None] = mapped_column(Text, nullable=True)
