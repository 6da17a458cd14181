"""Checks on request values that the schemas alone do not make, so that a bad value is a 422, never a 500.

They guard what the databases refuse with an error of their own: NUL characters and lone surrogates
(PostgreSQL text cannot hold them), non-finite numbers (JSON columns), strings longer than their column
(PostgreSQL refuses them; SQLite would store them silently), moments PostgreSQL cannot convert, and keys
such as "²" that look numeric to ``str.isdigit`` but are not numbers.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String

from resonance.errors import Problem, ResonanceError
from resonance.registry.concepts import Concept

_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 32
COLLECTION_REFS = ("industries",)  # list fields whose items name other rows


def _problem(what: str, where: str, fix: str, value: Any = None) -> Problem:
    return Problem(what=what, where=where, fix=fix, value=value)


def _text_problem(text: str, where: str) -> Problem | None:
    if _BAD_CHARS.search(text):
        return _problem(
            "contains a NUL character or an unpaired surrogate",
            where,
            "remove control character \\u0000 and invalid UTF-16 halves from the text",
        )
    return None


def _walk(value: Any, where: str, problems: list[Problem], depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        problems.append(_problem(f"is nested more than {MAX_DEPTH} levels deep", where, "flatten the value"))
        return
    if isinstance(value, str):
        found = _text_problem(value, where)
        if found:
            problems.append(found)
    elif isinstance(value, float) and not math.isfinite(value):
        problems.append(
            _problem("is not a finite number", where, "use a finite number (NaN and Infinity are not JSON)")
        )
    elif isinstance(value, datetime) and not 1900 <= value.year <= 9000:
        problems.append(_problem("is outside the years 1900 to 9000", where, "use a realistic date and time", value))
    elif isinstance(value, dict):
        for key, item in value.items():
            key_problem = _text_problem(str(key), f"{where}.{key!r}")
            if key_problem:
                problems.append(key_problem)
            _walk(item, f"{where}.{key}", problems, depth + 1)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _walk(item, f"{where}[{i}]", problems, depth + 1)


def not_a_number(text: str) -> bool:
    """True for keys like "²" or "①": ``isdigit`` says yes, ``int`` says no."""
    return text.isdigit() and not text.isdecimal()


def _refs_in(concept: Concept, name: str, value: Any) -> list[Any]:
    if name in concept.refs:
        return [value]
    if name in COLLECTION_REFS and isinstance(value, list):
        return list(value)
    if name == "members" and isinstance(value, list):
        return [mb.get("organisation") for mb in value if isinstance(mb, dict)]
    return []


def _length_limit(column: Any) -> int | None:
    if column is None or not isinstance(column.type, String):
        return None
    return column.type.length


def check_payload(concept: Concept, data: dict[str, Any], where: str = "body") -> dict[str, Any]:
    """Refuse (422) the values of a create/update payload that the database would choke on.

    Returns the payload with every date-time in UTC (naive ones are taken as UTC): SQLite keeps no time
    zone, so an instant must be stored as UTC to mean the same on both backends.
    """
    problems: list[Problem] = []
    columns = concept.model.__table__.c
    for name, value in data.items():
        field_where = f"{where}.{name}"
        _walk(value, field_where, problems)
        if value is None:
            column = columns.get(concept.refs[name].column if name in concept.refs else name)
            if column is not None and not column.nullable:
                problems.append(_problem("cannot be null", field_where, "give a value, or leave the field out"))
            continue
        for ref in _refs_in(concept, name, value):
            if isinstance(ref, str) and not_a_number(ref.strip()):
                problems.append(
                    _problem(
                        f"names no row: {ref!r} is neither a code nor a number", field_where, "use a code or an id"
                    )
                )
        limit = _length_limit(columns.get(name))
        if limit is not None and isinstance(value, str) and len(value) > limit:
            problems.append(
                _problem(
                    f"is {len(value)} characters long; at most {limit} fit",
                    field_where,
                    f"shorten it to {limit} characters or fewer",
                )
            )
    raise_problems(problems)
    return {k: _utc(v) if isinstance(v, datetime) else v for k, v in data.items()}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def check_params(params: dict[str, Any], where: str = "query") -> None:
    """Refuse (422) query or path values with NUL characters or unpaired surrogates."""
    problems = [p for name, v in params.items() if isinstance(v, str) and (p := _text_problem(v, f"{where}.{name}"))]
    raise_problems(problems)


def raise_problems(problems: list[Problem]) -> None:
    if not problems:
        return
    first = problems[0]
    raise ResonanceError(
        what=f"{len(problems)} invalid value(s): {first.what}" if len(problems) > 1 else first.what,
        where=first.where,
        fix=first.fix if len(problems) == 1 else "correct the values listed",
        code="validation_error",
        status=422,
        problems=problems,
    )
