"""Reading any registry concept: filters and search, pages, one row, and rows as the concept's read schema.

References are shown by code (``references.display_key``), never by internal id. Callers own the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from resonance.errors import NotFound, ResonanceError
from resonance.registry import models as m
from resonance.registry import search
from resonance.registry.concepts import Concept
from resonance.registry.references import reference_keys, resolve
from resonance.registry.vocabularies import normalise


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "total": self.total, "page": self.page, "page_size": self.page_size}


def to_read(session: Session, concept: Concept, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows as the concept's read schema, with references shown by code (one query per referenced table).

    ``rows``: ORM instances, or result rows with (at least) the ``_read_columns`` when the concept has no read hook.
    """
    keys: dict[type[m.Base], dict[int, str]] = defaultdict(dict)
    for ref in concept.refs.values():
        ids = {getattr(r, ref.column) for r in rows} - {None}
        if ids and ref.target is m.Industry:
            keys[m.Industry].update(dict(session.execute(select(m.Industry.id, m.Industry.code)).all()))
        elif ids:
            keys[ref.target].update(reference_keys(session, ref.target, ids - keys[ref.target].keys()))
    columns = _read_columns(concept)
    refs = list(concept.refs.items())
    out = []
    for row in rows:
        data = {key: getattr(row, key) for key in columns}
        for name, ref in refs:
            fk = data.pop(ref.column, None)
            data[name] = keys[ref.target].get(fk) if fk is not None else None
        if concept.read_hook:
            data.update(concept.read_hook(row))
        out.append(concept.read.model_validate(data).model_dump(mode="json"))
    return out


def _read_columns(concept: Concept) -> list[str]:
    """Columns the read schema shows (or resolves to codes); deferred JSON blobs stay unloaded."""
    wanted = set(concept.read.model_fields) | {ref.column for ref in concept.refs.values()}
    return [c.key for c in concept.model.__table__.columns if c.key in wanted]


def filtered(session: Session, concept: Concept, filters: dict[str, Any], q: str | None = None) -> Select[Any]:
    """The rows of ``concept`` matching every filter (by field name) and the search ``q``."""
    stmt = select(concept.model)
    for name, value in filters.items():
        if value is None or value == "":
            continue
        if "\x00" in str(value):
            raise ResonanceError(
                what=f"filter {name} contains a NUL character", fix="remove it", code="bad_filter", status=422
            )
        if name not in concept.filters:
            raise ResonanceError(
                what=f"cannot filter {concept.name} by {name!r}",
                fix=f"filter by one of: {', '.join(concept.filters) or 'nothing'}",
                code="bad_filter",
                status=422,
            )
        if name in concept.refs:
            ref = concept.refs[name]
            target = resolve(session, ref.target, value, where=f"filter {name}")
            stmt = stmt.where(getattr(concept.model, ref.column) == target.id)
        elif name in concept.vocab:
            stmt = stmt.where(getattr(concept.model, name) == normalise(concept.vocab[name], value, f"filter {name}"))
        elif name == "is_reference_example":
            stmt = stmt.where(concept.model.is_reference_example.is_(str(value).lower() in ("1", "true", "yes")))
        else:
            stmt = stmt.where(getattr(concept.model, name) == value)
    if q and q.strip():
        if "\x00" in q:
            raise ResonanceError(
                what="the search contains a NUL character", fix="remove it", code="bad_query", status=422
            )
        conditions = search.match_conditions(concept.name, q, concept.model.id)
        if conditions is None:
            raise ResonanceError(
                what=f"the search {q!r} has no word to search for",
                fix="search with at least one Chinese character, letter or digit",
                code="bad_query",
                status=422,
            )
        stmt = stmt.where(*conditions)
    return stmt


def list_page(
    session: Session,
    concept: Concept,
    filters: dict[str, Any] | None = None,
    q: str | None = None,
    page: int = 1,
    page_size: int = 50,
    scope: Any = None,
) -> Page:
    """One page of rows; ``scope`` is an extra WHERE clause from the caller's permissions."""
    stmt = filtered(session, concept, filters or {}, q)
    if scope is not None:
        stmt = stmt.where(scope)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    model = concept.model
    if page > 1:
        # a deferred join: OFFSET skips index entries of the primary key, not whole rows
        ids = stmt.with_only_columns(model.id).order_by(model.id).offset((page - 1) * page_size).limit(page_size)
        wanted = ids.subquery()
        stmt = select(model).join(wanted, model.id == wanted.c.id)
    else:
        stmt = stmt.limit(page_size)
    rows: Sequence[Any]
    if concept.read_hook is None:  # rows of the read columns suffice, and cost less than ORM instances
        columns = (getattr(model, c) for c in _read_columns(concept))
        rows = session.execute(stmt.with_only_columns(*columns, maintain_column_froms=True).order_by(model.id)).all()
    else:
        rows = session.scalars(stmt.order_by(model.id)).all()
    return Page(to_read(session, concept, rows), total, page, page_size)


def get_row(session: Session, concept: Concept, key: str | int) -> Any:
    """The row ``key`` names: ``code@version``, a lookup field of the concept (code, name…) or a numeric id."""
    text = str(key).strip()
    row = None
    if concept.versioned and "@" in text:
        code, _, version = text.partition("@")
        row = session.scalars(
            select(concept.model).where(concept.model.code == code, concept.model.version == version).limit(1)
        ).first()
    elif concept.lookup:
        conds = [getattr(concept.model, f) == text for f in concept.lookup]
        row = session.scalars(
            select(concept.model).where(or_(*conds)).order_by(concept.model.id.desc()).limit(1)
        ).first()
    if row is None and text.isascii() and text.isdigit() and len(text) < 10:
        row = session.get(concept.model, int(text))
    if row is None:
        raise NotFound(concept.singular, key, fix=f"list them with `resonance {concept.cli} list`")
    return row


def read_one(session: Session, concept: Concept, row: Any) -> dict[str, Any]:
    return to_read(session, concept, [row])[0]
