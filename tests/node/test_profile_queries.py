"""The profiler's SQL shortcuts give exactly what the plain SQL gives: blank text, the hash-ordered sample with
its cutoff, and materialising a CSV in file order."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from resonance.node import _csv_source, _profile_run
from resonance.node import _profile_queries as q
from resonance.node.profiler import connect, profile
from resonance.node.sources import open_source


def test_trimmed_characters_are_the_ones_duckdb_trim_removes() -> None:
    with duckdb.connect() as con:
        found = con.execute(
            "SELECT list(i ORDER BY i) FROM range(1, 1114112) t(i) "
            "WHERE (i < 55296 OR i > 57343) AND trim(chr(i::INTEGER) || 'a') <> chr(i::INTEGER) || 'a'"
        ).fetchone()
    assert found is not None and tuple(found[0]) == q.TRIMMED


def test_blank_is_trim_equals_empty() -> None:
    values = ["", " ", "   ", "\u3000", " \u3000 ", "\u00a0", "a", " a ", "\t", "\n", " \t ", "甲", "\u3000甲", None]
    values += [chr(c) * 2 for c in q.TRIMMED] + [chr(c) + "x" for c in q.TRIMMED]
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (v VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
        rows = con.execute(f"SELECT v, trim(v) = '', {q.blank('v')} FROM t").fetchall()
    assert [r[0] for r in rows if r[1] != r[2]] == []
    assert sum(1 for r in rows if r[2]) == 6 + len(q.TRIMMED)


def _plans(con: duckdb.DuckDBPyConnection) -> list[q.Plan]:
    return [q.Plan(i, name, kind) for i, (name, kind, *_) in enumerate(con.execute("DESCRIBE t").fetchall())]


def test_sample_with_the_cutoff_is_the_sample_without_it() -> None:
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t AS SELECT i AS a, (i * 7919) % 1000 AS b, i % 13 = 0 AS c FROM range(60000) r(i)")
        plans = _plans(con)
        cut = con.execute(q.sample_sql("t", plans, 5_000, 60_000)).fetchall()
        full = con.execute(q.sample_sql("t", plans, 5_000, 60_000, cutoff=False)).fetchall()
        assert "WHERE" in q.sample_sql("t", plans, 5_000, 60_000) and len(cut) == 5_000
        assert sorted(cut) == sorted(full)
        assert "WHERE" not in q.sample_sql("t", plans, 50_000, 60_000)  # a cutoff would keep nearly every row


@pytest.mark.parametrize(("rows", "total"), [(1, 10**9), (100_000, 1_000_000), (10, 10), (7, 5)])
def test_sample_cutoff_is_a_64_bit_hash(rows: int, total: int) -> None:
    cutoff = q.sample_cutoff(rows, total)
    assert 0 < cutoff <= 2**64 - 1
    if 1.5 * rows < total:
        assert cutoff / 2**64 == pytest.approx(1.5 * rows / total)


def test_a_sample_short_under_the_cutoff_is_drawn_again_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wide.csv"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT i AS x, i * 2 + (i % 7) AS y FROM range(30000) r(i)) TO '{path}' (HEADER)")
    with open_source(path, workdir=tmp_path / "w") as source:
        expected = profile(source, sample_rows=2_000)
    monkeypatch.setattr(_profile_run.q, "sample_cutoff", lambda rows, total: 1)  # almost no hash is below 1
    with open_source(path, workdir=tmp_path / "w") as source:
        again = profile(source, sample_rows=2_000)
    assert again.correlation_sample_rows == expected.correlation_sample_rows == 2_000
    assert again.correlations == expected.correlations


def test_a_csv_is_materialised_in_file_order_and_the_setting_restored(tmp_path: Path) -> None:
    path = tmp_path / "ordered.csv"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT i, md5(i::VARCHAR) AS h FROM range(200000) r(i)) TO '{path}' (HEADER)")
    with open_source(path, workdir=tmp_path / "w") as source, connect(source) as con:
        assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone() == (False,)
        table = source.relation(con, materialize=True)
        ids = [r[0] for r in con.execute(f"SELECT i FROM {table} ORDER BY rowid").fetchall()]
        assert ids == list(range(200000))
        assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone() == (False,)
        assert source.relation(con, materialize=True) == table  # already there: not read again


def test_materialising_a_bad_csv_restores_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    with open_source(path, workdir=tmp_path / "w") as source, connect(source) as con:
        with pytest.raises(duckdb.Error):
            _csv_source._create_in_file_order(con, "t", "read_csv('/no/such/file.csv')")
        assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone() == (False,)
