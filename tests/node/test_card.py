"""The dataset card (数据集说明书): YAML round trip, field-named errors, completeness, template, Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from resonance.errors import ResonanceError
from resonance.node.card import (
    Card,
    completeness,
    dump_card,
    load_card,
    logical_type,
    parse_card,
    render_markdown,
    save_card,
    template,
)
from resonance.node.sensitivity.grading import confirm, grade

SECRET = "SECRET-TOP-VALUE-42"
PROFILE: dict[str, Any] = {
    "rows": 5000,
    "path": "/home/provider/secret/furnace.csv",
    "columns": [
        {"name": "ts", "type": "TIMESTAMP", "nulls": 0, "stats": {"min": "2024-01-01 00:00:00"}},
        {"name": "炉温", "type": "DOUBLE", "nulls": 3, "stats": {"mean": 1502.25, "top": [{"value": SECRET}]}},
        {"name": "grade", "type": "VARCHAR", "stats": {"top": [{"value": SECRET, "count": 40}]}},
        {"name": "ok", "type": "BOOLEAN"},
        {"name": "day", "type": "DATE"},
        {"name": "batch", "type": "BIGINT"},
    ],
}

FULL_YAML = """
basic:
  name: {zh: 高炉炉温数据集, en: Blast furnace temperature}
  summary: {zh: 某钢厂2号高炉两年的炉温与操作参数。, en: Two years of furnace temperature and operating data.}
  version: "1.2.0"
  provider: 示例钢铁有限公司
  owner: 示例钢铁有限公司
  industry: 钢铁
  dataset_type: 行业专识
  data_category: 生产运行
  modality: [表格, time_series]
  stage: [微调, evaluation]
  scale: {rows: 5000, columns: 3}
  format: CSV
  licence: https://creativecommons.org/licenses/by-nc/4.0/
  usage_terms: 仅限联合训练，禁止导出原始数据。
  access: 仅联合训练（数据不出节点）
  contact: {name: 王工, email: wang@example.com, phone: "13800000000"}
  keywords: [高炉, furnace]
  citation: 示例钢铁 (2026) 高炉炉温数据集 v1.2.0
content:
  columns:
    - {name: ts, type: datetime, description: {zh: 采样时间, en: sampling time}}
    - {name: 炉温, type: float, unit: ℃, description: 铁水温度}
    - name: grade
      type: text
      description: {zh: 炉况等级, en: furnace condition grade}
      label: true
      label_definition: {zh: 专家按炉况判定的等级 A/B/C, en: "expert grade A/B/C | by condition"}
  distribution: {zh: 炉温近似正态分布，均值约1500℃。, en: Roughly normal around 1500 ℃.}
  label_statistics:
    - {value: A, count: 3000, share: 0.6}
    - {value: B, count: 2000, share: 0.4}
  limitations: 仅覆盖一座高炉。
  known_issues: [2024年3月传感器漂移]
process:
  collection: {start: 2024-01-01, end: 2025-12-31}
  source: 生产过程数据采集系统
  source_details: DCS 与 MES 导出
  build_mode: 场景驱动
  generated_data: false
  steps:
    - {step: 数据需求, start: 2023-11-01, notes: 炉温预测场景需求}
    - {step: planning, start: 2023-12-01}
    - {step: collection, start: 2024-01-01, end: 2025-12-31, tools: [DCS]}
    - {step: 数据预处理, start: 2026-01-05, tools: [DuckDB], notes: 去重、单位统一}
    - {step: 数据标注, start: 2026-02-01, notes: 三名专家标注}
    - {step: 模型验证, start: 2026-03-01, notes: 基线模型 MAE 降低 12%}
  annotation_spec: 《炉况等级标注规范》v2
  reviews:
    - {date: 2026-02-20, reviewer: 李工, kind: review, result: 抽检 5% 一致率 97%}
  versions:
    - {version: "1.2.0", date: 2026-03-15, changes: 增加 2025 年数据}
usage:
  scenarios: [steel-001]
  models: [steel-furnace-v3]
  evaluations:
    - {model: steel-furnace-v3, metric: MAE, value: 4.2, evaluator: 某评测机构, date: 2026-03-20}
  restrictions: 不得用于与炉温预测无关的用途。
  classification: {level: 一般, status: confirmed, officer: 张伟, decided_at: 2026-01-10, rules_version: "1"}
