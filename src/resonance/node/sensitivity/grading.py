"""Grading to GB/T 43697-2024 一般/重要/核心 from a rules file, the officer's confirmation, and the offer gate.

``grade`` turns column scans and the provider's declarations (data category, flags, number of
individuals) into a ``GradeProposal``: a PROPOSAL, with one bilingual reason per matched rule. The level
is the highest of the column levels and of the dataset rules (就高从严). ``confirm`` records the named
数据安全负责人's decision; lowering the proposal is an override that needs a written justification.
``may_offer_for_federated_use`` says whether a decided grade lets the data into a federated job.
The rules live in ``data/grading_rules.yaml`` (its header documents every field).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from resonance.errors import Problem, ResonanceError
from resonance.node.sensitivity.detect import ColumnSensitivity
from resonance.node.sensitivity.recognizers import KINDS, RECOGNIZERS
from resonance.registry.vocabularies import keys, label, normalise

Level = Literal["general", "important", "core"]
LEVELS: tuple[Level, ...] = ("general", "important", "core")
_RANK = {level: i for i, level in enumerate(LEVELS)}
MIN_JUSTIFICATION = 10
PLACEHOLDERS = ("column", "kinds", "count", "min_count", "category", "flags")


# --- the rules file ------------------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Condition(_Strict):
    """What must hold for a rule to match; every condition given must hold."""

    kinds_any: tuple[str, ...] = ()
    kinds_all: tuple[str, ...] = ()
    pii: bool | None = None
    min_count: int | None = Field(default=None, ge=0, strict=True)
    categories: tuple[str, ...] = ()
    flags_all: tuple[str, ...] = ()

    @field_validator("kinds_any", "kinds_all")
    @classmethod
    def _known_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for kind in value:
            if kind not in KINDS:
                raise ValueError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
        return value

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for category in value:
            if category not in keys("data_category"):
                raise ValueError(f"unknown data category {category!r}; use one of: {', '.join(keys('data_category'))}")
        return value


class GradingRule(_Strict):
    """One rule: when its conditions hold for a column (or the dataset), propose ``level`` for ``reason``."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    scope: Literal["column", "dataset"]
    level: Level
    source: str = ""
    when: Condition = Condition()
    reason: Bilingual

    @model_validator(mode="after")
    def _placeholders(self) -> GradingRule:
        allowed = [p for p in PLACEHOLDERS if p != "column" or self.scope == "column"]
        for lang in ("zh", "en"):
            template = getattr(self.reason, lang)
            try:
                names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
            except ValueError as exc:
                raise ValueError(f"reason.{lang}: {exc}") from None
            for name in names:
                if name not in allowed:
                    raise ValueError(f"reason.{lang}: unknown placeholder {{{name}}}; use {', '.join(allowed)}")
        return self


@dataclass(frozen=True)
class GradingRules:
    """A validated rules file: its version, the declarable flags and the rules in file order."""

    version: str
    flags: dict[str, Bilingual]
    rules: tuple[GradingRule, ...]
    path: str = ""


def default_grading_rules_path() -> Path:
    return Path(str(resources.files("resonance.node.sensitivity").joinpath("data/grading_rules.yaml")))


def _invalid(path: Path, problems: list[Problem]) -> ResonanceError:
    first = problems[0]
    return ResonanceError(
        what=f"the grading rules file is malformed: {first.where}: {first.what}",
        where=str(path),
        fix="correct the named rule and field (the header of grading_rules.yaml lists the fields)",
        code="invalid_grading_rules",
        status=500,
        problems=problems,
    )


def load_grading_rules(path: Path | str | None = None) -> GradingRules:
    """Read and validate a grading rules file; any problem raises one ResonanceError naming rule and field."""
    path = Path(path) if path is not None else default_grading_rules_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResonanceError(
            f"cannot read the grading rules file: {exc}", where=str(path), code="invalid_grading_rules"
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        raise _invalid(path, [Problem(what=f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where)]) from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise _invalid(
            path, [Problem(what="expected a mapping with `version:`, `flags:` and a `rules:` list", where="top level")]
        )
    problems: list[Problem] = []
    version = data.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        problems.append(Problem(what="a non-empty rules version is required", where="top level, field version"))
    flags: dict[str, Bilingual] = {}
    for name, labels in (data.get("flags") or {}).items():
        try:
            flags[str(name)] = Bilingual.model_validate(labels)
        except ValidationError:
            problems.append(Problem(what="a flag needs zh and en labels", where=f"flag {name!r}"))
    rules: list[GradingRule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["rules"]):
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        where = f"rule {rule_id!r}" if rule_id else f"rule #{index + 1}"
        try:
            rule = GradingRule.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(part) for part in err["loc"])
                what = err["msg"].removeprefix("Value error, ")
                value = err.get("input") if loc and not isinstance(err.get("input"), dict | list) else None
                problems.append(Problem(what=what, where=f"{where}, field {loc}" if loc else where, value=value))
            continue
        for i, flag in enumerate(rule.when.flags_all):
            if flag not in flags:
                problems.append(
                    Problem(
                        what=f"unknown flag {flag!r}; declare it under `flags:` or use one of: {', '.join(flags)}",
                        where=f"{where}, field when.flags_all.{i}",
                    )
                )
        if rule.id in seen:
            problems.append(Problem(what="duplicate rule id", where=f"{where}, field id", fix="ids must be unique"))
        seen.add(rule.id)
        rules.append(rule)
    if problems:
        raise _invalid(path, problems)
    return GradingRules(version=str(version), flags=flags, rules=tuple(rules), path=str(path))


