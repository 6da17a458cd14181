"""The action's quotas and deadlines (``data/rules.yaml``): loading, validation and evaluation.

``progress(session)`` evaluates every rule for every action entity (or one) and returns, per entity, one
``RuleStatus`` per checked item (the entity, each selected industry, scenario, model or agent): required,
current, met, how many are missing, a bilingual message, the deadline and the days left.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from resonance.errors import NotFound, Problem, ResonanceError
from resonance.registry._rule_queries import METRICS, Context, Item
from resonance.registry.models import ActionEntity
from resonance.registry.vocabularies import keys

Lang = Literal["zh", "en"]
PLACEHOLDERS = ("scope", "current", "required", "missing", "deadline", "days_left", "days_overdue")
REPORT_PLACEHOLDERS = ("submitted_on", "days_late")
ENTITY_FLAGS = ("has_pilot_zone_or_base",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Templates(_Strict):
    """Message templates per state; ``overdue`` falls back to ``unmet``; ``late`` is for report rules."""

    unmet: str = Field(min_length=1)
    met: str = Field(min_length=1)
    overdue: str | None = None
    late: str | None = None


class Messages(_Strict):
    zh: Templates
    en: Templates


class Rule(_Strict):
    """One quota or deadline of the notice."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    task: Literal["一", "二", "三", "四", "五", "六", "七"] | None
    source: str = ""
    title: Bilingual
    applies_to: Literal["province", "central_enterprise", "both"]
    when: dict[Literal["has_pilot_zone_or_base"], bool] = Field(default_factory=dict)
    scope: Literal["entity", "industry", "scenario", "model", "agent"]
    metric: str
    params: dict[str, str] = Field(default_factory=dict)
    operator: Literal[">=", "<="]
    threshold: int = Field(ge=0, strict=True)
    deadline: date
    messages: Messages

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"unknown metric {value!r}; use one of: {', '.join(METRICS)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        metric = METRICS[self.metric]
        if metric.scope != self.scope:
            raise ValueError(f"field scope: metric {self.metric!r} counts per {metric.scope!r}, not {self.scope!r}")
        if set(self.params) != set(metric.params):
            raise ValueError(
                f"field params: metric {self.metric!r} takes {list(metric.params)}, got {list(self.params)}"
            )
        if "report_kind" in self.params and self.params["report_kind"] not in keys("report_kind"):
            raise ValueError(f"field params.report_kind: must be one of {keys('report_kind')}")
        is_report = bool(metric.params)
        allowed = PLACEHOLDERS + (REPORT_PLACEHOLDERS if is_report else ())
        for lang in ("zh", "en"):
            templates: Templates = getattr(self.messages, lang)
            if is_report and not templates.late:
                raise ValueError(f"field messages.{lang}.late: required for a report rule")
            for state in ("unmet", "met", "overdue", "late"):
                _check_template(getattr(templates, state), allowed, f"field messages.{lang}.{state}")
        return self

    def applies(self, entity: ActionEntity) -> bool:
        if self.applies_to not in ("both", entity.kind):
            return False
        return all(bool(getattr(entity, flag)) == wanted for flag, wanted in self.when.items())


def _check_template(template: str | None, allowed: tuple[str, ...], where: str) -> None:
    if template is None:
        return
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    for name in names:
        if name not in allowed:
            raise ValueError(f"{where}: unknown placeholder {{{name}}}; use {', '.join(allowed)}")


# -- loading ------------------------------------------------------------------------------------------------


def default_rules_path() -> Path:
    return Path(str(resources.files("resonance.registry").joinpath("data/rules.yaml")))


def _invalid(path: Path, problems: list[Problem]) -> ResonanceError:
    first = problems[0]
    return ResonanceError(
        what=f"the rules file is malformed: {first.where}: {first.what}",
        where=str(path),
        fix="correct the named rule and field (see the header of rules.yaml for the fields)",
        code="invalid_rules",
        status=500,
        problems=problems,
    )


def load_rules(path: Path | str | None = None) -> list[Rule]:
    """Read and validate a rules file; any problem raises one ResonanceError naming rule id and field."""
    path = Path(path) if path is not None else default_rules_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResonanceError(what=f"cannot read the rules file: {exc}", where=str(path), code="invalid_rules") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        raise _invalid(path, [Problem(what=f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where)]) from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise _invalid(path, [Problem(what="expected a mapping with a `rules:` list", where="top level")])
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["rules"]):
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        label = f"rule {rule_id!r}" if rule_id else f"rule #{index + 1}"
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(part) for part in err["loc"])
                what = err["msg"].removeprefix("Value error, ")
                value = err.get("input") if loc and not isinstance(err.get("input"), dict | list) else None
                problems.append(Problem(what=what, where=f"{label}, field {loc}" if loc else label, value=value))
            continue
        if rule.id in seen:
            problems.append(Problem(what="duplicate rule id", where=f"{label}, field id", fix="ids must be unique"))
        seen.add(rule.id)
        rules.append(rule)
    if problems:
        raise _invalid(path, problems)
    return rules


@lru_cache
def default_rules() -> tuple[Rule, ...]:
    return tuple(load_rules())


