"""Organisations, spaces and consortia."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from resonance.registry.identifiers import check_uscc
from resonance.registry.schemas._types import Code, Description, Input, Name, NameEn, Output, Ref, Short


class Membership(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisation: Ref
    role: str = Field(max_length=40)


class OrganisationCreate(Input):
    code: Code
    name_zh: Name
    name_en: NameEn = ""
    uscc: str | None = Field(default=None, description="统一社会信用代码 (18 characters, GB 32100 check digit)")
    entity: Ref | None = None
    roles: list[str] = Field(default_factory=list, max_length=10)
    contact: Short = ""
    description: Description = ""

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        return check_uscc(value) if value else None


class OrganisationUpdate(Input):
    name_zh: Name | None = None
    name_en: NameEn | None = None
    uscc: str | None = None
    entity: Ref | None = None
    roles: list[str] | None = Field(default=None, max_length=10)
    contact: Short | None = None
    description: Description | None = None

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        return check_uscc(value) if value else None


class OrganisationRead(Output):
    id: int
    code: str
    name_zh: str
    name_en: str
    uscc: str | None
    entity: str | None
    roles: list[str]
    contact: str
    description: str
    created_at: datetime
    updated_at: datetime


class SpaceCreate(Input):
    code: Code
    name_zh: Name
    name_en: NameEn = ""
    entity: Ref
    operator: Ref
    operator_type: str = Field(max_length=40)
    url: Short = ""
    status: str = "building"
    description: Description = ""
    industries: list[Ref] = Field(default_factory=list, max_length=20)
    members: list[Membership] = Field(default_factory=list, max_length=500)


class SpaceUpdate(Input):
    name_zh: Name | None = None
    name_en: NameEn | None = None
    operator: Ref | None = None
    operator_type: str | None = Field(default=None, max_length=40)
    url: Short | None = None
    status: str | None = None
    description: Description | None = None
    industries: list[Ref] | None = Field(default=None, max_length=20)
    members: list[Membership] | None = Field(default=None, max_length=500)


class SpaceRead(Output):
    id: int
    code: str
    name_zh: str
    name_en: str
    entity: str
    operator: str
    operator_type: str
    url: str
    status: str
    description: str
    industries: list[str]
    members: list[Membership]
    created_at: datetime
    updated_at: datetime


class ConsortiumCreate(Input):
    code: Code
    name_zh: Name
    name_en: NameEn = ""
    entity: Ref
    industry: Ref
    lead: Ref
    description: Description = ""
    members: list[Membership] = Field(default_factory=list, max_length=500)


class ConsortiumUpdate(Input):
    name_zh: Name | None = None
    name_en: NameEn | None = None
    industry: Ref | None = None
    lead: Ref | None = None
    description: Description | None = None
    members: list[Membership] | None = Field(default=None, max_length=500)


class ConsortiumRead(Output):
    id: int
    code: str
    name_zh: str
    name_en: str
    entity: str
    industry: str
    lead: str
    description: str
    members: list[Membership]
    created_at: datetime
    updated_at: datetime
