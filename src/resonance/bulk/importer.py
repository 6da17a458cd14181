"""Import one file of one concept into the registry: all rows or none.

Every row goes through ``services.create`` (the same validation, reference resolution and vocabulary rules
as the API and CLI) inside the caller's session. Problems are collected over the whole file — unknown and
missing columns, bad cells, duplicates within the file and against the registry — and reported together,
each with file, row, column as written, value and fix. If there is any problem the session is rolled back
and ``ResonanceError(code="import_failed")`` is raised; a dry run validates the same way and rolls back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from resonance.bulk.headers import HeaderMap, header_map, importable
from resonance.bulk.readers import SourceRow, Table, fail, read_table
from resonance.errors import Problem, ResonanceError
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS, Concept
from resonance.registry.vocabularies import industries, normalise

Progress = Callable[[int, int], None]
_FIELD_IN_WHERE = re.compile(r"field ([A-Za-z_]+)")
_LEADING_FIELD = re.compile(r"^([A-Za-z_]+)")
_CONFLICT_FIELD = re.compile(r" with (\w+) ")


def _industry_fix() -> str:
    return "use one of the 20 industries of the notice: " + "、".join(i["zh"] for i in industries())


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    file: str
    concept: str
    created: int
    dry_run: bool
    format: str
    sheet: str | None = None
    encoding: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "sheet": self.sheet,
            "encoding": self.encoding,
            "dry_run": self.dry_run,
            "created": {self.concept: self.created},
        }


def import_file(
    session: Session,
    path: Path | str,
    concept: str | None = None,
    *,
    dry_run: bool = False,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Read ``path`` and import its rows as ``concept`` (inferred from a YAML key or the file/sheet name).

    Rolls ``session`` back and raises ``ResonanceError(code="import_failed")`` with every problem if anything
    is wrong; otherwise leaves the new rows flushed in the session for the caller to commit (rolled back
    again when ``dry_run``).
    """
    table = read_table(Path(path), sheet=sheet)
    return import_table(session, table, resolve_concept(concept, table), dry_run=dry_run, progress=progress)


def resolve_concept(name: str | None, table: Table) -> Concept:
    """The concept named by ``--concept`` (name, singular or Chinese), else by the file itself."""
    allowed = importable()
    named_by_file = [c for c in (table.concept, table.sheet, Path(table.name).stem) if c]
    candidates = [name] if name else named_by_file
    for candidate in candidates:
        found = _match_concept(candidate, allowed)
        if found is not None:
            if name and table.concept and _match_concept(table.concept, allowed) not in (None, found):
                raise fail(
                    f"the file holds {table.concept!r} but the import was asked for {name!r}",
                    table.name,
                    f"import it with --concept {table.concept}",
                )
            return CONCEPTS[found]
    if name:
        raise fail(f"{name!r} is not a concept that can be imported", table.name, f"use one of: {', '.join(allowed)}")
    raise fail(
        "the file does not say which concept it holds",
        table.name,
        f"pass --concept with one of: {', '.join(allowed)}",
    )


def _match_concept(text: str, allowed: list[str]) -> str | None:
    key = text.strip().lower()
    for concept_name in allowed:
        c = CONCEPTS[concept_name]
        if key in (c.name, c.singular, c.name.replace("-", "_"), c.zh):
            return concept_name
    return None


def import_table(
    session: Session, table: Table, concept: Concept, *, dry_run: bool = False, progress: Progress | None = None
) -> ImportResult:
    """Validate and insert every row of ``table`` through ``services.create``; all or nothing."""
    hm = header_map(concept.name)
    problems = list(table.problems)
    columns, missing = _map_columns(table, hm, problems)
    if not table.rows:
        problems.append(
            Problem(
                what="the file has no data rows",
                where=table.where(),
                fix=f"add one row per {concept.singular} below the header row",
            )
        )
    importer = _RowImporter(session, table, concept, hm, columns, missing)
    total = len(table.rows)
    for done, row in enumerate(table.rows, start=1):
        problems.extend(importer.import_row(row))
        if progress is not None:
            progress(done, total)
    if problems:
        session.rollback()
        raise ResonanceError(
            what=f"{len(problems)} problem(s); nothing was imported",
            where=table.where(),
            fix="correct every problem listed and import the file again",
            code="import_failed",
            status=422,
            problems=problems,
        )
    if dry_run:
        session.rollback()
    return ImportResult(table.name, concept.name, importer.created, dry_run, table.format, table.sheet, table.encoding)


def _map_columns(table: Table, hm: HeaderMap, problems: list[Problem]) -> tuple[dict[str, str], set[str]]:
    """field -> header as written; unknown, doubled and missing required columns become problems."""
    columns: dict[str, str] = {}
    for header in table.headers:
        if not header or hm.is_ignored(header):
            continue
        field = hm.field_for(header)
        if field is None:
            hint = hm.suggestion(header)
            problems.append(
                Problem(
                    what=f"unknown column {header!r}" + (f" (did you mean {hint!r}?)" if hint else ""),
                    where=table.where(column=header),
                    fix=f"rename or delete the column; accepted headers: {hm.accepted_headers()}",
                    value=header,
                )
            )
        elif field in columns:
            problems.append(
                Problem(
                    what=f"columns {columns[field]!r} and {header!r} both give {field}",
                    where=table.where(column=header),
                    fix="keep one of the two columns",
                    value=header,
                )
            )
        else:
            columns[field] = header
    missing = {f for f, spec in hm.fields.items() if spec.required and f not in columns}
    for field in sorted(missing, key=list(hm.fields).index):
        spec = hm.fields[field]
        problems.append(
            Problem(
                what=f"required column {spec.label!r} ({field}) is missing",
                where=table.where(),
                fix=f"add a column headed {spec.accepted()}",
            )
        )
    return columns, missing


