"""Grading: every rule of the shipped file, 就高从严, the officer's confirmation, the offer gate, bad rules files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from resonance.errors import ResonanceError
from resonance.node.sensitivity.detect import ColumnSensitivity, KindFinding, scan_column
from resonance.node.sensitivity.grading import (
    GradeProposal,
    confirm,
    default_grading_rules,
    default_grading_rules_path,
    grade,
    load_grading_rules,
    may_offer_for_federated_use,
)
from resonance.node.sensitivity.recognizers import RECOGNIZERS


def column(name: str, **counts: int) -> ColumnSensitivity:
    """A scanned column whose every value is of the given kind(s), scaled to ``counts`` individuals."""
    total = max(counts.values(), default=0)
    findings = tuple(
        KindFinding(kind, r.zh, r.en, "header" if kind == "person_name" else "value", r.personal, r.sensitive,
                    100, 1.0, 0, 0.0, n)
        for kind, n in counts.items()
        for r in [RECOGNIZERS[kind]]
    )  # fmt: skip
    return ColumnSensitivity(name, total, total, min(total, 100), "reservoir", 0, 0.5, 0.1, findings, tuple(counts))


PLAIN = column("温度")
PHONES = column("手机", mobile=500)


def rule_ids(proposal: GradeProposal) -> set[str]:
    return {r.rule for r in proposal.reasons}


# --- each rule -------------------------------------------------------------------------------------------------
CASES: list[tuple[str, list[ColumnSensitivity], dict[str, Any], str]] = [
    ("column_personal_information", [PHONES], {}, "general"),
    ("column_organisation_identifier", [column("社会信用代码", uscc=500)], {}, "general"),
    ("column_sensitive_pi_100k", [column("身份证号", resident_id=100_000)], {}, "important"),
    ("column_sensitive_pi_100k", [column("卡号", bank_card=250_000)], {}, "important"),
    ("column_pi_1m", [column("手机", mobile=1_000_000)], {}, "important"),
    ("dataset_pi_1m", [PHONES, column("姓名", person_name=500)], {"individuals": 1_000_000}, "important"),
    ("dataset_identity_linkage_100k", [column("身份证号", resident_id=50_000), column("手机", mobile=150_000)], {},
     "important"),
    ("dataset_critical_infrastructure", [PLAIN], {"flags": ["covers_critical_infrastructure"]}, "important"),
    ("dataset_production_national", [PLAIN], {"category": "生产运行", "flags": {"national_scale": True}}, "important"),
    ("dataset_national_critical_production", [PLAIN],
     {"category": "rd", "flags": ["covers_critical_infrastructure", "national_scale"]}, "core"),
    ("dataset_national_security", [PLAIN], {"flags": ["affects_national_security"]}, "core"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "columns", "declared", "level"), CASES, ids=[c[0] for c in CASES])
def test_each_rule(rule: str, columns: list[ColumnSensitivity], declared: dict[str, Any], level: str) -> None:
    proposal = grade(columns, **declared)
    assert rule in rule_ids(proposal)
    assert proposal.level == level
    reason = next(r for r in proposal.reasons if r.rule == rule)
    assert reason.zh and reason.en and "{" not in reason.zh + reason.en


def test_every_shipped_rule_is_tested() -> None:
    assert {c[0] for c in CASES} == {r.id for r in default_grading_rules().rules}


def test_nothing_found_is_general_with_a_reason() -> None:
    proposal = grade([PLAIN, column("设备名称")])
    assert proposal.level == "general" and rule_ids(proposal) == {"baseline"}
    assert proposal.column_levels == {"温度": "general", "设备名称": "general"}
    assert proposal.as_dict()["level"] == {"key": "general", "zh": "一般", "en": "General"}
    assert proposal.rules_version == default_grading_rules().version


@pytest.mark.parametrize(
    ("counts", "level"),
    [({"resident_id": 99_999}, "general"), ({"resident_id": 100_000}, "important"), ({"mobile": 999_999}, "general"),
     ({"mobile": 1_000_000}, "important")],
)  # fmt: skip
def test_scale_thresholds_are_inclusive(counts: dict[str, int], level: str) -> None:
    assert grade([column("c", **counts)]).level == level


def test_highest_wins_across_columns_and_dataset_rules() -> None:
    ids = column("身份证号", resident_id=200_000)
    proposal = grade([PHONES, ids, PLAIN], category="production", flags=["affects_national_security"])
    assert proposal.column_levels == {"手机": "general", "身份证号": "important", "温度": "general"}
    assert proposal.level == "core"  # dataset rule above every column
    assert {"column_personal_information", "column_sensitive_pi_100k", "dataset_national_security"} <= rule_ids(
        proposal
    )
    combined = grade([column("身份证号", resident_id=50_000), column("手机", mobile=150_000)])
    assert set(combined.column_levels.values()) == {"general"} and combined.level == "important"  # 汇聚 re-graded


def test_scan_feeds_grading() -> None:
    scans = [scan_column("联系人", ["张伟", "王芳"]), scan_column("tel", ["13812345678", "13912345678"])]
    proposal = grade(scans)
    assert proposal.level == "general" and proposal.individuals == 2
    assert [r.column for r in proposal.reasons] == ["联系人", "tel"]


def test_unknown_declarations_are_refused() -> None:
    with pytest.raises(ResonanceError, match="unknown grading flag 'nationwide'") as err:
        grade([PLAIN], flags=["nationwide"])
    assert "covers_critical_infrastructure" in err.value.fix
    with pytest.raises(ResonanceError, match="not a known data category"):
        grade([PLAIN], category="finance")
    with pytest.raises(ResonanceError, match="individuals"):
        grade([PLAIN], individuals=-1)


# --- confirmation ----------------------------------------------------------------------------------------------
IMPORTANT = grade([column("身份证号", resident_id=200_000)])
NOW = datetime(2026, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))


def test_confirm_as_proposed() -> None:
    decision = confirm(IMPORTANT, officer=" 张伟 ", now=NOW)
    assert (decision.level, decision.proposed_level, decision.officer) == ("important", "important", "张伟")
    assert decision.decided_at == NOW and decision.decided_at.tzinfo == UTC
    assert not decision.overridden and not decision.lowered and decision.justification is None
    data = decision.as_dict()
    assert data["decided_at"] == "2026-03-01T00:30:00+00:00" and data["status"] == "confirmed"
    assert confirm(IMPORTANT, "张伟").decided_at.tzinfo == UTC


@pytest.mark.parametrize("officer", ["", "   ", None])
def test_officer_is_required(officer: Any) -> None:
    with pytest.raises(ResonanceError) as err:
        confirm(IMPORTANT, officer=officer)
    assert err.value.code == "officer_required" and "数据安全负责人" in err.value.what


@pytest.mark.parametrize("justification", [None, "", "   ", "太严了", "123456789"])
def test_lowering_needs_a_written_justification(justification: str | None) -> None:
    with pytest.raises(ResonanceError) as err:
        confirm(IMPORTANT, "张伟", level="general", justification=justification)
    assert err.value.code == "justification_required"
    assert "justification" in err.value.what and "10" in err.value.what


def test_lowering_with_justification_is_recorded() -> None:
    why = "身份证号列为测试用脱敏样本，实际不含真实个人信息"
    decision = confirm(IMPORTANT, "张伟", level="一般", justification=why, now=NOW)
    assert (decision.level, decision.proposed_level, decision.justification) == ("general", "important", why)
    assert decision.lowered and decision.overridden


def test_raising_needs_no_justification() -> None:
    decision = confirm(IMPORTANT, "张伟", level="core")
    assert decision.level == "core" and decision.overridden and not decision.lowered


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ResonanceError, match="not a known sensitivity level"):
        confirm(IMPORTANT, "张伟", level="secret")


# --- the offer gate ---------------------------------------------------------------------------------------------
TODAY = date(2026, 3, 1)


def decided(level: str, justification: str | None = None):  # type: ignore[no-untyped-def]
    proposal = grade([PLAIN], flags=["affects_national_security"] if level == "core" else [])
    return confirm(proposal, "张伟", level=level, justification=justification, now=NOW)


def test_general_is_allowed() -> None:
    assert may_offer_for_federated_use(decided("general"), today=TODAY)[0]


def test_core_is_refused_without_an_override() -> None:
    allowed, reason = may_offer_for_federated_use(decided("core"), "工信备-001", TODAY, today=TODAY)
    assert not allowed and "[offer_core_override]" in reason and "justification" in reason


def test_core_with_an_override_justification_is_allowed() -> None:
    allowed, reason = may_offer_for_federated_use(
        decided("core", "经主管部门书面同意，仅用于本次联邦训练"), today=TODAY
    )
    assert allowed and "override" in reason and "张伟" in reason


def test_important_needs_a_filing_reference() -> None:
    for filing in (None, "", "  "):
        allowed, reason = may_offer_for_federated_use(decided("important"), filing, TODAY, today=TODAY)
        assert not allowed and "[offer_important_filing]" in reason and "filing_reference" in reason


def test_important_needs_a_risk_assessment() -> None:
    allowed, reason = may_offer_for_federated_use(decided("important"), "工信备-001", today=TODAY)
    assert not allowed and "[offer_important_risk_assessment]" in reason and "risk_assessment_on" in reason
    allowed, reason = may_offer_for_federated_use(decided("important"), "工信备-001", date(2026, 3, 2), today=TODAY)
    assert not allowed and "after today" in reason


@pytest.mark.parametrize(
    ("assessed", "today", "allowed"),
    [
        (date(2025, 3, 1), date(2026, 2, 28), True),  # 364 days
        (date(2025, 3, 1), date(2026, 3, 1), False),  # 365 days: one year to the day
        (date(2023, 6, 1), date(2024, 5, 31), True),  # 365 days across 29 Feb 2024: still under a year
        (date(2023, 6, 1), date(2024, 6, 1), False),  # 366 days
        (date(2024, 2, 29), date(2025, 2, 28), True),  # 365 days
        (date(2024, 2, 29), date(2025, 3, 1), False),  # 366 days: the anniversary of 29 Feb is 1 Mar
        (date(2026, 3, 1), date(2026, 3, 1), True),  # assessed today
    ],
)
def test_risk_assessment_less_than_one_year_old(assessed: date, today: date, allowed: bool) -> None:
    ok, reason = may_offer_for_federated_use(decided("important"), "工信备-001", assessed, today=today)
    assert ok is allowed, reason
    if not allowed:
        assert "[offer_important_risk_assessment]" in reason and f"{(today - assessed).days} days" in reason


def test_risk_assessment_date_as_text() -> None:
    assert may_offer_for_federated_use(decided("important"), "工信备-001", "2025-12-01", today=TODAY)[0]
    with pytest.raises(ResonanceError, match="not a date"):
        may_offer_for_federated_use(decided("important"), "工信备-001", "last spring", today=TODAY)


# --- malformed rules files --------------------------------------------------------------------------------------
def write_rules(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(default_grading_rules_path().read_text("utf-8"))
    change(data)
    path = tmp_path / "grading_rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in data["rules"] if r["id"] == rule_id)


@pytest.mark.parametrize(
    ("change", "where", "what"),
    [
        (lambda d: rule(d, "column_pi_1m").update(level="secret"), "rule 'column_pi_1m', field level", "general"),
        (lambda d: rule(d, "column_pi_1m")["when"].update(kinds_any=["passport"]),
         "rule 'column_pi_1m', field when.kinds_any", "unknown kind 'passport'"),
        (lambda d: rule(d, "column_pi_1m")["when"].update(min_count="many"),
         "rule 'column_pi_1m', field when.min_count", "integer"),
        (lambda d: rule(d, "dataset_production_national")["when"].update(categories=["finance"]),
         "rule 'dataset_production_national', field when.categories", "unknown data category"),
        (lambda d: rule(d, "dataset_national_security")["when"].update(flags_all=["secret_stuff"]),
         "rule 'dataset_national_security', field when.flags_all.0", "unknown flag 'secret_stuff'"),
        (lambda d: rule(d, "column_pi_1m")["reason"].update(zh="{colum}含个人信息"), "rule 'column_pi_1m'",
         "reason.zh: unknown placeholder {colum}"),
        (lambda d: rule(d, "dataset_pi_1m")["reason"].update(en="column {column}"), "rule 'dataset_pi_1m'",
         "unknown placeholder {column}"),
        (lambda d: rule(d, "column_pi_1m").update(levle="core"), "rule 'column_pi_1m', field levle", "Extra inputs"),
        (lambda d: rule(d, "column_pi_1m").pop("reason"), "rule 'column_pi_1m', field reason", "Field required"),
        (lambda d: rule(d, "column_pi_1m").update(id="column_personal_information"),
         "rule 'column_personal_information', field id", "duplicate rule id"),
        (lambda d: d.pop("version"), "top level, field version", "version"),
        (lambda d: d.pop("rules"), "top level", "rules"),
    ],
)  # fmt: skip
def test_malformed_rules_file_names_rule_and_field(tmp_path: Path, change, where: str, what: str) -> None:  # type: ignore[no-untyped-def]
    path = write_rules(tmp_path, change)
    with pytest.raises(ResonanceError) as err:
        load_grading_rules(path)
    assert err.value.code == "invalid_grading_rules" and err.value.where == str(path)
    problems = [str(p) for p in err.value.problems] or [err.value.what]
    assert any(where in p and what in p for p in problems), problems
    assert where in str(err.value)  # the one-line message names the first problem's rule and field


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "grading_rules.yaml"
    path.write_text("version: 1\nrules:\n  - id: [unclosed\n", "utf-8")
    with pytest.raises(ResonanceError, match=r"line \d+, column \d+: not valid YAML"):
        load_grading_rules(path)


def test_custom_rules_file_is_used(tmp_path: Path) -> None:
    def stricter(data: dict[str, Any]) -> None:
        rule(data, "column_sensitive_pi_100k")["when"]["min_count"] = 1_000
        data["version"] = "local-2026"

    rules = load_grading_rules(write_rules(tmp_path, stricter))
    proposal = grade([column("身份证号", resident_id=5_000)], rules=rules)
    assert proposal.level == "important" and proposal.rules_version == "local-2026"
    assert "1,000" in next(r.zh for r in proposal.reasons if r.rule == "column_sensitive_pi_100k")
