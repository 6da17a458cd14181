"""Create, read, update, delete and search any registry concept: the one implementation behind API, CLI and imports.

Every write validates the payload with the concept's pydantic schema, resolves references given by code or
name, normalises vocabulary values (key, zh or en label), keeps the search index current, and raises a
``ResonanceError`` that says what, where and how to fix it. Callers own the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from resonance.errors import Conflict, NotFound, Problem, ResonanceError
from resonance.registry import models as m
from resonance.registry import search
from resonance.registry.concepts import Concept
from resonance.registry.vocabularies import normalise

_LOOKUP_LABEL = {"code": "code", "name_zh": "Chinese name", "name_en": "English name", "uscc": "USCC"}


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "total": self.total, "page": self.page, "page_size": self.page_size}


def validation_problems(exc: ValidationError, where: str = "") -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        field_where = f"{where}, field {loc}" if where else f"field {loc}"
        value = err.get("input") if err["type"] != "missing" else None
        fix = "add this field" if err["type"] == "missing" else ""
        if err["type"] == "extra_forbidden":
            fix = "remove it, or check its spelling"
        problems.append(Problem(what=err["msg"], where=field_where, value=_short(value), fix=fix))
    return problems


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 80:
        return value[:77] + "…"
    if isinstance(value, dict | list):
        return None
    return value


def parse(schema: type[BaseModel], payload: Any, where: str = "") -> BaseModel:
    try:
        return schema.model_validate(payload)
    except ValidationError as exc:
        problems = validation_problems(exc, where)
        raise ResonanceError(
            what=f"{len(problems)} invalid field(s): {problems[0]}",
            where=where,
            fix="correct the fields listed",
            code="validation_error",
            status=422,
            problems=problems,
        ) from None


# --- references ---------------------------------------------------------------------------------------

_LOOKUPS: dict[type[m.Base], tuple[str, ...]] = {
    m.Industry: ("code", "name_zh", "name_en"),
    m.ActionEntity: ("code", "name_zh"),
    m.Organisation: ("code", "name_zh", "uscc"),
    m.Scenario: ("code",),
    m.Agent: ("code",),
    m.Dataset: ("code",),
    m.ModelVersion: ("code",),
}
_VERSIONED = (m.Dataset, m.ModelVersion)


def resolve(session: Session, target: type[m.Base], value: Any, where: str = "") -> Any:
    """Find the row a reference names: by code / name (per target), ``code@version``, or numeric id."""
    text = str(value).strip()
    lookups = _LOOKUPS.get(target, ())
    row = None
    if target in _VERSIONED:
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
    if row is None and text.isdigit() and len(text) < 10:
        row = session.get(target, int(text))
    if row is None:
        kind = _kind_of(target)
        by = " or ".join(_LOOKUP_LABEL.get(f, f) for f in lookups) or "id"
        raise ResonanceError(
            what=f"no {kind} with {by} {text!r}",
            where=where,
            fix=f"register the {kind} first, or use an existing one (`resonance {_cli_name(target)} list`)",
            code="unknown_reference",
            status=422,
        )
    return row


def _kind_of(target: type[m.Base]) -> str:
    from resonance.registry.concepts import CONCEPTS

    return next((c.singular for c in CONCEPTS.values() if c.model is target), target.__tablename__)


def _cli_name(target: type[m.Base]) -> str:
    from resonance.registry.concepts import CONCEPTS

    return next((c.name for c in CONCEPTS.values() if c.model is target), target.__tablename__)


def display_key(row: Any) -> str:
    if isinstance(row, _VERSIONED):
        return f"{row.code}@{row.version}"
    return str(getattr(row, "code", None) or row.id)


# --- reading ------------------------------------------------------------------------------------------


def to_read(session: Session, concept: Concept, rows: list[Any]) -> list[dict[str, Any]]:
    """Rows as the concept's read schema, with references shown by code (one query per referenced table)."""
    keys: dict[type[m.Base], dict[int, str]] = defaultdict(dict)
    for ref in concept.refs.values():
        ids = {getattr(r, ref.column) for r in rows} - {None}
        if ids and ref.target is m.Industry:
            keys[m.Industry].update(dict(session.execute(select(m.Industry.id, m.Industry.code)).all()))
        elif ids:
            missing = ids - keys[ref.target].keys()
            for chunk in _chunks(sorted(missing), 900):
                for target_row in session.scalars(select(ref.target).where(ref.target.id.in_(chunk))):
                    keys[ref.target][target_row.id] = display_key(target_row)
    out = []
    for row in rows:
        data = {c.key: getattr(row, c.key) for c in row.__table__.columns}
        for name, ref in concept.refs.items():
            fk = data.pop(ref.column, None)
            data[name] = keys[ref.target].get(fk) if fk is not None else None
        if concept.read_hook:
            data.update(concept.read_hook(row))
        out.append(concept.read.model_validate(data).model_dump(mode="json"))
    return out


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def filtered(session: Session, concept: Concept, filters: dict[str, Any], q: str | None = None) -> Select[Any]:
    stmt = select(concept.model)
    for name, value in filters.items():
        if value is None or value == "":
            continue
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
        ids = search.matching_ids(concept.name, q)
        if ids is None:
            raise ResonanceError(
                what=f"the search {q!r} has no word to search for",
                fix="search with at least one Chinese character, letter or digit",
                code="bad_query",
                status=422,
            )
        stmt = stmt.where(concept.model.id.in_(ids))
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
    rows = list(session.scalars(stmt.order_by(concept.model.id).offset((page - 1) * page_size).limit(page_size)))
    return Page(to_read(session, concept, rows), total, page, page_size)


