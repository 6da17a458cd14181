"""Create, read, update, delete and search any registry concept: the one implementation behind API, CLI and imports.

Reading lives in ``reading`` and references in ``references``; both are re-exported here.

Every write validates the payload with the concept's pydantic schema, resolves references given by code or
name, normalises vocabulary values (key, zh or en label), keeps the search index current, and raises a
``ResonanceError`` that says what, where and how to fix it. Callers own the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from resonance.errors import Conflict, Problem, ResonanceError
from resonance.registry import (
    generation,  # noqa: F401  (registers the events that count committed writes)
    search,
)
from resonance.registry import models as m
from resonance.registry.concepts import Concept
from resonance.registry.reading import Page, filtered, get_row, list_page, read_one, to_read
from resonance.registry.references import display_key, resolve
from resonance.registry.vocabularies import normalise

__all__ = [
    "Collector",
    "Page",
    "collect",
    "create",
    "delete",
    "display_key",
    "filtered",
    "get_row",
    "list_page",
    "parse",
    "read_one",
    "resolve",
    "to_read",
    "update",
    "validation_problems",
]


class Collector:
    """Runs several checks and remembers every problem, so that one error can report them all."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.results: list[Any] = []

    def attempt(self, check: Any, value: Any = None) -> Any:
        """Run ``check()``; on a ResonanceError keep its problems (``value`` is the input being checked)."""
        try:
            result = check()
        except ResonanceError as exc:
            self.problems.extend(
                exc.problems or [Problem(what=exc.what, where=exc.where, fix=exc.fix, value=_short(value))]
            )
            return None
        self.results.append(result)
        return result


@contextmanager
def collect(where: str = "") -> Iterator[Collector]:
    """``with collect() as c: c.attempt(...)``; raises one ResonanceError listing every problem at the end."""
    collector = Collector()
    yield collector
    problems = collector.problems
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


# --- writing ------------------------------------------------------------------------------------------


def _apply(session: Session, concept: Concept, row: Any, data: dict[str, Any], where: str) -> None:
    """Set fields on ``row``; every bad reference or vocabulary value is reported, not just the first."""
    with collect(where) as checks:
        for name, value in data.items():
            checks.attempt(lambda name=name, value=value: _set(session, concept, row, name, value, where), value)
        if concept.write_hook:
            checks.attempt(lambda: concept.write_hook(session, row, data, where))


def _set(session: Session, concept: Concept, row: Any, name: str, value: Any, where: str) -> None:
    if value is None and not _nullable(concept, name):
        raise ResonanceError(
            what=f"{name} cannot be empty (null)",
            where=_join(where, name),
            fix="give a value, or leave the field out to keep the current one",
            code="validation_error",
            status=422,
        )
    if name in concept.refs:
        ref = concept.refs[name]
        target = resolve(session, ref.target, value, where=_join(where, name)) if value is not None else None
        setattr(row, ref.column, target.id if target is not None else None)
    elif name in concept.vocab:
        if value is not None:
            setattr(row, name, normalise(concept.vocab[name], value, where=_join(where, name)))
    elif name not in ("industries", "members", "roles"):  # those are set by the concept's write hook
        setattr(row, name, value)


def _check_raw_references(
    session: Session, concept: Concept, payload: Any, bad_fields: set[str], where: str
) -> list[Problem]:
    """For a payload the schema refused: also check its references and vocabulary values, to report all at once."""
    if not isinstance(payload, dict):
        return []
    collector = Collector()
    for name, value in payload.items():
        if name in bad_fields or not isinstance(value, str):
            continue
        if name in concept.refs:
            collector.attempt(
                lambda n=name, v=value: resolve(session, concept.refs[n].target, v, where=_join(where, n))
            )
        elif name in concept.vocab:
            collector.attempt(lambda n=name, v=value: normalise(concept.vocab[n], v, where=_join(where, n)), value)
    return collector.problems


def _nullable(concept: Concept, name: str) -> bool:
    column_name = concept.refs[name].column if name in concept.refs else name
    column = concept.model.__table__.columns.get(column_name)
    return column is None or column.nullable


