"""What the action produces: datasets (metadata only), model versions, agents, and application/landing cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resonance.registry.models.base import Base, Timestamped, UTCDateTime


class Dataset(Timestamped, Base):
    """A registered dataset: metadata only, never rows. ``kind`` decides which quota it counts toward."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40), default="1")
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(30), index=True)  # vocabulary dataset_kind
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id", ondelete="RESTRICT"), index=True)
    entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_entities.id", ondelete="RESTRICT"), index=True, nullable=True
    )
    scenario_id: Mapped[int | None] = mapped_column(
        ForeignKey("scenarios.id", ondelete="SET NULL"), index=True, nullable=True
    )
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    category: Mapped[str] = mapped_column(String(30), default="production")  # vocabulary data_category
    sensitivity: Mapped[str] = mapped_column(String(20), default="general")  # vocabulary sensitivity_level
    modality: Mapped[str] = mapped_column(String(300), default="tabular")
    data_format: Mapped[str] = mapped_column(String(300), default="")
    licence: Mapped[str] = mapped_column(String(300), default="")
    row_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    column_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quality_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    quality_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    node_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(30), default="registered", index=True)  # vocabulary asset_status
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # what a node publishes (never rows): version hash, card, profile, quality report, confirmed grade
    fingerprint: Mapped[str | None] = mapped_column(String(80), nullable=True)
    card: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True)
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True)
    grading: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ModelVersion(Timestamped, Base):
    """An industry model (行业模型) or specialised model (专用模型) version, with lineage."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40), default="1")
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(30), index=True)  # vocabulary model_kind: industry | specialised
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id", ondelete="RESTRICT"), index=True)
    entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_entities.id", ondelete="RESTRICT"), index=True, nullable=True
    )
    scenario_id: Mapped[int | None] = mapped_column(
        ForeignKey("scenarios.id", ondelete="SET NULL"), index=True, nullable=True
    )
    developer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    family: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(30), default="registered", index=True)
    artifact_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Agent(Timestamped, Base):
    """A 特色智能体 for a scenario that needs autonomous planning and execution."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id", ondelete="RESTRICT"), index=True)
    entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_entities.id", ondelete="RESTRICT"), index=True, nullable=True
    )
    scenario_id: Mapped[int | None] = mapped_column(
        ForeignKey("scenarios.id", ondelete="SET NULL"), index=True, nullable=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    endpoint: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(30), default="registered", index=True)
    card: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Case(Timestamped, Base):
    """An application case (应用案例, of an industry model) or landing case (落地案例, specialised model/agent)."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(30), index=True)  # vocabulary case_kind: application | landing
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id", ondelete="RESTRICT"), index=True)
    entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_entities.id", ondelete="RESTRICT"), index=True, nullable=True
    )
    scenario_id: Mapped[int | None] = mapped_column(
        ForeignKey("scenarios.id", ondelete="SET NULL"), index=True, nullable=True
    )
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"), index=True, nullable=True
    )
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True, nullable=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    go_live_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    effect: Mapped[str] = mapped_column(Text, default="")  # 量化成效
    evidence: Mapped[str] = mapped_column(Text, default="")  # 证明材料
    status: Mapped[str] = mapped_column(String(30), default="registered", index=True)