def get_row(session: Session, concept: Concept, key: str | int) -> Any:
    text = str(key).strip()
    row = None
    if concept.versioned and "@" in text:
        code, _, version = text.partition("@")
        row = session.scalars(
            select(concept.model).where(concept.model.code == code, concept.model.version == version)
        ).first()
    elif concept.lookup:
        conds = [getattr(concept.model, f) == text for f in concept.lookup]
        row = session.scalars(select(concept.model).where(or_(*conds)).order_by(concept.model.id.desc())).first()
    if row is None and text.isdigit() and len(text) < 10:
        row = session.get(concept.model, int(text))
    if row is None:
        raise NotFound(concept.singular, key, fix=f"list them with `resonance {concept.name} list`")
    return row


def read_one(session: Session, concept: Concept, row: Any) -> dict[str, Any]:
    return to_read(session, concept, [row])[0]


# --- writing ------------------------------------------------------------------------------------------


def _apply(session: Session, concept: Concept, row: Any, data: dict[str, Any], where: str) -> None:
    """Set fields on ``row``; every bad reference or vocabulary value is reported, not just the first."""
    problems: list[Problem] = []
    for name, value in data.items():
        try:
            if name in concept.refs:
                ref = concept.refs[name]
                target = resolve(session, ref.target, value, where=_join(where, name)) if value is not None else None
                setattr(row, ref.column, target.id if target is not None else None)
            elif name in concept.vocab:
                if value is not None:
                    setattr(row, name, normalise(concept.vocab[name], value, where=_join(where, name)))
            elif name not in ("industries", "members", "roles"):  # those are set by the concept's write hook
                setattr(row, name, value)
        except ResonanceError as exc:
            problems.append(Problem(what=exc.what, where=exc.where, fix=exc.fix, value=_short(value)))
    if len(problems) == 1:
        p = problems[0]
        raise ResonanceError(what=p.what, where=p.where, fix=p.fix, code="unknown_value", status=422, problems=problems)
    if problems:
        raise ResonanceError(
            what=f"{len(problems)} invalid values: {problems[0]}",
            where=where,
            fix="correct the values listed",
            code="unknown_value",
            status=422,
            problems=problems,
        )


def _join(where: str, name: str) -> str:
    return f"{where}, field {name}" if where else f"field {name}"


