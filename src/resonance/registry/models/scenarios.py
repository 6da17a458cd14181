"""The high-value scenario file (高价值场景档案, POLICY-NOTES §6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resonance.registry.models.base import Base, Timestamped


class Scenario(Timestamped, Base):
    """One 场景档案. Rows with ``is_reference_example`` (参考示例) are templates and count toward no quota."""

    __tablename__ = "scenarios"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80))  # 编号
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id", ondelete="RESTRICT"), index=True)
    entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_entities.id", ondelete="RESTRICT"), index=True, nullable=True
    )
    stage: Mapped[str] = mapped_column(String(30))  # vocabulary process_stage (环节)
    guide_code: Mapped[str] = mapped_column(String(300), default="")  # 智能制造典型场景参考指引 code
    pain_point: Mapped[str] = mapped_column(Text, default="")  # 业务痛点
    baseline_kpi: Mapped[str] = mapped_column(Text, default="")  # 现状基线
    target_kpi: Mapped[str] = mapped_column(Text, default="")  # 目标 KPI
    expected_value: Mapped[str] = mapped_column(Text, default="")  # 预期价值
    data_needs: Mapped[str] = mapped_column(Text, default="")  # 数据需求
    replicability: Mapped[str] = mapped_column(Text, default="")  # 复制推广
    # the four criteria (潜力大/应用面广/复制性强/适合AI改造): {criterion: {"met": bool, "evidence": str}}
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tech_form: Mapped[str] = mapped_column(String(30), default="specialised_model")  # vocabulary tech_form
    tech_form_reason: Mapped[str] = mapped_column(Text, default="")
    lead_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True, nullable=True
    )
    status: Mapped[str] = mapped_column(String(30), default="planned")  # vocabulary scenario_status
    is_reference_example: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
