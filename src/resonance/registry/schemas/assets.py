"""Datasets (metadata only), model versions, agents and cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from resonance.registry.schemas._types import (
    Code,
    Count,
    Description,
    Input,
    JsonDict,
    Name,
    NameEn,
    Output,
    Ref,
    Short,
    SmallCount,
)

Version = Field(default="1", max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-+]{0,39}$")
Score = Field(default=None, ge=0, le=100)
Grade = Field(default=None, pattern=r"^[A-E]$")


class DatasetCreate(Input):
    code: Code
    version: str = Version
    name_zh: Name
    name_en: NameEn = ""
    description: Description = ""
    kind: str = Field(
        max_length=40, description="通识 general / 行业通识 common / 行业专识 specialised / 评测 evaluation"
    )
    industry: Ref
    entity: Ref | None = None
    scenario: Ref | None = None
    owner: Ref
    category: str = Field(default="production", max_length=40)
    sensitivity: str = Field(default="general", max_length=40)
    modality: Short = "tabular"
    data_format: Short = ""
    licence: Short = ""
    row_count: Count | None = None
    column_count: SmallCount | None = None
    quality_score: float | None = Score
    quality_grade: str | None = Grade
    status: str = Field(default="registered", max_length=40)


class DatasetUpdate(Input):
    name_zh: Name | None = None
    name_en: NameEn | None = None
    description: Description | None = None
    kind: str | None = Field(default=None, max_length=40)
    industry: Ref | None = None
    entity: Ref | None = None
    scenario: Ref | None = None
    category: str | None = Field(default=None, max_length=40)
    sensitivity: str | None = Field(default=None, max_length=40)
    modality: Short | None = None
    data_format: Short | None = None
    licence: Short | None = None
    row_count: Count | None = None
    column_count: SmallCount | None = None
    quality_score: float | None = Score
    quality_grade: str | None = Grade
    status: str | None = Field(default=None, max_length=40)


class DatasetRead(Output):
    id: int
    code: str
    version: str
    name_zh: str
    name_en: str
    description: str
    kind: str
    industry: str
    entity: str | None
    scenario: str | None
    owner: str
    category: str
    sensitivity: str
    modality: str
    data_format: str
    licence: str
    row_count: int | None
    column_count: int | None
    quality_score: float | None
    quality_grade: str | None
    node_id: str | None
    status: str
    created_at: datetime
    updated_at: datetime


class ModelCreate(Input):
    code: Code
    version: str = Version
    name_zh: Name
    name_en: NameEn = ""
    description: Description = ""
    kind: str = Field(max_length=40, description="industry (行业模型) | specialised (专用模型)")
    industry: Ref
    entity: Ref | None = None
    scenario: Ref | None = None
    developer: Ref
    family: Short = ""
    status: str = Field(default="registered", max_length=40)
    metrics: JsonDict = Field(default_factory=dict)


class ModelUpdate(Input):
    name_zh: Name | None = None
    name_en: NameEn | None = None
    description: Description | None = None
    kind: str | None = Field(default=None, max_length=40)
    industry: Ref | None = None
    entity: Ref | None = None
    scenario: Ref | None = None
    family: Short | None = None
    status: str | None = Field(default=None, max_length=40)
    metrics: JsonDict | None = None


class ModelRead(Output):
    id: int
    code: str
    version: str
    name_zh: str
    name_en: str
    description: str
    kind: str
    industry: str
    entity: str | None
    scenario: str | None
    developer: str
    family: str
    status: str
    artifact_sha256: str | None
    metrics: dict[str, Any]
    lineage: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class AgentCreate(Input):
    code: Code
    name_zh: Name
    name_en: NameEn = ""
    description: Description = ""
    industry: Ref
    entity: Ref | None = None
    scenario: Ref | None = None
    organisation: Ref
    endpoint: Short = ""
    status: str = Field(default="registered", max_length=40)


class AgentUpdate(Input):
    name_zh: Name | None = None
    name_en: NameEn | None = None
    description: Description | None = None
    industry: Ref | None = None
    entity: Ref | None = None
    scenario: Ref | None = None
    endpoint: Short | None = None
    status: str | None = Field(default=None, max_length=40)


class AgentRead(Output):
    id: int
    code: str
    name_zh: str
    name_en: str
    description: str
    industry: str
    entity: str | None
    scenario: str | None
    organisation: str
    endpoint: str
    status: str
    created_at: datetime
    updated_at: datetime


class CaseCreate(Input):
    code: Code
    name_zh: Name
    name_en: NameEn = ""
    description: Description = ""
    kind: str = Field(max_length=40, description="application (应用案例) | landing (落地案例)")
    industry: Ref
    entity: Ref | None = None
    scenario: Ref | None = None
    model: Ref | None = None
    agent: Ref | None = None
    organisation: Ref = Field(description="应用单位: the organisation where it is applied")
    go_live_on: date | None = None
    effect: Description = ""
    evidence: Description = ""
    status: str = Field(default="registered", max_length=40)


class CaseUpdate(Input):
    name_zh: Name | None = None
    name_en: NameEn | None = None
    description: Description | None = None
    kind: str | None = Field(default=None, max_length=40)
    industry: Ref | None = None
    entity: Ref | None = None
    scenario: Ref | None = None
    model: Ref | None = None
    agent: Ref | None = None
    go_live_on: date | None = None
    effect: Description | None = None
    evidence: Description | None = None
    status: str | None = Field(default=None, max_length=40)


class CaseRead(Output):
    id: int
    code: str
    name_zh: str
    name_en: str
    description: str
    kind: str
    industry: str
    entity: str | None
    scenario: str | None
    model: str | None
    agent: str | None
    organisation: str
    go_live_on: date | None
    effect: str
    evidence: str
    status: str
    created_at: datetime
    updated_at: datetime
