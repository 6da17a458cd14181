"""Write the report's lists as one XLSX workbook (openpyxl): one sheet per 成果清单, then every check and the
TC609 map. Bold frozen header, filters, column widths; evidence cells link to the row's ledger events.

The workbook is written in openpyxl's write-only mode (rows streamed to the file, not kept as cell objects);
sheet settings are therefore made before the first row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from resonance.reports.types import Document, Table

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_HEADER_FONT = Font(bold=True)
_LINK_FONT = Font(color="0563C1", underline="single")


def _value(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # shown as text, never run as a formula
    return value


def _sheet(book: Workbook, table: Table) -> None:
    sheet = book.create_sheet(table.sheet)
    for c, width in enumerate(table.sheet_widths or [], start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width or 14
    sheet.freeze_panes = "A2"
    if table.sheet_rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.sheet_headers))}{len(table.sheet_rows) + 1}"
    header = []
    for text in table.sheet_headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    for r, values in enumerate(table.sheet_rows):
        links = table.links[r] if r < len(table.links) else []
        if not any(links):
            sheet.append([_value(v) for v in values])
            continue
        row: list[Any] = []
        for c, value in enumerate(values):
            url = links[c] if c < len(links) else ""
            if url:
                cell = WriteOnlyCell(sheet, value=_value(value))
                cell.hyperlink, cell.font = url, _LINK_FONT
                row.append(cell)
            else:
                row.append(_value(value))
        sheet.append(row)


def write_xlsx(document: Document, path: Path) -> Path:
    book = Workbook(write_only=True)
    seen: set[str] = set()
    for table in [*document.tables(), *document.extra_sheets]:
        if table.sheet and table.sheet not in seen:  # a list named twice in the outline is one sheet
            seen.add(table.sheet)
            _sheet(book, table)
    book.properties.title = document.title
    book.properties.creator = "Resonance Space 模数共振空间"
    book.save(path)
    return path
