"""API tokens: only a SHA-256 hash is stored; the secret is shown once, at creation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from resonance.registry.models.base import Base, Timestamped, UTCDateTime


class ApiToken(Timestamped, Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), index=True)  # shown in listings to tell tokens apart
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # operator | provider | developer | evaluator | authority | viewer
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True, nullable=True
    )
    entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_entities.id", ondelete="CASCADE"), index=True, nullable=True
    )
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
