"""Stream sources DuckDB cannot read without an extension (Excel, SQL tables) into a temporary Parquet file.

Both write in row batches with pyarrow, so memory stays bounded by one batch whatever the source's size.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from resonance.errors import ResonanceError

_CELLS_PER_BATCH = 200_000


def _batch_rows(columns: int) -> int:
    return max(64, _CELLS_PER_BATCH // max(columns, 1))


@dataclass
class SheetResult:
    """A sheet written as all-string Parquet plus the DuckDB type each column's values fit."""

    sheet: str
    columns: list[str]
    types: list[str]
    rows: int


@dataclass
class _ColumnKinds:
    seen: set[str] = field(default_factory=set)

    def duckdb_type(self) -> str:
        kinds = self.seen
        if not kinds or kinds == {"str"}:
            return "VARCHAR"
        if kinds <= {"int"}:
            return "BIGINT"
        if kinds <= {"int", "float"}:
            return "DOUBLE"
        if kinds <= {"datetime", "date"}:
            return "TIMESTAMP" if "datetime" in kinds else "DATE"
        if kinds == {"time"}:
            return "TIME"
        if kinds == {"bool"}:
            return "BOOLEAN"
        return "VARCHAR"


def _cell_text(value: Any, kinds: _ColumnKinds) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        kinds.seen.add("bool")
        return "true" if value else "false"
    if isinstance(value, int):
        kinds.seen.add("int" if -(2**63) <= value < 2**63 else "str")
        return str(value)
    if isinstance(value, float):
        kinds.seen.add("float")
        return repr(value)
    if isinstance(value, dt.datetime):
        kinds.seen.add("datetime")
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        kinds.seen.add("date")
        return value.isoformat()
    if isinstance(value, dt.time):
        kinds.seen.add("time")
        return value.isoformat()
    kinds.seen.add("str")
    return str(value)


def _unreadable_workbook(name: str) -> ResonanceError:
    return ResonanceError(
        what="not a readable Excel workbook: the file is truncated or corrupted",
        where=name,
        fix="open it in Excel or WPS to check it, save it again as .xlsx and open that copy",
        code="source_corrupt",
        status=422,
    )