"""


def full_card() -> Card:
    return parse_card(yaml.safe_load(FULL_YAML))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "card.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- YAML ------------------------------------------------------------------------------------------------------------
def test_yaml_round_trip_keeps_chinese_text(tmp_path: Path) -> None:
    card = full_card()
    path = save_card(card, tmp_path / "nested" / "card.yaml")
    raw = path.read_bytes().decode("utf-8")
    assert "高炉炉温数据集" in raw and "\\u" not in raw  # UTF-8 text, not escapes
    again = load_card(path)
    assert again == card
    assert again.basic.name.zh == "高炉炉温数据集"
    assert again.content.columns[1].unit == "℃"
    assert [p.name for p in path.parent.iterdir()] == ["card.yaml"]  # no temporary file left behind


def test_keys_and_labels_are_normalised_and_plain_strings_become_bilingual_text() -> None:
    card = full_card()
    b = card.basic
    assert (b.industry, b.dataset_type, b.data_category) == ("steel", "specialised", "production")
    assert (b.modality, b.stage, b.access) == (
        ["tabular", "time_series"],
        ["finetuning", "evaluation"],
        "federated_training",
    )
    assert b.usage_terms.zh.startswith("仅限") and b.usage_terms.en == ""
    assert card.content.columns[0].description.en == "sampling time"
    assert card.content.known_issues[0].zh == "2024年3月传感器漂移"
    assert [s.step for s in card.process.steps][:2] == ["requirements", "planning"]
    assert card.usage.classification.level == "general"


def test_bad_field_is_named_with_file_and_path(tmp_path: Path) -> None:
    path = write(tmp_path, "basic:\n  licence: [a, b]\n")
    with pytest.raises(ResonanceError) as err:
        load_card(path)
    assert err.value.where.endswith("card.yaml, field basic.licence")
    assert err.value.code == "invalid_card"


def test_every_bad_field_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        "basic:\n  dataset_type: 宇宙\n  licnse: x\n  version: 1.10\n"
        "process:\n  collection: {start: 2025-01-01, end: 2024-01-01}\n"
        "content:\n  columns: [{name: a}, {name: a}]\n"
    )
    with pytest.raises(ResonanceError) as err:
        load_card(write(tmp_path, text))
    problems = {p.where.split("field ")[1]: p.what for p in err.value.problems}
    assert "行业专识" in problems["basic.dataset_type"]  # the fix lists the allowed kinds
    assert problems["basic.licnse"] == "unknown field"
    assert "quoted" in problems["basic.version"]  # 1.10 would silently become 1.1
    assert "before it starts" in problems["process.collection"]
    assert "twice" in problems["content.columns"]
    assert "4 more" in err.value.what


def test_samples_are_refused_because_rows_never_leave_the_node(tmp_path: Path) -> None:
    with pytest.raises(ResonanceError) as err:
        load_card(write(tmp_path, "content:\n  samples: [{炉温: 1500}]\n"))
    assert err.value.where.endswith("field content")
    assert "never leave the node" in err.value.what


def test_unreadable_cards_say_why(tmp_path: Path) -> None:
    with pytest.raises(ResonanceError) as err:
        load_card(write(tmp_path, "basic:\n  name: [unclosed\n"))
    assert "line" in err.value.where
    path = tmp_path / "gbk.yaml"
    path.write_bytes("basic:\n  provider: 钢铁\n".encode("gbk"))
    with pytest.raises(ResonanceError, match="cannot read"):
        load_card(path)
    with pytest.raises(ResonanceError, match="mapping"):
        load_card(write(tmp_path, "- just\n- a list\n"))


# --- completeness ----------------------------------------------------------------------------------------------------
def test_completeness_moves_with_filled_fields_and_lists_gaps_in_both_languages() -> None:
    empty = completeness(Card())
    assert [s.code for s in empty.sections] == ["0101", "0102", "0103", "0104"]
    assert "应用说明：适用场景 缺失（必填）" in empty.missing_text("zh")
    assert "Application notes: applicable scenarios missing (required)" in empty.missing_text("en")

    card = Card()
    card.usage.scenarios = ["steel-001"]
    filled = completeness(card)
    assert filled.sections[3].score > empty.sections[3].score
    assert filled.overall > empty.overall
    assert not any("适用场景" in line for line in filled.missing_text("zh"))

    card.usage.restrictions.zh = "仅限联合训练"
    card.usage.classification.level = "important"
    assert completeness(card).sections[3].score > filled.sections[3].score


def test_a_full_card_scores_100_and_label_items_apply_only_with_a_label_column() -> None:
    full = completeness(full_card())
    assert full.overall == 1.0 and full.missing == []
    assert full.as_dict()["sections"][0] == {
        "key": "basic", "code": "0101", "zh": "基本信息", "en": "Basic information", "score": 100.0
    }  # fmt: skip

    unlabelled = Card.model_validate({"content": {"columns": [{"name": "x", "type": "text"}]}})
    fields = {m.field for m in completeness(unlabelled).missing}
    assert "process.annotation_spec" not in fields and "content.label_definitions" not in fields
    labelled = Card.model_validate({"content": {"columns": [{"name": "x", "label": True}]}})
    missing = {m.field: m.required for m in completeness(labelled).missing}
    assert missing["process.annotation_spec"] is True and missing["process.steps.annotation"] is True


# --- template --------------------------------------------------------------------------------------------------------
def test_template_prefills_schema_and_scale_from_a_profile_and_leaves_human_fields_empty() -> None:
    card = template(PROFILE, name="高炉炉温数据集", provider="示例钢铁", industry="steel", label_column="grade")
    assert card.basic.scale.rows == 5000 and card.basic.scale.columns == 6
    types = [(c.name, c.type) for c in card.content.columns]
    assert types == [("ts", "datetime"), ("炉温", "float"), ("grade", "text"), ("ok", "boolean"), ("day", "date"),
                     ("batch", "integer")]  # fmt: skip
    assert [c.name for c in card.label_columns()] == ["grade"]
    assert card.basic.name.zh == "高炉炉温数据集" and card.basic.access == "federated_training"
    assert card.basic.licence == "" and not card.content.columns[0].description.filled()
    text = dump_card(card)
    assert SECRET not in text and "1502.25" not in text and "/home/provider" not in text
    assert template({"rows": 1, "columns": []}, dataset_type="评测").basic.access == "evaluation_only"


def test_template_takes_a_grade_decision_and_refuses_unknown_arguments() -> None:
    decision = confirm(grade([], category="production"), officer="张伟", now=None)
    card = template(PROFILE, grading=decision)
    assert (card.usage.classification.level, card.usage.classification.status) == ("general", "confirmed")
    assert card.usage.classification.officer == "张伟" and card.usage.classification.decided_at is not None
    assert template(PROFILE, grading=decision.as_dict()).usage.classification == card.usage.classification
    with pytest.raises(ResonanceError, match="no card field named 'colour'"):
        template(PROFILE, colour="red")
    with pytest.raises(ResonanceError, match="no column 'nope'"):
        template(PROFILE, label_column="nope")
    with pytest.raises(ResonanceError) as err:
        template({"rows": 3, "columns": [{"type": "INTEGER"}]})
    assert err.value.where == "profile, column #1"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("BIGINT", "integer"), ("int64", "integer"), ("DOUBLE", "float"), ("DECIMAL(10,2)", "float"),
        ("VARCHAR", "text"), ("large_string", "text"), ("DATE", "date"), ("date32[day]", "date"),
        ("TIMESTAMP WITH TIME ZONE", "datetime"), ("datetime64[ns]", "datetime"), ("BOOLEAN", "boolean"),
        ("bool", "boolean"), ("UBIGINT", "integer"), ("Int64", "integer"), ("INTERVAL", "text"), ("TIME", "text"),
        ("", "text"), (None, "text"),
    ],
)  # fmt: skip
def test_logical_type_reads_duckdb_arrow_and_pandas_names(given: Any, expected: str) -> None:
    assert logical_type(given) == expected


# --- markdown --------------------------------------------------------------------------------------------------------
def test_markdown_has_the_four_sections_in_both_languages() -> None:
    card = full_card()
    zh = render_markdown(card, "zh")
    for heading in ("## 0101 基本信息", "## 0102 内容特征", "## 0103 建设过程", "## 0104 应用说明"):
        assert heading in zh
    assert "高炉炉温数据集" in zh and "| 炉温 | 浮点数 | ℃ |" in zh and "钢铁" in zh
    assert "一般（张伟 确认）" in zh and "数据标注" in zh and "2024-01-01 – 2025-12-31" in zh
    en = render_markdown(card, "en")
    assert "## 0101 Basic information (基本信息)" in en and "## 0104 Application notes (应用说明)" in en
    assert "Blast furnace temperature" in en and "Specialised industry" in en and "Steel" in en
    assert "| Overall | 100% |" in en
    assert "expert grade A/B/C \\| by condition" in en  # table cells are escaped


def test_markdown_of_a_template_shows_blanks_and_no_data_values() -> None:
    text = render_markdown(template(PROFILE, name="高炉"))
    assert "基本信息：许可 缺失（必填）" in text and "不随说明书发布" in text
    assert SECRET not in text and "1502.25" not in text and "/home/provider" not in text
