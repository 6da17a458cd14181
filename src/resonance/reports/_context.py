"""What the content builders share: the report context, rules grouped per rule, small table helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from resonance.registry.rules import RuleStatus
from resonance.reports.facts import Facts
from resonance.reports.templates import Block, FunctionMap, ListsFile, Outline
from resonance.reports.types import Bullets, Chart, Paragraph, Table

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


def scope_detail(ctx: Context, group: RuleGroup) -> str:
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


def task_label(ctx: Context, task: str | None) -> str:
    """一..七 in Chinese, 1..7 in English; report deadlines (no task) as 工作要求 / Reports."""
    if task is None:
        return ctx.t("工作要求", "Reports")
    return task if ctx.lang == "zh" else str("一二三四五六七".index(task) + 1)


def percent(met: int, total: int) -> str:
    return f"{(met / total * 100) if total else 100:.0f}%"


def status_of(ctx: Context, rule_id: str, scope_key: str) -> RuleStatus | None:
    for status in ctx.facts.progress.rules:
        if status.rule_id == rule_id and status.scope_key == scope_key:
            return status
    return None


def table_block(
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
