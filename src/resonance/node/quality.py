"""Quality scores for a profiled dataset, per GB/T 36344 dimension, with reasons and TC609-5 indicator codes.

    report = assess(source, declared=DeclaredSchema.from_dict(yaml.safe_load(text)), label_column="故障")
    report.grade, report.dimension("completeness").reason_zh

``assess`` counts what it needs in the data (declared-rule violations, far outliers, key duplicates,
cross-field checks, label issues) with DuckDB and then calls ``score``, which is a pure function of the
profile and those counts. Weights, penalties and grade thresholds are data: ``data/quality_rules.yaml``.
Reports say "参照 GB/T 36344 / TC609-5 评测" — scores computed with reference to those documents, not a
certification.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import yaml

from resonance.errors import ResonanceError
from resonance.node import _quality_checks as checks
from resonance.node import _quality_scores as scores
from resonance.node import profiler
from resonance.node._quality_checks import LabelCheck, Violations
from resonance.node.profiler import Profile
from resonance.node.sources import Source

__all__ = [
    "ColumnRule",
    "DeclaredSchema",
    "DimensionScore",
    "LabelCheck",
    "QualityReport",
    "Violations",
    "assess",
    "load_rules",
    "parse_frequency",
    "score",
]

_FREQUENCIES = {
    "secondly": 1,
    "minutely": 60,
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "quarterly": 91 * 86400,
    "yearly": 365 * 86400,
    "annually": 365 * 86400,
    "每秒": 1,
    "每分钟": 60,
    "每小时": 3600,
    "每日": 86400,
    "每天": 86400,
    "每周": 7 * 86400,
    "每月": 30 * 86400,
    "每季度": 91 * 86400,
    "每年": 365 * 86400,
}
_UNIT_SECONDS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400, "w": 604800}


def parse_frequency(text: str | int | float | dt.timedelta) -> float:
    """Seconds in a declared update frequency: ``15min``, ``1h``, ``daily``, ``每日``, seconds, or a timedelta."""
    if isinstance(text, dt.timedelta):
        return text.total_seconds()
    if isinstance(text, int | float):
        return float(text)
    key = text.strip().lower()
    if key in _FREQUENCIES:
        return float(_FREQUENCIES[key])
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]+)", key)
    if match:
        unit = match.group(2)
        unit = unit if unit in _UNIT_SECONDS else unit.removesuffix("s")
        if unit in _UNIT_SECONDS:
            return float(match.group(1)) * _UNIT_SECONDS[unit]
    raise ResonanceError(
        what=f"unknown update frequency {text!r}",
        where="declared schema, update_frequency",
        fix="write it as 15min, 1h, daily, weekly, monthly, yearly (or 每日, 每月…)",
        code="quality_declared",
    )


@dataclass
class ColumnRule:
    """What a column should hold: a type, a unit, a range, a regex, allowed values, whether it is required."""

    type: str | None = None
    unit: str | None = None
    min: Any = None
    max: Any = None
    regex: str | None = None
    enum: list[Any] | None = None
    required: bool = False


@dataclass
class DeclaredSchema:
    """The provider's declarations: column rules, a key, an update frequency and cross-field checks.

    ``checks`` are DuckDB boolean expressions over column names (``"start_time <= end_time"``); a row where
    one is false breaks it (NULL counts as not checkable).
    """

    columns: dict[str, ColumnRule] = field(default_factory=dict)
    key: list[str] = field(default_factory=list)
    update_frequency: str | None = None
    time_column: str | None = None
    checks: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeclaredSchema:
        """Build from a mapping (as read from YAML/JSON); unknown keys are an error naming them."""
        known = {"columns", "key", "update_frequency", "time_column", "checks"}
        unknown = set(data) - known
        if unknown:
            raise ResonanceError(
                what=f"unknown keys in the declared schema: {', '.join(sorted(unknown))}",
                where="declared schema",
                fix=f"use only {', '.join(sorted(known))}",
                code="quality_declared",
            )
        columns = {}
        for name, rule in (data.get("columns") or {}).items():
            try:
                columns[str(name)] = ColumnRule(**(rule or {}))
            except TypeError as exc:
                raise ResonanceError(
                    what=f"bad rule for column {name}: {exc}",
                    where=f"declared schema, columns.{name}",
                    fix="use the keys type, unit, min, max, regex, enum, required",
                    code="quality_declared",
                ) from None
        key = data.get("key") or []
        schema = cls(
            columns=columns,
            key=[key] if isinstance(key, str) else list(key),
            update_frequency=data.get("update_frequency"),
            time_column=data.get("time_column"),
            checks=list(data.get("checks") or []),
        )
        if schema.update_frequency is not None:
            parse_frequency(schema.update_frequency)
        for name, rule in columns.items():
            if rule.regex:
                try:
                    re.compile(rule.regex)
                except re.error as exc:
                    raise ResonanceError(
                        what=f"the regex does not compile: {exc}",
                        where=f"declared schema, columns.{name}.regex",
                        fix="write a regular expression matching the whole value",
                        code="quality_declared",
                    ) from None
        return schema


@dataclass
class DimensionScore:
    """One dimension: 0–100 (None when it could not be assessed), why, and the TC609-5 codes it feeds."""

    key: str
    name_zh: str
    name_en: str
    score: float | None
    reason_zh: str
    reason_en: str
    indicators: list[str]
    weight: float
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "score": self.score,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
            "indicators": list(self.indicators),
            "weight": self.weight,
            "details": dict(self.details),
        }


@dataclass
class QualityReport:
    """Per-dimension scores, the weighted overall score and its grade A–E."""

    dimensions: list[DimensionScore]
    overall: float | None
    grade: str
    not_assessed: list[str]
    grade_reason_zh: str
    grade_reason_en: str
    rules_version: int

    def dimension(self, key: str) -> DimensionScore:
        """The dimension ``key`` (completeness, conformance, consistency, accuracy, timeliness, uniqueness,
        documentation)."""
        for dimension in self.dimensions:
            if dimension.key == key:
                return dimension
        raise KeyError(key)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: counts and column names only, never data values."""
        return {
            "overall": self.overall,
            "grade": self.grade,
            "grade_reason_zh": self.grade_reason_zh,
            "grade_reason_en": self.grade_reason_en,
            "not_assessed": list(self.not_assessed),
            "rules_version": self.rules_version,
            "reference": "参照 GB/T 36344-2018 与 TC609-5 质量评测规范评测 (scored with reference to, not certified)",
            "dimensions": [d.as_dict() for d in self.dimensions],
        }