@lru_cache
def default_grading_rules() -> GradingRules:
    """The rules file shipped with the package (cached)."""
    return load_grading_rules()


# --- proposals -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reason:
    """Why a rule proposes a level, in both languages; ``column`` is None for dataset rules."""

    rule: str
    level: str
    zh: str
    en: str
    column: str | None = None
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_BASELINE = Reason(
    "baseline",
    "general",
    "未发现个人信息，也未申报提高级别的要素，按一般数据",
    "no personal information found and nothing declared that raises the level: general",
)


def _levels_dict(level: str) -> dict[str, str]:
    return {"key": level, "zh": label("sensitivity_level", level, "zh"), "en": label("sensitivity_level", level, "en")}


@dataclass(frozen=True)
class GradeProposal:
    """A PROPOSED level (never final until a data-security officer confirms it) with its reasons."""

    level: str
    reasons: list[Reason]
    column_levels: dict[str, str]
    rules_version: str
    category: str | None = None
    flags: tuple[str, ...] = ()
    individuals: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "level": _levels_dict(self.level), "status": "proposed", "flags": list(self.flags)}


@dataclass
class _Facts:
    kinds: set[str]
    counts: dict[str, int]  # kind -> estimated individuals/values
    pii: bool
    declared: int | None = None


def _personal(kind: str) -> bool:
    return RECOGNIZERS[kind].personal


def _relevant(cond: Condition, facts: _Facts) -> list[str]:
    named = [k for k in (*cond.kinds_any, *cond.kinds_all) if k in facts.kinds]
    return list(dict.fromkeys(named)) or [k for k in facts.counts if _personal(k)]


def _count(cond: Condition, facts: _Facts) -> int:
    if facts.declared is not None:
        return facts.declared
    return max((facts.counts.get(k, 0) for k in _relevant(cond, facts)), default=0)


def _holds(cond: Condition, facts: _Facts, category: str | None, flags: set[str]) -> bool:
    return (
        (not cond.kinds_any or bool(facts.kinds.intersection(cond.kinds_any)))
        and all(k in facts.kinds for k in cond.kinds_all)
        and (cond.pii is None or cond.pii == facts.pii)
        and (cond.min_count is None or _count(cond, facts) >= cond.min_count)
        and (not cond.categories or category in cond.categories)
        and all(f in flags for f in cond.flags_all)
    )


def _reason(
    rule: GradingRule, facts: _Facts, category: str | None, flags: set[str], rules: GradingRules, column: str | None
) -> Reason:
    texts: dict[str, str] = {}
    for lang in ("zh", "en"):
        sep = "、" if lang == "zh" else ", "
        values = {
            "column": column or "",
            "kinds": sep.join(getattr(RECOGNIZERS[k], lang) for k in _relevant(rule.when, facts)),
            "count": f"{_count(rule.when, facts):,}",
            "min_count": f"{rule.when.min_count or 0:,}",
            "category": label("data_category", category, lang) if category else "",
            "flags": sep.join(getattr(rules.flags[f], lang) for f in rule.when.flags_all if f in flags),
        }
        texts[lang] = getattr(rule.reason, lang).format(**values)
    return Reason(rule.id, rule.level, texts["zh"], texts["en"], column, rule.source)


def _flag_set(flags: Mapping[str, bool] | Iterable[str] | None, rules: GradingRules) -> set[str]:
    if isinstance(flags, str):
        flags = [flags]
    chosen = {k for k, v in flags.items() if v} if isinstance(flags, Mapping) else set(flags or ())
    declared = set(flags) if isinstance(flags, Mapping) else chosen
    unknown = sorted(declared - set(rules.flags))
    if unknown:
        raise ResonanceError(
            what=f"unknown grading flag {unknown[0]!r}",
            where="flags",
            fix=f"use one of: {', '.join(f'{k} ({v.zh})' for k, v in rules.flags.items())}",
            code="unknown_value",
            status=422,
        )
    return chosen


