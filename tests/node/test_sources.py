"""Opening local sources where they lie: encodings, formats, shards, SQL tables, and every kind of bad input."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import uuid
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook
from sqlalchemy.engine import make_url

from resonance.errors import ResonanceError
from resonance.node.profiler import profile
from resonance.node.sources import Source, open_source

PG_URL = os.environ.get("RESONANCE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "Sup3r-S3cret-pw"
CHINESE = "设备编号,温度(℃),状态,时间\nA-01,21.5,正常,2024-03-01 08:00:00\nA-02,22.0,告警,2024-03-01 08:15:00\n"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path / "work"


def rows_of(source: Source) -> tuple[list[str], list[tuple]]:
    with duckdb.connect() as con, source.reading():
        name = source.relation(con)
        result = con.execute(f"SELECT * FROM {name}")
        return [d[0] for d in result.description], result.fetchall()


def refused(spec: str | Path, work: Path, **kwargs: object) -> ResonanceError:
    with pytest.raises(ResonanceError) as caught:
        source = open_source(spec, workdir=work, **kwargs)
        try:
            rows_of(source)
        finally:
            source.close()
    return caught.value


# ---- encodings --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_chinese_csv_in_each_encoding(tmp_path: Path, work: Path, encoding: str) -> None:
    path = tmp_path / f"数据-{encoding}.csv"
    path.write_bytes(CHINESE.encode(encoding))
    with open_source(path, workdir=work) as source:
        columns, rows = rows_of(source)
        assert source.kind == "csv"
        assert source.texts[0].encoding == {"gbk": "gb18030"}.get(encoding, encoding)  # GB18030 ⊃ GBK
        assert columns == ["设备编号", "温度(℃)", "状态", "时间"]
        assert rows[1][:3] == ("A-02", 22.0, "告警")
        assert rows[0][3] == dt.datetime(2024, 3, 1, 8, 0)
        transcoded = source.texts[0].transcoded
        assert transcoded == (encoding in ("gbk", "gb18030"))
        if transcoded:  # the UTF-8 copy lives in the work folder, never next to the data
            assert source.texts[0].readable.is_relative_to(work)
            assert source.texts[0].readable.exists()
        scratch = source.workdir
    assert not scratch.exists()  # closing deletes every temporary file
    assert path.exists()


def test_gb18030_characters_outside_gbk(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "rare.csv"
    path.write_bytes("名称,值\n𠮷野家,1\n㐀字,2\n".encode("gb18030"))
    with pytest.raises(UnicodeEncodeError):
        "𠮷".encode("gbk")
    with open_source(path, workdir=work) as source:
        assert rows_of(source)[1] == [("𠮷野家", 1), ("㐀字", 2)]


def test_mixed_encodings_name_the_byte_offset_and_line(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "mixed.csv"
    good = ("设备,温度\n" + "甲乙丙丁,1.5\n" * 40).encode("gb18030")
    path.write_bytes(good + b"\xff\xfe,2\n" + "戊,3\n".encode("gb18030"))
    error = refused(path, work)
    assert error.code == "source_encoding"
    assert str(path) in error.where
    assert "line 42" in error.where and f"byte offset {len(good)}" in error.where
    assert "GB18030" in error.what


def test_utf8_file_with_a_gbk_line_is_mixed_not_gbk(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "pasted.csv"
    head = ("设备,温度\n" + "甲乙丙丁,1.5\n" * 20).encode("utf-8")
    path.write_bytes(head + "戊,3\n".encode("gbk"))
    error = refused(path, work)
    assert error.code == "source_encoding" and "UTF-8" in error.what and "line 22" in error.where


def test_truncated_multibyte_character(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_bytes("名称,值\n甲,1\n乙".encode()[:-1])
    error = refused(path, work)
    assert error.code == "source_truncated" and "line 3" in error.where


# ---- formats ----------------------------------------------------------------------------------------------------


def test_tsv_and_semicolons(tmp_path: Path, work: Path) -> None:
    tsv = tmp_path / "a.tsv"
    tsv.write_text("名称\t数量\t备注\n甲\t1\t含,逗号\n乙\t2\t无\n", encoding="utf-8")
    semi = tmp_path / "b.csv"
    semi.write_text("a;b\n1;2\n3;4\n", encoding="utf-8")
    with open_source(tsv, workdir=work) as source:
        assert source.kind == "tsv" and source.delimiter == "\t"
        assert rows_of(source)[1] == [("甲", 1, "含,逗号"), ("乙", 2, "无")]
    with open_source(semi, workdir=work) as source:
        assert rows_of(source) == (["a", "b"], [(1, 2), (3, 4)])


def test_parquet(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"编号": [1, 2, 3], "值": [0.5, None, 2.5]}), path)
    with open_source(path, workdir=work) as source:
        assert source.kind == "parquet"
        assert rows_of(source) == (["编号", "值"], [(1, 0.5), (2, None), (3, 2.5)])
        assert source.fingerprint().startswith("sha256:")


def _workbook(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "说明"
    sheet.append(["this sheet is notes"])
    data = book.create_sheet("数据")
    data.append(["设备", "温度", "次数", "时间", "备注", None])
    data.append(["甲", 21.5, 3, dt.datetime(2024, 3, 1, 8, 0), "正常", None])
    data.append([None, None, None, None, None, None])  # a blank row is skipped
    data.append(["乙", 22, 4, dt.datetime(2024, 3, 1, 8, 15), 7, None])
    book.save(path)


def test_xlsx_sheet_is_streamed_with_types(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "数据.xlsx"
    _workbook(path)
    with open_source(path, table="数据", workdir=work) as source:
        assert source.kind == "xlsx" and source.display_name == "数据.xlsx [数据]"
        with duckdb.connect() as con:
            name = source.relation(con)
            types = dict(con.execute(f"DESCRIBE {name}").fetchall()[i][:2] for i in range(5))
            rows = con.execute(f"SELECT * FROM {name}").fetchall()
        assert types == {"设备": "VARCHAR", "温度": "DOUBLE", "次数": "BIGINT", "时间": "TIMESTAMP", "备注": "VARCHAR"}
        assert rows == [
            ("甲", 21.5, 3, dt.datetime(2024, 3, 1, 8, 0), "正常"),
            ("乙", 22.0, 4, dt.datetime(2024, 3, 1, 8, 15), "7"),
        ]
    error = refused(path, work, table="没有")
    assert error.code == "source_not_found" and "数据" in error.fix


def test_folder_of_shards_in_different_encodings(tmp_path: Path, work: Path) -> None:
    folder = tmp_path / "shards"
    folder.mkdir()
    (folder / "part-1.csv").write_bytes("设备,温度\n甲,1.5\n".encode())
    (folder / "part-2.csv").write_bytes("设备,温度\n乙,2.5\n丙,3.5\n".encode("gbk"))
    (folder / "part-3.csv").write_bytes("设备,温度\n".encode())  # a header-only shard is fine
    with open_source(folder, workdir=work) as source:
        assert source.kind == "csv_folder"
        assert sorted(rows_of(source)[1]) == [("丙", 3.5), ("乙", 2.5), ("甲", 1.5)]
        assert source.fingerprint().startswith("sha256:")


def test_shard_with_a_different_header_is_named(tmp_path: Path, work: Path) -> None:
    folder = tmp_path / "shards"
    folder.mkdir()
    (folder / "a.csv").write_text("设备,温度\n甲,1\n", encoding="utf-8")
    (folder / "b.csv").write_text("设备,湿度\n乙,2\n", encoding="utf-8")
    error = refused(folder, work)
    assert error.code == "source_header"
    assert error.where == str(folder / "b.csv")
    assert "missing 温度" in error.what and "unexpected 湿度" in error.what


def test_ragged_row_in_a_shard_names_the_shard(tmp_path: Path, work: Path) -> None:
    folder = tmp_path / "shards"
    folder.mkdir()
    (folder / "a.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (folder / "b.csv").write_text("x,y\n" + "3,4\n" * 5 + "5,6,7\n", encoding="utf-8")
    error = refused(folder, work)
    assert error.code == "source_ragged" and error.where == f"{folder / 'b.csv'}, line 7"


def test_sqlite_table_by_url(tmp_path: Path, work: Path) -> None:
    db = tmp_path / "plant.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE 读数 (id INTEGER, 设备 TEXT, 值 REAL, 时间 TIMESTAMP)")
        con.executemany(
            "INSERT INTO 读数 VALUES (?, ?, ?, ?)",
            [(1, "甲", 1.5, "2024-03-01 08:00:00"), (2, "乙", None, "2024-03-01 08:15:00")],
        )
    for spec, table in ((f"sqlite:///{db}#读数", None), (f"sqlite:///{db}", "读数")):
        with open_source(spec, table=table, workdir=work) as source:
            assert source.kind == "sql" and source.display_name == f"sqlite:///{db}#读数"
            columns, rows = rows_of(source)
            assert columns == ["id", "设备", "值", "时间"]
            assert rows == [(1, "甲", 1.5, dt.datetime(2024, 3, 1, 8)), (2, "乙", None, dt.datetime(2024, 3, 1, 8, 15))]
            first = source.fingerprint()
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO 读数 VALUES (3, '丙', 2.0, NULL)")
    with open_source(f"sqlite:///{db}#读数", workdir=work) as source:
        assert source.fingerprint() != first  # a version hash: row count and schema
    error = refused(f"sqlite:///{db}#没有这张表", work)
    assert error.code == "source_not_found" and "读数" in error.fix


def _with_password(url: str) -> str:
    return make_url(url).set(password=SECRET).render_as_string(hide_password=False)


def _assert_no_secret(*texts: object) -> None:
    for text in texts:
        assert SECRET not in str(text)


@pytest.mark.postgres
def test_postgresql_table_streamed_and_password_masked(work: Path) -> None:
    table = f"resonance_src_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(
            f'CREATE TABLE "{table}" (id int, 设备 text, 值 double precision, 金额 numeric(10,2), 时间 timestamp)'
        )
        admin.execute(
            f"INSERT INTO \"{table}\" SELECT i, '设备' || (i % 3), i * 0.5, i * 1.25, "
            "timestamp '2024-03-01' + i * interval '15 minutes' FROM generate_series(1, 2500) AS i"
        )
    try:
        url = _with_password(PG_URL)
        assert SECRET in url
        with open_source(f"{url}#{table}", workdir=work) as source:
            assert source.kind == "sql"
            _assert_no_secret(source.display_name, repr(source), source.fingerprint())
            assert "***" in source.display_name
            columns, rows = rows_of(source)
            assert columns == ["id", "设备", "值", "金额", "时间"]
            assert len(rows) == 2500 and rows[0] == (1, "设备1", 0.5, 1.25, dt.datetime(2024, 3, 1, 0, 15))
            result = profile(source)
            _assert_no_secret(json.dumps(result.as_dict(), ensure_ascii=False))
        missing = refused(f"{url}#no_such_table_here", work)
        _assert_no_secret(missing, missing.as_dict(), missing.where, missing.fix)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP TABLE IF EXISTS "{table}"')


def test_password_never_in_connection_errors(work: Path) -> None:
    url = make_url(PG_URL).set(port=1, password=SECRET).render_as_string(hide_password=False)
    error = refused(f"{url}#t", work)
    assert error.code == "source_connect"
    _assert_no_secret(error, json.dumps(error.as_dict()), repr(error))
    assert "***" in error.where
    error = refused(url, work)  # no table named
    _assert_no_secret(error, json.dumps(error.as_dict()))


# ---- bad input --------------------------------------------------------------------------------------------------


def test_missing_and_vanished_files(tmp_path: Path, work: Path) -> None:
    error = refused(tmp_path / "nope.csv", work)
    assert error.code == "source_not_found" and error.where == str(tmp_path / "nope.csv")
    path = tmp_path / "gone.csv"
    path.write_bytes(CHINESE.encode("gbk"))
    with open_source(path, workdir=work) as source:
        path.unlink()
        with pytest.raises(ResonanceError) as caught:
            rows_of(source)
        assert caught.value.code == "source_vanished" and caught.value.where == str(path)


def test_changed_file_must_be_opened_again(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "live.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with open_source(path, workdir=work) as source:
        path.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
        os.utime(path, ns=(1, 1))
        with pytest.raises(ResonanceError) as caught:
            rows_of(source)
        assert caught.value.code == "source_changed"


@pytest.mark.parametrize(
    ("name", "content", "code", "what"),
    [
        ("empty.csv", b"", "source_empty", "empty"),
        ("blank.csv", b"\n\n  \n", "source_empty", "no text"),
        ("header.csv", "设备,温度\n".encode("gbk"), "source_empty", "no data rows"),
        ("header-blank.csv", b"a,b\n\n\n", "source_empty", "no data rows"),
        ("empty.parquet", b"", "source_empty", "empty"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "source_format", ".xls"),
        ("data.json", b"{}", "source_format", "unsupported"),
    ],
)
def test_empty_and_unsupported_files(
    tmp_path: Path, work: Path, name: str, content: bytes, code: str, what: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    error = refused(path, work)
    assert error.code == code and what in error.what and error.where == str(path)


@pytest.mark.parametrize(
    ("lines", "bad_line", "expected", "found"),
    [
        (["1,2,3", "4,5", "6,7,8"], 3, 3, 2),  # short row, inside DuckDB's sniffing sample
        (["1,2,3", "4,5,6,7"], 3, 3, 4),  # long row
        (["1,2,3"] * 30_000 + ["4,5,6,7"], 30_002, 3, 4),  # far beyond the sample
    ],
)
def test_ragged_rows_name_line_and_counts(
    tmp_path: Path, work: Path, lines: list[str], bad_line: int, expected: int, found: int
) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n" + "\n".join(lines) + "\n", encoding="utf-8")
    error = refused(path, work)
    assert error.code == "source_ragged"
    assert error.where == f"{path}, line {bad_line}"
    assert f"has {found} fields but the header has {expected}" in error.what


def test_late_value_of_another_type_is_read_as_text_when_materialized(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("n,m\n" + "".join(f"{i},{i}\n" for i in range(25_000)) + "坏,1\n", encoding="utf-8")
    with open_source(path, workdir=work) as source, duckdb.connect() as con:
        name = source.relation(con, materialize=True)
        assert con.execute(f"SELECT count(*), count(TRY_CAST(n AS BIGINT)) FROM {name}").fetchone() == (25_001, 25_000)
        assert dict(source.columns)["n"] == "VARCHAR" and dict(source.columns)["m"] == "BIGINT"


def test_header_only_and_truncated_workbooks(tmp_path: Path, work: Path) -> None:
    book = Workbook()
    book.active.append(["设备", "温度"])
    header_only = tmp_path / "header.xlsx"
    book.save(header_only)
    error = refused(header_only, work)
    assert error.code == "source_empty" and "no data rows" in error.what and "sheet" in error.where

    full = tmp_path / "full.xlsx"
    _workbook(full)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    error = refused(truncated, work)
    assert error.code == "source_corrupt" and error.where == str(truncated)


def test_workbook_value_outside_the_header_names_the_cell(tmp_path: Path, work: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "表1"
    sheet.append(["设备", "温度"])
    sheet.append(["甲", 1])
    sheet.append(["乙", 2, "多出来的"])
    path = tmp_path / "stray.xlsx"
    book.save(path)
    error = refused(path, work)
    assert error.code == "source_ragged" and error.where == f"{path}, sheet 表1, row 3, cell C3"


def test_truncated_and_corrupted_parquet(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "good.parquet"
    pq.write_table(pa.table({"a": list(range(5000)), "b": [f"v{i % 50}" for i in range(5000)]}), path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(data[: len(data) // 2])
    error = refused(truncated, work)
    assert error.code == "source_corrupt" and error.where == str(truncated)

    corrupted = tmp_path / "corrupted.parquet"  # footer intact, pages scrambled: found when the rows are read
    scrambled = bytearray(data)
    for i in range(100, 2000):
        scrambled[i] = (scrambled[i] * 7 + 13) % 256
    corrupted.write_bytes(bytes(scrambled))
    with open_source(corrupted, workdir=work) as source, pytest.raises(ResonanceError) as caught:
        profile(source)
    assert caught.value.code == "source_corrupt" and caught.value.where == str(corrupted)

    empty = tmp_path / "no-rows.parquet"
    pq.write_table(pa.table({"a": pa.array([], pa.int64())}), empty)
    assert refused(empty, work).code == "source_empty"


def test_ten_thousand_columns(tmp_path: Path, work: Path) -> None:
    width = 10_000
    path = tmp_path / "wide.csv"
    header = ",".join(f"列{i}" for i in range(width))
    body = "\n".join(",".join(str((r * 7 + i) % 13) for i in range(width)) for r in range(3))
    path.write_text(header + "\n" + body + "\n", encoding="utf-8")
    with open_source(path, workdir=work) as source, duckdb.connect() as con:
        name = source.relation(con)
        assert len(con.execute(f"DESCRIBE {name}").fetchall()) == width
        assert con.execute(f'SELECT count(*), sum("列9999") FROM {name}').fetchone() == (
            3,
            9999 % 13 + 10006 % 13 + 10013 % 13,
        )


def test_fingerprint_is_a_content_hash(tmp_path: Path, work: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x\n1\n", encoding="utf-8")
    b.write_text("x\n1\n", encoding="utf-8")
    with open_source(a, workdir=work) as first, open_source(b, workdir=work) as second:
        assert first.fingerprint() == second.fingerprint()
    b.write_text("x\n2\n", encoding="utf-8")
    with open_source(a, workdir=work) as first, open_source(b, workdir=work) as second:
        assert first.fingerprint() != second.fingerprint()
