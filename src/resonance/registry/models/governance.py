"""Governance acts: contracts, jobs, evaluation results, data demands and reports.

Issue-3 keeps these as registry rows with their essential columns; the policy, federation and
evaluation packages own their behaviour and add columns through migrations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from resonance.registry.models.base import Base, Timestamped, UTCDateTime


class Contract(Timestamped, Base):
    """A 数字合约 between a consumer and a provider over one dataset version (Dataspace Protocol states)."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="RESTRICT"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    consumer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="REQUESTED", index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the ODRL policy (JSON-LD) of the offer
    # the 数字合约 fields of POLICY-NOTES §2 (migration 0005); resonance.policy.contracts fills them
    purpose_kind: Mapped[str] = mapped_column(String(20), default="")  # scenario | model
    dataset_fingerprint: Mapped[str] = mapped_column(String(80), default="")  # the dataset version hash
    operations: Mapped[list[str]] = mapped_column(JSON, default=list)  # federatedTrain, evaluate
    compute_node: Mapped[str] = mapped_column(String(40), default="")  # the provider's node: compute location
    max_rounds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    epsilon_budget: Mapped[float | None] = mapped_column(Float, nullable=True)
    min_nodes: Mapped[int] = mapped_column(Integer, default=1)
    output_restrictions: Mapped[list[str]] = mapped_column(JSON, default=list)  # rawExport, perRecordOutput
    signatures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # one per negotiation step
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was terminated


class DatasetPolicy(Timestamped, Base):
    """The usage policy (ODRL JSON-LD) a provider attaches to a dataset: the ceiling of every contract on it."""

    __tablename__ = "dataset_policies"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Job(Timestamped, Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # training | evaluation
    name: Mapped[str] = mapped_column(String(300), default="")
    submitter_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    rounds_total: Mapped[int] = mapped_column(Integer, default=0)
    rounds_done: Mapped[int] = mapped_column(Integer, default=0)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class EvaluationResult(Timestamped, Base):
    __tablename__ = "evaluation_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="RESTRICT"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="RESTRICT"), index=True)
    evaluator_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    signature: Mapped[str] = mapped_column(String(200), default="")
    # a signed run at the evaluator's node (migration 0007; resonance.evaluation.runs fills them)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), unique=True, nullable=True)
    node_id: Mapped[str] = mapped_column(String(40), default="")
    model_sha256: Mapped[str] = mapped_column(String(64), default="")  # the ONNX the node ran
    dataset_fingerprint: Mapped[str] = mapped_column(String(80), default="")  # the evaluation dataset version hash
    code_version: Mapped[str] = mapped_column(String(40), default="")
    slices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the diagnosis (aggregates only)
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # exactly what the node signed


class DataDemand(Timestamped, Base):
    __tablename__ = "data_demands"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluation_results.id", ondelete="SET NULL"), index=True, nullable=True
    )
    target_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id", ondelete="RESTRICT"), index=True)
    slice_description: Mapped[str] = mapped_column(Text, default="")
    examples_wanted: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    # routing and answer (migration 0007; resonance.evaluation.demand_rows fills them)
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True
    )  # the provider's published dataset whose profile covers the slice
    answer_dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True)
    slice: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    answer_note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FlywheelCycle(Timestamped, Base):
    """One recorded 评测诊断 → 数据集定向优化 → 模型能力提升 cycle: the slice it targeted, before and after."""

    __tablename__ = "flywheel_cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_code: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | completed | failed
    slice: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # job, evaluation and demand ids
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)


class Report(Timestamped, Base):
    """A plan / phase / final report of one action entity; ``submitted_on`` is what the deadlines check."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("action_entities.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # vocabulary report_kind: plan | phase | final
    title: Mapped[str] = mapped_column(String(300), default="")
    lang: Mapped[str] = mapped_column(String(5), default="zh")
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | submitted
    submitted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    file_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
