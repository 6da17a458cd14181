"""The profiler's SQL shortcuts give exactly what the plain SQL gives: blank text, the hash-ordered sample with
its cutoff; and samples keyed by row hash, which do not depend on the order of the rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from resonance.node import _profile_queries as q
from resonance.node import _profile_run, _row_sample
from resonance.node.profiler import profile
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


def _shuffled_copies(tmp_path: Path, with_id: bool) -> tuple[Path, Path]:
    """The same 60,000 rows twice: in order, and shuffled (with a column named ``t``, which once shadowed the
    row in ``hash(t)``); ``with_id``: with a column unique per row, which then keys the samples."""
    body = (
        f"SELECT {'i, ' if with_id else ''}i % 3 AS t, CASE WHEN i % 4 = 0 THEN NULL "
        "ELSE '13' || lpad((i * 7919 % 1000000000)::VARCHAR, 9, '0') END AS phone, "
        "CASE WHEN i % 10 = 0 THEN i::VARCHAR ELSE 'note ' || (i % 50) END AS note, "
        "CASE WHEN i % 5 = 0 THEN 'r' || i END AS rare FROM range(60000) r(i)"
    )
    ordered, shuffled = tmp_path / "ordered.csv", tmp_path / "shuffled.csv"
    with duckdb.connect() as con:
        con.execute(f"COPY ({body} ORDER BY i) TO '{ordered}' (HEADER)")
        con.execute(f"COPY ({body} ORDER BY hash(i * 31 + 7)) TO '{shuffled}' (HEADER)")
    return ordered, shuffled


@pytest.mark.parametrize("with_id", [True, False])
def test_samples_do_not_depend_on_the_order_of_rows(tmp_path: Path, with_id: bool) -> None:
    from resonance.node.pipeline import analyse

    results = []
    for path in _shuffled_copies(tmp_path, with_id):
        with open_source(path, workdir=tmp_path / path.stem) as source:
            found = analyse(source)
        assert found.profile.unique_column == ("i" if with_id else None)
        results.append(
            (
                [s.as_dict() for s in found.sensitivity],
                [(c.name, c.inferred_type, c.type_conforming) for c in found.profile.columns],
                found.profile.duplicate_rows,
            )
        )
    assert results[0] == results[1]
    scans = {s["column"]: s for s in results[0][0]}
    assert scans["phone"]["sampling"] == "row-hash" and scans["phone"]["sampled"] == 10_000
    assert scans["note"]["sampled"] == 10_000 and scans["t"]["non_null"] == 60_000
    assert (scans["rare"]["non_null"], scans["rare"]["sampled"]) == (12_000, 10_000)  # drawn from every row
    assert scans["phone"]["flagged_kinds"] == ["mobile"]


def test_the_row_hash_is_of_the_whole_row_whatever_the_headers() -> None:
    with duckdb.connect() as con:
        con.execute("CREATE TABLE x AS SELECT i % 2 AS t, i % 2 AS __row_key, i AS j FROM range(10) r(i)")
        assert con.execute(f"SELECT count(DISTINCT {_row_sample.ROW_HASH}) FROM x AS t").fetchone() == (10,)
        assert con.execute(q.duplicates_sql("x")).fetchone() == (0, 0)
        con.execute("INSERT INTO x VALUES (0, 0, 0), (0, 0, 0)")
        assert con.execute(q.duplicates_sql("x")).fetchone() == (1, 3)


def test_keyed_rows_take_about_the_fraction_asked() -> None:
    with duckdb.connect() as con:
        con.execute("CREATE TABLE x AS SELECT i, i % 7 AS b FROM range(200000) r(i)")
        (n,) = con.execute(f"SELECT count(*) FROM ({_row_sample.keyed_rows_sql('x', ['i'], 0.05)})").fetchone()
        (every,) = con.execute(f"SELECT count(*) FROM ({_row_sample.keyed_rows_sql('x', ['i'], 1.0)})").fetchone()
    assert 9_400 < n < 10_600 and every == 200_000


def _mixed_table(con: duckdb.DuckDBPyConnection) -> list[q.Plan]:
    con.execute(
        "CREATE TABLE t AS SELECT i % 7 AS a, CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 3) * 0.5 END AS b, "
        "CASE WHEN i % 11 = 0 THEN 'nan'::DOUBLE WHEN i % 13 = 0 THEN 'inf'::DOUBLE ELSE i % 4 END AS c, "
        "'v' || (i % 9) AS d, CASE WHEN i % 2 = 0 THEN NULL ELSE '甲' || (i % 3) END AS e, "
        "TIMESTAMP '2024-01-01' + INTERVAL (i % 6) HOUR AS f FROM range(1000) r(i)"
    )
    plans = _plans(con)
    plans[2].guard = True  # a float column found to hold NaN / infinity
    return plans


@pytest.mark.parametrize("family", ["HUGEINT", "DOUBLE", "VARCHAR", "TIMESTAMP"])
def test_value_counts_by_grouping_sets_are_those_by_unpivot(family: str) -> None:
    with duckdb.connect() as con:
        plans = _mixed_table(con)
        chosen = {
            "HUGEINT": [plans[0]],
            "DOUBLE": [plans[1], plans[2], plans[0]],
            "VARCHAR": [plans[3], plans[4]],
            "TIMESTAMP": [plans[5]],
        }[family]
        plain = con.execute(q.value_counts_sql("t", chosen, family)).fetchall()
        sets = con.execute(q.value_counts_sql("t", chosen, family, grouping_sets=True)).fetchall()
    assert sorted(sets, key=repr) == sorted(plain, key=repr)
    assert all(value is not None for _, value, _ in sets)  # each column's NULL group is left out
    if family == "VARCHAR":
        assert ("c1", "甲1", 167) in sets and len(sets) == 9 + 3


def test_candidate_counts_by_semi_join_are_those_of_an_in_list() -> None:
    with duckdb.connect() as con:
        plans = _mixed_table(con)
        numeric, stamps = [plans[1], plans[2], plans[0]], [plans[5]]
        for plan, wanted in zip(numeric, [[0.5, 1.0, 7.0, 0.5], [1.0, 3.0, 99.0], [0.0, 6.0]], strict=True):
            plan.stats["wanted"] = wanted
        stamps[0].stats["wanted"] = [dt.datetime(2024, 1, 1, 2), dt.datetime(2024, 1, 1, 5), dt.datetime(2023, 1, 1)]
        found: dict[str, dict] = {p.name: {} for p in numeric + stamps}
        expected: dict[str, dict] = {}
        for group in (numeric, stamps):
            assert len({q.seen_family(p) for p in group}) == 1
            sql, params = q.seen_sql("t", group)
            for index, value, count in con.execute(sql, params).fetchall():
                found[group[index].name][value] = count
            for plan in group:
                x = q.finite(plan) if plan.kind == "numeric" else plan.expr
                marks = ", ".join("?" for _ in plan.stats["wanted"])
                (row,) = con.execute(
                    f"SELECT histogram(CASE WHEN {x} IN ({marks}) THEN {x} END) FROM t", plan.stats["wanted"]
                ).fetchall()
                expected[plan.name] = dict(row[0] or {})
    assert found == expected
    assert found["b"] == {0.5: 267, 1.0: 266} and found["f"] == {
        dt.datetime(2024, 1, 1, 2): 167,
        dt.datetime(2024, 1, 1, 5): 166,
    }


def _mixed_csv(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.csv"
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT i % 7 AS a, CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 3) * 0.5 END AS b, "
            "(i * 7919) % 20011 AS big, 'v' || (i % 9) AS d, '甲' || (i % 4) AS e, "
            "TIMESTAMP '2024-01-01' + INTERVAL (i % 6) HOUR AS f, TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS g "
            f"FROM range(30000) r(i)) TO '{path}' (HEADER)"
        )
    return path


def test_the_profile_with_grouping_sets_is_the_profile_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _mixed_csv(tmp_path)
    with open_source(path, workdir=tmp_path / "w") as source:
        plain = profile(source).as_dict()
    monkeypatch.setattr(q, "GROUPING_SETS_ROWS", 0)
    monkeypatch.setattr(q, "GROUPING_SETS_COLUMNS", 2)
    sent: list[str] = []
    real = q.value_counts_sql
    monkeypatch.setattr(q, "value_counts_sql", lambda *a, **k: sent.append(real(*a, **k)) or sent[-1])
    with open_source(path, workdir=tmp_path / "w") as source:
        sets = profile(source).as_dict()
    assert sent and all("GROUPING SETS" in sql for sql in sent)
    plain.pop("seconds"), sets.pop("seconds")
    assert sets == plain
    assert plain["columns"][2]["top_values_exact"] is False  # 'big' went through the candidate semi-join


def test_duplicates_are_not_grouped_when_a_column_is_unique(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "dup.csv"
    with duckdb.connect() as con:  # 'serial' is unique text (exactly counted); rows 0-99 repeat as rows 100-199
        con.execute(f"COPY (SELECT i % 100 AS a, 'x' || (i % 100) AS b FROM range(200) r(i)) TO '{path}' (HEADER)")
        con.execute(
            f"COPY (SELECT i % 100 AS a, 'x' || (i % 100) AS b, 'S' || i AS serial FROM range(200) r(i)) "
            f"TO '{tmp_path / 'unique.csv'}' (HEADER)"
        )
    with open_source(path, workdir=tmp_path / "w") as source:
        assert profile(source).duplicate_rows == 100
    monkeypatch.setattr(q, "duplicates_sql", lambda relation: pytest.fail("the row hashes were grouped"))
    with open_source(tmp_path / "unique.csv", workdir=tmp_path / "w") as source:
        assert profile(source).duplicate_rows == 0
    with open_source(path, workdir=tmp_path / "w") as source, pytest.raises(pytest.fail.Exception):
        profile(source)  # no unique column: the GROUP BY of row hashes is still what counts them


def test_a_likely_unique_number_is_confirmed_by_one_exact_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, near = tmp_path / "ids.csv", tmp_path / "near.csv"
    with duckdb.connect() as con:  # 'id' has too many values for exact top values; 'near' repeats one value once
        con.execute(f"COPY (SELECT i * 7 AS id, i % 3 AS a FROM range(50000) r(i)) TO '{path}' (HEADER)")
        con.execute(
            f"COPY (SELECT greatest(i, 1) AS near, greatest(i, 1) % 3 AS a FROM range(50000) r(i)) TO '{near}' (HEADER)"
        )
    with open_source(near, workdir=tmp_path / "n") as source:
        found = profile(source)
    assert (found.unique_column, found.duplicate_rows) == (None, 1)  # near-unique is not unique: rows 0 and 1 agree
    monkeypatch.setattr(q, "duplicates_sql", lambda relation: pytest.fail("the row hashes were grouped"))
    with open_source(path, workdir=tmp_path / "w") as source:
        found = profile(source)
    assert (found.unique_column, found.duplicate_rows) == ("id", 0)


def test_a_unique_text_column_is_not_grouped_and_profiles_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "serials.csv"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT 'SN-' || (i * 13) AS serial, i % 9 AS a FROM range(30000) r(i)) TO '{path}' (HEADER)"
        )
    with open_source(path, workdir=tmp_path / "w") as source:
        fast = profile(source)
    monkeypatch.setattr(_profile_run.Run, "_confirmed_unique", lambda self: None)
    with open_source(path, workdir=tmp_path / "w") as source:
        grouped = profile(source)
    assert fast.unique_column == "serial" and grouped.unique_column == "serial"  # found by its exact count instead
    assert fast.column("serial").as_dict() == grouped.column("serial").as_dict()
    assert fast.column("serial").suppressed_values == 30000 and fast.column("serial").top_values == []


@pytest.mark.parametrize(
    "values",
    [
        "TIMESTAMP '2024-01-01' + to_minutes((i // 3)::BIGINT)",  # each time three times
        "CASE WHEN i % 7 = 0 THEN NULL ELSE TIMESTAMP '2024-01-01' + to_seconds((i * i % 5000)::BIGINT) END",
        "CASE WHEN i % 50 = 0 THEN 'infinity'::TIMESTAMP ELSE TIMESTAMP '2024-01-01' + to_hours(i::BIGINT) END",
        "DATE '2024-01-01' + (i % 40)::INTEGER",
    ],
)
def test_granularity_without_distinct_is_granularity_with_it(values: str) -> None:
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE t AS SELECT {values} AS x FROM range(3000) r(i)")
        (plan,) = _plans(con)
        sorted_all = con.execute(q.granularity_sql("t", plan, mostly_distinct=True)).fetchall()
        distinct_first = con.execute(q.granularity_sql("t", plan)).fetchall()
    assert sorted_all == distinct_first and sorted_all