def grade(
    columns: Sequence[ColumnSensitivity],
    *,
    category: str | None = None,
    flags: Mapping[str, bool] | Iterable[str] | None = None,
    individuals: int | None = None,
    rules: GradingRules | None = None,
) -> GradeProposal:
    """Propose a level for a dataset from its column scans and the provider's declarations.

    ``category`` is a data_category key or label (研发, 生产运行, …); ``flags`` are the declared flags of
    the rules file (a mapping to booleans or the names of the true ones); ``individuals`` is the declared
    number of data subjects, used by dataset rules instead of the scans' estimates when given.
    """
    rules = rules or default_grading_rules()
    category = normalise("data_category", category, where="category") if category is not None else None
    chosen = _flag_set(flags, rules)
    if individuals is not None and (not isinstance(individuals, int) or individuals < 0):
        raise ResonanceError(
            "the number of individuals must be a whole number ≥ 0",
            where="individuals",
            fix="give the count of data subjects, or leave it out to use the scans' estimates",
            code="invalid",
            status=422,
        )
    reasons: list[Reason] = []
    column_levels: dict[str, str] = {}
    table = _Facts(kinds=set(), counts={}, pii=False, declared=individuals)
    for col in columns:
        counts = {f.kind: f.estimated_count for f in col.findings if f.kind in col.flagged_kinds}
        facts = _Facts(kinds=set(col.flagged_kinds), counts=counts, pii=col.pii)
        level = column_levels.get(col.column, "general")
        for rule in rules.rules:
            if rule.scope == "column" and _holds(rule.when, facts, category, chosen):
                reasons.append(_reason(rule, facts, category, chosen, rules, col.column))
                level = max(level, rule.level, key=_RANK.__getitem__)
        column_levels[col.column] = level
        table.kinds |= facts.kinds
        table.pii = table.pii or facts.pii
        for kind, n in counts.items():
            table.counts[kind] = max(table.counts.get(kind, 0), n)
    level = max(column_levels.values(), key=_RANK.__getitem__, default="general")
    for rule in rules.rules:
        if rule.scope == "dataset" and _holds(rule.when, table, category, chosen):
            reasons.append(_reason(rule, table, category, chosen, rules, None))
            level = max(level, rule.level, key=_RANK.__getitem__)
    present = max((n for k, n in table.counts.items() if _personal(k)), default=0)
    individuals = individuals if individuals is not None else present
    flags_on = tuple(sorted(chosen))
    return GradeProposal(level, reasons or [_BASELINE], column_levels, rules.version, category, flags_on, individuals)


# --- the officer's decision ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GradeDecision:
    """The level a named 数据安全负责人 confirmed, against the proposal, with when (UTC) and why."""

    level: str
    proposed_level: str
    officer: str
    decided_at: datetime
    justification: str | None
    rules_version: str
    reasons: list[Reason] = field(default_factory=list)
    column_levels: dict[str, str] = field(default_factory=dict)

    @property
    def lowered(self) -> bool:
        """True when the officer chose a lower level than proposed (an override)."""
        return _RANK[self.level] < _RANK[self.proposed_level]

    @property
    def overridden(self) -> bool:
        """True when the final level differs from the proposal, either way."""
        return self.level != self.proposed_level

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "level": _levels_dict(self.level),
            "proposed_level": _levels_dict(self.proposed_level),
            "decided_at": self.decided_at.isoformat(),
            "status": "confirmed",
            "overridden": self.overridden,
            "lowered": self.lowered,
        }


def confirm(
    proposal: GradeProposal,
    officer: str,
    level: str | None = None,
    justification: str | None = None,
    *,
    now: datetime | None = None,
) -> GradeDecision:
    """Record the data-security officer's decision on a proposal.

    ``officer`` (the named 数据安全负责人) is required. ``level`` (key or zh/en label) defaults to the
    proposal; choosing a LOWER level is an override and needs ``justification`` of at least
    ``MIN_JUSTIFICATION`` characters, otherwise a ResonanceError (code ``justification_required``).
    Raising the level needs none (就高从严). ``now`` defaults to the current time and is stored in UTC
    (a naive ``now`` is taken as local time).
    """
    name = officer.strip() if isinstance(officer, str) else ""
    if not name:
        raise ResonanceError(
            what="a grade is confirmed by a named data-security officer (数据安全负责人); none was given",
            where="officer",
            fix="pass the officer's name, e.g. officer='张伟 (数据安全负责人)'",
            code="officer_required",
            status=422,
        )
    final = normalise("sensitivity_level", level, where="level") if level is not None else proposal.level
    note = justification.strip() if isinstance(justification, str) and justification.strip() else None
    if _RANK[final] < _RANK[proposal.level] and (note is None or len(note) < MIN_JUSTIFICATION):
        proposed = f"{label('sensitivity_level', proposal.level)} ({proposal.level})"
        chosen = f"{label('sensitivity_level', final)} ({final})"
        raise ResonanceError(
            what=f"lowering the proposed level {proposed} to {chosen} is an override and needs a written "
            f"justification of at least {MIN_JUSTIFICATION} characters (got {len(note or '')})",
            where="justification",
            fix="write why the lower level is right (which 分级要素 the rules over-count), or keep the proposed level",
            code="justification_required",
            status=422,
        )
    decided_at = (now or datetime.now(UTC)).astimezone(UTC)
    return GradeDecision(
        level=final,
        proposed_level=proposal.level,
        officer=name,
        decided_at=decided_at,
        justification=note,
        rules_version=proposal.rules_version,
        reasons=list(proposal.reasons),
        column_levels=dict(proposal.column_levels),
    )


