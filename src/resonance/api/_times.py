"""Timestamps leave the API in RFC 3339 with an offset, on both backends.

SQLite keeps no time zone: it hands back naive datetimes, which the API stores as UTC (see
``_inputs.check_payload``). Without this, the same row would read ``…T08:00:00Z`` on PostgreSQL and
``…T08:00:00`` on SQLite, and the latter is not the ``date-time`` format /openapi.json promises.
"""

from __future__ import annotations

import re
import types
from datetime import datetime
from functools import cache
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

_HAS_OFFSET = re.compile(r"(Z|[+-]\d\d:?\d\d)$")


def _is_datetime(annotation: Any) -> bool:
    if annotation is datetime:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return datetime in get_args(annotation)
    return False


@cache
def datetime_fields(read: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name, field in read.model_fields.items() if _is_datetime(field.annotation))


def with_offsets(read: type[BaseModel], item: dict[str, Any]) -> dict[str, Any]:
    """``item`` (a row as the read schema, JSON-ready) with every naive timestamp marked as UTC."""
    for name in datetime_fields(read):
        value = item.get(name)
        if isinstance(value, str) and not _HAS_OFFSET.search(value):
            item[name] = value + "Z"
    return item