def _check_unique(session: Session, concept: Concept, row: Any, where: str) -> None:
    model = concept.model
    checks: list[tuple[str, Any]] = []
    if concept.versioned:
        checks.append(("code", (model.code == row.code) & (model.version == row.version)))
    elif hasattr(model, "code") and "code" in concept.lookup:
        checks.append(("code", model.code == row.code))
    for unique_name in ("name_zh", "uscc"):
        column = getattr(model.__table__.c, unique_name, None)
        if column is not None and column.unique and getattr(row, unique_name, None):
            checks.append((unique_name, getattr(model, unique_name) == getattr(row, unique_name)))
    for field_name, cond in checks:
        stmt = select(model.id).where(cond)
        if row.id is not None:
            stmt = stmt.where(model.id != row.id)
        if session.scalar(stmt.limit(1)) is not None:
            value = getattr(row, field_name)
            if concept.versioned and field_name == "code":
                value = f"{row.code}@{row.version}"
            raise Conflict(
                what=f"a {concept.singular} with {field_name} {value!r} already exists",
                where=where,
                fix="use another value, or update the existing one instead of creating it again",
            )


def _index(session: Session, concept: Concept, row: Any) -> None:
    if concept.search_fields:
        search.reindex(session, concept.name, row.id, [getattr(row, f) for f in concept.search_fields])


def _validate_consistency(session: Session, concept: Concept, row: Any, where: str) -> None:
    """Cross-field rules a schema cannot express alone, and fields derived from others."""
    if isinstance(row, m.Contract) and row.dataset_id is not None:
        row.provider_org_id = session.get(m.Dataset, row.dataset_id).owner_org_id
    if isinstance(row, m.Case) and row.model_id is None and row.agent_id is None:
        raise ResonanceError(
            what="a case must name the model or the agent it applies",
            where=where,
            fix="set `model` (code or code@version) or `agent` (code)",
            code="validation_error",
            status=422,
        )
    scenario_id = getattr(row, "scenario_id", None)
    if scenario_id is not None and hasattr(row, "industry_id"):
        scenario = session.get(m.Scenario, scenario_id)
        if scenario is not None and scenario.industry_id != row.industry_id:
            raise ResonanceError(
                what=f"scenario {scenario.code} belongs to another industry than this {concept.singular}",
                where=where,
                fix="use a scenario of the same industry, or correct the industry",
                code="validation_error",
                status=422,
            )


def create(
    session: Session, concept: Concept, payload: Any, where: str = "", extra: dict[str, Any] | None = None
) -> Any:
    """Validate and insert one row (plus its collections and search terms); returns the ORM row."""
    if concept.create is None:
        raise ResonanceError(what=f"{concept.name} are fixed and cannot be created", code="read_only", status=405)
    data = parse(concept.create, payload, where).model_dump(exclude_unset=False)
    row = concept.model(**concept.create_defaults, **(extra or {}))
    _apply(session, concept, row, data, where)
    _check_unique(session, concept, row, where)
    _validate_consistency(session, concept, row, where)
    session.add(row)
    _flush(session, concept, where)
    if concept.write_hook:
        concept.write_hook(session, row, data)
        _flush(session, concept, where)
    _index(session, concept, row)
    return row


def update(session: Session, concept: Concept, row: Any, payload: Any, where: str = "") -> Any:
    if concept.update is None:
        raise ResonanceError(what=f"{concept.name} are fixed and cannot be changed", code="read_only", status=405)
    data = parse(concept.update, payload, where).model_dump(exclude_unset=True)
    _apply(session, concept, row, data, where)
    _check_unique(session, concept, row, where)
    _validate_consistency(session, concept, row, where)
    if concept.write_hook:
        concept.write_hook(session, row, data)
    _flush(session, concept, where)
    _index(session, concept, row)
    return row


def delete(session: Session, concept: Concept, row: Any) -> None:
    if concept.create is None:
        raise ResonanceError(what=f"{concept.name} are fixed and cannot be deleted", code="read_only", status=405)
    session.delete(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            what=f"{concept.singular} {display_key(row)} is still referenced by other rows",
            fix="delete or re-point the rows that reference it first (or set its status to retired)",
        ) from None
    search.unindex(session, concept.name, row.id)


def _flush(session: Session, concept: Concept, where: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            what=f"the {concept.singular} conflicts with an existing row ({exc.orig.__class__.__name__})",
            where=where,
            fix="check codes and names are unique and that referenced rows exist",
        ) from None