class _RowImporter:
    """Creates rows one by one, remembering the first row of every unique key to name both rows of a duplicate."""

    def __init__(
        self,
        session: Session,
        table: Table,
        concept: Concept,
        hm: HeaderMap,
        columns: dict[str, str],
        missing: set[str],
    ) -> None:
        self.session, self.table, self.concept, self.hm = session, table, concept, hm
        self.columns, self.missing = columns, missing
        self.seen: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
        self.created = 0

    def payload(self, row: SourceRow) -> dict[str, Any]:
        return {
            field: self.hm.coerce(field, row.cells[header])
            for field, header in self.columns.items()
            if header in row.cells
        }

    def import_row(self, row: SourceRow) -> list[Problem]:
        payload = self.payload(row)
        duplicates = self._duplicates(row, payload)
        if duplicates:
            return duplicates
        where = self.table.where(row)
        try:
            services.create(self.session, self.concept, payload, where=where)
        except ResonanceError as exc:
            # after a database integrity error the service has rolled the session back; the file is refused
            # anyway, and the in-file duplicate checks above do not depend on the rows created so far
            problems = self._translate(exc, row, where)
            if exc.code == "validation_error":  # the service stops at the schema; check references too
                problems += self._check_references(row, payload, where, {p.where for p in problems})
            return problems
        self.created += 1
        return []

    def _duplicates(self, row: SourceRow, payload: dict[str, Any]) -> list[Problem]:
        problems = []
        for combo in self.hm.unique:
            values = tuple(_key_text(payload.get(f), self.concept.create.model_fields[f].default) for f in combo)
            if any(v == "" for v in values):
                continue
            first = self.seen.setdefault((combo, values), row.number)
            if first != row.number:
                shown = "@".join(values) if combo == ("code", "version") else " / ".join(values)
                header = self.columns.get(combo[0])
                problems.append(
                    Problem(
                        what=f"duplicate {'+'.join(combo)} {shown!r}: rows {first} and {row.number} both have it",
                        where=self.table.where(row, header),
                        fix=f"keep one of rows {first} and {row.number}, or give this one another {combo[0]}",
                        value=shown,
                    )
                )
        return problems

    def _translate(self, exc: ResonanceError, row: SourceRow, where: str) -> list[Problem]:
        raw = exc.problems or [Problem(what=exc.what, where=exc.where, fix=exc.fix)]
        out = []
        for problem in raw:
            field = _field_of(problem.where, where)
            if field is None and exc.code == "conflict":
                match = _CONFLICT_FIELD.search(exc.what)
                field = match.group(1) if match else None
            if field in self.missing and problem.fix == "add this field":
                continue  # the missing column is reported once, not per row
            header = self.columns.get(field or "")
            value = problem.value if problem.value is not None else row.cells.get(header) if header else None
            what, fix = problem.what, problem.fix
            if problem.fix == "add this field":
                what = f"{field} is required but the cell is empty" if header else f"{field} is required"
                accepted = self.hm.fields[field].accepted() if field in self.hm.fields else field
                fix = f"fill in column {header!r}" if header else f"add a column headed {accepted}"
            elif self._is_industry(field) and exc.code != "conflict":
                fix = _industry_fix()
            elif not fix:
                fix = self.hm.fix_for(field)
            loc = self.table.where(row, header) if header else where + (f", field {field}" if field else "")
            out.append(Problem(what=what, fix=fix, where=loc, value=value))
        return out

    def _check_references(
        self, row: SourceRow, payload: dict[str, Any], where: str, reported: set[str]
    ) -> list[Problem]:
        """Resolve references and vocabulary values the way the service would, for a row whose schema failed."""
        problems: list[Problem] = []
        for field, value in payload.items():
            header = self.columns[field]
            if self.table.where(row, header) in reported or not isinstance(value, str):
                continue
            try:
                if field in self.concept.refs:
                    services.resolve(self.session, self.concept.refs[field].target, value, where=where)
                elif field in self.concept.vocab:
                    normalise(self.concept.vocab[field], value, where=where)
            except ResonanceError as exc:
                fix = _industry_fix() if self._is_industry(field) else exc.fix
                problems.append(Problem(what=exc.what, fix=fix, where=self.table.where(row, header), value=value))
        return problems

    def _is_industry(self, field: str | None) -> bool:
        ref = self.concept.refs.get(field or "")
        return (ref is not None and ref.target is m.Industry) or field == "industries"


def _field_of(problem_where: str, row_where: str) -> str | None:
    """The schema field a service problem is about: ``…, field owner`` or a hook's ``roles[1]``."""
    if problem_where.startswith(row_where):
        match = _FIELD_IN_WHERE.search(problem_where[len(row_where) :])
        return match.group(1) if match else None
    match = _LEADING_FIELD.match(problem_where)
    return match.group(1) if match else None


def _key_text(value: Any, default: Any) -> str:
    if value is None:
        value = default if isinstance(default, str) else None
    return "" if value is None else str(value).strip()
