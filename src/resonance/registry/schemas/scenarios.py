"""The high-value scenario file (场景档案)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from resonance.registry.schemas._types import Code, Description, Input, JsonDict, Name, NameEn, Output, Ref, Short


class ScenarioCreate(Input):
    code: Code
    name_zh: Name
    name_en: NameEn = ""
    industry: Ref
    entity: Ref | None = None
    stage: str = Field(max_length=40, description="研发设计 / 中试验证 / 生产制造 / 营销服务 / 运营管理")
    guide_code: Short = ""
    pain_point: Description = ""
    baseline_kpi: Description = ""
    target_kpi: Description = ""
    expected_value: Description = ""
    data_needs: Description = ""
    replicability: Description = ""
    criteria: JsonDict = Field(default_factory=dict, description="{criterion: {met, evidence}} for the four 判据")
    tech_form: str = Field(default="specialised_model", max_length=40)
    tech_form_reason: Description = ""
    lead: Ref | None = None
    status: str = Field(default="planned", max_length=40)
    description: Description = ""


class ScenarioUpdate(Input):
    name_zh: Name | None = None
    name_en: NameEn | None = None
    industry: Ref | None = None
    entity: Ref | None = None
    stage: str | None = Field(default=None, max_length=40)
    guide_code: Short | None = None
    pain_point: Description | None = None
    baseline_kpi: Description | None = None
    target_kpi: Description | None = None
    expected_value: Description | None = None
    data_needs: Description | None = None
    replicability: Description | None = None
    criteria: JsonDict | None = None
    tech_form: str | None = Field(default=None, max_length=40)
    tech_form_reason: Description | None = None
    lead: Ref | None = None
    status: str | None = Field(default=None, max_length=40)
    description: Description | None = None


class ScenarioRead(Output):
    id: int
    code: str
    name_zh: str
    name_en: str
    industry: str
    entity: str | None
    stage: str
    guide_code: str
    pain_point: str
    baseline_kpi: str
    target_kpi: str
    expected_value: str
    data_needs: str
    replicability: str
    criteria: dict[str, Any]
    tech_form: str
    tech_form_reason: str
    lead: str | None
    status: str
    is_reference_example: bool
    description: str
    created_at: datetime
    updated_at: datetime
