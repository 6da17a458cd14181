"""One scorer per quality dimension, each returning a 0–100 score with its reason in Chinese and English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resonance.node._quality_checks import Violations
    from resonance.node.profiler import Profile
    from resonance.node.quality import DeclaredSchema, DimensionScore, QualityReport

_RULE_ZH = {
    "type": "类型",
    "min": "下限",
    "max": "上限",
    "regex": "格式",
    "enum": "取值范围",
    "unit": "单位",
    "required": "必填",
}


@dataclass
class Context:
    profile: Profile
    declared: DeclaredSchema | None
    violations: Violations | None
    label_column: str | None
    today: dt.date
    card: float | None
    rules: dict[str, Any]

    def make(self, key: str, score: float | None, zh: str, en: str, **details: Any) -> DimensionScore:
        from resonance.node.quality import DimensionScore

        rule = self.rules["dimensions"][key]
        return DimensionScore(
            key=key,
            name_zh=rule["zh"],
            name_en=rule["en"],
            score=None if score is None else round(max(0.0, min(100.0, score)), 1),
            reason_zh=zh,
            reason_en=en,
            indicators=list(rule["indicators"]),
            weight=float(rule["weight"]),
            details=details,
        )


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _linear(share: float, zero_at: float) -> float:
    return 100.0 * max(0.0, 1.0 - share / zero_at)


def completeness(c: Context) -> DimensionScore:
    required = {n for n, r in c.declared.columns.items() if r.required} if c.declared else set()
    weight_required = float(c.rules["dimensions"]["completeness"]["required_weight"])
    total = acc = 0.0
    shares = []
    for col in c.profile.columns:
        if not col.count:
            continue
        share = (col.count - col.nulls - col.empty) / col.count
        weight = weight_required if col.name in required else 1.0
        total, acc = total + weight, acc + weight * share
        shares.append((share, col.name))
    if not total:
        return c.make("completeness", None, "没有可评估的列", "no columns to assess")
    value = 100 * acc / total
    worst = [(s, n) for s, n in sorted(shares) if s < 1][:3]
    missing = sum(col.nulls + col.empty for col in c.profile.columns)
    listed_zh = "、".join(f"{n}（非空 {_pct(s)}）" for s, n in worst)
    listed_en = ", ".join(f"{n} ({_pct(s)} filled)" for s, n in worst)
    zh = f"非空单元格加权占比 {value:.1f}%，缺失 {missing} 个单元格" + (f"；缺失最多的列：{listed_zh}" if worst else "")
    en = f"weighted share of filled cells {value:.1f}%, {missing} cells missing" + (
        f"; most incomplete: {listed_en}" if worst else ""
    )
    return c.make("completeness", value, zh, en, missing_cells=missing, required_columns=sorted(required))


def conformance(c: Context) -> DimensionScore:
    if c.declared is None or not c.declared.columns:
        return c.make(
            "conformance",
            None,
            "未声明字段规则（类型、范围、格式、取值），无法评估规范性",
            "no declared column rules (type, range, regex, enum) to check against",
        )
    v = c.violations
    if v is None:
        return c.make("conformance", None, "未统计违规数（请使用 assess）", "violations not counted (use assess)")
    checked = sum(sum(rules.values()) for rules in v.checked.values()) + v.rows * len(v.missing_columns)
    failed = sum(sum(rules.values()) for rules in v.failed.values()) + v.rows * len(v.missing_columns)
    by_rule: dict[str, int] = {}
    for rules in v.failed.values():
        for rule, count in rules.items():
            by_rule[rule] = by_rule.get(rule, 0) + count
    value = 100 * (1 - failed / checked) if checked else 100.0
    parts_zh = [f"{_RULE_ZH[r]} {n} 个" for r, n in by_rule.items() if n]
    parts_en = [f"{r} {n}" for r, n in by_rule.items() if n]
    zh = f"按声明规则检查 {checked} 次，违规 {failed} 次" + (f"（{'，'.join(parts_zh)}）" if parts_zh else "")
    en = f"{checked} declared-rule checks, {failed} violations" + (f" ({', '.join(parts_en)})" if parts_en else "")
    if v.missing_columns:
        zh += f"；声明的列不存在：{'、'.join(v.missing_columns)}"
        en += f"; declared columns missing: {', '.join(v.missing_columns)}"
    if v.unverifiable_units:
        zh += f"；数值列的单位无法从数据核验：{'、'.join(v.unverifiable_units)}"
        en += f"; units of numeric columns cannot be verified from the data: {', '.join(v.unverifiable_units)}"
    return c.make(
        "conformance",
        value,
        zh,
        en,
        checks=checked,
        violations=failed,
        by_rule=by_rule,
        by_column={n: r for n, r in v.failed.items() if any(r.values())},
        missing_columns=list(v.missing_columns),
        unverifiable_units=list(v.unverifiable_units),
    )


def consistency(c: Context) -> DimensionScore:
    filled = conforming = 0
    off = []
    for col in c.profile.columns:
        if col.type_conforming is None:
            continue
        col_filled = col.count - col.nulls - col.empty
        filled, conforming = filled + col_filled, conforming + col.type_conforming
        if col.type_conforming < col_filled:
            off.append((col.name, col_filled - col.type_conforming, col.inferred_type))
    type_share = conforming / filled if filled else 1.0
    failures = c.violations.check_failures if c.violations else {}
    rows = c.profile.rows or 1
    check_share = 1 - sum(n / rows for n in failures.values()) / len(failures) if failures else 1.0
    value = 100 * type_share * check_share
    zh = f"{_pct(type_share)} 的值符合所在列的推断类型"
    en = f"{_pct(type_share)} of values fit their column's inferred type"
    if off:
        zh += "；不符合的：" + "、".join(f"{n} {m} 个（应为 {t}）" for n, m, t in off[:5])
        en += "; misfits: " + ", ".join(f"{n} {m} (expected {t})" for n, m, t in off[:5])
    if failures:
        zh += f"；跨字段规则 {len(failures)} 条，共 {sum(failures.values())} 行不满足"
        en += f"; {len(failures)} cross-field checks, {sum(failures.values())} failing rows"
    return c.make(
        "consistency",
        value,
        zh,
        en,
        type_consistency=round(type_share, 6),
        misfit_values={n: m for n, m, _ in off},
        check_failures=dict(failures),
    )


def accuracy(c: Context) -> DimensionScore:
    rules = c.rules["dimensions"]["accuracy"]
    v = c.violations
    if v is None:
        return c.make("accuracy", None, "未统计异常值与标注问题（请使用 assess）", "outliers not counted (use assess)")
    parts: list[tuple[float, float]] = []
    zh, en = [], []
    details: dict[str, Any] = {}
    checked = sum(v.outlier_checked.values())
    if checked:
        outliers = sum(v.outliers.values())
        share = outliers / checked
        parts.append((1 - float(rules["label_weight"]), _linear(share, float(rules["outlier_zero_share"]))))
        zh.append(f"数值中远离四分位距 {rules['outlier_iqr']} 倍以外的异常值占 {_pct(share)}（{outliers} 个）")
        en.append(f"far outliers (beyond {rules['outlier_iqr']}×IQR) are {_pct(share)} of numeric values ({outliers})")
        details.update(outliers=outliers, outlier_share=round(share, 6))
    label = v.label
    if c.label_column and label is not None:
        if label.issue_rate is None:
            zh.append(f"标注检查未进行：{label.skipped}")
            en.append(f"label check skipped: {label.skipped}")
        else:
            parts.append((float(rules["label_weight"]), _linear(label.issue_rate, float(rules["label_zero_share"]))))
            zh.append(
                f"标注列 {label.column} 估计错误标注率 {_pct(label.issue_rate)}（样本 {label.sample_rows} 行；"
                "方法：cleanlab 置信学习计数，概率取 k 近邻投票（不含本行）；类别重叠时偏高）"
            )
            en.append(
                f"label column {label.column}: estimated label-issue rate {_pct(label.issue_rate)} "
                f"({label.sample_rows} sampled rows; cleanlab's confident-learning count over out-of-sample kNN vote "
                "shares; it overestimates where classes overlap)"
            )
            details.update(label_issue_rate=round(label.issue_rate, 6), label_sample_rows=label.sample_rows)
    if not parts:
        return c.make(
            "accuracy",
            None,
            "；".join(zh) or "没有数值列或标注列可检查",
            "; ".join(en) or "no numeric or label column to check",
            **details,
        )
    weight = sum(w for w, _ in parts)
    value = sum(w * s for w, s in parts) / weight
    zh.append("异常值不一定是错误，需人工复核")
    en.append("an outlier is not necessarily an error; review them")
    return c.make("accuracy", value, "；".join(zh), "; ".join(en), **details)


def timeliness(c: Context) -> DimensionScore:
    from resonance.node.quality import parse_frequency

    declared = c.declared
    if declared is None or not declared.update_frequency:
        return c.make(
            "timeliness", None, "未声明更新频率，无法评估时效性", "no declared update frequency to compare with"
        )
    period = parse_frequency(declared.update_frequency)
    name = declared.time_column
    timed = [col for col in c.profile.columns if col.kind == "temporal" and (name is None or col.name == name)]
    newest = timed[0].private.get("max") if timed else None
    if newest is None:
        return c.make(
            "timeliness",
            None,
            f"找不到时间列{f' {name}' if name else ''}",
            f"no time column{f' {name}' if name else ''}",
        )
    newest_day = newest.date() if isinstance(newest, dt.datetime) else newest
    age_days = max(0, (c.today - newest_day).days)
    periods = age_days * 86400 / period
    rule = c.rules["dimensions"]["timeliness"]
    full, zero = float(rule["full_within_periods"]), float(rule["zero_after_periods"])
    value = 100.0 if periods <= full else 0.0 if periods >= zero else 100 * (zero - periods) / (zero - full)
    zh = (
        f"最新记录（{timed[0].name}）距 {c.today.isoformat()} 已 {age_days} 天，"
        f"约为声明更新频率 {declared.update_frequency} 的 {periods:.1f} 个周期"
    )
    en = (
        f"the newest record ({timed[0].name}) is {age_days} days old on {c.today.isoformat()}, "
        f"{periods:.1f} periods of the declared update frequency {declared.update_frequency}"
    )
    return c.make("timeliness", value, zh, en, age_days=age_days, periods=round(periods, 3), time_column=timed[0].name)


def uniqueness(c: Context) -> DimensionScore:
    p, v = c.profile, c.violations
    dup_share = p.duplicate_ratio
    zh = f"完全重复的行 {p.duplicate_rows} 行（{_pct(dup_share)}）"
    en = f"{p.duplicate_rows} exact duplicate rows ({_pct(dup_share)})"
    key_share = 0.0
    details: dict[str, Any] = {"duplicate_rows": p.duplicate_rows}
    if c.declared and c.declared.key:
        key = "+".join(c.declared.key)
        if v is None or v.key_duplicates is None:
            zh += f"；主键 {key} 未检查（请使用 assess）"
            en += f"; key {key} not checked (use assess)"
        else:
            bad = v.key_duplicates + (v.key_nulls or 0)
            key_share = bad / p.rows if p.rows else 0.0
            zh += f"；主键 {key} 重复 {v.key_duplicates} 行、缺失 {v.key_nulls} 行"
            en += f"; key {key}: {v.key_duplicates} repeated, {v.key_nulls} missing"
            details.update(key_duplicates=v.key_duplicates, key_nulls=v.key_nulls)
    value = 100 * (1 - dup_share) * (1 - key_share)
    return c.make("uniqueness", value, zh, en, **details)


def documentation(c: Context) -> DimensionScore:
    if c.card is None:
        return c.make(
            "documentation",
            0.0,
            "未提供数据集说明书（基本信息、内容特征、建设过程、应用说明）",
            "no dataset card (basic information, content, construction process, application notes)",
        )
    return c.make(
        "documentation",
        100 * c.card,
        f"数据集说明书必填项完成 {_pct(c.card)}",
        f"dataset card {_pct(c.card)} complete",
        card_completeness=c.card,
    )


SCORERS: dict[str, Callable[[Context], DimensionScore]] = {
    "completeness": completeness,
    "conformance": conformance,
    "consistency": consistency,
    "accuracy": accuracy,
    "timeliness": timeliness,
    "uniqueness": uniqueness,
    "documentation": documentation,
}


def grade_for(overall: float, dimensions: list[DimensionScore], rules: dict[str, Any]) -> tuple[str, list[str]]:
    """The grade of ``overall`` by the thresholds, lowered by the caps; and the caps that applied."""
    grade = next(g["grade"] for g in rules["grades"] if overall >= g["min"])
    applied = []
    for cap in rules.get("caps") or []:
        weak = [d for d in dimensions if d.score is not None and d.score < cap["below"]]
        if weak and grade < cap["max_grade"]:
            grade = cap["max_grade"]
            applied.append(f"{cap['below']}:{cap['max_grade']}:" + ",".join(d.key for d in weak))
    return grade, applied


def combine(dimensions: list[DimensionScore], rules: dict[str, Any]) -> QualityReport:
    from resonance.node.quality import QualityReport

    assessed = [d for d in dimensions if d.score is not None]
    not_assessed = [d.key for d in dimensions if d.score is None]
    weight = sum(d.weight for d in assessed)
    if not weight:
        return QualityReport(
            dimensions, None, "E", not_assessed, "没有可评估的维度", "nothing could be assessed", int(rules["version"])
        )
    overall = round(sum(d.weight * d.score for d in assessed) / weight, 1)  # type: ignore[operator]
    grade, caps = grade_for(overall, assessed, rules)
    zh = f"加权总分 {overall}，等级 {grade}"
    en = f"weighted overall {overall}, grade {grade}"
    for cap in caps:
        below, max_grade, keys = cap.split(":")
        names = [d for d in assessed if d.key in keys.split(",")]
        zh += f"；{'、'.join(d.name_zh for d in names)} 低于 {below} 分，等级最高为 {max_grade}"
        en += f"; {', '.join(d.name_en for d in names)} below {below}, so at most {max_grade}"
    if not_assessed:
        zh += f"；未评估：{'、'.join(d.name_zh for d in dimensions if d.score is None)}"
        en += f"; not assessed: {', '.join(not_assessed)}"
    return QualityReport(dimensions, overall, grade, not_assessed, zh, en, int(rules["version"]))
