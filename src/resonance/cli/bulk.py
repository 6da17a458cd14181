"""``resonance import FILE`` and ``resonance export lists``: bulk files in, the action's lists out."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from resonance.bulk.exporter import CSV_ENCODINGS, export_lists, list_specs
from resonance.bulk.headers import importable
from resonance.bulk.importer import import_file
from resonance.cli._common import JSON_OPTION, console, err_console, handle_errors, print_json, registry_session
from resonance.errors import ResonanceError

# `resonance import FILE` is a group whose callback does the work; interspersed args let options follow FILE
import_app = typer.Typer(
    no_args_is_help=True, context_settings={"allow_interspersed_args": True}, subcommand_metavar=""
)
export_app = typer.Typer(no_args_is_help=True)
GROUPS = [
    ("import", import_app, "import a CSV/XLSX/YAML file of one concept: every row, or none if any is wrong"),
    ("export", export_app, "export the action's five lists as XLSX or CSV"),
]


@import_app.callback(invoke_without_command=True)
@handle_errors
def import_command(
    file: Path = typer.Argument(..., help="a .csv (UTF-8 or GBK/GB18030), .xlsx or .yaml file", show_default=False),
    concept: str | None = typer.Option(
        None,
        "--concept",
        "-c",
        help=f"what the rows are: {', '.join(importable())} (default: the YAML key or the file/sheet name)",
    ),
    sheet: str | None = typer.Option(None, "--sheet", help="XLSX: the worksheet to read (default: the first)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check every row, report, and write nothing"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Import one file of organisations, scenarios, datasets, cases, … — every row, or none if any is wrong."""
    try:
        with registry_session() as session:
            if json_out:
                result = import_file(session, file, concept, dry_run=dry_run, sheet=sheet)
            else:
                with _progress() as bar:
                    task = bar.add_task(f"checking {file.name}", total=None)
                    result = import_file(
                        session,
                        file,
                        concept,
                        dry_run=dry_run,
                        sheet=sheet,
                        progress=lambda done, total: bar.update(task, completed=done, total=total),
                    )
    except ResonanceError as exc:
        if json_out:
            print_json({"ok": False, "error": exc.as_dict()})
            raise typer.Exit(1) from None
        raise
    if json_out:
        print_json({"ok": True, **result.as_dict()})
        return
    verb = "would import" if dry_run else "imported"
    where = f" (sheet {result.sheet})" if result.sheet else f" ({result.encoding})" if result.encoding else ""
    console.print(f"{verb} {result.created} {result.concept} from {result.file}{where}", highlight=False)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


@export_app.callback()
def _export() -> None:
    """Export the action's lists."""


@export_app.command("lists")
@handle_errors
def export_lists_command(
    out: Path = typer.Option(Path("."), "--out", "-o", help="directory to write into (created if missing)"),
    fmt: str = typer.Option("xlsx", "--format", "-f", help="xlsx (one workbook, one sheet per list) or csv"),
    entity: str | None = typer.Option(None, "--entity", help="only rows of this action entity (code or name)"),
    encoding: str = typer.Option(
        "utf-8-sig", "--encoding", help=f"CSV encoding: {', '.join(CSV_ENCODINGS)} (utf-8-sig opens in Excel)"
    ),
    only: list[str] | None = typer.Option(
        None, "--list", help=f"only this list (repeatable): {', '.join(s.key for s in list_specs())}"
    ),
    lang: str = typer.Option("zh", "--lang", help="language of headers and labels: zh | en"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Write the five lists (通识数据集, 行业模型, 场景档案, 专识数据集, 专用模型/智能体) as XLSX or CSV."""
    if lang not in ("zh", "en"):
        raise ResonanceError(what=f"unknown language {lang!r}", fix="use --lang zh or --lang en", code="invalid")
    with registry_session() as session:
        paths = export_lists(
            session, out, fmt=fmt.lower(), entity=entity, encoding=encoding.lower(), keys=only or None, lang=lang
        )
    if json_out:
        print_json({"format": fmt.lower(), "entity": entity, "paths": [str(p) for p in paths]})
        return
    for path in paths:
        console.print(f"wrote {path}", highlight=False)
