"""The XLSX lists (sheets, columns from lists.yaml, rows, evidence links) and the Markdown."""

from __future__ import annotations

from typing import Any

from _world import EVIDENCED
from openpyxl import load_workbook
from sqlalchemy import select

from resonance.registry import models as m
from resonance.reports.templates import load_lists


def _rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_one_sheet_per_list_then_checks_and_tc609(built: Any) -> None:
    book = load_workbook(built.phase.xlsx)
    assert book.sheetnames == [
        "数据集",
        "模型",
        "场景档案",
        "智能体",
        "空间",
        "联合体",
        "案例",
        "逐项检查",
        "TC609对照",
    ]
    for spec in load_lists().lists:
        header = _rows(book[spec.sheet.zh])[0]
        assert header == [c.zh for c in spec.columns]  # every column of the template, in its order
    english = load_workbook(built.plan.xlsx)
    assert english.sheetnames[:2] == ["Datasets", "Models"] and english.sheetnames[-1] == "TC609 map"
    assert _rows(english["Datasets"])[0][:3] == ["Code", "Name", "Kind"]


def test_dataset_rows_and_evidence_link(built: Any) -> None:
    sheet = load_workbook(built.phase.xlsx)["数据集"]
    rows = _rows(sheet)
    header = rows[0]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert sorted(by_code) == ["zj-common-0", "zj-common-1", "zj-eval-0", "zj-spec-0"]
    first = by_code["zj-common-0"]
    assert (first["名称"], first["类型"], first["所属行业"], first["主体/牵头单位"]) == (
        "轧钢过程数据集",
        "行业通识",
        "钢铁",
        "甬钢集团",
    )
    assert first["规模"] == "1,000 行 × 12 列"
    assert by_code["zj-spec-0"]["对应场景"] == "ZJ-ST-01 带钢表面缺陷检测"
    with built.sessions() as session:
        event = session.scalars(select(m.LedgerEvent).where(m.LedgerEvent.subject == EVIDENCED)).one()
    assert first["存证序号"] == event.seq and first["存证哈希"] == event.hash
    assert first["存证链接"] == f"/api/v1/ledger?subject={EVIDENCED}"
    row_number = 2 + [row[0] for row in rows[1:]].index("zj-common-0")
    column = header.index("存证链接") + 1
    assert sheet.cell(row=row_number, column=column).hyperlink.target == f"/api/v1/ledger?subject={EVIDENCED}"
    other = by_code["zj-common-1"]
    assert other["存证"] == "暂无存证事件" and other["存证序号"] is None and other["存证链接"] is None


def test_checks_sheet_holds_every_check(built: Any) -> None:
    rows = _rows(load_workbook(built.phase.xlsx)["逐项检查"])
    assert rows[0][:4] == ["规则", "任务", "指标", "范围"]
    checks = {(row[0], row[3]): row for row in rows[1:]}
    steel = checks[("common_datasets_per_industry", "钢铁")]
    assert (steel[4], steel[5], steel[6], steel[7]) == (2, "≥ 5", 3, "未达标")
    assert checks[("industry_models_per_industry", "钢铁")][7] == "达标"
    assert ("plan_submitted", "浙江省") in checks  # the report deadlines are checks too


def test_markdown_mirrors_the_document(built: Any) -> None:
    text = built.phase.markdown.read_text("utf-8")
    assert text.startswith("# 浙江省“模数共振”行动阶段总结报告\n")
    assert "\n## 一、总体进展\n" in text and "\n### （七）确定“重点城市”打造标杆\n" in text
    assert "| 名称 | 类型 | 所属行业 | 主体/牵头单位 | 质量 | 状态 | 存证 |" in text
    assert "| 高炉炉况数据集 | 行业通识 | 钢铁 | 甬钢集团 |  | 已发布 | 暂无存证事件 |" in text
    for chart in built.phase.charts:
        assert f"]({chart.parent.name}/{chart.name})" in text
        assert chart.is_file() and chart.read_bytes().startswith(b"\x89PNG")
    assert built.phase.markdown.parent == built.phase.docx.parent


def test_markdown_escapes_table_cells() -> None:
    from resonance.reports.render_markdown import render_markdown
    from resonance.reports.types import Document, Section, Table

    table = Table(key="t", title="", headers=["a|b"], rows=[["x\ny|z"]])
    doc = Document("phase", "zh", "e", "T", "", [Section("s", 1, "S", [table])])
    assert "| a\\|b |" in render_markdown(doc, "charts") and "| x<br>y\\|z |" in render_markdown(doc, "charts")


def test_formula_like_text_stays_text(tmp_path: Any) -> None:
    from resonance.reports.render_xlsx import write_xlsx
    from resonance.reports.types import Document, Section, Table

    table = Table(key="t", title="", headers=["h"], rows=[], sheet="S", sheet_headers=["h"], sheet_rows=[["=1+1"]])
    write_xlsx(Document("phase", "zh", "e", "T", "", [Section("s", 1, "S", [table])]), tmp_path / "x.xlsx")
    cell = load_workbook(tmp_path / "x.xlsx")["S"]["A2"]
    assert cell.value == "'=1+1" and cell.data_type == "s"
