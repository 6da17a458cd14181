"""The DOCX: real heading styles, East Asian fonts, tables with the registry's rows and evidence, charts."""

from __future__ import annotations

from typing import Any

from docx import Document
from docx.oxml.ns import qn

from resonance.reports.render_docx import set_fonts


def _headings(doc: Any) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]


def _fonts(style: Any) -> dict[str, str | None]:
    fonts = style.element.rPr.find(qn("w:rFonts"))
    return {name: fonts.get(qn(f"w:{name}")) for name in ("ascii", "hAnsi", "eastAsia", "asciiTheme", "eastAsiaTheme")}


def _table_texts(doc: Any) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in doc.tables]


def test_phase_summary_headings_follow_the_outline(built: Any) -> None:
    doc = Document(str(built.phase.docx))
    headings = _headings(doc)
    assert headings[0] == ("Title", "浙江省“模数共振”行动阶段总结报告")
    level1 = [text for style, text in headings if style == "Heading 1"]
    assert level1 == [
        "一、总体进展",
        "二、重点任务完成情况",
        "三、成果清单",
        "四、典型案例",
        "五、数据安全情况",
        "六、平台功能与可信数据空间技术架构对照",
        "七、问题与建议",
        "八、下一步工作",
    ]
    level2 = [text for style, text in headings if style == "Heading 2"]
    assert len(level2) == 7 and level2[0] == "（一）构建行业通识数据集，打造行业模型"
    assert level2[-1] == "（七）确定“重点城市”打造标杆"  # a province has task 七


def test_fonts_are_set_for_east_asian_and_latin_text(built: Any) -> None:
    doc = Document(str(built.phase.docx))
    normal = _fonts(doc.styles["Normal"])
    assert (normal["ascii"], normal["hAnsi"], normal["eastAsia"]) == ("Times New Roman", "Times New Roman", "宋体")
    for level in (1, 2, 3):
        heading = _fonts(doc.styles[f"Heading {level}"])
        assert (heading["ascii"], heading["eastAsia"]) == ("Arial", "黑体")
        assert heading["asciiTheme"] is None and heading["eastAsiaTheme"] is None  # theme fonts would override
    assert _fonts(doc.styles["Title"])["eastAsia"] == "黑体"
    lang = doc.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN" and lang.get(qn("w:val")) == "zh-CN"
    section = doc.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.top_margin.cm, 1) == 3.7


def test_set_fonts_replaces_theme_fonts() -> None:
    doc = Document()
    style = doc.styles["Heading 1"]
    before = style.element.rPr.find(qn("w:rFonts"))
    assert before is not None and before.get(qn("w:asciiTheme"))  # python-docx's template uses theme fonts
    set_fonts(style.element, "Arial", "黑体")
    after = style.element.rPr.find(qn("w:rFonts"))
    assert after.get(qn("w:asciiTheme")) is None and after.get(qn("w:eastAsia")) == "黑体"


def test_progress_table_has_required_and_achieved(built: Any) -> None:
    tables = _table_texts(Document(str(built.phase.docx)))
    progress = next(t for t in tables if t[0][:4] == ["任务", "指标", "要求", "达标/检查"])
    rows = {row[1]: row for row in progress[1:]}
    common = rows["每个行业高质量行业通识数据集不少于5个"]
    assert common[2:5] == ["≥ 5", "0/2", "0%"]
    assert "钢铁：行业通识数据集 2/5 个，还需 3 个" in common[5]
    assert rows["每个行业研发行业模型不少于1个"][3] == "1/2"  # steel has one, machine tools none
    assert rows["省级地区选定重点行业不少于3个"][3] == "0/1"


def test_lists_carry_rows_and_ledger_evidence(built: Any) -> None:
    tables = _table_texts(Document(str(built.phase.docx)))
    datasets = next(t for t in tables if t[0][0] == "名称" and "轧钢过程数据集" in [r[0] for r in t])
    by_name = {row[0]: row for row in datasets[1:]}
    assert set(by_name) == {"轧钢过程数据集", "高炉炉况数据集", "缺陷图谱专识数据集", "钢铁评测数据集"}
    assert by_name["轧钢过程数据集"][1:4] == ["行业通识", "钢铁", "甬钢集团"]
    assert by_name["轧钢过程数据集"][-1].startswith("#1 dataset.published（共1条）")
    assert by_name["高炉炉况数据集"][-1] == "暂无存证事件"
    consortia = next(t for t in tables if "浙江钢铁创新联合体" in [r[0] for r in t])
    assert consortia[1][2] == "之江模型公司"
    assert consortia[1][3] == "甬钢集团（数据）；宁波机床厂（应用）"
    cases = next(t for t in tables if "钢铁模型应用案例0" in [r[0] for r in t])
    row = next(r for r in cases if r[0] == "钢铁模型应用案例0")
    assert row[1:6] == ["应用案例", "钢铁", "钢铁行业模型 1", "宁波机床厂", "缺陷漏检率下降30%"]


