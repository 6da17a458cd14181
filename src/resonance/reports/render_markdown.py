"""Write a report document as Markdown (GitHub-flavoured tables); charts are linked as images beside it.

Hand-written: headings, paragraphs, bullets and pipe tables are a few lines each, and a Markdown library
(mdutils, tabulate) would add a dependency for no gain in what the file says.
"""

from __future__ import annotations

from pathlib import Path

from resonance.reports.types import NESTED, Bullets, Chart, Document, Paragraph, Table


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def _table(table: Table) -> list[str]:
    lines = [f"**{table.title}**", ""] if table.title else []
    lines.append("| " + " | ".join(_cell(h) for h in table.headers) + " |")
    lines.append("|" + "---|" * len(table.headers))
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in table.rows)
    return [*lines, ""]


def render_markdown(document: Document, chart_folder: str) -> str:
    """The Markdown text; images are referenced as ``chart_folder/<file name>``."""
    lines = [f"# {document.title}", ""]
    if document.subtitle:
        lines += [document.subtitle, ""]
    for section in document.sections:
        lines += ["#" * (section.level + 1) + " " + section.title, ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                lines += [f"*{block.text}*" if block.note else block.text, ""]
            elif isinstance(block, Bullets):
                for item in block.items:
                    nested = item.startswith(NESTED)
                    lines.append(("  - " if nested else "- ") + item.removeprefix(NESTED).strip())
                lines.append("")
            elif isinstance(block, Table):
                lines += _table(block)
            elif isinstance(block, Chart):
                lines += [f"![{block.title}]({chart_folder}/{block.path.name})", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(document: Document, path: Path, chart_folder: str) -> Path:
    path.write_text(render_markdown(document, chart_folder), encoding="utf-8")
    return path
