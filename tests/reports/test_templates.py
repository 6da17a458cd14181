"""The editable templates: an override folder changes headings without code; malformed files are refused with the
file, entry and field named; the TC609 map names 7 + 5 functions and only modules that exist."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from _world import TODAY
from docx import Document

from resonance.errors import ResonanceError
from resonance.registry.db import transaction
from resonance.reports import build, load_functions
from resonance.reports.templates import TEMPLATES_ENV, load_lists, load_outline, template_path


def _packaged(name: str) -> str:
    return template_path(name).read_text("utf-8")


@pytest.fixture
def override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    monkeypatch.setenv(TEMPLATES_ENV, str(folder))
    return folder


def test_official_headings_drop_in_without_code(world: Any, override: Path, tmp_path: Path) -> None:
    text = _packaged("outline.yaml").replace("一、总体进展", "一、总体完成情况（附件2）")
    (override / "outline.yaml").write_text(text, encoding="utf-8")
    lists = _packaged("lists.yaml").replace("{field: effect, zh: 量化成效,", "{field: effect, zh: 应用成效（量化）,")
    (override / "lists.yaml").write_text(lists, encoding="utf-8")
    with transaction(world.sessions) as session:
        files = build(session, "phase", "zj", "zh", tmp_path / "out", today=TODAY)
    doc = Document(str(files.docx))
    assert "一、总体完成情况（附件2）" in [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    headers = [[c.text for c in t.rows[0].cells] for t in doc.tables]
    assert any("应用成效（量化）" in h for h in headers)


@pytest.mark.parametrize(
    ("name", "edit", "where", "what"),
    [
        (
            "outline.yaml",
            ("generate: issues", "generate: complaints"),
            "kinds.phase.sections.issues",
            "unknown generator",
        ),
        (
            "outline.yaml",
            ("已达标 {checks_met} 项", "已达标 {checks_done} 项"),
            "kinds.phase.sections.overview",
            "unknown placeholder",
        ),
        ("outline.yaml", ("- {list: cases}", "- {list: awards}"), "kinds.plan.sections.annex", "unknown list 'awards'"),
        (
            "outline.yaml",
            ("blocks: [{generate: task_plan, task: 一}]", "blocks: [{generate: task_plan}]"),
            "task_1",
            "needs `task`",
        ),
        ("lists.yaml", ("{field: effect,", "{field: benefit,"), "lists.6", "unknown field 'benefit'"),
        ("lists.yaml", ("sheet: {zh: 数据集,", "sheet: {zh: 数据集/清单,"), "lists.0", "at most 31 characters"),
        (
            "tc609_functions.yaml",
            ("status: partial", "status: maybe"),
            "groups.1.functions.0.status",
            "Input should be",
        ),
        ("outline.yaml", ("kinds:\n", "kinds: [\n"), "line", "not valid YAML"),
    ],
)
def test_malformed_templates_are_refused(
    override: Path, name: str, edit: tuple[str, str], where: str, what: str
) -> None:
    text = _packaged(name)
    assert edit[0] in text  # the edit must apply, or the test would prove nothing
    (override / name).write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ResonanceError) as caught:
        load_functions() if name.startswith("tc609") else load_outline()
    error = caught.value
    assert error.code == "invalid_template" and error.where == str(override / name)
    assert any(where in p.where and what in p.what for p in error.problems), error.problems


def test_a_gbk_encoded_template_is_refused(override: Path) -> None:
    (override / "lists.yaml").write_bytes(_packaged("lists.yaml").encode("gbk"))
    with pytest.raises(ResonanceError) as caught:
        load_lists()
    assert caught.value.code == "invalid_template" and "cannot read it" in caught.value.what
    assert "utf-8" in caught.value.what


def test_edits_are_picked_up_without_restart(override: Path) -> None:
    path = override / "lists.yaml"
    path.write_text(_packaged("lists.yaml"), encoding="utf-8")
    assert load_lists().get("cases").title.zh == "应用案例与落地案例清单"
    path.write_text(_packaged("lists.yaml").replace("应用案例与落地案例清单", "案例清单（附表7）"), encoding="utf-8")
    assert load_lists().get("cases").title.zh == "案例清单（附表7）"


def test_tc609_map_has_the_standard_functions() -> None:
    fmap = load_functions()
    assert fmap.standard.code == "TC609-6-2025-01"
    platform, connector = fmap.groups
    assert [f.name.zh for f in platform.functions] == [
        "身份管理",
        "接入连接器管理",
        "目录管理",
        "数字合约管理",
        "可信数据空间管理",
        "数据使用控制",
        "国际空间互通网关",
    ]
    assert [f.name.zh for f in connector.functions] == [
        "数据交付",
        "数据资源管理",
        "数据产品管理",
        "数字合约管理",
        "数据使用控制",
    ]
    gateway = platform.functions[-1]
    assert gateway.status == "not_applicable" and not gateway.required and gateway.modules == []
    for group in fmap.groups:
        for fn in group.functions:
            for module in fn.modules:
                assert importlib.util.find_spec(module) is not None, f"{fn.key}: {module} does not exist"
            if fn.status != "not_applicable":
                assert fn.modules, f"{fn.key} names no module"


def test_docx_limit_keeps_long_lists_in_the_xlsx(world: Any, override: Path, tmp_path: Path) -> None:
    text = _packaged("lists.yaml").replace("docx_limit: 300", "docx_limit: 1")
    (override / "lists.yaml").write_text(text, encoding="utf-8")
    with transaction(world.sessions) as session:
        files = build(session, "phase", "zj", "zh", tmp_path / "out", today=TODAY)
    doc = Document(str(files.docx))
    datasets = next(t for t in doc.tables if t.rows[0].cells[0].text == "名称" and len(t.rows[0].cells) == 7)
    assert len(datasets.rows) == 2  # header + the first row
    assert "（以上列出前 1 项，其余 3 项见表格文件“数据集”工作表）" in [p.text for p in doc.paragraphs]
    from openpyxl import load_workbook

    assert load_workbook(files.xlsx)["数据集"].max_row == 5  # header + all four
