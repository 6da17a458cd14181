"""Read an import file into rows, each with the row number the user sees: CSV, XLSX or YAML.

CSV bytes are decoded as UTF-8 (with or without BOM), UTF-16 with BOM, then GB18030 (a superset of GBK, what
Chinese Excel writes for "CSV (逗号分隔)"), then whatever charset-normalizer recognises. Row numbers follow
the spreadsheet: the header is row 1 and the first data row is row 2 (blank lines keep their numbers). A file
that cannot be read at all raises ``ResonanceError(code="import_failed")``; problems that concern single rows
or columns are collected on the returned ``Table`` so the importer can report them together with the rest.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from charset_normalizer import from_bytes
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from resonance.errors import Problem, ResonanceError

CSV_SUFFIXES = (".csv", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
YAML_SUFFIXES = (".yaml", ".yml", ".json")
_GUESSABLE = ("utf_16", "utf_32", "big5", "cp950")
SAVE_AS_UTF8 = "save it as “CSV UTF-8 (逗号分隔)” or as an Excel workbook (.xlsx) and import that"


@dataclass
class SourceRow:
    """One data row: ``number`` as the user sees it (sheet row, or item number in YAML) and its cells."""

    number: int
    cells: dict[str, Any]
    line: int | None = None  # YAML: the line where the item starts


@dataclass
class Table:
    """What a file holds: its headers as written, its non-blank data rows, and row-level reading problems."""

    name: str
    format: str  # csv | xlsx | yaml
    headers: list[str]
    rows: list[SourceRow]
    sheet: str | None = None
    encoding: str | None = None
    concept: str | None = None  # the concept a YAML mapping names as its key
    problems: list[Problem] = field(default_factory=list)

    def where(self, row: SourceRow | None = None, column: str | None = None) -> str:
        """``file.csv, row 7, column 所属行业`` (``sheet 数据集`` for XLSX, ``item 3 (line 12)`` for YAML)."""
        parts = [self.name]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if row is not None:
            if self.format == "yaml":
                parts.append(f"item {row.number}" + (f" (line {row.line})" if row.line else ""))
            else:
                parts.append(f"row {row.number}")
        if column is not None:
            parts.append(f"{'key' if self.format == 'yaml' else 'column'} {column}")
        return ", ".join(parts)


def fail(what: str, where: str, fix: str, value: Any = None) -> ResonanceError:
    """The error for a file that cannot be imported at all (one problem, code ``import_failed``)."""
    problem = Problem(what=what, where=where, fix=fix, value=value)
    return ResonanceError(what=what, where=where, fix=fix, code="import_failed", status=422, problems=[problem])


def read_table(path: Path, sheet: str | None = None) -> Table:
    """Read a CSV, XLSX or YAML file; the format comes from the extension and is checked against the content."""
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if not path.is_file():
        raise fail("the file does not exist", str(path), "check the path")
    if suffix == ".xls":
        raise fail("this is the old Excel 97-2003 format (.xls)", name, "open it in Excel or WPS and save as .xlsx")
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES + YAML_SUFFIXES:
        raise fail(
            f"cannot import a {suffix or 'extension-less'} file",
            name,
            "import a .csv, .xlsx or .yaml file (save spreadsheets as .xlsx or CSV UTF-8)",
        )
    data = path.read_bytes()
    if not data.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise fail("the file is empty", name, "add a header row and at least one data row")
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(data, name, sheet)
    if data.startswith(b"PK\x03\x04"):
        raise fail(f"this is an Excel workbook (ZIP), not a {suffix} file", name, "rename it to .xlsx")
    text, encoding = decode_text(data, name)
    if suffix in YAML_SUFFIXES:
        return read_yaml(text, name, encoding)
    return read_csv_text(text, name, encoding, delimiter="\t" if suffix == ".tsv" else None)


# --- text and CSV --------------------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode bytes, trying UTF-8 (BOM or not), UTF-16 with BOM, GB18030, then charset-normalizer's guess."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", name), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", name), "utf-16"
    first_error: UnicodeDecodeError | None = None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        if "\x00" in text:  # UTF-16 without a BOM, or not text at all
            return _guess(data, name, "the file contains NUL bytes")
        return text, encoding
    assert first_error is not None
    line = data[: first_error.start].count(b"\n") + 1
    byte = data[first_error.start]
    return _guess(data, name, f"byte 0x{byte:02X} on line {line} is neither UTF-8 nor GBK/GB18030")


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fail(f"the file says it is {encoding} but line {line} is not", name, SAVE_AS_UTF8) from None
    if "\x00" in text:
        raise fail("the file contains NUL characters: it is not a text file", name, SAVE_AS_UTF8)
    return text


def _guess(data: bytes, name: str, reason: str) -> tuple[str, str]:
    """charset-normalizer's guess, trusted only for encodings a Chinese user plausibly has (else mojibake)."""
    best = from_bytes(data).best()
    if best is not None and best.encoding.startswith(_GUESSABLE):
        text = str(best)
        controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n")
        if text and controls == 0:
            return text, best.encoding
    raise fail(f"cannot decode the file: {reason}", name, SAVE_AS_UTF8)