def test_charts_are_embedded(built: Any) -> None:
    doc = Document(str(built.phase.docx))
    assert len(doc.inline_shapes) == 2
    blobs = [part.blob for part in doc.part.package.parts if part.content_type == "image/png"]
    assert len(blobs) == 2 and all(blob.startswith(b"\x89PNG") and len(blob) > 5000 for blob in blobs)
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert "图：各项任务达标率" in captions and "图：各重点行业指标完成度" in captions


def test_typical_case_and_tc609_sections(built: Any) -> None:
    doc = Document(str(built.phase.docx))
    texts = [p.text for p in doc.paragraphs]
    assert "1. 钢铁模型应用案例0" in texts  # only the case with a measured effect is typical
    assert not any(t.startswith("2. ") for t in texts)
    tc609 = next(t for t in _table_texts(doc) if t[0] == ["组成", "功能", "状态", "本平台模块", "说明"])
    assert len(tc609) == 1 + 7 + 5
    assert [r[1] for r in tc609[1:8]][-1] == "国际空间互通网关（可选）" and tc609[7][2] == "不适用"


def test_english_plan_has_the_plan_outline(built: Any) -> None:
    doc = Document(str(built.plan.docx))
    headings = _headings(doc)
    assert headings[0][1] == "Zhejiang: implementation plan of the 2026 Model-Data Resonance action"
    level1 = [text for style, text in headings if style == "Heading 1"]
    assert level1[:7] == [
        "1. Overall approach",
        "2. Starting point",
        "3. Goals",
        "4. Selected key industries",
        "5. Key tasks",
        "6. Schedule",
        "7. Safeguards",
    ]
    tables = _table_texts(doc)
    targets = next(t for t in tables if t[0] == ["Task", "Requirement", "Target", "Current", "Due"])
    common = next(r for r in targets if r[1] == "At least 5 high-quality common industry datasets per industry")
    assert common[0] == "1" and common[2] == "≥ 5" and common[3] == "Steel 2; Industrial machine tools 0"
    per_scenario = next(r for r in targets if r[1] == "At least 1 specialised industry dataset per scenario")
    assert per_scenario[3] == "1 of 1 scenarios meet it"  # rules per scenario are summed up, not listed
    industries = next(t for t in tables if t[0][0] == "Key industry")
    assert industries[1] == ["Steel", "2/5", "1/1", "1/30", "1/1"]
    task1 = next(t for t in tables if t[0] == ["Item", "Content"] and "Yong Steel" in t[3][1])
    assert task1[3][1] == "Yong Steel, Zhijiang Models"  # responsible: owners of common datasets, model developers


def test_data_security_section_reports_grades_and_the_ledger(built: Any) -> None:
    doc = Document(str(built.phase.docx))
    texts = [p.text for p in doc.paragraphs]
    start = texts.index("五、数据安全情况")
    paragraph = texts[start + 1]
    assert paragraph.startswith("数据集分级：一般 4、重要 0、核心 0（个）")
    assert "存证账本共 1 条事件，哈希链与签名校验通过" in paragraph


def test_cells_survive_control_characters_and_line_breaks(tmp_path: Any) -> None:
    from resonance.reports.render_docx import write_docx
    from resonance.reports.types import Document as Doc
    from resonance.reports.types import Section, Table

    table = Table(key="t", title="T", headers=["名称", "成效"], rows=[["a\x0bb & <c>", "第一行\n第二行"]])
    path = write_docx(Doc("phase", "zh", "e", "标题", "", [Section("s", 1, "一、节", [table])]), tmp_path / "x.docx")
    [grid] = Document(str(path)).tables
    assert [c.text for c in grid.rows[1].cells] == ["ab & <c>", "第一行\n第二行"]
    assert grid.rows[0].cells[0].paragraphs[0].runs[0].bold  # header row bold
    header_fonts = grid.rows[0].cells[0].paragraphs[0].runs[0]._r.rPr.find(qn("w:rFonts"))
    assert header_fonts.get(qn("w:eastAsia")) == "黑体"
    assert grid._tbl.tr_lst[0].trPr.find(qn("w:tblHeader")) is not None  # repeated on every page


def test_problems_name_gaps_and_overdue_reports_only(built: Any) -> None:
    doc = Document(str(built.phase.docx))
    texts = [p.text for p in doc.paragraphs]
    problems = texts[texts.index("七、问题与建议") + 1 : texts.index("八、下一步工作")]
    assert "实施方案尚未报送，已逾期 82 天（截止 2026-05-30）" in problems
    assert not any("阶段总结报告" in p or "总结报告尚未报送" in p for p in problems)  # not due yet on 2026-08-20
    common = next(p for p in problems if p.startswith("每个行业高质量行业通识数据集不少于5个"))
    assert common.startswith("每个行业高质量行业通识数据集不少于5个：2/2 项未达标，合计缺口 8")
    steps = texts[texts.index("八、下一步工作") + 1 :]
    assert "2026-11-30 前：每个行业模型应用案例不少于5个，补齐 3 项缺口" in steps