def xlsx_to_parquet(path: Path, name: str, sheet: str | None, target: Path) -> SheetResult:
    """Stream one sheet (the first unless ``sheet`` is named) into ``target``; the first row is the header."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, EOFError, zlib.error, ValueError):
        raise _unreadable_workbook(name) from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise ResonanceError(
                what=f"the workbook has no sheet {sheet!r}",
                where=name,
                fix=f"use one of its sheets: {', '.join(workbook.sheetnames)}",
                code="source_not_found",
                status=404,
            )
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        try:
            return _write_sheet(worksheet.iter_rows(values_only=True), name, worksheet.title, target)
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib.error) as exc:
            raise _unreadable_workbook(name) from exc
    finally:
        workbook.close()


def _header(row: tuple[Any, ...], where: str) -> list[str]:
    cells = list(row)
    while cells and (cells[-1] is None or not str(cells[-1]).strip()):
        cells.pop()
    names: list[str] = []
    for index, value in enumerate(cells, start=1):
        text = "" if value is None else str(value).strip()
        cell = f"{get_column_letter(index)}1"
        if not text:
            raise ResonanceError(
                what=f"column {get_column_letter(index)} has no header",
                where=f"{where}, cell {cell}",
                fix="give every column a name in the first row",
                code="source_header",
                status=422,
            )
        if text in names:
            raise ResonanceError(
                what=f"the header {text!r} appears twice (columns {get_column_letter(names.index(text) + 1)} "
                f"and {get_column_letter(index)})",
                where=f"{where}, cell {cell}",
                fix="give every column a different name",
                code="source_header",
                status=422,
            )
        names.append(text)
    return names


def _write_sheet(rows: Iterable[tuple[Any, ...]], name: str, title: str, target: Path) -> SheetResult:
    where = f"{name}, sheet {title}"
    rows = iter(rows)
    first = next(rows, None)
    if first is None or all(v is None or not str(v).strip() for v in first):
        raise ResonanceError(
            what="the sheet is empty", where=where, fix="put a header row and data rows in it", code="source_empty"
        )
    columns = _header(first, where)
    width = len(columns)
    kinds = [_ColumnKinds() for _ in columns]
    schema = pa.schema([pa.field(f"c{i}", pa.string()) for i in range(width)])
    per_batch = _batch_rows(width)
    buffer: list[list[str | None]] = [[] for _ in columns]
    count = 0
    with pq.ParquetWriter(target, schema) as writer:
        for number, row in enumerate(rows, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue  # blank rows between blocks of data are not rows
            for index in range(width, len(row)):
                if row[index] is not None and str(row[index]).strip():
                    letter = get_column_letter(index + 1)
                    raise ResonanceError(
                        what=f"row {number} has a value in column {letter}, which has no header",
                        where=f"{where}, row {number}, cell {letter}{number}",
                        fix="add a header for that column or delete the stray value",
                        code="source_ragged",
                        status=422,
                    )
            for index in range(width):
                value = row[index] if index < len(row) else None
                buffer[index].append(_cell_text(value, kinds[index]))
            count += 1
            if count % per_batch == 0:
                writer.write_table(pa.table(buffer, schema=schema))
                buffer = [[] for _ in columns]
        if buffer[0]:
            writer.write_table(pa.table(buffer, schema=schema))
    if count == 0:
        raise ResonanceError(
            what="the sheet has a header row but no data rows",
            where=where,
            fix="add data rows below the header, or pick the sheet that holds the data",
            code="source_empty",
        )
    return SheetResult(title, columns, [k.duckdb_type() for k in kinds], count)


# ---- SQL tables ---------------------------------------------------------------------------------------------


def _arrow_type(python_type: type | None, timezone: bool) -> pa.DataType:
    if python_type is bool:
        return pa.bool_()
    if python_type is int:
        return pa.int64()
    if python_type in (float, decimal.Decimal):
        return pa.float64()
    if python_type is dt.datetime:
        return pa.timestamp("us", tz="UTC") if timezone else pa.timestamp("us")
    if python_type is dt.date:
        return pa.date32()
    if python_type is dt.time:
        return pa.time64("us")
    return pa.string()


def arrow_schema(columns: list[tuple[str, type | None, bool]]) -> pa.Schema:
    """Arrow schema for (name, python type, timezone-aware) triples; unknown types become strings."""
    return pa.schema([pa.field(name, _arrow_type(kind, tz)) for name, kind, tz in columns])


def _converter(kind: pa.DataType) -> Callable[[Any], Any]:
    if pa.types.is_floating(kind):
        return lambda v: None if v is None else float(v)
    if pa.types.is_string(kind):
        return lambda v: None if v is None else (v.hex() if isinstance(v, bytes | bytearray) else str(v))
    return lambda v: v


def rows_to_parquet(batches: Iterable[list[tuple[Any, ...]]], schema: pa.Schema, target: Path, where: str) -> int:
    """Write row batches (tuples in schema order) to ``target``; a value that does not fit names its column."""
    converters = [_converter(f.type) for f in schema]
    count = 0
    with pq.ParquetWriter(target, schema) as writer:
        for batch in batches:
            arrays = []
            for index, (column, convert) in enumerate(zip(schema, converters, strict=True)):
                values = [convert(row[index]) for row in batch]
                try:
                    arrays.append(pa.array(values, type=column.type))
                except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
                    detail = re.sub(r"\s+", " ", str(exc))[:120]
                    raise ResonanceError(
                        what=f"a value in column {column.name} does not fit its declared type {column.type}: {detail}",
                        where=f"{where}, column {column.name}, rows {count + 1}..{count + len(batch)}",
                        fix="cast the column to a standard type in a view and open the view instead",
                        code="source_type",
                        status=422,
                    ) from None
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            count += len(batch)
    return count


def batch_size(columns: int) -> int:
    """Rows per batch for a table of ``columns`` columns (about 200,000 cells)."""
    return _batch_rows(columns)
