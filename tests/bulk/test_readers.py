"""``bulk/readers.py``: files of every supported kind become rows numbered as the user sees them."""

from __future__ import annotations

import codecs
import io
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from resonance.bulk.readers import decode_text, read_table
from resonance.errors import ResonanceError

CSV_TEXT = '编码,名称,所属行业\nbf-1,高炉炉温数据,钢铁\n\n"bf-2","多行\n名称",钢铁\n'
RARE = "䶮"  # CJK extension A: in GB18030 (four bytes), not in GBK


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _workbook_bytes(rows: list[list[object]], title: str = "数据集") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _error(path: Path, **kwargs: object) -> ResonanceError:
    with pytest.raises(ResonanceError) as caught:
        read_table(path, **kwargs)
    assert caught.value.code == "import_failed"
    assert caught.value.problems and caught.value.problems[0].fix
    return caught.value


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-16", "utf-16")],
)
def test_csv_in_every_common_encoding_reads_the_same_rows(tmp_path, encoding, expected):
    table = read_table(_write(tmp_path, "ds.csv", CSV_TEXT.encode(encoding)))
    assert table.encoding == expected
    assert table.headers == ["编码", "名称", "所属行业"]
    assert [r.cells["编码"] for r in table.rows] == ["bf-1", "bf-2"]
    assert table.rows[0].cells["名称"] == "高炉炉温数据"
    # header = row 1; the blank line keeps its number; a quoted cell with a line break is still one row
    assert [r.number for r in table.rows] == [2, 4]
    assert table.rows[1].cells["名称"] == "多行\n名称"


def test_gb18030_only_characters_are_decoded(tmp_path):
    text = f"编码,名称\nx,{RARE}数据\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    table = read_table(_write(tmp_path, "x.csv", text.encode("gb18030")))
    assert table.rows[0].cells["名称"] == f"{RARE}数据"


def test_semicolon_and_tab_separated_files(tmp_path):
    semi = read_table(_write(tmp_path, "a.csv", "code;name_zh\nx;甲\n".encode()))
    tabs = read_table(_write(tmp_path, "b.tsv", "code\tname_zh\nx\t甲, 乙\n".encode()))
    assert semi.rows[0].cells == {"code": "x", "name_zh": "甲"}
    assert tabs.rows[0].cells == {"code": "x", "name_zh": "甲, 乙"}


def test_empty_cells_are_left_out_and_stray_values_are_problems(tmp_path):
    table = read_table(_write(tmp_path, "a.csv", b"code,name_zh,,\nx,,,\ny,b,,extra\n"))
    assert table.headers == ["code", "name_zh"]
    assert table.rows[0].cells == {"code": "x"}
    assert len(table.problems) == 1
    problem = table.problems[0]
    assert problem.where == "a.csv, row 3" and problem.value == "extra" and "column 4" in problem.what


def test_duplicate_and_missing_headers_are_problems(tmp_path):
    table = read_table(_write(tmp_path, "a.csv", "编码,名称,,编码\nx,甲,1,y\n".encode()))
    whats = [p.what for p in table.problems]
    assert any("column 3 has no header" in w for w in whats)
    assert any("'编码' appears twice (column 1 and column 4)" in w for w in whats)


def test_header_only_csv_has_no_rows(tmp_path):
    table = read_table(_write(tmp_path, "a.csv", "编码,名称\n".encode()))
    assert table.headers == ["编码", "名称"] and table.rows == []


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("empty.csv", b"", "empty"),
        ("blank.csv", codecs.BOM_UTF8 + b"\r\n \n", "empty"),
        ("bad.csv", b"code,name\nx,\xff\xfe\xfd\x80\x81\x00\x01\x02", "cannot decode"),
        ("nul.csv", b"code,name\x00\nx,y\x00\x01\n", "NUL"),
        ("zip.csv", b"PK\x03\x04rest-of-a-workbook", "rename it to .xlsx"),
        ("notes.txt", b"code\nx\n", "cannot import a .txt file"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "97-2003"),
        ("text.xlsx", b"code,name\nx,y\n", "not an Excel workbook"),
        ("ole.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "97-2003"),
    ],
)
def test_unreadable_files_give_one_clear_problem(tmp_path, name, data, fragment):
    error = _error(_write(tmp_path, name, data))
    text = " ".join([error.what, error.fix])
    assert fragment in text, text
    assert error.where.startswith(name)


