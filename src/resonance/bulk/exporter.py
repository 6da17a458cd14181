"""The action's five lists (``data/lists.yaml``) built from the registry and written as XLSX or CSV.

``build_lists`` turns registry rows into plain tables (headers + cells); ``write_xlsx`` puts them in one
workbook, one sheet per list (bold frozen header, filters, widths); ``write_csv`` writes one file per list,
UTF-8 with BOM by default so that Excel opens it, or GB18030 for older WPS/Excel set-ups.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.errors import ResonanceError
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.vocabularies import label

CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030", "gbk")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CASE_FK = {"models": "model_id", "agents": "agent_id"}
_JSON_COLUMNS = ("extra", "lineage", "card")


@dataclass(frozen=True)
class Column:
    zh: str
    en: str
    value: str
    width: int | None = None


@dataclass(frozen=True)
class Source:
    concept: str
    where: dict[str, Any] = field(default_factory=dict)
    exclude: dict[str, list[Any]] = field(default_factory=dict)
    case_kind: str | None = None
    label: str = ""


@dataclass(frozen=True)
class ListSpec:
    """One list of the notice: titles, file and sheet names, where its rows come from, its columns."""

    key: str
    title_zh: str
    title_en: str
    sheet: str
    file: str
    sources: tuple[Source, ...]
    columns: tuple[Column, ...]


@dataclass
class BuiltList:
    """A list ready to write: its spec, header row and data rows (cells are str, int, float or None)."""

    spec: ListSpec
    headers: list[str]
    rows: list[list[Any]]
    widths: list[int | None]


@lru_cache
def _config() -> dict[str, Any]:
    return yaml.safe_load(resources.files("resonance.bulk").joinpath("data/lists.yaml").read_text("utf-8"))


def list_specs() -> list[ListSpec]:
    """The lists defined in ``data/lists.yaml``, in order."""
    specs = []
    for item in _config()["lists"]:
        sources = tuple(Source(**s) for s in item["sources"])
        columns = tuple(Column(**c) for c in item["columns"])
        fields = ("key", "title_zh", "title_en", "sheet", "file")
        specs.append(ListSpec(**{k: item[k] for k in fields}, sources=sources, columns=columns))
    return specs


def build_lists(
    session: Session, entity: str | None = None, keys: list[str] | None = None, lang: str = "zh"
) -> list[BuiltList]:
    """Build every list (or those in ``keys``), optionally only rows of one action entity (code or name)."""
    specs = list_specs()
    if keys:
        unknown = [k for k in keys if k not in {s.key for s in specs}]
        if unknown:
            raise ResonanceError(
                what=f"no list {unknown[0]!r}",
                fix=f"use one of: {', '.join(s.key for s in specs)}",
                code="bad_list",
                status=422,
            )
        specs = [s for s in specs if s.key in keys]
    entity_id = services.resolve(session, m.ActionEntity, entity, where="--entity").id if entity else None
    names = _Names(session, lang)
    return [_build(session, spec, entity_id, names, lang) for spec in specs]


class _Names:
    """Display names of referenced rows, loaded once per export."""

    def __init__(self, session: Session, lang: str) -> None:
        en = lang == "en"
        self.industry = {r.id: (r.name_en if en else r.name_zh) for r in session.scalars(select(m.Industry))}
        self.position = dict(session.execute(select(m.Industry.id, m.Industry.position)).all())
        self.by_model: dict[type[m.Base], dict[int, str]] = {m.Industry: self.industry}
        for model in (m.ActionEntity, m.Organisation):
            rows = session.execute(select(model.id, model.name_zh, model.name_en)).all()
            self.by_model[model] = {i: (ne or nz) if en else nz for i, nz, ne in rows}
        scenario_rows = session.execute(select(m.Scenario.id, m.Scenario.code, m.Scenario.name_zh)).all()
        self.by_model[m.Scenario] = {i: f"{name}（{code}）" for i, code, name in scenario_rows}
        self.org_code = dict(session.execute(select(m.Organisation.code, m.Organisation.id)).all())
        self.entity_code = dict(session.execute(select(m.ActionEntity.id, m.ActionEntity.code)).all())

    def of(self, target: type[m.Base], row_id: int | None) -> str | None:
        if row_id is None:
            return None
        names = self.by_model.get(target, {})
        return names.get(row_id, str(row_id))


def _rows_of(session: Session, source: Source, entity_id: int | None) -> list[Any]:
    concept = CONCEPTS[source.concept]
    model = concept.model
    stmt = select(model)
    for name, value in source.where.items():
        stmt = stmt.where(getattr(model, name) == value)
    for name, values in source.exclude.items():
        stmt = stmt.where(getattr(model, name).not_in(values))
    if entity_id is not None:
        stmt = stmt.where(model.entity_id == entity_id)
    return list(session.scalars(stmt))


def _cases_by_target(session: Session, source: Source, ids: list[int]) -> dict[int, list[m.Case]]:
    fk = _CASE_FK.get(source.concept)
    if not source.case_kind or fk is None or not ids:
        return {}
    out: dict[int, list[m.Case]] = defaultdict(list)
    column = getattr(m.Case, fk)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        stmt = select(m.Case).where(column.in_(chunk), m.Case.kind == source.case_kind, m.Case.status != "retired")
        for case in session.scalars(stmt.order_by(m.Case.code)):
            out[getattr(case, fk)].append(case)
    return out


def _scenario_participants(session: Session, ids: list[int]) -> dict[int, set[int]]:
    """Organisations that bring a dataset, model or agent to each scenario."""
    out: dict[int, set[int]] = defaultdict(set)
    for model, column in ((m.Dataset, "owner_org_id"), (m.ModelVersion, "developer_org_id"), (m.Agent, "org_id")):
        for start in range(0, len(ids), 900):
            stmt = select(model.scenario_id, getattr(model, column)).where(
                model.scenario_id.in_(ids[start : start + 900])
            )
            for scenario_id, org_id in session.execute(stmt):
                out[scenario_id].add(org_id)
    return out


def _build(session: Session, spec: ListSpec, entity_id: int | None, names: _Names, lang: str) -> BuiltList:
    entries: list[tuple[tuple[Any, ...], list[Any]]] = []
    for source in spec.sources:
        concept = CONCEPTS[source.concept]
        rows = _rows_of(session, source, entity_id)
        ids = [r.id for r in rows]
        cases = _cases_by_target(session, source, ids)
        participants = _scenario_participants(session, ids) if source.concept == "scenarios" else {}
        for row in rows:
            context = _Context(concept.name, source, row, names, lang, cases.get(row.id, []), participants)
            cells = [context.value(col.value) for col in spec.columns]
            order = (names.position.get(row.industry_id, 99), names.entity_code.get(row.entity_id, ""), row.code)
            entries.append(((*order, getattr(row, "version", "")), cells))
    entries.sort(key=lambda e: e[0])
    seq = [i for i, col in enumerate(spec.columns) if col.value == "seq"]
    rows_out = []
    for number, (_order, cells) in enumerate(entries, start=1):
        for i in seq:
            cells[i] = number
        rows_out.append(cells)
    headers = [col.en if lang == "en" else col.zh for col in spec.columns]
    return BuiltList(spec, headers, rows_out, [col.width for col in spec.columns])


@dataclass
class _Context:
    concept: str
    source: Source
    row: Any
    names: _Names
    lang: str
    cases: list[m.Case]
    participants: dict[int, set[int]]

    def value(self, expression: str) -> Any:
        kind, _, arg = expression.partition(":")
        concept = CONCEPTS[self.concept]
        if kind == "seq":
            return None  # numbered after sorting
        if kind == "field":
            value = getattr(self.row, arg, None)
            if arg in concept.vocab and value is not None:
                return label(concept.vocab[arg], value, self.lang)
            return value
        if kind == "ref":
            name = concept.owner if arg == "owner" else arg
            ref = concept.refs.get(name or "")
            return self.names.of(ref.target, getattr(self.row, ref.column)) if ref else None
        if kind == "label":
            return self.source.label or None
        if kind == "evidence":
            return f"registry:{self.concept}/{services.display_key(self.row)}"
        if kind == "participants":
            return self._participants()
        if kind == "cases":
            return self._cases(arg)
        raise ValueError(f"lists.yaml: unknown column value {expression!r}")

    def _participants(self) -> str | None:
        concept = CONCEPTS[self.concept]
        lead = getattr(self.row, concept.refs[concept.owner].column) if concept.owner else None
        org_ids = set(self.participants.get(self.row.id, set()))
        for column in _JSON_COLUMNS:
            recorded = (getattr(self.row, column, None) or {}).get("participants") or []
            org_ids.update(self.names.org_code[c] for c in recorded if c in self.names.org_code)
        names = sorted(self.names.of(m.Organisation, i) or "" for i in org_ids - {lead})
        return "、".join(names) or None

    def _cases(self, what: str) -> Any:
        if what == "count":
            return len(self.cases)
        if what == "organisations":
            orgs = dict.fromkeys(self.names.of(m.Organisation, c.org_id) for c in self.cases)
            return "\n".join(o for o in orgs if o) or None
        if what == "effects":
            lines = [f"{c.name_zh}（{self.names.of(m.Organisation, c.org_id)}）：{c.effect or '—'}" for c in self.cases]
            return "\n".join(lines) or None
        raise ValueError(f"lists.yaml: unknown cases value {what!r}")


# --- writing -------------------------------------------------------------------------------------------


def _safe_sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "、", title)[:31]


def _display_width(value: Any) -> int:
    lines = str(value).splitlines() or [""]
    return max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in line) for line in lines)


def write_xlsx(lists: list[BuiltList], path: Path) -> Path:
    """One workbook, one sheet per list: bold filled header, frozen below it, auto-filter, fitted widths."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for built in lists:
        sheet = workbook.create_sheet(_safe_sheet_title(built.spec.sheet))
        sheet.append(built.headers)
        for cells in built.rows:
            sheet.append(cells)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                    if "\n" in cell.value:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.freeze_panes = "A2"
        if built.headers:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(built.headers))}{max(1, len(built.rows) + 1)}"
        for index, header in enumerate(built.headers):
            width = built.widths[index]
            if width is None:
                values = [header] + [r[index] for r in built.rows if r[index] is not None]
                width = min(60, max(8, *(_display_width(v) + 2 for v in values)))
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
    workbook.properties.title = "、".join(b.spec.title_zh for b in lists)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # Excel must show it as text, not run it as a formula
    return "" if value is None else value


