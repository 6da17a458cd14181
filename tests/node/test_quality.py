"""Quality scores move the right way on constructed data, with exact violation counts and their reasons."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest

from resonance.errors import ResonanceError
from resonance.node._quality_scores import grade_for
from resonance.node.quality import (
    DeclaredSchema,
    DimensionScore,
    QualityReport,
    assess,
    load_rules,
    parse_frequency,
    score,
)
from resonance.node.sources import open_source

TODAY = dt.date(2024, 6, 30)


def run(
    tmp_path: Path, header: str, lines: list[str], declared: dict[str, Any] | None = None, **kw: Any
) -> QualityReport:
    path = tmp_path / f"d{len(list(tmp_path.glob('*.csv')))}.csv"
    path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    schema = DeclaredSchema.from_dict(declared) if declared is not None else None
    with open_source(path, workdir=tmp_path / "work") as source:
        return assess(source, declared=schema, today=kw.pop("today", TODAY), **kw)


def test_completeness(tmp_path: Path) -> None:
    full = run(tmp_path, "a,b", [f"{i},{i}" for i in range(100)])
    gaps = run(tmp_path, "a,b", [f"{i},{'' if i % 3 == 0 else i}" for i in range(100)])
    required = run(
        tmp_path, "a,b", [f"{i},{'' if i % 3 == 0 else i}" for i in range(100)], {"columns": {"b": {"required": True}}}
    )
    assert full.dimension("completeness").score == 100.0
    holey = gaps.dimension("completeness")
    assert holey.score == pytest.approx(100 * (1 + 66 / 100) / 2, abs=0.1)
    assert "b" in holey.reason_en and "b（非空 66.0%）" in holey.reason_zh and holey.details["missing_cells"] == 34
    assert required.dimension("completeness").score < holey.score  # a required column weighs double
    assert holey.indicators == ["0204"]


def test_declared_rule_violations_are_counted_exactly(tmp_path: Path) -> None:
    lines = []
    for i in range(60):
        x = -5 if i < 3 else (500 if i < 5 else 50)
        code = "BAD" if i < 4 else f"AB-{i:03d}"
        status = "停机?" if i < 5 else ("运行" if i % 2 else "停机")
        owner = "" if i < 6 else "张三"
        n = "1.5" if i < 2 else ("x" if i == 2 else str(i))
        weight = f"{i} kg" if i >= 1 else "7 g"
        lines.append(f"{x},{code},{status},{owner},{n},{weight}")
    declared = {
        "columns": {
            "x": {"type": "float", "min": 0, "max": 100},
            "code": {"regex": r"AB-\d{3}"},
            "status": {"enum": ["运行", "停机"]},
            "owner": {"required": True},
            "n": {"type": "integer"},
            "weight": {"unit": "kg"},
            "gone": {"type": "integer"},
        }
    }
    report = run(tmp_path, "x,code,status,owner,n,weight", lines, declared)
    conformance = report.dimension("conformance")
    assert conformance.details["by_column"] == {
        "x": {"type": 0, "min": 3, "max": 2},
        "code": {"regex": 4},
        "status": {"enum": 5},
        "owner": {"required": 6},
        "n": {"type": 3},
        "weight": {"unit": 1},
    }
    assert conformance.details["missing_columns"] == ["gone"]
    checks = 60 * 3 + 60 + 60 + 60 + 60 + 60 + 60  # x has three rules; the missing column counts its rows
    assert conformance.details["checks"] == checks and conformance.details["violations"] == 24 + 60
    assert conformance.score == pytest.approx(100 * (1 - 84 / checks), abs=0.1)
    assert "gone" in conformance.reason_zh and "下限 3 个" in conformance.reason_zh
    clean = run(tmp_path, "x", ["50"] * 10, {"columns": {"x": {"type": "float", "min": 0, "max": 100}}})
    assert clean.dimension("conformance").score == 100.0


def test_consistency_counts_misfits_and_cross_field_checks(tmp_path: Path) -> None:
    lines = [f"{'坏' if i < 5 else i},{i},{i + (-1 if i < 3 else 1)}" for i in range(100)]
    report = run(tmp_path, "reading,start,end", lines, {"checks": ['start <= "end"']})
    consistency = report.dimension("consistency")
    assert consistency.details["misfit_values"] == {"reading": 5}
    assert consistency.details["check_failures"] == {'start <= "end"': 3}
    type_share = (300 - 5) / 300
    assert consistency.score == pytest.approx(100 * type_share * (1 - 3 / 100), abs=0.1)
    assert "reading 5" in consistency.reason_en and consistency.indicators == ["0206", "0207"]
    with pytest.raises(ResonanceError) as caught:
        run(tmp_path, "a", ["1"], {"checks": ["no_such_column > 1"]})
    assert caught.value.code == "quality_check"


def test_accuracy_falls_with_far_outliers(tmp_path: Path) -> None:
    rng = random.Random(3)
    base = [f"{rng.gauss(50, 5):.3f}" for _ in range(400)]
    clean = run(tmp_path, "v", base).dimension("accuracy")
    dirty = run(tmp_path, "v", base[:390] + ["99999"] * 10).dimension("accuracy")
    assert clean.score == 100.0 and dirty.details["outliers"] == 10
    assert dirty.score < clean.score and "10" in dirty.reason_zh


def _labelled(rng: random.Random, flip: float) -> list[str]:
    lines = []
    for i in range(600):
        label = i % 2
        x, y = rng.gauss(label * 6, 1), rng.gauss(label * 6, 1)
        shown = 1 - label if rng.random() < flip else label
        lines.append(f"{x:.3f},{y:.3f},{'合格' if shown else '不合格'}")
    return lines


def test_accuracy_estimates_label_issues(tmp_path: Path) -> None:
    rng = random.Random(7)
    clean = run(tmp_path, "x,y,结果", _labelled(rng, 0.0), label_column="结果").dimension("accuracy")
    noisy = run(tmp_path, "x,y,结果", _labelled(rng, 0.15), label_column="结果").dimension("accuracy")
    assert clean.details["label_issue_rate"] < 0.02
    assert 0.08 < noisy.details["label_issue_rate"] < 0.2
    assert noisy.score < clean.score
    assert "cleanlab" in noisy.reason_zh and "cleanlab's confident-learning" in noisy.reason_en  # names the method
    skipped = run(tmp_path, "x,id", [f"{i},{i}" for i in range(50)], label_column="id").dimension("accuracy")
    assert "label check skipped" in skipped.reason_en


def test_timeliness_against_the_declared_frequency(tmp_path: Path) -> None:
    def newest(days_ago: int) -> float | None:
        last = TODAY - dt.timedelta(days=days_ago)
        lines = [f"{last - dt.timedelta(days=i)},{i}" for i in range(20)]
        return run(tmp_path, "day,v", lines, {"update_frequency": "daily"}).dimension("timeliness").score

    assert newest(1) == 100.0
    assert 0 < newest(5) < 100
    assert newest(30) == 0.0
    static = run(tmp_path, "day,v", ["2024-01-01,1"] * 5)
    assert static.dimension("timeliness").score is None and "timeliness" in static.not_assessed


def test_uniqueness_rows_and_declared_key(tmp_path: Path) -> None:
    lines = [f"{i},{i % 90},x" for i in range(90)] + ["1,1,x"] * 10
    report = run(tmp_path, "id,k,v", lines, {"key": ["k"]})
    uniqueness = report.dimension("uniqueness")
    assert uniqueness.details["duplicate_rows"] == 10  # "1,1,x" is there 11 times: the first and 10 repeats
    assert uniqueness.details["key_duplicates"] == 10 and uniqueness.details["key_nulls"] == 0
    assert uniqueness.score == pytest.approx(100 * (1 - 10 / 100) * (1 - 10 / 100), abs=0.1)
    unique = run(tmp_path, "id", [str(i) for i in range(50)], {"key": "id"})
    assert unique.dimension("uniqueness").score == 100.0


def test_documentation_from_the_card(tmp_path: Path) -> None:
    with_card = run(tmp_path, "a", ["1", "2"], card_completeness=0.8).dimension("documentation")
    without = run(tmp_path, "a", ["1", "2"]).dimension("documentation")
    assert (with_card.score, without.score) == (80.0, 0.0)
    assert with_card.indicators == ["0101", "0102", "0103", "0104"]
    assert "说明书" in without.reason_zh


def _dim(key: str, value: float | None) -> DimensionScore:
    return DimensionScore(key, key, key, value, "", "", [], 1.0)


def test_grade_thresholds_and_caps_come_from_the_rules_file() -> None:
    rules = load_rules()
    assert [(g["grade"], g["min"]) for g in rules["grades"]] == [("A", 90), ("B", 80), ("C", 70), ("D", 60), ("E", 0)]
    ok = [_dim("x", 95.0)]
    assert [grade_for(v, ok, rules)[0] for v in (100, 90, 89.9, 80, 70, 60, 59.9, 0)] == list("AABBCDEE")
    assert grade_for(92, [_dim("x", 95.0), _dim("y", 55.0)], rules)[0] == "C"  # one weak dimension caps at C
    assert grade_for(92, [_dim("x", 95.0), _dim("y", 20.0)], rules)[0] == "D"
    assert grade_for(50, [_dim("y", 20.0)], rules)[0] == "E"  # a cap never raises a grade
    assert abs(sum(d["weight"] for d in rules["dimensions"].values()) - 1.0) < 1e-9


def test_overall_report_is_publishable(tmp_path: Path) -> None:
    lines = [f"{i},{'rare_secret' if i == 0 else 'common'},2024-06-{1 + i % 29:02d}" for i in range(100)]
    declared = {"columns": {"a": {"type": "integer", "min": 0}}, "update_frequency": "daily"}
    report = run(tmp_path, "a,name,day", lines, declared, card_completeness=1.0)
    assert report.grade in "ABCDE" and report.overall is not None
    text = json.dumps(report.as_dict(), ensure_ascii=False, allow_nan=False)
    assert "rare_secret" not in text and "参照" in text
    assert {d["key"] for d in report.as_dict()["dimensions"]} == set(load_rules()["dimensions"])


def test_score_without_counts_leaves_conformance_unassessed(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("a\n1\n2\n", encoding="utf-8")
    from resonance.node.profiler import profile

    with open_source(path, workdir=tmp_path / "work") as source:
        result = profile(source)
    report = score(result, DeclaredSchema.from_dict({"columns": {"a": {"min": 0}}}), today=TODAY)
    assert report.dimension("conformance").score is None and "assess" in report.dimension("conformance").reason_en
    assert report.dimension("completeness").score == 100.0


def test_declared_schema_and_frequency_errors() -> None:
    assert parse_frequency("15min") == 900 and parse_frequency("1h") == 3600 and parse_frequency("每日") == 86400
    assert parse_frequency("2 days") == 2 * 86400 and parse_frequency(dt.timedelta(hours=2)) == 7200
    for bad in (
        {"colums": {}},
        {"columns": {"a": {"regex": "("}}},
        {"update_frequency": "sometimes"},
        {"columns": {"a": {"maximum": 3}}},
    ):
        with pytest.raises(ResonanceError) as caught:
            DeclaredSchema.from_dict(bad)
        assert caught.value.code == "quality_declared"