def test_missing_file(tmp_path):
    assert "does not exist" in _error(tmp_path / "nope.csv").what


def test_undecodable_bytes_say_where(tmp_path):
    data = "code,name\nx,好\n".encode() + b"y,\xff\xff\n"
    error = _error(_write(tmp_path, "bad.csv", data))
    assert "line 3" in error.what and "0xFF" in error.what
    assert "CSV UTF-8" in error.fix


def test_truncated_xlsx_is_reported_not_raised(tmp_path):
    data = _workbook_bytes([["编码", "名称"], ["x", "甲"]])
    for cut in (len(data) // 2, len(data) - 30, 200):
        error = _error(_write(tmp_path, f"cut{cut}.xlsx", data[:cut]))
        assert "damaged or truncated" in error.what


def test_xlsx_rows_keep_sheet_numbers_and_native_types(tmp_path):
    data = _workbook_bytes(
        [
            ["编码", "名称", "记录数", "上线日期"],
            ["x", "甲", 1200.0, datetime(2026, 5, 1)],
            [None, None, None, None],
            ["y", "乙", 3, None],
        ]
    )
    table = read_table(_write(tmp_path, "ds.xlsx", data))
    assert table.sheet == "数据集" and table.format == "xlsx"
    assert [r.number for r in table.rows] == [2, 4]
    assert table.rows[0].cells == {"编码": "x", "名称": "甲", "记录数": 1200, "上线日期": datetime(2026, 5, 1)}
    assert table.where(table.rows[1], "名称") == "ds.xlsx, sheet 数据集, row 4, column 名称"


def test_xlsx_header_may_start_below_blank_rows_and_sheet_can_be_chosen(tmp_path):
    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["填表说明"])
    sheet = workbook.create_sheet("单位")
    sheet.append([])
    sheet.append(["编码", "名称"])
    sheet.append(["x", "甲"])
    path = tmp_path / "orgs.xlsx"
    workbook.save(path)
    table = read_table(path, sheet="单位")
    assert table.headers == ["编码", "名称"] and table.rows[0].number == 3
    error = _error(path, sheet="组织")
    assert "no sheet '组织'" in error.what and "说明, 单位" in error.fix


def test_yaml_list_and_mapping_with_line_numbers(tmp_path):
    listed = read_table(_write(tmp_path, "a.yaml", "- code: x\n  名称: 甲\n- code: y\n  roles: [数据企业]\n".encode()))
    assert listed.concept is None and listed.headers == ["code", "名称", "roles"]
    assert [(r.number, r.line) for r in listed.rows] == [(1, 1), (2, 3)]
    assert listed.rows[1].cells["roles"] == ["数据企业"]
    assert listed.where(listed.rows[1], "roles") == "a.yaml, item 2 (line 3), key roles"
    keyed = read_table(_write(tmp_path, "b.yml", b"organisations:\n  - code: x\n"))
    assert keyed.concept == "organisations" and keyed.rows[0].line == 2


def test_yaml_errors(tmp_path):
    assert _error(_write(tmp_path, "a.yaml", b"- code: x\n  name: [unclosed\n")).where == "a.yaml, line 3"
    assert "exactly one key" in _error(_write(tmp_path, "b.yaml", b"a: []\nb: []\n")).what
    assert "list of records" in _error(_write(tmp_path, "c.yaml", b"just text\n")).what
    table = read_table(_write(tmp_path, "d.yaml", b"- code: x\n- plain\n"))
    assert table.problems[0].where == "d.yaml, item 2 (line 2)"


def test_decode_text_prefers_utf8_then_gb18030_and_guesses_only_plausible_encodings():
    assert decode_text("名称".encode(), "x") == ("名称", "utf-8")
    assert decode_text("名称".encode("gbk"), "x") == ("名称", "gb18030")
    text = "编码,名称\nbf-1,高炉炉温数据\n" * 5
    assert decode_text(text.encode("utf-16-le"), "x") == (text, "utf_16_le")  # no BOM: NUL bytes, then a guess