def _sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", "\t", ";", "，")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_text(text: str, name: str, encoding: str, delimiter: str | None = None) -> Table:
    """Parse CSV text; the header is the first non-blank record, every record counts as one row number."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _sniff_delimiter(text))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise fail(f"the CSV is malformed near record {reader.line_num}: {exc}", name, SAVE_AS_UTF8) from None
    table = Table(name=name, format="csv", headers=[], rows=[], encoding=encoding)
    numbered = [(i, [c.strip() for c in rec]) for i, rec in enumerate(records, start=1)]
    label = _csv_label
    for number, values in _take_header(table, numbered, label):
        _add_row(table, number, values, label)
    return table


def _take_header(
    table: Table, numbered: list[tuple[int, list[Any]]], label: Callable[[int], str]
) -> list[tuple[int, list[Any]]]:
    """Set ``table.headers`` from the first non-blank row; return the rows after it."""
    pos = next((i for i, (_number, values) in enumerate(numbered) if not all(_blank(v) for v in values)), None)
    if pos is None:
        raise fail("the file has no header row", table.where(), "put the column headers in the first row")
    header_number, raw = numbered[pos]
    while raw and _blank(raw[-1]):
        raw = raw[:-1]
    headers: list[str] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(raw):
        text = "" if _blank(value) else str(value).strip()
        if not text:
            table.problems.append(
                Problem(
                    what=f"{label(i)} has no header",
                    where=f"{table.where()}, row {header_number}",
                    fix="write a header for it, or delete the column",
                )
            )
        elif text in seen:
            table.problems.append(
                Problem(
                    what=f"header {text!r} appears twice ({label(seen[text])} and {label(i)})",
                    where=f"{table.where()}, row {header_number}",
                    fix="keep one of the two columns",
                )
            )
        seen.setdefault(text, i)
        headers.append(text)
    table.headers = headers
    return numbered[pos + 1 :]


def _csv_label(index: int) -> str:
    return f"column {index + 1}"


def _xlsx_label(index: int) -> str:
    return f"column {get_column_letter(index + 1)}"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _add_row(table: Table, number: int, values: list[Any], label: Callable[[int], str]) -> None:
    if all(_blank(v) for v in values):
        return
    extra = [i for i in range(len(table.headers), len(values)) if not _blank(values[i])]
    if extra:
        table.problems.append(
            Problem(
                what=f"{label(extra[0])} holds a value but has no header",
                where=table.where(SourceRow(number, {})),
                fix="add a header for the column, or delete the stray value",
                value=values[extra[0]],
            )
        )
    cells = {}
    for i, header in enumerate(table.headers):
        value = values[i] if i < len(values) else None
        if header and not _blank(value):
            cells[header] = value.strip() if isinstance(value, str) else value
    table.rows.append(SourceRow(number, cells))


# --- XLSX ----------------------------------------------------------------------------------------------


def read_xlsx(data: bytes, name: str, sheet: str | None = None) -> Table:
    """Read one worksheet (the first, or ``sheet``); row numbers are the sheet's own."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise fail("this is the old Excel 97-2003 format (.xls)", name, "open it in Excel or WPS and save as .xlsx")
    if not data.startswith(b"PK"):
        raise fail("the file is not an Excel workbook (.xlsx)", name, "if it is a CSV file, rename it to .csv")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        raise fail(
            f"the workbook is damaged or truncated and cannot be opened ({type(exc).__name__})",
            name,
            "open it in Excel or WPS, save it again as .xlsx, and import the new file",
        ) from None
    try:
        names = workbook.sheetnames
        if sheet is not None and sheet not in names:
            raise fail(f"the workbook has no sheet {sheet!r}", name, f"use one of: {', '.join(names)}")
        worksheet = workbook[sheet or names[0]]
        table = Table(name=name, format="xlsx", headers=[], rows=[], sheet=worksheet.title)
        try:
            numbered = [(i, list(values)) for i, values in enumerate(worksheet.iter_rows(values_only=True), start=1)]
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
            raise fail(
                f"the sheet {worksheet.title!r} is damaged and cannot be read ({type(exc).__name__})",
                name,
                "open it in Excel or WPS, save it again as .xlsx, and import the new file",
            ) from None
    finally:
        workbook.close()
    for number, values in _take_header(table, numbered, _xlsx_label):
        _add_row(table, number, values, _xlsx_label)
    return table


# --- YAML ----------------------------------------------------------------------------------------------


def read_yaml(text: str, name: str, encoding: str = "utf-8") -> Table:
    """A list of mappings, or a mapping ``{concept: [mappings]}``; keys play the part of column headers."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}, line {mark.line + 1}" if mark else name
        raise fail(f"the YAML is malformed: {getattr(exc, 'problem', exc)}", where, "correct the syntax") from None
    table = Table(name=name, format="yaml", headers=[], rows=[], encoding=encoding)
    if data is None:
        raise fail("the file is empty", name, "write a list of records")
    if isinstance(data, dict):
        if len(data) != 1 or not isinstance(next(iter(data.values())), list | None):
            raise fail(
                "a YAML mapping must have exactly one key, the concept, holding a list of records",
                name,
                "write `organisations:` (or another concept) followed by a list, or just the list",
            )
        table.concept = str(next(iter(data)))
        data = next(iter(data.values())) or []
        root = root.value[0][1]
    if not isinstance(data, list):
        raise fail("the YAML must hold a list of records", name, "write one `- key: value` mapping per record")
    lines = [node.start_mark.line + 1 for node in root.value] if data else []
    for number, (item, line) in enumerate(zip(data, lines, strict=True), start=1):
        row = SourceRow(number, {}, line)
        if not isinstance(item, dict):
            table.problems.append(
                Problem(what="the item is not a mapping", where=table.where(row), fix="write it as `key: value` pairs")
            )
            continue
        for key in item:
            if str(key) not in table.headers:
                table.headers.append(str(key))
        row.cells = {str(k): (v.strip() if isinstance(v, str) else v) for k, v in item.items() if not _blank(v)}
        table.rows.append(row)
    return table
