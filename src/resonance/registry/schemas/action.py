"""Industries, action entities and key cities."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from resonance.registry.schemas._types import Code, Description, Input, Name, NameEn, Output, Ref


class IndustryRead(Output):
    id: int
    code: str
    name_zh: str
    name_en: str
    position: int


class EntityCreate(Input):
    code: Code
    name_zh: Name
    name_en: NameEn = ""
    kind: str = Field(description="province | central_enterprise (or 省级地区 / 中央企业)")
    has_pilot_zone_or_base: bool = False
    description: Description = ""
    industries: list[Ref] = Field(default_factory=list, max_length=20, description="selected industries")


class EntityUpdate(Input):
    name_zh: Name | None = None
    name_en: NameEn | None = None
    kind: str | None = None
    has_pilot_zone_or_base: bool | None = None
    description: Description | None = None
    industries: list[Ref] | None = Field(default=None, max_length=20)


class EntityRead(Output):
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    has_pilot_zone_or_base: bool
    description: str
    industries: list[str]
    created_at: datetime
    updated_at: datetime


class KeyCityCreate(Input):
    entity: Ref
    name_zh: Name
    name_en: NameEn = ""
    in_pilot_zone_or_base: bool = False
    description: Description = ""


class KeyCityUpdate(Input):
    name_zh: Name | None = None
    name_en: NameEn | None = None
    in_pilot_zone_or_base: bool | None = None
    description: Description | None = None


class KeyCityRead(Output):
    id: int
    entity: str
    name_zh: str
    name_en: str
    in_pilot_zone_or_base: bool
    description: str
    created_at: datetime
    updated_at: datetime