# --- may the data enter a federated job? -------------------------------------------------------------------
def _anniversary(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February: the anniversary in a common year is 1 March
        return date(day.year + 1, 3, 1)


def _as_date(value: date | datetime | str, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ResonanceError(
            f"{value!r} is not a date",
            where=where,
            fix="write it as YYYY-MM-DD, e.g. 2026-03-31",
            code="invalid",
            status=422,
        ) from None


def may_offer_for_federated_use(
    decision: GradeDecision,
    filing_reference: str | None = None,
    risk_assessment_on: date | datetime | str | None = None,
    today: date | None = None,
) -> tuple[bool, str]:
    """Whether data with this confirmed grade may be offered for federated use, and why (zh / en).

    - 核心 core: refused unless the decision carries the officer's written override justification.
    - 重要 important: needs a 重要数据目录备案 filing reference AND a 数据安全风险评估 dated less than one
      year before ``today``: allowed while today is before the assessment's first anniversary.
    - 一般 general: allowed (contracts and usage policies still apply).
    Every refusal names its rule id in brackets and says what to do.
    """
    today = today or datetime.now(UTC).date()
    if decision.level not in _RANK:
        raise ResonanceError(
            f"unknown level {decision.level!r} in the grade decision",
            where="decision.level",
            fix=f"use one of: {', '.join(LEVELS)}",
            code="invalid",
            status=422,
        )
    if decision.level == "core":
        note = decision.justification or ""
        if len(note.strip()) >= MIN_JUSTIFICATION:
            return True, (
                f"[offer_core_override] 核心数据：数据安全负责人{decision.officer}于{decision.decided_at:%Y-%m-%d}"
                "书面说明理由后放行 / core data offered under the override of data-security officer "
                f"{decision.officer} ({decision.decided_at:%Y-%m-%d}), whose written justification is on record"
            )
        return False, (
            "[offer_core_override] 核心数据不得提供给联邦任务 / core data may not be offered for federated use: "
            "the grade decision carries no written override justification — keep the data out of the job, or have "
            f"the data-security officer re-confirm the grade with a justification of at least {MIN_JUSTIFICATION} "
            "characters"
        )
    if decision.level == "important":
        if not (filing_reference or "").strip():
            return False, (
                "[offer_important_filing] 重要数据须先完成目录备案 / important data needs its 重要数据目录 filing "
                "reference: none was given — file the dataset with the local MIIT authority (地方工信主管部门) "
                "and pass the 备案 number as filing_reference"
            )
        if risk_assessment_on is None:
            return False, (
                "[offer_important_risk_assessment] 重要数据须在一年内完成风险评估 / important data needs a data "
                "security risk assessment from the last year: no assessment date was given — carry out the annual "
                "风险评估 and pass its date as risk_assessment_on"
            )
        assessed = _as_date(risk_assessment_on, "risk_assessment_on")
        if assessed > today:
            return False, (
                f"[offer_important_risk_assessment] 风险评估日期{assessed}晚于今天 / the risk assessment date "
                f"{assessed} is after today ({today}) — check the date and pass the day the assessment was completed"
            )
        if today >= _anniversary(assessed):
            return False, (
                f"[offer_important_risk_assessment] 风险评估已超过一年（{assessed}，{(today - assessed).days}天）/ "
                f"the risk assessment of {assessed} is {(today - assessed).days} days old, one year or more — "
                "carry out this year's 数据安全风险评估, report it, and pass its date"
            )
        return True, (
            f"[offer_important] 重要数据：已备案（{filing_reference.strip()}），风险评估于{assessed}（一年内）/ "
            f"important data: filed ({filing_reference.strip()}), risk assessment of {assessed} is within one year"
        )
    return True, (
        "[offer_general] 一般数据可提供（仍受合同与使用策略约束）/ general data may be offered "
        "(contracts and usage policies still apply)"
    )
