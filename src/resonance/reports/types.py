"""The report as plain blocks: what ``compose`` builds and the DOCX, XLSX and Markdown writers render.

One document model for three formats keeps their content identical; a writer only decides how a block looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Paragraph:
    text: str
    note: bool = False  # a smaller, secondary line (sources, "none" notes)


NESTED = "  · "  # a bullet item starting with this is a second-level item


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    """A table; ``sheet`` set means it also becomes an XLSX sheet with ``sheet_headers``/``sheet_rows``.

    The DOCX and Markdown show ``headers``/``rows`` (a readable subset); the XLSX keeps every column, with
    ``links`` (same shape as ``sheet_rows``, URL or "") turned into hyperlinks.
    """

    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    widths: list[int | None] = field(default_factory=list)
    sheet: str = ""
    sheet_headers: list[str] = field(default_factory=list)
    sheet_rows: list[list[Any]] = field(default_factory=list)
    sheet_widths: list[int | None] = field(default_factory=list)
    links: list[list[str]] = field(default_factory=list)
    empty: bool = False  # no data row: ``rows`` holds one "无 / none" row


@dataclass
class Chart:
    key: str
    title: str
    path: Path


Block = Paragraph | Bullets | Table | Chart


@dataclass
class Section:
    id: str
    level: int
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    kind: str
    lang: str
    entity_code: str
    title: str
    subtitle: str
    sections: list[Section]
    extra_sheets: list[Table] = field(default_factory=list)  # XLSX-only sheets (every check, TC609 map)

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]


@dataclass(frozen=True)
class ReportFiles:
    """The files of one report: DOCX, XLSX lists, Markdown (its charts beside it), and the Report row."""

    docx: Path
    xlsx: Path
    markdown: Path
    charts: tuple[Path, ...] = ()
    report_id: int | None = None
    sha256: str = ""
