"""Constrained field types shared by the schemas: bounded strings with no NUL, codes, bounded numbers."""

from __future__ import annotations

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
JsonDict = Annotated[dict[str, Any], Field(max_length=200)]


class Input(BaseModel):
    """Base of create/update payloads: unknown fields are refused so that typos do not vanish silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)
