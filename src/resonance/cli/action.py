"""``resonance action``: progress against the notice's quotas and deadlines (rules in registry/data/rules.yaml)."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, registry_session
from resonance.errors import ResonanceError
from resonance.registry.rules import EntityProgress, progress
from resonance.registry.vocabularies import label

app = typer.Typer(no_args_is_help=True)

STATE_STYLE = {"met": "green", "late": "yellow", "unmet": "red", "overdue": "bold red"}
HEADINGS = {  # (heading, no_wrap)
    "zh": (
        ("任务", True),
        ("规则", False),
        ("范围", False),
        ("当前", True),
        ("要求", True),
        ("缺口", True),
        ("截止", True),
    ),
    "en": (
        ("Task", True),
        ("Rule", False),
        ("Scope", False),
        ("Current", True),
        ("Required", True),
        ("Missing", True),
        ("Deadline", True),
    ),
}


@app.callback()
def _action() -> None:
    """The action's quotas and deadlines: progress per entity."""


def _parse_today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ResonanceError(
            what=f"--today {value!r} is not a date", fix="write it as YYYY-MM-DD, e.g. 2026-06-01", code="invalid"
        ) from None


@app.command("progress")
@handle_errors
def progress_command(
    entity: str | None = typer.Option(None, "--entity", help="action entity code or Chinese name (default: all)"),
    json_out: bool = JSON_OPTION,
    lang: str = typer.Option("zh", "--lang", help="language of titles and messages: zh | en"),
    today: str | None = typer.Option(None, "--today", help="evaluate as of this date (YYYY-MM-DD)"),
) -> None:
    """Show each action entity's progress against every quota and deadline of the notice."""
    as_of = _parse_today(today)
    with registry_session() as session:
        results = progress(session, entity=entity, today=as_of, lang=lang)
    if json_out:
        print_json(
            {
                "today": (as_of or date.today()).isoformat(),
                "lang": lang,
                "entities": [r.as_dict() for r in results],
            }
        )
        return
    if not results:
        console.print("没有登记的行动主体" if lang == "zh" else "no action entity is registered")
        return
    for result in results:
        _print_entity(result, lang)


def _print_entity(result: EntityProgress, lang: str) -> None:
    zh = lang == "zh"
    summary = result.summary()
    name = result.name_zh if zh else result.name_en
    kind = label("entity_kind", result.kind, "zh" if zh else "en")
    rate = f"{summary['completion_rate'] * 100:.1f}%"
    met, total = summary["checks_met"], summary["checks_total"]
    title = (
        f"{name}（{result.code}，{kind}）— 达标 {met}/{total} 项（{rate}）"
        if zh
        else f"{name} ({result.code}, {kind}) — {met} of {total} checks met ({rate})"
    )
    table = Table(title=title, show_lines=False)
    for heading, no_wrap in HEADINGS["zh" if zh else "en"]:
        table.add_column(heading, no_wrap=no_wrap, overflow="fold")
    for s in result.rules:
        table.add_row(
            s.task or "—",
            s.title_zh if zh else s.title_en,
            s.scope_name,
            str(s.current),
            f"{'≥' if s.operator == '>=' else '≤'} {s.required}",
            str(s.missing) if s.missing else "",
            s.deadline.isoformat(),
            style=STATE_STYLE.get(s.state, ""),
        )
    console.print(table)
    console.print(_countdown(result, zh), highlight=False)


def _countdown(result: EntityProgress, zh: bool) -> str:
    """One line: each report deadline's state, then the days left to the quotas' deadline."""
    parts = [s.message for s in result.rules if s.late is not None]  # report rules carry `late`
    quota_deadlines = sorted({s.deadline for s in result.rules if s.late is None})
    for deadline in quota_deadlines:
        days = (deadline - result.today).days
        if zh:
            parts.append(
                f"各项指标截止 {deadline.isoformat()}，" + (f"剩余 {days} 天" if days >= 0 else f"已逾期 {-days} 天")
            )
        else:
            parts.append(
                f"quotas due {deadline.isoformat()}: " + (f"{days} days left" if days >= 0 else f"{-days} days overdue")
            )
    return ("截止日期：" if zh else "Deadlines: ") + " · ".join(parts)