@cache
def load_rules() -> dict[str, Any]:
    """The weights, penalties and grade thresholds from ``data/quality_rules.yaml``."""
    text = resources.files("resonance.node").joinpath("data/quality_rules.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def score(
    profile: Profile,
    declared: DeclaredSchema | None = None,
    label_column: str | None = None,
    today: dt.date | None = None,
    card_completeness: float | None = None,
    *,
    violations: Violations | None = None,
) -> QualityReport:
    """Score a profile. Pure: the counts that need the data come in ``violations`` (``assess`` makes them);
    without them, conformance and the outlier/label parts of accuracy are not assessed."""
    rules = load_rules()
    today = today or dt.date.today()
    if card_completeness is not None and not 0 <= card_completeness <= 1:
        raise ResonanceError(
            what=f"card completeness must be between 0 and 1, got {card_completeness}",
            where="card_completeness",
            fix="pass the share of the dataset card's required fields that are filled in",
            code="quality_declared",
        )
    context = scores.Context(profile, declared, violations, label_column, today, card_completeness, rules)
    dimensions = [scores.SCORERS[key](context) for key in rules["dimensions"]]
    return scores.combine(dimensions, rules)


def assess(
    source: Source,
    profile: Profile | None = None,
    declared: DeclaredSchema | None = None,
    *,
    label_column: str | None = None,
    today: dt.date | None = None,
    card_completeness: float | None = None,
    k: int = 5,
    memory_limit: str = "700MB",
    connection: duckdb.DuckDBPyConnection | None = None,
) -> QualityReport:
    """Profile ``source`` (unless its profile is given), count violations and label issues in it, and score.

    The counts are exact DuckDB queries over the same materialized data the profile read, so a text file is
    parsed once for both. Pass the ``connection`` the profile ran on (``profiler.connect(source)``) to reuse
    its table; the caller keeps it open. Without it, ``assess`` opens (and closes) a connection of its own and
    reads the source into it again.
    """
    rules = load_rules()["dimensions"]["accuracy"]
    with profiler.borrowed_or_new(source, connection, memory_limit) as con:
        if profile is None:
            profile = profiler.profile(source, k=k, memory_limit=memory_limit, connection=con)
        relation = source.relation(con, materialize=True)
        found = checks.count_violations(con, relation, profile, declared, iqr_factor=float(rules["outlier_iqr"]))
        if label_column:
            found.label = checks.label_check(con, relation, profile, label_column, rules)
    return score(profile, declared, label_column, today, card_completeness, violations=found)