def _join(where: str, name: str) -> str:
    return f"{where}, field {name}" if where else f"field {name}"


def _unique_column_sets(model: type[m.Base]) -> list[tuple[str, ...]]:
    table = model.__table__
    sets = [(c.name,) for c in table.columns if c.unique]
    sets += [tuple(c.name for c in u.columns) for u in table.constraints if isinstance(u, UniqueConstraint)]
    return sets


def _check_unique(session: Session, concept: Concept, row: Any, where: str) -> None:
    """Refuse duplicates of every unique column and unique constraint before the database has to."""
    model = concept.model
    field_of = {ref.column: name for name, ref in concept.refs.items()}
    for columns in _unique_column_sets(model):
        values = [getattr(row, c) for c in columns]
        if any(v is None or v == "" for v in values):
            continue
        stmt = select(model.id).where(*(getattr(model, c) == v for c, v in zip(columns, values, strict=True)))
        if row.id is not None:
            stmt = stmt.where(model.id != row.id)
        if session.scalar(stmt.limit(1)) is None:
            continue
        own = [c for c in columns if c not in field_of] or list(columns)
        shown = f"{row.code}@{row.version}" if concept.versioned and "code" in columns else str(getattr(row, own[0]))
        label = "+".join(field_of.get(c, c) for c in columns)
        problem = Problem(
            what=f"a {concept.singular} with {label} {shown!r} already exists",
            where=_join(where, field_of.get(own[0], own[0])),
            value=shown,
            fix="use another value, or update the existing one instead of creating it again",
        )
        raise Conflict(
            what=f"a {concept.singular} with {label} {shown!r} already exists",
            where=where,
            fix=problem.fix,
            problems=[problem],
        )


def _index(session: Session, concept: Concept, row: Any, new: bool = False) -> None:
    if concept.search_fields:
        texts = [getattr(row, f) for f in concept.search_fields]
        search.reindex(session, concept.name, row.id, texts, new=new)


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
    try:
        data = parse(concept.create, payload, where).model_dump(exclude_unset=False)
    except ResonanceError as exc:
        bad = {p.where.rsplit("field ", 1)[-1].split(".")[0] for p in exc.problems}
        exc.problems.extend(_check_raw_references(session, concept, payload, bad, where))
        raise
    row = concept.model(**concept.create_defaults, **(extra or {}))
    _apply(session, concept, row, data, where)
    _check_unique(session, concept, row, where)
    _validate_consistency(session, concept, row, where)
    session.add(row)
    _flush(session, concept, row, where)
    _index(session, concept, row, new=True)
    return row


def update(session: Session, concept: Concept, row: Any, payload: Any, where: str = "") -> Any:
    if concept.update is None:
        raise ResonanceError(what=f"{concept.name} are fixed and cannot be changed", code="read_only", status=405)
    data = parse(concept.update, payload, where).model_dump(exclude_unset=True)
    with session.no_autoflush:
        _apply(session, concept, row, data, where)
        _check_unique(session, concept, row, where)
        _validate_consistency(session, concept, row, where)
    _flush(session, concept, row, where)
    _index(session, concept, row)
    return row


def delete(session: Session, concept: Concept, row: Any) -> None:
    if concept.create is None:
        raise ResonanceError(what=f"{concept.name} are fixed and cannot be deleted", code="read_only", status=405)
    try:
        with session.begin_nested():
            session.delete(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            what=f"{concept.singular} {display_key(row)} is still referenced by other rows",
            fix="delete or re-point the rows that reference it first (or set its status to retired)",
        ) from None
    search.unindex(session, concept.name, row.id)


def _flush(session: Session, concept: Concept, row: Any, where: str) -> None:
    """Flush inside a savepoint: a database-level conflict undoes this row only, not the caller's transaction."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        if row in session.new:
            session.expunge(row)
        raise Conflict(
            what=f"the {concept.singular} conflicts with an existing row ({_constraint(exc)})",
            where=where,
            fix="check that codes and names are unique and that referenced rows exist",
        ) from None


def _constraint(exc: IntegrityError) -> str:
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name or str(exc.orig).splitlines()[0][:120]
