"""``resonance report plan|phase|final --entity X --lang zh|en [--out DIR]``: an action entity's report as
DOCX + XLSX lists + Markdown (see docs/reports.md). The generic ``list``/``show``/… of Report rows are added
to this group by the registry commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, registry_session
from resonance.errors import ResonanceError
from resonance.reports import build

app = typer.Typer(no_args_is_help=True)

ENTITY = typer.Option(..., "--entity", help="action entity code or Chinese name")
LANG = typer.Option("zh", "--lang", help="language of the report: zh | en")
OUT = typer.Option(Path("."), "--out", help="folder for the files (created when missing)")
TODAY = typer.Option(None, "--today", help="evaluate progress as of this date (YYYY-MM-DD)")


@app.callback()
def _report() -> None:
    """Plan / phase / final reports (实施方案、阶段总结报告、总结报告) and the Report rows."""


def _parse_today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ResonanceError(
            what=f"--today {value!r} 不是日期 / is not a date", fix="write it as YYYY-MM-DD, e.g. 2026-08-20"
        ) from None


def _run(kind: str, entity: str, lang: str, out: Path, today: str | None, json_out: bool) -> None:
    as_of = _parse_today(today)
    with registry_session() as session:
        files = build(session, kind, entity, lang, out, today=as_of)
    if json_out:
        print_json(
            {
                "kind": kind,
                "entity": entity,
                "lang": lang,
                "docx": str(files.docx),
                "xlsx": str(files.xlsx),
                "markdown": str(files.markdown),
                "charts": [str(p) for p in files.charts],
                "report_id": files.report_id,
                "sha256": files.sha256,
            }
        )
        return
    zh = lang == "zh"
    console.print(("已生成报告（登记编号 %s）：" if zh else "report written (report row %s):") % files.report_id)
    for path in (files.docx, files.xlsx, files.markdown):
        console.print(f"  {path}", highlight=False, soft_wrap=True)  # a path is never folded
    console.print(f"  sha256 {files.sha256}", highlight=False)


@app.command("plan")
@handle_errors
def plan_command(
    entity: str = ENTITY, lang: str = LANG, out: Path = OUT, today: str | None = TODAY, json_out: bool = JSON_OPTION
) -> None:
    """实施方案 (附件1): approach, goals, selected industries, the seven tasks with targets, schedule, safeguards."""
    _run("plan", entity, lang, out, today, json_out)


@app.command("phase")
@handle_errors
def phase_command(
    entity: str = ENTITY, lang: str = LANG, out: Path = OUT, today: str | None = TODAY, json_out: bool = JSON_OPTION
) -> None:
    """阶段总结报告 (附件2): required vs achieved per task, lists, typical cases, problems, next steps."""
    _run("phase", entity, lang, out, today, json_out)


@app.command("final")
@handle_errors
def final_command(
    entity: str = ENTITY, lang: str = LANG, out: Path = OUT, today: str | None = TODAY, json_out: bool = JSON_OPTION
) -> None:
    """总结报告 (附件2): as the phase summary, at the end of the action."""
    _run("final", entity, lang, out, today, json_out)
