"""Build the report's document (``types.Document``) from the outline and the facts.

The outline (``templates/outline.yaml``) decides the headings, their order and the fixed texts; the blocks it
marks ``generate: NAME`` are filled here by ``GENERATORS[NAME]`` from the registry facts, and ``list: KEY``
blocks become the 成果清单 tables of ``templates/lists.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from resonance.registry.rules import RuleStatus
from resonance.registry.vocabularies import label
from resonance.reports import charts
from resonance.reports.facts import REPORT_RULES, Facts
from resonance.reports.lists import select_rows
from resonance.reports.templates import Block, FunctionMap, ListsFile, ListSpec, Outline
from resonance.reports.types import NESTED, Bullets, Chart, Document, Paragraph, Section, Table

Content = list[Paragraph | Bullets | Table | Chart]
DETAIL_LIMIT = 8  # checks named one by one in the DOCX before "… and N more (see the XLSX)"


@dataclass
class Context:
    facts: Facts
    outline: Outline
    lists: ListsFile
    functions: FunctionMap
    chart_dir: Path

    @property
    def lang(self) -> str:
        return self.facts.lang

    def t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def none_row(self, width: int) -> list[str]:
        return [self.t("无", "none")] + [""] * (width - 1)


@dataclass(frozen=True)
class Generator:
    build: Callable[[Context, Block], Content]
    needs_task: bool = False


@dataclass
class RuleGroup:
    """All checks of one rule for the entity (one per industry, scenario, model … it applies to)."""

    rule_id: str
    task: str | None
    title: str
    checks: list[RuleStatus]

    @property
    def met(self) -> int:
        return sum(1 for c in self.checks if c.met)

    @property
    def required(self) -> str:
        first = self.checks[0]
        return f"{'≥' if first.operator == '>=' else '≤'} {first.required}"


def rule_groups(ctx: Context, task: str | None = None, *, with_reports: bool = False) -> list[RuleGroup]:
    groups: dict[str, RuleGroup] = {}
    for status in ctx.facts.progress.rules:
        if status.task is None and not with_reports:
            continue
        if task is not None and status.task != task:
            continue
        title = status.title_zh if ctx.lang == "zh" else status.title_en
        groups.setdefault(status.rule_id, RuleGroup(status.rule_id, status.task, title, [])).checks.append(status)
    return list(groups.values())


_MANY = {"scenario": ("个场景", "scenarios"), "model": ("个模型", "models"), "agent": ("个智能体", "agents")}


def _scope_detail(ctx: Context, group: RuleGroup) -> str:
    """The current figure per scope (entity, industry) or, for rules checked per scenario/model/agent, how many
    of them meet it: a province may have hundreds of scenarios."""
    scope = group.checks[0].scope
    if scope in _MANY:
        zh, en = _MANY[scope]
        return ctx.t(f"{len(group.checks)}{zh}中{group.met}个达标", f"{group.met} of {len(group.checks)} {en} meet it")
    parts = [f"{c.scope_name} {c.current}" for c in group.checks[:DETAIL_LIMIT]]
    more = len(group.checks) - DETAIL_LIMIT
    if more > 0:
        parts.append(ctx.t(f"等{len(group.checks)}项", f"and {more} more"))
    return ("；" if ctx.lang == "zh" else "; ").join(parts)


def _percent(met: int, total: int) -> str:
    return f"{(met / total * 100) if total else 100:.0f}%"


# -- plan ---------------------------------------------------------------------------------------------------


def _targets_table(ctx: Context, block: Block) -> Content:
    headers = [
        ctx.t("任务", "Task"),
        ctx.t("指标", "Requirement"),
        ctx.t("目标", "Target"),
        ctx.t("当前基础", "Current"),
        ctx.t("截止", "Due"),
    ]
    rows = [
        [g.task or "—", g.title, g.required, _scope_detail(ctx, g), g.checks[0].deadline.isoformat()]
        for g in rule_groups(ctx)
    ]
    return [_table(ctx, "targets", ctx.t("量化目标", "Quantified targets"), headers, rows, [6, 30, 8, 40, 12])]


def _status_of(ctx: Context, rule_id: str, scope_key: str) -> RuleStatus | None:
    for status in ctx.facts.progress.rules:
        if status.rule_id == rule_id and status.scope_key == scope_key:
            return status
    return None


def _industry_table(ctx: Context, block: Block) -> Content:
    metrics = (
        ("common_datasets_per_industry", ctx.t("通识数据集", "Common datasets")),
        ("industry_models_per_industry", ctx.t("行业模型", "Industry models")),
        ("scenario_files_per_industry", ctx.t("场景档案", "Scenario files")),
        ("consortia_per_industry", ctx.t("创新联合体", "Consortia")),
    )
    headers = [ctx.t("重点行业", "Key industry")] + [name for _, name in metrics]
    rows = []
    for industry in ctx.facts.industries:
        cells: list[object] = [industry.name_zh if ctx.lang == "zh" else industry.name_en]
        for rule_id, _ in metrics:
            status = _status_of(ctx, rule_id, industry.code)
            cells.append(f"{status.current}/{status.required}" if status else "—")
        rows.append(cells)
    out: Content = [_table(ctx, "industries", ctx.t("重点行业选择", "Selected industries"), headers, rows)]
    if ctx.facts.entity.description:
        out.append(Paragraph(ctx.t("选择理由：", "Why: ") + ctx.facts.entity.description))
    return out


def _responsible(ctx: Context, task: str) -> str:
    rows = ctx.facts.rows
    pick = {
        "一": [r for r in rows["datasets"] if r.keys.get("kind") == "common"]
        + [r for r in rows["models"] if r.keys.get("kind") == "industry"],
        "二": rows["scenarios"] + [r for r in rows["datasets"] if r.keys.get("kind") == "specialised"] + rows["agents"],
        "三": [r for r in rows["datasets"] if r.keys.get("kind") == "evaluation"],
        "四": rows["spaces"],
        "五": rows["consortia"],
    }.get(task, [])
    names = list(dict.fromkeys(r.fields["lead"] for r in pick if r.fields.get("lead")))
    if task == "七":
        names = [c.name_zh if ctx.lang == "zh" else (c.name_en or c.name_zh) for c in ctx.facts.key_cities]
    if not names:
        return ctx.t("待明确（平台尚无登记）", "to be named (nothing registered yet)")
    shown = names[:DETAIL_LIMIT]
    extra = ctx.t(f"等{len(names)}家", f"and {len(names) - len(shown)} more") if len(names) > len(shown) else ""
    return ("、" if ctx.lang == "zh" else ", ").join(shown) + extra


def _task_plan(ctx: Context, block: Block) -> Content:
    task = block.task or "一"
    spec = ctx.outline.tasks[task]
    groups = rule_groups(ctx, task)
    targets = (
        "；".join(f"{g.title}（{ctx.t('当前', 'now')} {_scope_detail(ctx, g)}）" for g in groups)
        if ctx.lang == "zh"
        else "; ".join(f"{g.title} (now {_scope_detail(ctx, g)})" for g in groups)
    )
    if not targets:
        targets = ctx.t("通知未设量化指标，按实施路径推进", "the notice sets no number; pursued as described")
    deadlines = sorted({c.deadline for g in groups for c in g.checks})
    rows = [
        [ctx.t("目标", "Target"), targets],
        [ctx.t("实施路径", "Path"), spec.path.get(ctx.lang)],
        [ctx.t("责任单位", "Responsible"), _responsible(ctx, task)],
        [ctx.t("时间节点", "Due"), ", ".join(d.isoformat() for d in deadlines) or "2026-11-30"],
        [ctx.t("预期成果", "Expected results"), spec.outcome.get(ctx.lang)],
    ]
    headers = [ctx.t("要素", "Item"), ctx.t("内容", "Content")]
    return [_table(ctx, f"task_{task}", spec.title.get(ctx.lang), headers, rows, [12, 60], caption=False)]


def _schedule_table(ctx: Context, block: Block) -> Content:
    headers = [ctx.t("时间", "Date"), ctx.t("事项", "Milestone"), ctx.t("状态", "State")]
    rows: list[list[object]] = [
        [
            "2026-04-28",
            ctx.t("通知印发（工信厅联科函〔2026〕193号）", "Notice issued (MIIT 〔2026〕193)"),
            ctx.t("已完成", "done"),
        ]
    ]
    reports = {s.rule_id: s for s in ctx.facts.progress.rules if s.late is not None}
    titles = {
        "plan": ctx.t("报送实施方案（附件1）", "Submit the implementation plan (annex 1)"),
        "phase": ctx.t("报送阶段总结报告（附件2）", "Submit the phase summary (annex 2)"),
        "final": ctx.t("报送总结报告（附件2），完成全部量化指标", "Submit the final summary (annex 2); all quotas met"),
    }
    for kind, rule_id in REPORT_RULES.items():
        status = reports.get(rule_id)
        if status is not None:
            rows.append([status.deadline.isoformat(), titles[kind], status.message])
    summary = ctx.facts.progress.summary()
    rows.append(
        [
            "2026-11-30",
            ctx.t("各项量化指标截止", "Quotas due"),
            ctx.t(
                f"已达标 {summary['checks_met']}/{summary['checks_total']} 项",
                f"{summary['checks_met']} of {summary['checks_total']} checks met",
            ),
        ]
    )
    return [_table(ctx, "schedule", ctx.t("进度安排", "Schedule"), headers, rows, [12, 40, 40])]


# -- phase / final ------------------------------------------------------------------------------------------


def _progress_table(ctx: Context, block: Block) -> Content:
    headers = [
        ctx.t("任务", "Task"),
        ctx.t("指标", "Requirement"),
        ctx.t("要求", "Required"),
        ctx.t("达标/检查", "Met / checks"),
        ctx.t("完成率", "Rate"),
        ctx.t("未达标项", "Not met"),
    ]
    rows = []
    for g in rule_groups(ctx, with_reports=True):
        unmet = [c for c in g.checks if not c.met]
        detail = ("；" if ctx.lang == "zh" else "; ").join(c.message for c in unmet[:3])
        if len(unmet) > 3:
            detail += ctx.t(f"（另有{len(unmet) - 3}项，见表格文件）", f" (+{len(unmet) - 3} more in the XLSX)")
        rows.append(
            [
                g.task or ctx.t("工作要求", "Reports"),
                g.title,
                g.required,
                f"{g.met}/{len(g.checks)}",
                _percent(g.met, len(g.checks)),
                detail,
            ]
        )
    return [
        _table(ctx, "progress", ctx.t("要求与完成情况", "Required and achieved"), headers, rows, [6, 26, 6, 8, 6, 40])
    ]


def _task_summary(ctx: Context, block: Block) -> Content:
    task = block.task or "一"
    groups = rule_groups(ctx, task)
    out: Content = []
    items: list[str] = []
    for g in groups:
        items.append(
            f"{g.title}：{ctx.t('达标', 'met')} {g.met}/{len(g.checks)}（{_percent(g.met, len(g.checks))}）"
            if ctx.lang == "zh"
            else f"{g.title}: {g.met} of {len(g.checks)} met ({_percent(g.met, len(g.checks))})"
        )
        for check in g.checks[:DETAIL_LIMIT]:
            items.append(NESTED + check.message)
        if len(g.checks) > DETAIL_LIMIT:
            more = len(g.checks) - DETAIL_LIMIT
            items.append(NESTED + ctx.t(f"其余{more}项见表格文件", f"{more} more in the XLSX"))
    facts = ctx.facts
    if task == "三":
        count = sum(1 for r in facts.rows["datasets"] if r.keys.get("kind") == "evaluation")
        items.append(
            ctx.t(
                f"评测数据集 {count} 个，签名评测结果 {facts.evaluations} 条，"
                f"数据需求单 {facts.data_demands} 份（通知未设数量要求）",
                f"{count} evaluation datasets, {facts.evaluations} signed evaluation results, "
                f"{facts.data_demands} data demands (the notice sets no number)",
            )
        )
    if task == "六":
        items.append(
            ctx.t(
                "深度行、实训基地、揭榜挂帅、标准行等活动平台暂不登记，请另行补充（通知未设数量要求）",
                "tours, training bases, competitions and standards campaigns are not registered on the platform; "
                "add them by hand (the notice sets no number)",
            )
        )
    if task == "七":
        cities = [c.name_zh if ctx.lang == "zh" else (c.name_en or c.name_zh) for c in facts.key_cities]
        items.append(
            ctx.t("重点城市：", "Key cities: ")
            + (("、" if ctx.lang == "zh" else ", ").join(cities) or ctx.t("无", "none"))
        )
    out.append(Bullets(items) if items else Paragraph(ctx.t("无", "none"), note=True))
    return out


def _typical_cases(ctx: Context, block: Block) -> Content:
    cases = [r for r in ctx.facts.rows["cases"] if r.fields.get("effect")]
    cases.sort(key=lambda r: (r.fields.get("go_live_on") or "9999", r.fields["code"]))
    if not cases:
        return [
            Paragraph(ctx.t("无（尚无登记量化成效的案例）", "none (no case with a measured effect yet)"), note=True)
        ]
    out: Content = []
    for n, row in enumerate(cases[:5], start=1):
        f = row.fields
        head = f"{n}. {f['name']}"
        who = ctx.t(
            f"应用单位：{f['lead'] or '—'}；模型/智能体：{f['target'] or '—'}；行业：{f['industry']}",
            f"Applied by {f['lead'] or '—'}; model/agent: {f['target'] or '—'}; industry: {f['industry']}",
        )
        out.append(Paragraph(head))
        out.append(Paragraph(who + ctx.t(f"。成效：{f['effect']}", f". Effect: {f['effect']}")))
        out.append(Paragraph(ctx.t("存证：", "Evidence: ") + str(f["evidence"]), note=True))
    return out


def _issues(ctx: Context, block: Block) -> Content:
    items = []
    for g in rule_groups(ctx, with_reports=True):
        unmet = [c for c in g.checks if not c.met]
        if not unmet:
            continue
        gap = sum(c.missing for c in unmet)
        items.append(
            ctx.t(
                f"{g.title}：{len(unmet)}/{len(g.checks)} 项未达标，合计缺口 {gap}（如：{unmet[0].message}）",
                f"{g.title}: {len(unmet)} of {len(g.checks)} checks not met, {gap} missing in all "
                f"(e.g. {unmet[0].message})",
            )
        )
    if not items:
        return [Paragraph(ctx.t("各项指标均已达标，暂无问题。", "Every check is met; no problem to report."))]
    items.append(
        ctx.t(
            "建议：对缺口较大的指标，依托模数共振空间组织数据提供方与模型企业对接，优先补齐数据集与场景档案。",
            "Suggestion: for the largest gaps, let the Resonance Space match data providers with model companies, "
            "datasets and scenario files first.",
        )
    )
    return [Bullets(items)]


def _next_steps(ctx: Context, block: Block) -> Content:
    items = []
    for g in rule_groups(ctx):
        unmet = [c for c in g.checks if not c.met]
        if unmet:
            deadline = unmet[0].deadline.isoformat()
            items.append(
                ctx.t(
                    f"{deadline} 前：{g.title}，补齐 {sum(c.missing for c in unmet)} 项缺口",
                    f"by {deadline}: {g.title} — close {sum(c.missing for c in unmet)} missing",
                )
            )
    if ctx.facts.kind == "final":
        items.append(
            ctx.t(
                "持续运营模数共振空间，推动成果纳入部级名单，推广典型案例。",
                "Keep the Resonance Spaces running, put the results forward for the ministries' lists "
                "and spread the cases.",
            )
        )
    return [Bullets(items)] if items else [Paragraph(ctx.t("无", "none"), note=True)]


# -- shared -------------------------------------------------------------------------------------------------


def _data_security(ctx: Context, block: Block) -> Content:
    facts = ctx.facts
    levels = "、".join if ctx.lang == "zh" else ", ".join
    counts = levels(
        f"{label('sensitivity_level', key, ctx.lang)} {facts.sensitivity.get(key, 0)}"
        for key in ("general", "important", "core")
    )
    if facts.ledger_ok is None and not facts.ledger_events:
        ledger = ctx.t("存证账本暂无事件", "the ledger holds no event yet")
    elif facts.ledger_ok is None:
        ledger = ctx.t(
            f"存证账本共 {facts.ledger_events} 条事件（本机无空间密钥，未校验）",
            f"the ledger holds {facts.ledger_events} events (not verified: no space key on this machine)",
        )
    elif facts.ledger_ok:
        ledger = ctx.t(
            f"存证账本共 {facts.ledger_events} 条事件，哈希链与签名校验通过",
            f"the ledger holds {facts.ledger_events} events; hash chain and signatures verified",
        )
    else:
        ledger = ctx.t(
            f"存证账本共 {facts.ledger_events} 条事件，校验未通过（请运行 resonance ledger verify 查看）",
            f"the ledger holds {facts.ledger_events} events and does NOT verify (run resonance ledger verify)",
        )
    text = ctx.t(
        f"数据集分级：{counts}（个）；平台只汇聚元数据与模型参数更新，原始数据不出域；{ledger}。",
        f"Datasets by grade: {counts}; the platform gathers only metadata and model updates, never rows; {ledger}.",
    )
    return [Paragraph(text)]


def _tc609_rows(ctx: Context) -> tuple[list[str], list[list[object]]]:
    fmap = ctx.functions
    headers = [
        ctx.t("组成", "Component"),
        ctx.t("功能", "Function"),
        ctx.t("状态", "Status"),
        ctx.t("本平台模块", "Our modules"),
        ctx.t("说明", "How"),
    ]
    rows: list[list[object]] = []
    for group in fmap.groups:
        for fn in group.functions:
            name = fn.name.get(ctx.lang) + ("" if fn.required else ctx.t("（可选）", " (optional)"))
            rows.append(
                [
                    group.title.get(ctx.lang),
                    name,
                    fmap.statuses[fn.status].get(ctx.lang),
                    ", ".join(fn.modules) or "—",
                    fn.how.get(ctx.lang),
                ]
            )
    return headers, rows


def _tc609_table(ctx: Context, block: Block) -> Content:
    fmap = ctx.functions
    intro = ctx.t(
        f"参照《{fmap.standard.title.zh}》（{fmap.standard.code}），服务平台由"
        + "；接入连接器由".join(g.ours.zh for g in fmap.groups)
        + "承担。对照如下（仅为功能对照，不代表符合性结论）：",
        f"Against {fmap.standard.code} ({fmap.standard.title.en}): the service platform is "
        + "; the access connector is ".join(g.ours.en for g in fmap.groups)
        + ". The map (a functional comparison, not a conformance claim):",
    )
    headers, rows = _tc609_rows(ctx)
    return [
        Paragraph(intro),
        _table(ctx, "tc609", f"{fmap.standard.code} {ctx.t('对照表', 'map')}", headers, rows, [10, 16, 8, 30, 40]),
    ]


def _task_chart(ctx: Context, block: Block) -> Content:
    lang = charts.chart_lang(ctx.lang)
    tasks = [t for t in ctx.outline.tasks if rule_groups(ctx, t)]
    values = []
    for task in tasks:
        checks = [c for g in rule_groups(ctx, task) for c in g.checks]
        values.append(100.0 * sum(1 for c in checks if c.met) / len(checks) if checks else 0.0)
    title = "各项任务达标率（%）" if lang == "zh" else "Checks met per key task (%)"
    cats = [f"任务{t}" if lang == "zh" else f"Task {'一二三四五六七'.index(t) + 1}" for t in tasks]
    path = charts.bar_chart(
        ctx.chart_dir / "task_completion.png",
        title=title,
        categories=cats or ["—"],
        series=[charts.Bars("达标率" if lang == "zh" else "met", values or [0.0])],
        lang=lang,
        ylabel="%",
        target=100.0,
        target_label="目标" if lang == "zh" else "target",
    )
    return [Chart("task_completion", ctx.t("图：各项任务达标率", "Figure: checks met per key task"), path)]


def _industry_chart(ctx: Context, block: Block) -> Content:
    lang = charts.chart_lang(ctx.lang)
    metrics = (
        ("common_datasets_per_industry", "通识数据集", "Common datasets"),
        ("industry_models_per_industry", "行业模型", "Industry models"),
        ("scenario_files_per_industry", "场景档案", "Scenario files"),
        ("consortia_per_industry", "创新联合体", "Consortia"),
    )
    industries = ctx.facts.industries
    cats = [i.name_zh if lang == "zh" else i.code.replace("_", " ") for i in industries] or ["—"]
    series = []
    for rule_id, zh, en in metrics:
        values = []
        for industry in industries:
            status = _status_of(ctx, rule_id, industry.code)
            values.append(min(100.0, 100.0 * status.current / status.required) if status and status.required else 0.0)
        series.append(charts.Bars(zh if lang == "zh" else en, values or [0.0]))
    title = "各重点行业指标完成度（占要求的%）" if lang == "zh" else "Per key industry: share of each quota reached (%)"
    path = charts.bar_chart(
        ctx.chart_dir / "industry_quotas.png",
        title=title,
        categories=cats,
        series=series,
        lang=lang,
        ylabel="%",
        target=100.0,
        target_label="要求" if lang == "zh" else "required",
    )
    return [
        Chart("industry_quotas", ctx.t("图：各重点行业指标完成度", "Figure: quotas reached per key industry"), path)
    ]


GENERATORS: dict[str, Generator] = {
    "targets_table": Generator(_targets_table),
    "industry_table": Generator(_industry_table),
    "task_plan": Generator(_task_plan, needs_task=True),
    "schedule_table": Generator(_schedule_table),
    "progress_table": Generator(_progress_table),
    "task_summary": Generator(_task_summary, needs_task=True),
    "typical_cases": Generator(_typical_cases),
    "issues": Generator(_issues),
    "next_steps": Generator(_next_steps),
    "data_security": Generator(_data_security),
    "tc609_table": Generator(_tc609_table),
    "task_chart": Generator(_task_chart),
    "industry_chart": Generator(_industry_chart),
}


def _table(
    ctx: Context,
    key: str,
    title: str,
    headers: list[str],
    rows: list[list[object]],
    widths: list[int | None] | None = None,
    caption: bool = True,
) -> Table:
    empty = not rows
    shown = rows or [ctx.none_row(len(headers))]
    return Table(key=key, title=title if caption else "", headers=headers, rows=shown, widths=widths or [], empty=empty)


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
            s.task or "—",
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
    table = _table(ctx, "checks", ctx.t("逐项检查", "Every check"), headers, rows)
    table.sheet, table.sheet_headers, table.sheet_rows = ctx.t("逐项检查", "Checks"), headers, table.rows
    table.sheet_widths = [24, 6, 30, 24, 8, 8, 8, 8, 12, 50]
    return table


def _tc609_sheet(ctx: Context) -> Table:
    headers, rows = _tc609_rows(ctx)
    table = _table(ctx, "tc609", "TC609", headers, rows)
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
