"""The content builders that ``templates/outline.yaml`` names with ``generate: NAME`` (``GENERATORS``).

Each takes the report context and its outline block and returns blocks (paragraphs, bullets, tables, charts)
built from the registry facts, in the report's language.
"""

from __future__ import annotations

import textwrap

from resonance.registry.vocabularies import label
from resonance.reports import charts
from resonance.reports._context import (
    DETAIL_LIMIT,
    Content,
    Context,
    Generator,
    percent,
    rule_groups,
    scope_detail,
    status_of,
    table_block,
    task_label,
)
from resonance.reports.facts import REPORT_RULES
from resonance.reports.templates import Block
from resonance.reports.types import NESTED, Bullets, Chart, Paragraph

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
        [task_label(ctx, g.task), g.title, g.required, scope_detail(ctx, g), g.checks[0].deadline.isoformat()]
        for g in rule_groups(ctx)
    ]
    return [table_block(ctx, "targets", ctx.t("量化目标", "Quantified targets"), headers, rows, [6, 30, 8, 40, 12])]


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
            status = status_of(ctx, rule_id, industry.code)
            cells.append(f"{status.current}/{status.required}" if status else "—")
        rows.append(cells)
    out: Content = [table_block(ctx, "industries", ctx.t("重点行业选择", "Selected industries"), headers, rows)]
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
        "；".join(f"{g.title}（{ctx.t('当前', 'now')} {scope_detail(ctx, g)}）" for g in groups)
        if ctx.lang == "zh"
        else "; ".join(f"{g.title} (now {scope_detail(ctx, g)})" for g in groups)
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
    return [table_block(ctx, f"task_{task}", spec.title.get(ctx.lang), headers, rows, [12, 60], caption=False)]


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
    return [table_block(ctx, "schedule", ctx.t("进度安排", "Schedule"), headers, rows, [12, 40, 40])]


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
                task_label(ctx, g.task),
                g.title,
                g.required,
                f"{g.met}/{len(g.checks)}",
                percent(g.met, len(g.checks)),
                detail,
            ]
        )
    return [
        table_block(
            ctx, "progress", ctx.t("要求与完成情况", "Required and achieved"), headers, rows, [6, 26, 6, 8, 6, 40]
        )
    ]


def _task_summary(ctx: Context, block: Block) -> Content:
    task = block.task or "一"
    groups = rule_groups(ctx, task)
    out: Content = []
    items: list[str] = []
    for g in groups:
        items.append(
            f"{g.title}：{ctx.t('达标', 'met')} {g.met}/{len(g.checks)}（{percent(g.met, len(g.checks))}）"
            if ctx.lang == "zh"
            else f"{g.title}: {g.met} of {len(g.checks)} met ({percent(g.met, len(g.checks))})"
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
        # a report not yet due is no problem; one overdue or handed in late is
        unmet = [c for c in g.checks if not c.met and (g.task is not None or c.state in ("overdue", "late"))]
        if not unmet:
            continue
        if g.task is None:
            items.append(unmet[0].message)
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


def tc609_rows(ctx: Context) -> tuple[list[str], list[list[object]]]:
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
    headers, rows = tc609_rows(ctx)
    return [
        Paragraph(intro),
        table_block(ctx, "tc609", f"{fmap.standard.code} {ctx.t('对照表', 'map')}", headers, rows, [10, 16, 8, 30, 40]),
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
    cats = [i.name_zh if lang == "zh" else textwrap.fill(i.name_en, 16) for i in industries] or ["—"]
    series = []
    for rule_id, zh, en in metrics:
        values = []
        for industry in industries:
            status = status_of(ctx, rule_id, industry.code)
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
