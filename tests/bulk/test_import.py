"""``bulk/importer.py`` on SQLite and PostgreSQL: every format and header language, every problem, all or nothing."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import func, select

from resonance.bulk.headers import header_map, importable
from resonance.bulk.importer import import_file
from resonance.errors import Problem, ResonanceError
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.identifiers import uscc_check_char

USCC = "91320000134567890" + uscc_check_char("91320000134567890")  # a valid unified social credit code


def _csv(tmp_path: Path, name: str, rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    text = "\n".join(",".join(str(c) for c in row) for row in rows) + "\n"
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _world(registry: Any) -> None:
    """An entity and two organisations to refer to."""
    with registry.session() as s:
        services.create(
            s, CONCEPTS["entities"], {"code": "js", "name_zh": "江苏省", "kind": "省级地区", "industries": ["钢铁"]}
        )
        services.create(s, CONCEPTS["organisations"], {"code": "shagang", "name_zh": "沙钢集团", "entity": "js"})
        services.create(s, CONCEPTS["organisations"], {"code": "cisdi", "name_zh": "中冶赛迪", "roles": ["模型企业"]})
        s.commit()


def _import(registry: Any, path: Path, concept: str | None = None, **kwargs: Any) -> Any:
    with registry.session() as s:
        result = import_file(s, path, concept, **kwargs)
        s.commit()
    return result


def _fails(registry: Any, path: Path, concept: str | None = None) -> list[Problem]:
    with registry.session() as s, pytest.raises(ResonanceError) as caught:
        import_file(s, path, concept)
    assert caught.value.code == "import_failed"
    assert "nothing was imported" in caught.value.what
    return caught.value.problems


def _count(registry: Any, model: type[m.Base]) -> int:
    with registry.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _one(problems: list[Problem], fragment: str) -> Problem:
    found = [p for p in problems if fragment in p.what]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def _datasets_rows(n: int = 2) -> list[list[Any]]:
    header = ["编码", "数据集名称", "类型", "所属行业", "数据提供方", "行动主体", "记录数"]
    return [header] + [[f"ds-{i}", f"高炉数据{i}", "行业通识", "钢铁", "沙钢集团", "js", 100 * i] for i in range(n)]


# --- formats, encodings and header languages -------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_and_gb18030_csv_with_chinese_headers(registry, tmp_path, encoding):
    _world(registry)
    rows = [
        ["编码", "单位名称", "统一社会信用代码", "角色", "行动主体", "联系人"],
        ["baosteel", "宝山钢铁股份有限公司", USCC, "数据企业、应用企业", "江苏省", "张三"],
        ["mill", "苏锡精密机床有限公司", "", "制造企业；模型企业", "", ""],
    ]
    result = _import(registry, _csv(tmp_path, "单位.csv", rows, encoding), "organisations")
    assert (result.created, result.encoding) == (2, "gb18030")
    with registry.session() as s:
        org = s.scalars(select(m.Organisation).where(m.Organisation.code == "baosteel")).one()
        assert (org.name_zh, org.uscc, org.contact) == ("宝山钢铁股份有限公司", USCC, "张三")
        assert org.role_names == ["application", "data"]
        mill = s.scalars(select(m.Organisation).where(m.Organisation.code == "mill")).one()
        assert mill.uscc is None and mill.entity_id is None and mill.role_names == ["manufacturer", "model"]


def test_utf8_bom_csv_of_scenarios(registry, tmp_path):
    _world(registry)
    rows = [
        ["场景编号", "场景名称", "所属行业", "环节", "业务痛点", "牵头单位", "行动主体*"],
        ["js-steel-001", "高炉炉温预测", "钢铁", "生产制造", "炉温波动大，依赖经验", "沙钢集团", "js"],
    ]
    _import(registry, _csv(tmp_path, "s.csv", rows, "utf-8-sig"), "scenarios")
    with registry.session() as s:
        row = s.scalars(select(m.Scenario).where(m.Scenario.code == "js-steel-001")).one()
        assert (row.stage, row.pain_point, row.is_reference_example) == ("production", "炉温波动大，依赖经验", False)


def test_english_headers_any_case_and_field_names(registry, tmp_path):
    _world(registry)
    _import(registry, _csv(tmp_path, "d.csv", _datasets_rows(1)), "datasets")
    _import(
        registry,
        _csv(
            tmp_path,
            "m.csv",
            [
                ["CODE", "name", "Kind", "industry", "Developer", "version"],
                ["steel-lm", "钢铁行业大模型", "Industry model", "Steel", "cisdi", "2"],
            ],
        ),
        "models",
    )
    rows = [
        ["Code", "Case name", "Type", "Industry", "Model", "Applied at", "Go-live date", "Measured effect"],
        ["case-1", "炉温预测应用", "application", "steel", "steel-lm@2", "shagang", "2026/5/1", "预测准确率 92%"],
    ]
    _import(registry, _csv(tmp_path, "c.csv", rows), "cases")
    with registry.session() as s:
        case = s.scalars(select(m.Case)).one()
        assert (case.kind, case.go_live_on, case.effect) == ("application", date(2026, 5, 1), "预测准确率 92%")
        assert s.get(m.ModelVersion, case.model_id).version == "2"


def test_xlsx_from_openpyxl_with_floats_and_dates(registry, tmp_path):
    _world(registry)
    _import(registry, _csv(tmp_path, "d.csv", _datasets_rows(1)), "datasets")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "数据集"
    sheet.append(["编码", "版本", "名称", "类型", "所属行业", "提供方", "记录数", "字段数", "质量评分"])
    sheet.append(["bf-temp", 2.0, "高炉炉温时序", "行业专识", "钢铁", "shagang", 1200.0, 14, 86.5])
    sheet.append([1001, 1, "编号为数字", "通识", "钢铁", "cisdi", None, None, None])
    path = tmp_path / "datasets.xlsx"
    workbook.save(path)
    result = _import(registry, path)  # the concept comes from the file name
    assert (result.created, result.sheet, result.format) == (2, "数据集", "xlsx")
    with registry.session() as s:
        row = s.scalars(select(m.Dataset).where(m.Dataset.code == "bf-temp")).one()
        assert (row.version, row.row_count, row.column_count, row.quality_score) == ("2", 1200, 14, 86.5)
        assert (row.kind, row.sensitivity, row.category) == ("specialised", "general", "production")
        assert s.scalars(select(m.Dataset.version).where(m.Dataset.code == "1001")).one() == "1"


def test_xlsx_dates_of_cases(registry, tmp_path):
    _world(registry)
    with registry.session() as s:
        services.create(
            s,
            CONCEPTS["agents"],
            {"code": "agent-1", "name_zh": "排产智能体", "industry": "钢铁", "organisation": "cisdi"},
        )
        s.commit()
    workbook = Workbook()
    workbook.active.append(["编码", "案例名称", "案例类型", "所属行业", "智能体", "应用单位", "上线日期", "量化成效"])
    go_live = datetime(2026, 6, 30)
    workbook.active.append(["c1", "排产优化", "落地案例", "钢铁", "agent-1", "沙钢集团", go_live, "降本 5%"])
    path = tmp_path / "cases.xlsx"
    workbook.save(path)
    _import(registry, path, "cases")
    with registry.session() as s:
        assert s.scalars(select(m.Case.go_live_on)).one() == date(2026, 6, 30)


def test_yaml_list_and_mapping_forms(registry, tmp_path):
    _world(registry)
    models = [{"编码": "lm", "名称": "钢铁大模型", "类型": "行业模型", "所属行业": "钢铁", "研发单位": "cisdi"}]
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(models, allow_unicode=True), encoding="utf-8")
    agents = {"agents": [{"code": "a1", "name_zh": "巡检智能体", "industry": "钢铁", "organisation": "中冶赛迪"}]}
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(agents, allow_unicode=True), encoding="utf-8")
    assert _import(registry, tmp_path / "m.yaml", "models").created == 1
    assert _import(registry, tmp_path / "x.yaml").concept == "agents"  # the key names the concept
    spaces = [
        {
            "code": "js-space",
            "name_zh": "江苏钢铁模数共振空间",
            "entity": "js",
            "operator": "shagang",
            "operator_type": "龙头企业",
            "industries": ["钢铁"],
            "members": [{"organisation": "cisdi", "role": "服务方"}],
        }
    ]
    (tmp_path / "spaces.yml").write_text(yaml.safe_dump(spaces, allow_unicode=True), encoding="utf-8")
    _import(registry, tmp_path / "spaces.yml")
    with registry.session() as s:
        space = s.scalars(select(m.Space)).one()
        assert [i.code for i in space.industries] == ["steel"] and space.members[0].role == "service"


def test_members_and_lists_in_csv_cells(registry, tmp_path):
    _world(registry)
    rows = [
        ["编码", "名称", "行动主体", "所属行业", "牵头单位", "成员单位"],
        ["js-steel-c", "江苏钢铁创新联合体", "js", "钢铁", "shagang", "cisdi:模型; 沙钢集团（数据）"],
    ]
    _import(registry, _csv(tmp_path, "c.csv", rows), "consortia")
    with registry.session() as s:
        members = sorted((mb.organisation.code, mb.role) for mb in s.scalars(select(m.Consortium)).one().members)
        assert members == [("cisdi", "model"), ("shagang", "data")]


def test_dry_run_validates_and_writes_nothing(registry, tmp_path):
    _world(registry)
    result = _import(registry, _csv(tmp_path, "d.csv", _datasets_rows(3)), "datasets", dry_run=True)
    assert (result.created, result.dry_run) == (3, True)
    assert _count(registry, m.Dataset) == 0


# --- problems: every one reported, nothing written ------------------------------------------------------------


def test_unknown_column_lists_the_accepted_headers_and_nothing_is_imported(registry, tmp_path):
    _world(registry)
    rows = _datasets_rows(3)
    rows[0][3] = "所在行业"
    before = _count(registry, m.Dataset)
    problems = _fails(registry, _csv(tmp_path, "d.csv", rows), "datasets")
    unknown = _one(problems, "unknown column '所在行业'")
    assert unknown.where == "d.csv, column 所在行业" and unknown.value == "所在行业"
    assert "did you mean '所属行业'" in unknown.what
    for accepted in ("所属行业", "数据提供方", "industry", "Owner", "记录数"):
        assert accepted in unknown.fix
    missing = _one(problems, "required column '所属行业' (industry) is missing")
    assert missing.where == "d.csv"
    assert len(problems) == 2  # the missing column is reported once, not once per row
    assert _count(registry, m.Dataset) == before == 0


def test_bad_vocabulary_unknown_industry_and_owner_name_row_column_value_and_fix(registry, tmp_path):
    _world(registry)
    rows = _datasets_rows(4)
    rows[2][2] = "专用"  # row 3: kind
    rows[3][3] = "钢材"  # row 4: industry
    rows[3][4] = "宝钢"  # row 4: owner
    rows[4][6] = "十二"  # row 5: row count
    problems = _fails(registry, _csv(tmp_path, "d.csv", rows), "datasets")
    kind = _one(problems, "not a known dataset kind")
    assert (kind.where, kind.value) == ("d.csv, row 3, column 类型", "专用")
    assert "行业通识" in kind.fix and "specialised" in kind.fix
    industry = _one(problems, "no industry")
    assert (industry.where, industry.value) == ("d.csv, row 4, column 所属行业", "钢材")
    assert "钢铁" in industry.fix and "网络安全" in industry.fix
    owner = _one(problems, "no organisation")
    assert (owner.where, owner.value) == ("d.csv, row 4, column 数据提供方", "宝钢")
    assert "register the organisation first" in owner.fix
    count = _one(problems, "valid integer")
    assert (count.where, count.value) == ("d.csv, row 5, column 记录数", "十二")
    assert "whole number" in count.fix
    assert len(problems) == 4
    assert _count(registry, m.Dataset) == 0  # rows 2 and 3… were fine, and are not written either


def test_schema_error_and_reference_error_in_the_same_row_are_both_reported(registry, tmp_path):
    _world(registry)
    rows = _datasets_rows(1)
    rows[1][0] = "bad code!"
    rows[1][4] = "nobody"
    problems = _fails(registry, _csv(tmp_path, "d.csv", rows), "datasets")
    assert {p.where for p in problems} == {"d.csv, row 2, column 编码", "d.csv, row 2, column 数据提供方"}


def test_empty_required_cell_and_invalid_uscc(registry, tmp_path):
    _world(registry)
    rows = [["编码", "名称", "统一社会信用代码"], ["a", "", ""], ["b", "乙公司", USCC[:17] + "0"]]
    problems = _fails(registry, _csv(tmp_path, "o.csv", rows), "organisations")
    empty = _one(problems, "name_zh is required but the cell is empty")
    assert (empty.where, empty.fix) == ("o.csv, row 2, column 名称", "fill in column '名称'")
    uscc = _one(problems, "check character")
    assert uscc.where == "o.csv, row 3, column 统一社会信用代码"


def test_duplicates_within_the_file_name_both_rows(registry, tmp_path):
    _world(registry)
    rows = _datasets_rows(3)
    rows[3][0] = "ds-0"  # row 4 repeats row 2's code (same default version 1)
    problems = _fails(registry, _csv(tmp_path, "d.csv", rows), "datasets")
    dup = _one(problems, "duplicate")
    assert dup.where == "d.csv, row 4, column 编码" and dup.value == "ds-0@1"
    assert "rows 2 and 4" in dup.what
    assert len(problems) == 1


def test_same_code_with_another_version_is_not_a_duplicate(registry, tmp_path):
    _world(registry)
    rows = _datasets_rows(2)
    rows[0].append("版本")
    rows[1].append("1")
    rows[2][0] = "ds-0"
    rows[2].append("2")
    assert _import(registry, _csv(tmp_path, "d.csv", rows), "datasets").created == 2


def test_duplicates_against_the_registry(registry, tmp_path):
    _world(registry)
    _import(registry, _csv(tmp_path, "d.csv", _datasets_rows(2)), "datasets")
    rows = _datasets_rows(3)  # ds-0 and ds-1 exist already, ds-2 is new
    problems = _fails(registry, _csv(tmp_path, "again.csv", rows), "datasets")
    assert [p.where for p in problems] == ["again.csv, row 2, column 编码", "again.csv, row 3, column 编码"]
    assert "already exists" in problems[0].what and "ds-0@1" in problems[0].what
    assert _count(registry, m.Dataset) == 2
    org_rows = [["编码", "名称"], ["new", "沙钢集团"]]  # unique Chinese name
    name = _one(_fails(registry, _csv(tmp_path, "o.csv", org_rows), "organisations"), "already exists")
    assert name.where == "o.csv, row 2, column 名称"


def test_database_integrity_error_is_a_row_problem(registry, tmp_path):
    """(entity, Chinese name) of consortia is unique only in the database: the service meets it at flush."""
    _world(registry)
    header = ["编码", "名称", "行动主体", "所属行业", "牵头单位"]
    _import(registry, _csv(tmp_path, "a.csv", [header, ["c1", "钢铁联合体", "js", "钢铁", "shagang"]]), "consortia")
    rows = [header, ["c2", "新联合体", "js", "钢铁", "cisdi"], ["c3", "钢铁联合体", "js", "钢铁", "cisdi"]]
    rows.append(["c4", "另一联合体", "js", "钢铁", "cisdi"])
    problems = _fails(registry, _csv(tmp_path, "b.csv", rows), "consortia")
    assert len(problems) == 1 and problems[0].where.startswith("b.csv, row 3")
    assert _count(registry, m.Consortium) == 1


def test_header_only_and_unknown_concept(registry, tmp_path):
    problems = _fails(registry, _csv(tmp_path, "d.csv", [_datasets_rows(0)[0]]), "datasets")
    assert [p.what for p in problems] == ["the file has no data rows"]
    with registry.session() as s, pytest.raises(ResonanceError) as caught:
        import_file(s, _csv(tmp_path, "x.csv", _datasets_rows(1)))
    assert "--concept" in caught.value.fix
    with registry.session() as s, pytest.raises(ResonanceError) as caught:
        import_file(s, _csv(tmp_path, "x.csv", _datasets_rows(1)), "contracts")
    assert "not a concept that can be imported" in caught.value.what


def test_yaml_key_must_match_the_concept_asked_for(registry, tmp_path):
    (tmp_path / "a.yaml").write_text("agents:\n  - code: a\n", encoding="utf-8")
    with registry.session() as s, pytest.raises(ResonanceError) as caught:
        import_file(s, tmp_path / "a.yaml", "models")
    assert "--concept agents" in caught.value.fix


def test_concept_names_in_chinese_and_singular(registry, tmp_path):
    _world(registry)
    path = _csv(tmp_path, "x.csv", _datasets_rows(1))
    assert _import(registry, path, "数据集", dry_run=True).concept == "datasets"
    assert _import(registry, path, "dataset", dry_run=True).concept == "datasets"


def test_every_importable_concept_has_an_unambiguous_header_map():
    for concept in importable():
        hm = header_map(concept)
        assert set(hm.fields) == set(CONCEPTS[concept].create.model_fields)
        assert hm.field_for("名称") == "name_zh"


@pytest.mark.slow
def test_ten_thousand_datasets_import(registry, tmp_path):
    _world(registry)
    header = ["编码", "名称", "类型", "所属行业", "提供方", "记录数", "数据级别"]
    rows = [header] + [[f"ds-{i:05d}", f"数据集{i}", "行业通识", "钢铁", "shagang", i, "一般"] for i in range(10_000)]
    buffer = io.StringIO()
    buffer.write("\n".join(",".join(str(c) for c in r) for r in rows) + "\n")
    path = tmp_path / "big.csv"
    path.write_text(buffer.getvalue(), encoding="gb18030")
    assert _import(registry, path, "datasets").created == 10_000
    assert _count(registry, m.Dataset) == 10_000
