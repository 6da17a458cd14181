"""``bulk/exporter.py`` on SQLite and PostgreSQL: the five lists hold the registry's values, read back."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from resonance.bulk.exporter import build_lists, export_lists, list_specs
from resonance.errors import ResonanceError
from resonance.registry.concepts import CONCEPTS
from resonance.registry.services import create

RARE = "䶮"  # in GB18030, not in GBK


def _add(session: Any, concept: str, **payload: Any) -> Any:
    extra = payload.pop("extra", None)
    return create(session, CONCEPTS[concept], payload, extra=extra)


STEEL_JS = {"industry": "钢铁", "entity": "js"}
WORLD: list[tuple[str, dict[str, Any]]] = [
    ("entities", {"code": "js", "name_zh": "江苏省", "kind": "省级地区", "industries": ["钢铁", "汽车"]}),
    ("entities", {"code": "sh", "name_zh": "上海市", "kind": "省级地区", "industries": ["钢铁"]}),
    ("organisations", {"code": "shagang", "name_zh": "沙钢集团", "entity": "js"}),
    ("organisations", {"code": "cisdi", "name_zh": "中冶赛迪"}),
    ("organisations", {"code": "baosteel", "name_zh": "宝山钢铁股份有限公司", "entity": "sh"}),
    ("organisations", {"code": "xcmg", "name_zh": "徐工集团"}),
    ("scenarios", {"code": "js-bf", "name_zh": "高炉炉温预测", "stage": "生产制造", "lead": "shagang", **STEEL_JS}),
    ("scenarios", {"code": "ref-1", "name_zh": "参考：表面缺陷检测", "stage": "生产制造", "industry": "钢铁"}),
    ("datasets", {"code": "bf-ops", "name_zh": "高炉运行数据", "kind": "行业通识", "owner": "shagang", **STEEL_JS}),
    ("datasets", {"code": "bf-ops", "version": "2", "name_zh": "高炉运行数据", "kind": "common", "owner": "shagang"}),
    ("datasets", {"code": "old", "name_zh": "停用数据", "kind": "common", "owner": "shagang", "status": "已停用"}),
    ("datasets", {"code": "sh-ds", "name_zh": "宝钢表检数据", "kind": "common", "owner": "baosteel", "entity": "sh"}),
    ("datasets", {"code": "auto-ds", "name_zh": f"汽车焊装数据{RARE}", "kind": "common", "owner": "xcmg"}),
    ("datasets", {"code": "bf-temp", "name_zh": "=炉温时序", "kind": "行业专识", "owner": "cisdi"}),
    ("models", {"code": "steel-lm", "name_zh": "钢铁大模型", "kind": "行业模型", "developer": "cisdi"}),
    ("models", {"code": "bf-model", "name_zh": "炉温预测模型", "kind": "专用模型", "developer": "cisdi"}),
    ("agents", {"code": "bf-agent", "name_zh": "炉况巡检智能体", "organisation": "shagang", "scenario": "js-bf"}),
]
CASES = [  # code, name, kind, what it applies, 应用单位
    ("app-0", "应用案例0", "应用案例", {"model": "steel-lm"}, "shagang"),
    ("app-1", "应用案例1", "应用案例", {"model": "steel-lm"}, "baosteel"),
    ("land-0", "落地于行业模型", "落地案例", {"model": "steel-lm"}, "xcmg"),
    ("land-1", "炉温预测落地", "落地案例", {"model": "bf-model"}, "shagang"),
    ("land-2", "巡检落地", "落地案例", {"agent": "bf-agent"}, "shagang"),
]
WORLD += [
    ("cases", {"code": code, "name_zh": name, "kind": kind, **target, "organisation": org})
    for code, name, kind, target, org in CASES
]
DETAILS: dict[str, dict[str, Any]] = {  # more fields of some rows above, by code
    "ref-1": {"entity": None},
    "bf-ops": {"row_count": 1200},
    "auto-ds": {"industry": "汽车"},
    "bf-temp": {"sensitivity": "重要", "scenario": "js-bf"},
    "bf-model": {"scenario": "js-bf"},
    "app-0": {"effect": "效率提升10%"},
    "land-1": {"effect": "炉温预测准确率 92%"},
    "sh-ds": {"entity": "sh"},
}


def _world(registry: Any) -> None:
    """Two entities; every kind of list row, plus rows each list must leave out (retired, reference example)."""
    with registry.session() as s:
        for concept, payload in WORLD:
            data = dict(payload)
            if concept not in ("entities", "organisations") and "industry" not in data:
                data = {**STEEL_JS, **data}
            data.update(DETAILS.get(data["code"], {}) if data.get("version") is None else {})
            if data["code"] == "ref-1":
                _add(s, concept, extra={"is_reference_example": True}, **data)
            else:
                _add(s, concept, **data)
        s.commit()


def _by_name(rows: list[list[Any]], headers: list[str]) -> dict[str, dict[str, Any]]:
    return {row[headers.index("名称")]: dict(zip(headers, row, strict=True)) for row in rows}


def test_lists_hold_the_registry_values(registry):
    _world(registry)
    with registry.session() as s:
        built = {b.spec.key: b for b in build_lists(s)}
    assert list(built) == [s.key for s in list_specs()]

    common = built["common-datasets"]
    assert common.headers[:8] == ["序号", "名称", "编码", "版本", "所属行业", "行动主体", "提供单位", "参与单位"]
    assert {"状态", "证据"} <= set(common.headers)
    rows = [dict(zip(common.headers, r, strict=True)) for r in common.rows]
    expected = [("bf-ops", "1"), ("bf-ops", "2"), ("sh-ds", "1"), ("auto-ds", "1")]
    assert [(r["编码"], r["版本"]) for r in rows] == expected
    assert [r["序号"] for r in rows] == [1, 2, 3, 4]  # steel before automobiles (the notice's order)
    first = rows[0]
    assert (first["所属行业"], first["行动主体"], first["提供单位"]) == ("钢铁", "江苏省", "沙钢集团")
    assert (first["状态"], first["记录数"], first["数据级别"]) == ("已登记", 1200, "一般")
    assert first["证据"] == "registry:datasets/bf-ops@1"

    special = _by_name(built["specialised-datasets"].rows, built["specialised-datasets"].headers)
    assert list(special) == ["=炉温时序"]
    assert special["=炉温时序"]["关联场景"] == "高炉炉温预测（js-bf）"
    assert special["=炉温时序"]["数据级别"] == "重要"

    models = _by_name(built["industry-models"].rows, built["industry-models"].headers)
    lm = models["钢铁大模型"]
    assert (lm["应用案例数"], lm["研发单位"], lm["证据"]) == (2, "中冶赛迪", "registry:models/steel-lm@1")
    assert lm["应用单位"] == "沙钢集团\n宝山钢铁股份有限公司"  # the landing case of this model is not counted here
    assert lm["应用案例及量化成效"].splitlines()[0] == "应用案例0（沙钢集团）：效率提升10%"

    scenarios = _by_name(built["scenarios"].rows, built["scenarios"].headers)
    assert list(scenarios) == ["高炉炉温预测"]  # the reference example is left out
    bf = scenarios["高炉炉温预测"]
    assert (bf["环节"], bf["牵头单位"], bf["参与单位"]) == ("生产制造", "沙钢集团", "中冶赛迪")

    five = built["specialised-models-agents"]
    entries = _by_name(five.rows, five.headers)
    assert set(entries) == {"炉温预测模型", "炉况巡检智能体"}
    assert (entries["炉温预测模型"]["类型"], entries["炉温预测模型"]["落地案例数"]) == ("专用模型", 1)
    assert "炉温预测准确率 92%" in entries["炉温预测模型"]["落地案例及量化成效"]
    agent = entries["炉况巡检智能体"]
    assert (agent["类型"], agent["落地案例数"], agent["证据"]) == ("特色智能体", 1, "registry:agents/bf-agent")
    assert agent["版本"] is None


def test_xlsx_workbook_reads_back(registry, tmp_path):
    _world(registry)
    with registry.session() as s:
        [path] = export_lists(s, tmp_path / "out", fmt="xlsx")
    assert path.name == "模数共振行动名单.xlsx"
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["通识数据集", "行业模型", "高价值场景档案", "专识数据集", "专用模型与特色智能体"]
    sheet = workbook["通识数据集"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["序号", "名称", "编码"] and headers[-1] == "证据"
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 20
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(values) == 4
    assert values[0][:7] == [1, "高炉运行数据", "bf-ops", "1", "钢铁", "江苏省", "沙钢集团"]
    formula_like = workbook["专识数据集"]["B2"]
    assert formula_like.value == "=炉温时序" and formula_like.data_type == "s"  # text, never a formula
    models = workbook["行业模型"]
    model_headers = [c.value for c in models[1]]
    assert models.cell(row=2, column=model_headers.index("应用案例数") + 1).value == 2


def test_csv_is_utf8_with_bom_by_default(registry, tmp_path):
    _world(registry)
    with registry.session() as s:
        paths = export_lists(s, tmp_path, fmt="csv")
    assert [p.name for p in paths] == [f"{spec.file}.csv" for spec in list_specs()]
    raw = paths[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["序号", "名称", "编码"]
    assert rows[1][:7] == ["1", "高炉运行数据", "bf-ops", "1", "钢铁", "江苏省", "沙钢集团"]
    assert rows[4][1] == f"汽车焊装数据{RARE}"
    special = list(csv.reader(paths[3].read_text("utf-8-sig").splitlines()))
    assert special[1][1] == "'=炉温时序"  # Excel must not run it as a formula


def test_gb18030_csv_round_trip_and_gbk_refuses_what_it_cannot_hold(registry, tmp_path):
    _world(registry)
    with registry.session() as s:
        paths = export_lists(s, tmp_path, fmt="csv", encoding="gb18030")
    text = paths[0].read_bytes().decode("gb18030")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0][1] == "名称" and rows[4][1] == f"汽车焊装数据{RARE}"
    with registry.session() as s, pytest.raises(ResonanceError) as caught:
        export_lists(s, tmp_path / "gbk", fmt="csv", encoding="gbk")
    assert RARE in caught.value.what and "gb18030" in caught.value.fix


def test_entity_filter_and_list_selection(registry, tmp_path):
    _world(registry)
    with registry.session() as s:
        [path] = export_lists(s, tmp_path, fmt="csv", entity="上海市", keys=["common-datasets"])
    assert path.name == "1-重点行业高质量通识数据集名单-上海市.csv"
    rows = list(csv.reader(path.read_text("utf-8-sig").splitlines()))
    assert [r[2] for r in rows[1:]] == ["sh-ds"]
    with registry.session() as s:
        built = build_lists(s, entity="js")
    assert all(r[built[0].headers.index("行动主体")] == "江苏省" for r in built[0].rows)


def test_english_headers(registry):
    _world(registry)
    with registry.session() as s:
        built = build_lists(s, keys=["industry-models"], lang="en")
    assert built[0].headers[:3] == ["No.", "Name", "Code"]
    assert built[0].rows[0][built[0].headers.index("Industry")] == "Steel"


def test_bad_requests(registry, tmp_path):
    with registry.session() as s:
        for kwargs, fragment in (
            ({"fmt": "pdf"}, "unknown format"),
            ({"fmt": "csv", "encoding": "latin-1"}, "cannot write CSV"),
            ({"keys": ["nope"]}, "no list 'nope'"),
            ({"entity": "火星"}, "no entity"),
        ):
            with pytest.raises(ResonanceError) as caught:
                export_lists(s, tmp_path, **kwargs)
            assert fragment in caught.value.what


def test_empty_registry_gives_header_only_lists(registry, tmp_path):
    with registry.session() as s:
        [path] = export_lists(s, Path(tmp_path), fmt="xlsx")
    workbook = load_workbook(path)
    for sheet in workbook.worksheets:
        assert sheet.max_row == 1 and sheet["A1"].value == "序号"