def write_csv(built: BuiltList, path: Path, encoding: str = "utf-8-sig") -> Path:
    """One list as CSV; ``encoding`` is utf-8-sig (default, Excel-friendly), utf-8, gb18030 or gbk."""
    if encoding not in CSV_ENCODINGS:
        raise ResonanceError(
            what=f"cannot write CSV in {encoding!r}", fix=f"use one of: {', '.join(CSV_ENCODINGS)}", code="bad_encoding"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(built.headers)
            writer.writerows([_csv_cell(v) for v in row] for row in built.rows)
    except UnicodeEncodeError as exc:
        path.unlink(missing_ok=True)
        raise ResonanceError(
            what=f"{built.spec.title_zh}: the character {exc.object[exc.start]!r} cannot be written in {encoding}",
            fix="export with --encoding gb18030 or utf-8-sig",
            code="bad_encoding",
        ) from None
    return path


def export_lists(
    session: Session,
    out_dir: Path,
    fmt: str = "xlsx",
    entity: str | None = None,
    encoding: str = "utf-8-sig",
    keys: list[str] | None = None,
    lang: str = "zh",
) -> list[Path]:
    """Build the lists and write them under ``out_dir``; returns the paths written."""
    if fmt not in ("xlsx", "csv"):
        raise ResonanceError(what=f"unknown format {fmt!r}", fix="use xlsx or csv", code="bad_format")
    lists = build_lists(session, entity=entity, keys=keys, lang=lang)
    suffix = f"-{_file_part(entity)}" if entity else ""
    out_dir = Path(out_dir)
    if fmt == "xlsx":
        return [write_xlsx(lists, out_dir / f"{_config()['workbook']}{suffix}.xlsx")]
    return [write_csv(b, out_dir / f"{b.spec.file}{suffix}.csv", encoding) for b in lists]


def _file_part(text: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\s]+", "_", text.strip())
