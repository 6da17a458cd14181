"""pipeline.analyse / scan_sensitivity: one read of the file, one connection, reproducible sensitivity samples
scaled to the whole column, the same report from CSV and Parquet, and clear errors for a source that changed."""

from __future__ import annotations

import os
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_recognizers import email, mobile, resident_id

from resonance.errors import ResonanceError
from resonance.node import _csv_source, pipeline
from resonance.node.pipeline import SENSITIVITY_SAMPLE, analyse, scan_sensitivity
from resonance.node.profiler import connect, profile
from resonance.node.sources import open_source

ROWS = 24_000


def _rows() -> list[dict[str, object]]:
    rng = random.Random(21)
    out = []
    for i in range(ROWS):
        out.append(
            {
                "id": i,
                "手机": 13_000_000_000 + rng.randrange(10**9) * 7 % 6_999_999_999,  # BIGINT: still recognised
                "身份证号": resident_id(rng),
                "email": email(rng) if i % 4 else None,  # 25% null
                "负责人": rng.choice(["张伟", "王芳", "李娜"]),
                "备注": f"请联系{mobile(rng)}" if i % 5 == 0 else rng.choice(["正常", "待查", "停机"]),
                "温度": round(20 + rng.random() * 10, 3),
                "稀疏": f"批次{i}" if i % 10 == 0 else None,  # 2,400 values: every one scanned
            }
        )
    return out


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = _rows()
    path = tmp_path_factory.mktemp("pipeline") / "产线.csv"
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, path.with_suffix(".parquet"))
    with duckdb.connect() as con:
        con.register("t", table)
        con.execute(f"COPY (SELECT * FROM t) TO '{path}' (HEADER, DELIMITER ',')")
    return path


def _scans(result: pipeline.Analysis) -> dict[str, dict[str, object]]:
    return {s.column: s.as_dict() for s in result.sensitivity}


def test_analyse_reads_the_file_once_and_flags_the_pii_columns(
    csv_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = []
    create = _csv_source._create_table

    def counted(con: duckdb.DuckDBPyConnection, name: str, reader: str) -> None:
        reads.append(name)
        create(con, name, reader)

    monkeypatch.setattr(_csv_source, "_create_table", counted)
    with open_source(csv_path, workdir=tmp_path) as source:
        result = analyse(source, category="production")
    assert len(reads) == 1  # profile, quality and sensitivity share one table
    flagged = {s.column: s.flagged_kinds for s in result.sensitivity if s.flagged_kinds}
    assert flagged == {
        "手机": ("mobile",),
        "身份证号": ("resident_id",),
        "email": ("email",),
        "负责人": ("person_name",),
        "备注": ("mobile",),
    }
    assert result.profile.rows == ROWS and result.quality.grade in "ABCDE"
    assert result.proposal.level in ("general", "important")


def test_samples_are_drawn_per_column_and_scaled_to_the_column(csv_path: Path, tmp_path: Path) -> None:
    with open_source(csv_path, workdir=tmp_path) as source:
        scans = _scans(analyse(source))
    phone = scans["手机"]
    assert (phone["rows"], phone["non_null"], phone["sampled"], phone["sampling"]) == (
        ROWS,
        ROWS,
        SENSITIVITY_SAMPLE,
        "row-hash",
    )
    mail = scans["email"]
    assert (mail["non_null"], mail["sampled"]) == (ROWS * 3 // 4, SENSITIVITY_SAMPLE)  # nulls are not drawn
    found = next(f for f in mail["findings"] if f["kind"] == "email")
    assert found["match_rate"] == 1.0 and found["estimated_count"] == ROWS * 3 // 4
    sparse = scans["稀疏"]
    assert (sparse["non_null"], sparse["sampled"], sparse["sampling"]) == (ROWS // 10, ROWS // 10, "all")
    remark = next(f for f in scans["备注"]["findings"] if f["kind"] == "mobile")
    assert remark["contains_rate"] == pytest.approx(0.2, abs=0.02)  # 1 in 5 values, from a 10,000-value sample
    assert remark["estimated_count"] == pytest.approx(ROWS / 5, rel=0.1)


def test_sensitivity_is_the_same_on_every_run(csv_path: Path, tmp_path: Path) -> None:
    runs = []
    for attempt in range(3):
        with open_source(csv_path, workdir=tmp_path / str(attempt)) as source:
            runs.append(_scans(analyse(source)))
    assert runs[0] == runs[1] == runs[2]


def test_scan_sensitivity_on_its_own_connection_matches_the_shared_one(csv_path: Path, tmp_path: Path) -> None:
    with open_source(csv_path, workdir=tmp_path) as source:
        shared = _scans(analyse(source))
        prof = profile(source)
        alone = {s.column: s.as_dict() for s in scan_sensitivity(source, prof)}
        with connect(source) as con:
            given = {s.column: s.as_dict() for s in scan_sensitivity(source, prof, connection=con)}
            assert con.execute("SELECT 1").fetchone() == (1,)  # a connection passed in is left open
    assert alone == shared == given


def test_parquet_gives_the_same_flags_and_populations(csv_path: Path, tmp_path: Path) -> None:
    with open_source(csv_path.with_suffix(".parquet"), workdir=tmp_path) as source:
        scans = _scans(analyse(source))
    with open_source(csv_path, workdir=tmp_path) as source:
        from_csv = _scans(analyse(source))
    for column, scan in scans.items():
        other = from_csv[column]
        assert (scan["flagged_kinds"], scan["non_null"], scan["sampled"]) == (
            other["flagged_kinds"],
            other["non_null"],
            other["sampled"],
        ), column


def test_a_file_changed_after_opening_is_refused(csv_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv"
    copy.write_bytes(csv_path.read_bytes())
    with open_source(copy, workdir=tmp_path / "work") as source:
        with copy.open("a", encoding="utf-8") as fh:
            fh.write("1,13812345678,x,y,z,w,1.0,\n")
        with pytest.raises(ResonanceError) as caught:
            analyse(source)
    assert caught.value.code == "source_changed" and "copy.csv" in caught.value.where


def test_a_vanished_file_is_refused(csv_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "gone.csv"
    copy.write_bytes(csv_path.read_bytes())
    with open_source(copy, workdir=tmp_path / "work") as source:
        os.remove(copy)
        with pytest.raises(ResonanceError) as caught:
            analyse(source)
    assert caught.value.code == "source_vanished"


def test_scan_sensitivity_refuses_a_profile_of_another_table(csv_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    with open_source(other, workdir=tmp_path) as small, open_source(csv_path, workdir=tmp_path) as source:
        prof = profile(small)
        with pytest.raises(duckdb.BinderException):  # a programming error, not the data's: it is not reworded
            scan_sensitivity(source, prof)