# -- evaluation ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleStatus:
    rule_id: str
    task: str | None
    title_zh: str
    title_en: str
    scope: str
    scope_key: str
    scope_name: str
    operator: str
    required: int
    current: int
    met: bool
    missing: int
    state: str  # met | unmet | overdue | late
    message: str
    deadline: date
    days_left: int
    submitted_on: date | None = None
    late: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "task": self.task,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "scope": self.scope,
            "scope_key": self.scope_key,
            "scope_name": self.scope_name,
            "operator": self.operator,
            "required": self.required,
            "current": self.current,
            "met": self.met,
            "missing": self.missing,
            "state": self.state,
            "message": self.message,
            "deadline": self.deadline.isoformat(),
            "days_left": self.days_left,
            "submitted_on": self.submitted_on.isoformat() if self.submitted_on else None,
            "late": self.late,
        }


@dataclass
class EntityProgress:
    code: str
    name_zh: str
    name_en: str
    kind: str
    has_pilot_zone_or_base: bool
    industries: list[str]
    today: date
    rules: list[RuleStatus] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        by_rule: dict[str, bool] = {}
        for status in self.rules:
            by_rule[status.rule_id] = by_rule.get(status.rule_id, True) and status.met
        met = sum(1 for s in self.rules if s.met)
        total = len(self.rules)
        return {
            "checks_total": total,
            "checks_met": met,
            "completion_rate": round(met / total, 4) if total else 1.0,
            "rules_total": len(by_rule),
            "rules_met": sum(by_rule.values()),
            "overdue": sum(1 for s in self.rules if s.state == "overdue"),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": {
                "code": self.code,
                "name_zh": self.name_zh,
                "name_en": self.name_en,
                "kind": self.kind,
                "has_pilot_zone_or_base": self.has_pilot_zone_or_base,
                "industries": self.industries,
            },
            "today": self.today.isoformat(),
            "summary": self.summary(),
            "rules": [s.as_dict() for s in self.rules],
        }


def find_entities(session: Session, entity: str | None) -> list[ActionEntity]:
    """All action entities (by code), or the one whose code, zh name or en name is ``entity``."""
    if entity is None:
        return list(session.scalars(select(ActionEntity).order_by(ActionEntity.code)))
    value = entity.strip()
    found = session.scalars(
        select(ActionEntity).where(
            or_(ActionEntity.code == value, ActionEntity.name_zh == value, ActionEntity.name_en == value)
        )
    ).first()
    if found is None:
        codes = session.scalars(select(ActionEntity.code).order_by(ActionEntity.code).limit(30)).all()
        hint = f"use an entity code or Chinese name, one of: {', '.join(codes)}" if codes else "no entity is registered"
        raise NotFound("action entity", entity, fix=hint)
    return [found]


def _evaluate(rule: Rule, item: Item, lang: Lang, today: date) -> RuleStatus:
    current, required = item.current, rule.threshold
    if rule.operator == ">=":
        satisfied, missing = current >= required, max(0, required - current)
    else:
        satisfied, missing = current <= required, max(0, current - required)
    days_left = (rule.deadline - today).days
    is_report = rule.metric == "reports_submitted"
    late: bool | None = None
    if is_report:
        late = bool(satisfied and item.submitted_on and item.submitted_on > rule.deadline)
    if satisfied and not late:
        state = "met"
    elif late:
        state = "late"
    else:
        state = "overdue" if days_left < 0 else "unmet"
    name = item.name_zh if lang == "zh" else item.name_en
    scope_name = name if rule.scope in ("entity", "industry") else f"{item.key} {name}"
    values = {
        "scope": scope_name,
        "current": current,
        "required": required,
        "missing": missing,
        "deadline": rule.deadline.isoformat(),
        "days_left": days_left,
        "days_overdue": max(0, -days_left),
        "submitted_on": item.submitted_on.isoformat() if item.submitted_on else "—",
        "days_late": (item.submitted_on - rule.deadline).days if late and item.submitted_on else 0,
    }
    templates: Templates = getattr(rule.messages, lang)
    template = {"met": templates.met, "late": templates.late, "overdue": templates.overdue}.get(state)
    title: Bilingual = rule.title
    return RuleStatus(
        rule_id=rule.id,
        task=rule.task,
        title_zh=title.zh,
        title_en=title.en,
        scope=rule.scope,
        scope_key=item.key,
        scope_name=scope_name,
        operator=rule.operator,
        required=required,
        current=current,
        met=state == "met",
        missing=missing,
        state=state,
        message=(template or templates.unmet).format(**values),
        deadline=rule.deadline,
        days_left=days_left,
        submitted_on=item.submitted_on if is_report else None,
        late=late,
    )


def progress(
    session: Session,
    entity: str | None = None,
    today: date | None = None,
    lang: str = "zh",
    rules: list[Rule] | tuple[Rule, ...] | None = None,
) -> list[EntityProgress]:
    """Evaluate the rules for every action entity (or the one named by code / zh name); see module doc."""
    if lang not in ("zh", "en"):
        raise ResonanceError(what=f"unknown language {lang!r}", fix="use zh or en", code="unknown_value", status=422)
    lang_: Lang = "zh" if lang == "zh" else "en"
    today = today or date.today()
    rules = default_rules() if rules is None else rules
    entities = find_entities(session, entity)
    ctx = Context(session, entities)
    out: list[EntityProgress] = []
    for e in entities:
        result = EntityProgress(
            code=e.code,
            name_zh=e.name_zh,
            name_en=e.name_en or e.name_zh,
            kind=e.kind,
            has_pilot_zone_or_base=bool(e.has_pilot_zone_or_base),
            industries=[i.code for i in ctx.selected[e.id]],
            today=today,
        )
        for rule in rules:
            if rule.applies(e):
                items = ctx.metric(rule.metric, rule.params)[e.id]
                result.rules.extend(_evaluate(rule, item, lang_, today) for item in items)
        out.append(result)
    return out
