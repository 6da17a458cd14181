"""Build the report's document (``types.Document``) from the outline and the facts.

The outline (``templates/outline.yaml``) decides the headings, their order and the fixed texts; the blocks it
marks ``generate: NAME`` are filled by ``generators.GENERATORS[NAME]`` from the registry facts, and
``list: KEY`` blocks become the 成果清单 tables of ``templates/lists.yaml``.
"""

from __future__ import annotations

from resonance.reports._context import Content, Context, table_block, task_label
from resonance.reports.generators import GENERATORS, tc609_rows
from resonance.reports.lists import select_rows
from resonance.reports.templates import ListSpec
from resonance.reports.types import Bullets, Document, Paragraph, Section, Table

__all__ = ["Context", "compose"]


def _list_blocks(ctx: Context, spec: ListSpec) -> Content:
    table = _list_table(ctx, spec)
    more = len(table.sheet_rows) - len(table.rows) if not table.empty else 0
    if more <= 0:
        return [table]
    note = ctx.t(
        f"（以上列出前 {len(table.rows)} 项，其余 {more} 项见表格文件“{table.sheet}”工作表）",
        f"(the first {len(table.rows)} rows; {more} more in the XLSX sheet “{table.sheet}”)",
    )
    return [table, Paragraph(note, note=True)]


def _list_table(ctx: Context, spec: ListSpec) -> Table:
    lang = ctx.lang
    chosen = select_rows(spec, ctx.facts.rows[spec.source])
    docx_columns = spec.docx_columns()
    headers = [c.zh if lang == "zh" else c.en for c in docx_columns]
    rows = [[row.fields.get(c.field, "") for c in docx_columns] for row in chosen[: ctx.lists.docx_limit]]
    sheet_headers = [c.zh if lang == "zh" else c.en for c in spec.columns]
    sheet_rows = [[row.fields.get(c.field, "") for c in spec.columns] for row in chosen]
    links = [
        [str(row.fields["evidence_link"]) if c.field.startswith("evidence") else "" for c in spec.columns]
        for row in chosen
    ]
    count = ctx.t(f"（{len(chosen)}项）", f" ({len(chosen)})")
    return Table(
        key=spec.key,
        title=spec.title.get(lang) + count,
        headers=headers,
        rows=rows or [ctx.none_row(len(headers))],
        widths=[c.width for c in docx_columns],
        sheet=spec.sheet.get(lang),
        sheet_headers=sheet_headers,
        sheet_rows=sheet_rows or [ctx.none_row(len(sheet_headers))],
        sheet_widths=[c.width for c in spec.columns],
        links=links,
        empty=not chosen,
    )


def _checks_sheet(ctx: Context) -> Table:
    headers = [
        ctx.t("规则", "Rule"),
        ctx.t("任务", "Task"),
        ctx.t("指标", "Requirement"),
        ctx.t("范围", "Scope"),
        ctx.t("当前", "Current"),
        ctx.t("要求", "Required"),
        ctx.t("缺口", "Missing"),
        ctx.t("状态", "State"),
        ctx.t("截止", "Due"),
        ctx.t("说明", "Message"),
    ]
    states = {
        "met": ("达标", "met"),
        "unmet": ("未达标", "not met"),
        "overdue": ("逾期", "overdue"),
        "late": ("逾期报送", "late"),
    }
    rows: list[list[object]] = [
        [
            s.rule_id,
            task_label(ctx, s.task),
            s.title_zh if ctx.lang == "zh" else s.title_en,
            s.scope_name,
            s.current,
            f"{'≥' if s.operator == '>=' else '≤'} {s.required}",
            s.missing,
            ctx.t(*states.get(s.state, (s.state, s.state))),
            s.deadline.isoformat(),
            s.message,
        ]
        for s in ctx.facts.progress.rules
    ]
    table = table_block(ctx, "checks", ctx.t("逐项检查", "Every check"), headers, rows)
    table.sheet, table.sheet_headers, table.sheet_rows = ctx.t("逐项检查", "Checks"), headers, table.rows
    table.sheet_widths = [24, 6, 30, 24, 8, 8, 8, 8, 12, 50]
    return table


def _tc609_sheet(ctx: Context) -> Table:
    headers, rows = tc609_rows(ctx)
    table = table_block(ctx, "tc609", "TC609", headers, rows)
    table.sheet, table.sheet_headers, table.sheet_rows = ctx.t("TC609对照", "TC609 map"), headers, table.rows
    table.sheet_widths = [14, 20, 10, 50, 60]
    return table


def _fill(text: str, ctx: Context) -> str:
    return text.format(**ctx.facts.placeholders())


def compose(ctx: Context) -> Document:
    """The whole document of ``ctx.facts.kind`` following the outline; sections for another entity kind skipped."""
    facts = ctx.facts
    spec = ctx.outline.kinds[facts.kind]
    sections = []
    for section in spec.sections:
        if section.applies_to and section.applies_to != facts.entity.kind:
            continue
        blocks: Content = []
        for block in section.blocks:
            if block.text is not None:
                blocks.append(Paragraph(_fill(block.text.get(ctx.lang), ctx)))
            elif block.bullets is not None:
                blocks.append(Bullets([_fill(item.get(ctx.lang), ctx) for item in block.bullets]))
            elif block.list_ is not None:
                blocks.extend(_list_blocks(ctx, ctx.lists.get(block.list_)))
            elif block.generate is not None:
                blocks.extend(GENERATORS[block.generate].build(ctx, block))
        sections.append(Section(section.id, section.level, section.title.get(ctx.lang), blocks))
    return Document(
        kind=facts.kind,
        lang=ctx.lang,
        entity_code=facts.entity.code,
        title=_fill(spec.title.get(ctx.lang), ctx),
        subtitle=_fill(spec.subtitle.get(ctx.lang), ctx) if spec.subtitle else "",
        sections=sections,
        extra_sheets=[_checks_sheet(ctx), _tc609_sheet(ctx)],
    )
