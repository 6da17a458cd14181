"""The node's local catalog (SQLite in the node home): where each registered dataset lies and what the node
has computed about it. Paths and credentials are kept here and never sent to the space."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, UniqueConstraint, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from resonance.errors import Conflict, NotFound


class _Base(DeclarativeBase):
    pass


class LocalDataset(_Base):
    """One registered local source and the metadata derived from it at the node."""

    __tablename__ = "local_datasets"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40), default="1")
    location: Mapped[str] = mapped_column(Text)  # local path or SQLAlchemy URL: never leaves the node
    table: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source_kind: Mapped[str] = mapped_column(String(20))
    fingerprint: Mapped[str] = mapped_column(String(80), default="")
    registry_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # name, kind, industry… for the space
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    sensitivity: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    grade_proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    grade_decision: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    card: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    filing: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # 重要数据目录备案 facts
    status: Mapped[str] = mapped_column(String(20), default="registered")  # registered|profiled|graded|published
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    published_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


def open_catalog(url: str) -> sessionmaker[Session]:
    """Sessions on the node catalog at ``url``, its schema brought up to date first (``catalog_schema``)."""
    from resonance.node.catalog_schema import ensure_schema

    ensure_schema(url)
    return sessionmaker(create_engine(url), expire_on_commit=False)


def add(session: Session, **fields: Any) -> LocalDataset:
    code, version = fields["code"], fields.get("version", "1")
    if session.scalars(select(LocalDataset).where(LocalDataset.code == code, LocalDataset.version == version)).first():
        raise Conflict(
            what=f"dataset {code}@{version} is already registered at this node",
            fix="register a new version (--version 2) or remove the old one (`resonance data remove`)",
        )
    row = LocalDataset(**fields)
    session.add(row)
    session.flush()
    return row


def get(session: Session, key: str) -> LocalDataset:
    code, _, version = key.partition("@")
    stmt = select(LocalDataset).where(LocalDataset.code == code)
    if version:
        stmt = stmt.where(LocalDataset.version == version)
    row = session.scalars(stmt.order_by(LocalDataset.id.desc())).first()
    if row is None:
        raise NotFound("local dataset", key, fix="list this node's datasets with `resonance data list`")
    return row


def all_datasets(session: Session) -> list[LocalDataset]:
    return list(session.scalars(select(LocalDataset).order_by(LocalDataset.id)))


def summary(row: LocalDataset) -> dict[str, Any]:
    """What `resonance data list/show --json` prints: local facts included, as this stays on the node."""
    return {
        "code": row.code,
        "version": row.version,
        "source_kind": row.source_kind,
        "location": row.location,
        "table": row.table,
        "fingerprint": row.fingerprint,
        "status": row.status,
        "registry": row.registry_fields,
        "rows": (row.profile or {}).get("rows"),
        "quality_grade": (row.quality or {}).get("grade"),
        "sensitivity_level": _level((row.grade_decision or row.grade_proposal or {}).get("level")),
        "grade_confirmed": row.grade_decision is not None,
        "added_at": row.added_at.isoformat() if row.added_at else None,
        "published_at": row.published_at.isoformat() if row.published_at else None,
    }


def _level(value: Any) -> str | None:
    return value.get("key") if isinstance(value, dict) else value
