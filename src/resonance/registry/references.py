"""References between registry rows: find the row a reference names, and show a row by its key (code).

``resolve`` is how every write and filter turns "org-a", "江苏省", "ds@2" or "17" into a row; ``display_key``
and ``reference_keys`` are how reads show a referenced row: by code, or ``code@version`` for versioned rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from resonance.errors import ResonanceError
from resonance.registry import models as m

_LOOKUP_LABEL = {"code": "code", "name_zh": "Chinese name", "name_en": "English name", "uscc": "USCC"}

_LOOKUPS: dict[type[m.Base], tuple[str, ...]] = {
    m.Industry: ("code", "name_zh", "name_en"),
    m.ActionEntity: ("code", "name_zh"),
    m.Organisation: ("code", "name_zh", "uscc"),
    m.Scenario: ("code",),
    m.Agent: ("code",),
    m.Dataset: ("code",),
    m.ModelVersion: ("code",),
}
VERSIONED = (m.Dataset, m.ModelVersion)


def resolve(session: Session, target: type[m.Base], value: Any, where: str = "") -> Any:
    """Find the row a reference names: by code / name (per target), ``code@version``, or numeric id.

    Found rows are cached for the session (imports name the same owner or industry thousands of times).
    """
    text = str(value).strip()
    cache: dict[tuple[type[m.Base], str], Any] = session.info.setdefault("resolved", {})
    cached = cache.get((target, text))
    if cached is not None and cached in session:
        return cached
    row = _lookup(session, target, text)
    if row is None:
        raise _unknown(target, text, where)
    cache[(target, text)] = row
    return row


def _lookup(session: Session, target: type[m.Base], text: str) -> Any:
    lookups = _LOOKUPS.get(target, ())
    row = None
    if target in VERSIONED:
        code, _, version = text.partition("@")
        stmt = select(target).where(target.code == code)
        if version:
            stmt = stmt.where(target.version == version)
        row = session.scalars(stmt.order_by(target.id.desc()).limit(1)).first()
    elif lookups:
        conds = [getattr(target, f) == text for f in lookups if f != "name_en"]
        if "name_en" in lookups:
            conds.append(func.lower(target.name_en) == text.lower())
        row = session.scalars(select(target).where(or_(*conds)).limit(1)).first()
    if row is None and text.isascii() and text.isdigit() and len(text) < 10:
        row = session.get(target, int(text))
    return row


def _unknown(target: type[m.Base], text: str, where: str) -> ResonanceError:
    from resonance.registry.concepts import CONCEPTS
    from resonance.registry.vocabularies import industries

    concept = next(c for c in CONCEPTS.values() if c.model is target)
    by = " or ".join(_LOOKUP_LABEL.get(f, f) for f in _LOOKUPS.get(target, ())) or "id"
    if target is m.Industry:
        fix = "use one of the 20 industries of the notice: " + "、".join(i["zh"] for i in industries())
    else:
        fix = f"register the {concept.singular} first, or use an existing one (`resonance {concept.cli} list`)"
    return ResonanceError(
        what=f"no {concept.singular} with {by} {text!r}", where=where, fix=fix, code="unknown_reference", status=422
    )


def display_key(row: Any) -> str:
    if isinstance(row, VERSIONED):
        return f"{row.code}@{row.version}"
    return str(getattr(row, "code", None) or row.id)


def reference_keys(session: Session, target: type[m.Base], ids: Iterable[int]) -> dict[int, str]:
    """``display_key`` of the rows ``ids`` of ``target``, read as (id, code[, version]) tuples.

    Tuples, not ORM rows: loading the rows would read every column (long texts too) and, through their
    ``selectin`` relationships, their collections, only to show a code.
    """
    versioned = target in VERSIONED
    code = target.__table__.columns.get("code")
    columns = [target.id, *([target.code] if code is not None else []), *([target.version] if versioned else [])]
    keys: dict[int, str] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 900):  # bound the IN list (SQLite allows few parameters)
        for row in session.execute(select(*columns).where(target.id.in_(wanted[start : start + 900]))):
            if versioned:
                keys[row[0]] = f"{row[1]}@{row[2]}"
            else:
                keys[row[0]] = str((row[1] if code is not None else None) or row[0])
    return keys
