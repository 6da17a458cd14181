"""Constrained field types shared by the schemas: bounded strings with no NUL, codes, bounded numbers."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\x00); remove it")
    return value.strip()


def Text(max_length: int = 20_000) -> Any:
    return Annotated[str, AfterValidator(_clean), Field(max_length=max_length)]


Name = Annotated[str, AfterValidator(_clean), Field(min_length=1, max_length=200)]
NameEn = Annotated[str, AfterValidator(_clean), Field(max_length=300)]
Description = Annotated[str, AfterValidator(_clean), Field(max_length=20_000)]
Code = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,79}$",
        description="stable identifier: letters, digits, '.', '_' or '-', at most 80 characters",
    ),
]
Ref = Annotated[str, AfterValidator(_clean), Field(min_length=1, max_length=200, description="code or name")]
Short = Annotated[str, AfterValidator(_clean), Field(max_length=300)]
Count = Annotated[int, Field(ge=0, le=9_000_000_000_000_000_000)]
SmallCount = Annotated[int, Field(ge=0, le=2_000_000_000)]


def _finite_json(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        raise ValueError("is nested more than 20 levels deep")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("contains NaN or infinity, which JSON cannot store; use null")
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("contains a NUL character (\\x00); remove it")
    if isinstance(value, dict):
        for key, item in value.items():
            _finite_json(key, depth + 1)
            _finite_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _finite_json(item, depth + 1)
    return value


def _sane_datetime(value: datetime) -> datetime:
    if not 1900 <= value.year <= 9000:
        raise ValueError("year must be between 1900 and 9000")
    return value


JsonDict = Annotated[dict[str, Any], Field(max_length=200), AfterValidator(_finite_json)]
Timestamp = Annotated[datetime, AfterValidator(_sane_datetime)]


class Input(BaseModel):
    """Base of create/update payloads: unknown fields are refused so that typos do not vanish silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)
