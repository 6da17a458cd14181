"""The card as Markdown, in zh or en: the four sections as tables, then the completeness scores and gaps."""

from __future__ import annotations

from typing import Any

from resonance.node.card._completeness import _CHECKS, _FIELDS, SECTIONS, _resolve, completeness
from resonance.node.card._vocab import _LOCAL, _REGISTRY, STEPS, Day, Lang, vocab_label
from resonance.node.card.models import Card, Classification, Contact, Period, Scale, Text

_TYPES_ZH = {
    "integer": "整数",
    "float": "浮点数",
    "text": "文本",
    "date": "日期",
    "datetime": "日期时间",
    "boolean": "布尔",
}
_TABLES = {"content.columns", "content.label_statistics", "process.reviews", "process.versions", "usage.evaluations"}


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>").strip() or "—"


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    head = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return [*head, *("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows), ""]


def _span(start: Day | None, end: Day | None) -> str:
    return f"{start or '…'} – {end or '…'}" if start or end else ""


def _show(value: Any, name: str, lang: Lang) -> str:
    """A card value as display text in ``lang`` (vocabulary keys shown by their labels)."""
    zh = lang == "zh"
    if isinstance(value, Text):
        return value.get(lang)
    if isinstance(value, Scale):
        if value.rows is None:
            return ""
        return (
            f"{value.rows:,} 行 × {value.columns or 0} 列"
            if zh
            else f"{value.rows:,} rows × {value.columns or 0} columns"
        )
    if isinstance(value, Contact):
        return ", ".join(x for x in (value.name, value.email, value.phone) if x)
    if isinstance(value, Period):
        return _span(value.start, value.end)
    if isinstance(value, Classification):
        if not value.level:
            return ""
        status = {
            "proposed": "（建议级别，待确认）" if zh else " (proposed, unconfirmed)",
            "confirmed": f"（{value.officer} 确认）" if zh else f" (confirmed by {value.officer})",
        }.get(value.status, "")
        return vocab_label("level", value.level, lang) + status
    if isinstance(value, bool) or value is None:
        return {True: "是" if zh else "yes", False: "否" if zh else "no", None: ""}[value]
    if isinstance(value, list):
        return ("、" if zh else ", ").join(_show(v, name, lang) for v in value)
    return vocab_label(name, str(value), lang) if name in ("industry", *_REGISTRY, *_LOCAL) else str(value)


def render_markdown(card: Card, lang: Lang = "zh") -> str:
    """The card as Markdown in ``lang``; headings keep the zh section names (基本信息 …) in both languages."""
    zh = lang == "zh"
    kv = ["项目", "内容"] if zh else ["Item", "Value"]
    lines = [
        f"# {'数据集说明书' if zh else 'Dataset card'}: {card.title(lang) or ('（未命名）' if zh else '(unnamed)')}",
        "",
    ]
    for key, (code, section_zh, section_en) in SECTIONS.items():
        lines += [f"## {code} {section_zh}" if zh else f"## {code} {section_en} ({section_zh})", ""]
        rows = []
        for path, item_zh, item_en, _ in _FIELDS:
            if path.split(".")[0] == key and path not in _CHECKS and path not in _TABLES:
                label_ = item_zh if zh else item_en[0].upper() + item_en[1:]
                rows.append([label_, _show(_resolve(card, path), path.rsplit(".", 1)[-1], lang)])
        if key == "content":
            rows.append(
                [
                    "样例" if zh else "Samples",
                    "不随说明书发布：原始数据不出节点" if zh else "not published: rows never leave the node",
                ]
            )
        tables = _section_tables(card, key, lang)  # the schema table leads 内容特征; elsewhere tables follow
        lines += [*tables, *_table(kv, rows)] if key == "content" else [*_table(kv, rows), *tables]
    score = completeness(card)
    rows = [[f"{s.code} {s.zh if zh else s.en}", f"{s.score:g}"] for s in score.sections]
    lines += [f"## {'说明书完整度' if zh else 'Card completeness'}", ""]
    lines += _table(
        ["部分", "得分"] if zh else ["Section", "Score"], [*rows, ["总体" if zh else "Overall", f"{score.overall:.0%}"]]
    )
    lines += [f"- {m}" for m in score.missing_text(lang)]
    return "\n".join(lines).rstrip() + "\n"


def _section_tables(card: Card, key: str, lang: Lang) -> list[str]:
    zh, out = lang == "zh", []

    def add(title_zh: str, title_en: str, headers: str, rows: list[list[Any]]) -> None:
        if rows:
            out.extend(
                [
                    f"### {title_zh if zh else title_en}",
                    "",
                    *_table(headers.split("/")[0 if zh else 1].split(","), rows),
                ]
            )

    if key == "content":
        add(
            "字段表",
            "Schema",
            "字段,类型,单位,说明,标签定义/Column,Type,Unit,Description,Label definition",
            [
                [
                    x.name,
                    _TYPES_ZH.get(x.type, x.type) if zh else x.type,
                    x.unit,
                    x.description.get(lang),
                    x.label_definition.get(lang) or (("标签列" if zh else "label column") if x.label else ""),
                ]
                for x in card.content.columns
            ],
        )
        add(
            "标签统计",
            "Label statistics",
            "标签值,数量,占比/Label,Count,Share",
            [[s.value, s.count, "" if s.share is None else f"{s.share:.1%}"] for s in card.content.label_statistics],
        )
    elif key == "process":
        add(
            "建设步骤",
            "Build steps",
            "步骤,起止,工具,说明/Step,Dates,Tools,Notes",
            [
                [
                    vocab_label("step", k, lang),
                    *((_span(s.start, s.end), ", ".join(s.tools), s.notes.get(lang)) if s else ("",) * 3),
                ]
                for k, s in ((k, card.process.step(k)) for k in STEPS)
            ],
        )
        add(
            "质检/复核记录",
            "QA and review records",
            "日期,类型,人员,结论/Date,Kind,Reviewer,Result",
            [
                [
                    r.date,
                    {"qa": "质检" if zh else "QA", "review": "复核" if zh else "review"}[r.kind],
                    r.reviewer,
                    r.result.get(lang),
                ]
                for r in card.process.reviews
            ],
        )
        add(
            "版本历史",
            "Version history",
            "版本,日期,变更/Version,Date,Changes",
            [[v.version, v.date, v.changes.get(lang)] for v in card.process.versions],
        )
    elif key == "usage":
        add(
            "评测结果",
            "Evaluation results",
            "模型,指标,结果,评测机构,日期/Model,Metric,Value,Evaluator,Date",
            [[e.model, e.metric, e.value, e.evaluator, e.date] for e in card.usage.evaluations],
        )
    return out
