"""``build``: bad input refused whole (nothing written), the Report row, an entity with no data, both backends."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from _world import TODAY, build_world
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from resonance.errors import ResonanceError
from resonance.registry import models as m
from resonance.registry.db import transaction
from resonance.reports import build


def _build(registry: Any, *args: Any, **kwargs: Any) -> Any:
    with transaction(registry.sessions) as session:
        return build(session, *args, today=TODAY, **kwargs)


@pytest.mark.parametrize(
    ("kind", "entity", "lang", "code", "words"),
    [
        ("summary", "zj", "zh", "unknown_value", ["report kind", "plan, phase, final"]),
        ("phase", "zj", "fr", "unknown_value", ["language", "zh, en"]),
        ("phase", "nowhere", "zh", "not_found", ["nowhere", "empty-ce, zj"]),  # the known codes are listed
        ("phase", "  ", "zh", "invalid", ["no action entity"]),
        (None, "zj", "zh", "unknown_value", ["report kind"]),
    ],
)
def test_bad_input_is_refused_before_writing(
    world: Any, out: Path, kind: Any, entity: str, lang: str, code: str, words: list[str]
) -> None:
    with pytest.raises(ResonanceError) as caught:
        _build(world, kind, entity, lang, out)
    assert caught.value.code == code
    message = f"{caught.value.what} {caught.value.fix}"
    assert all(word in message for word in words), message
    assert not out.exists()  # refused before the output folder was even made
    with world.session() as session:
        assert session.scalars(select(m.Report)).all() == []


def test_unwritable_output_folder(world: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ResonanceError) as caught:
        _build(world, "plan", "zj", "zh", blocker / "reports")
    assert caught.value.code == "unwritable" and caught.value.where == str(blocker / "reports")
    assert "--out" in caught.value.fix


def test_report_row_records_the_docx_hash(world: Any, out: Path) -> None:
    files = _build(world, "final", "zj", "zh", out)
    assert files.sha256 == hashlib.sha256(files.docx.read_bytes()).hexdigest()
    with world.session() as session:
        row = session.get(m.Report, files.report_id)
        assert (row.kind, row.lang, row.status, row.file_sha256) == ("final", "zh", "draft", files.sha256)
        assert row.title == "浙江省“模数共振”行动总结报告"
        assert session.get(m.ActionEntity, row.entity_id).code == "zj"
    assert sorted(p.name for p in out.iterdir()) == [
        "zj-final-zh-charts",
        "zj-final-zh.docx",
        "zj-final-zh.md",
        "zj-final-zh.xlsx",
    ]  # no temporary folder or write-test file left behind


def test_rebuilding_updates_the_draft_and_never_a_submitted_row(world: Any, out: Path) -> None:
    first = _build(world, "plan", "zj", "en", out)
    second = _build(world, "plan", "zj", "en", out)
    assert second.report_id == first.report_id  # the same draft, refreshed
    with transaction(world.sessions) as session:
        row = session.get(m.Report, first.report_id)
        row.status, row.submitted_on = "submitted", TODAY
    third = _build(world, "plan", "zj", "en", out)
    assert third.report_id != first.report_id
    with world.session() as session:
        submitted = session.get(m.Report, first.report_id)
        assert submitted.status == "submitted" and submitted.file_sha256 == second.sha256
        assert len(session.scalars(select(m.Report).where(m.Report.kind == "plan")).all()) == 2


def test_entity_with_no_data_still_gets_a_report(world: Any, out: Path) -> None:
    files = _build(world, "phase", "empty-ce", "zh", out)
    doc = Document(str(files.docx))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert "（七）确定“重点城市”打造标杆" not in headings  # task 七 is for provinces only
    texts = [p.text for p in doc.paragraphs]
    assert "无（尚无登记量化成效的案例）" in texts
    list_tables = [t for t in doc.tables if t.rows[0].cells[0].text == "名称" or t.rows[0].cells[0].text == "编号"]
    assert len(list_tables) == 7
    assert all(len(t.rows) == 2 and t.rows[1].cells[0].text == "无" for t in list_tables)
    book = load_workbook(files.xlsx)
    for name in ("数据集", "模型", "场景档案", "智能体", "空间", "联合体", "案例"):
        rows = list(book[name].iter_rows(values_only=True))
        assert len(rows) == 2 and rows[1][0] == "无"
    assert "聚焦（尚未选定）等0个重点行业" in files.markdown.read_text("utf-8")
    assert all(chart.is_file() for chart in files.charts) and len(files.charts) == 2


def test_builds_on_sqlite_and_postgresql(registry: Any, tmp_path: Path) -> None:
    with transaction(registry.sessions) as session:
        build_world(session)
    files = _build(registry, "phase", "zj", "en", tmp_path)
    rows = list(load_workbook(files.xlsx)["Models"].iter_rows(values_only=True))
    header = rows[0]
    model = dict(zip(header, rows[1], strict=True))
    assert (model["Code"], model["Kind"], model["Cases"], model["Developer / lead"]) == (
        "zj-steel-model",
        "Industry model",
        2,
        "Zhijiang Models",
    )
    spaces = list(load_workbook(files.xlsx)["Spaces"].iter_rows(values_only=True))
    space = dict(zip(spaces[0], spaces[1], strict=True))
    assert space["Members"] == "Yong Steel (Provider)" and space["Operator type"] == "Neutral third-party institution"


def test_a_tampered_ledger_is_reported(world: Any, out: Path) -> None:
    with transaction(world.sessions) as session:
        event = session.scalars(select(m.LedgerEvent)).one()
        event.payload = '{"rows":999}'  # edited after it was written
    files = _build(world, "phase", "zj", "zh", out)
    text = files.markdown.read_text("utf-8")
    assert "存证账本共 1 条事件，校验未通过" in text
