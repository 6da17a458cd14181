"""The profiler on small constructed tables: exact counts, approximate quantiles, suppression, time coverage."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import statistics
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from resonance.node.profiler import Profile, profile, rich_progress
from resonance.node.sources import open_source

RARE_TEXT = "rare_value_xyz"
RARE_NUMBER = 98765.4321
START = dt.datetime(2024, 1, 1)


def _table() -> tuple[list[str], list[list[object]]]:
    header = ["id", "grp", "val", "big", "a", "b", "ts", "day"]
    rows: list[list[object]] = []
    for i in range(200):
        rows.append(
            [
                i,
                RARE_TEXT if i in (7, 50, 120, 180) else ("common_a" if i % 2 else "common_b"),
                None if i % 20 == 0 else (i % 19) + 1,
                RARE_NUMBER if i in (3, 33, 66, 99) else 1.0 + (i % 10),
                i * 0.5,
                i * 1.0 + 1,  # b = 2a + 1
                (START + dt.timedelta(minutes=15 * i)).isoformat(sep=" "),
                (START.date() + dt.timedelta(days=i // 5)).isoformat(),
            ]
        )
    rows += [list(rows[0]), list(rows[1]), list(rows[2])]  # three exact duplicates
    return header, rows


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[Profile, list[list[object]]]:
    folder = tmp_path_factory.mktemp("profile")
    path = folder / "机床.csv"
    header, rows = _table()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    with open_source(path, workdir=folder / "work") as source:
        return profile(source, k=5), rows


def test_counts_nulls_and_basic_statistics(table: tuple[Profile, list]) -> None:
    result, rows = table
    assert (result.rows, len(result.columns)) == (203, 8)
    val = result.column("val")
    values = [r[2] for r in rows if r[2] is not None]
    assert (val.kind, val.count, val.nulls) == ("numeric", 203, 11)  # 10 + the duplicate of row 0
    assert val.null_ratio == pytest.approx(11 / 203, abs=1e-6)
    assert (val.min, val.max, val.min_exact, val.max_exact) == (1, 19, True, True)  # each seen >= 5 times
    assert val.mean == pytest.approx(statistics.fmean(values))
    assert val.std == pytest.approx(statistics.stdev(values))
    assert val.quantiles["p50"] == pytest.approx(statistics.median(values), abs=1.0)
    assert val.quantiles["p25"] == pytest.approx(statistics.quantiles(values, n=4)[0], abs=1.0)
    assert val.quantiles["p99"] == pytest.approx(19, abs=1.0)
    assert result.column("id").distinct_approx == pytest.approx(200, rel=0.05)
    lengths = [len(r[1]) for r in rows]
    assert result.column("grp").length == {
        "min": 8,
        "max": len(RARE_TEXT),
        "mean": pytest.approx(statistics.fmean(lengths)),
    }


def test_top_values_suppress_small_counts(table: tuple[Profile, list]) -> None:
    result, _ = table
    grp = result.column("grp")
    assert grp.top_values == [{"value": "common_a", "count": 100}, {"value": "common_b", "count": 99}]
    assert grp.suppressed_values == 1  # how many were held back, never which
    published = json.dumps(result.as_dict(), ensure_ascii=False, allow_nan=False)
    assert RARE_TEXT not in published
    assert str(RARE_NUMBER) not in published


def test_a_rare_extreme_is_generalised_outward(table: tuple[Profile, list]) -> None:
    big = table[0].column("big")
    assert big.max_exact is False and big.max > RARE_NUMBER
    assert big.min == 1.0 and big.min_exact is True
    assert all(v is None or v != RARE_NUMBER for v in big.quantiles.values())
    assert big.private["max"] == RARE_NUMBER  # the exact value stays on the node, for quality scoring


def test_smaller_k_publishes_more(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("grp\n" + "x\n" * 4 + "y\n" * 10, encoding="utf-8")
    with open_source(path, workdir=tmp_path / "work") as source:
        assert profile(source, k=5).column("grp").top_values == [{"value": "y", "count": 10}]
        assert profile(source, k=2).column("grp").top_values == [
            {"value": "y", "count": 10},
            {"value": "x", "count": 4},
        ]


def test_histogram_counts_sum_to_the_values(table: tuple[Profile, list]) -> None:
    result, _ = table
    for name in ("val", "big", "a"):
        column = result.column(name)
        bins = column.histogram
        assert sum(b["count"] for b in bins) == column.count - column.nulls
        assert all(b["count"] == 0 or b["count"] >= 5 for b in bins)
        assert all(left["high"] == right["low"] for left, right in itertools.pairwise(bins))
        assert bins[0]["low"] <= column.private["min"] and bins[-1]["high"] >= column.private["max"]


def test_duplicates_and_correlation(table: tuple[Profile, list]) -> None:
    result, _ = table
    assert result.duplicate_rows == 3
    assert result.duplicate_ratio == pytest.approx(3 / 203, abs=1e-6)
    pair = next(c for c in result.correlations if {c["a"], c["b"]} == {"a", "b"})
    assert pair["r"] == pytest.approx(1.0, abs=1e-9)
    assert result.correlation_sample_rows == 203


def test_time_coverage_and_granularity(table: tuple[Profile, list]) -> None:
    result, _ = table
    ts = result.column("ts")
    assert ts.kind == "temporal"
    assert ts.time_coverage == {
        "start": "2024-01-01",  # each timestamp is seen once: published as the day that holds >= k rows
        "start_precision": "day",
        "end": "2024-01-03",
        "end_precision": "day",
        "granularity_seconds": 900.0,
        "granularity": "15 min",
        "granularity_zh": "15分钟",
        "regularity": 1.0,
    }
    day = result.column("day").time_coverage
    assert day is not None
    assert (day["start"], day["start_precision"], day["granularity"]) == ("2024-01-01", "exact", "daily")


def test_parquet_text_timestamps_nan_and_infinity(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    stamps = [(START + dt.timedelta(hours=i)).isoformat(sep=" ") for i in range(48)]
    floats = [float(i % 8) for i in range(48)]
    floats[5], floats[6] = float("inf"), float("nan")
    pq.write_table(pa.table({"when": stamps, "f": floats, "note": ["n/a"] + ["ok"] * 47}), path)
    with open_source(path, workdir=tmp_path / "work") as source:
        result = profile(source)
    when = result.column("when")
    assert (when.type, when.inferred_type, when.kind) == ("VARCHAR", "TIMESTAMP", "temporal")
    assert when.time_coverage is not None and when.time_coverage["granularity"] == "hourly"
    f = result.column("f")
    finite = [v for v in floats if v == v and v != float("inf")]
    assert f.mean == pytest.approx(statistics.fmean(finite))
    assert f.max == 7.0 and sum(b["count"] for b in f.histogram) == len(finite)
    assert result.column("note").inferred_type == "VARCHAR"
    json.dumps(result.as_dict(), allow_nan=False)


def test_text_column_with_a_few_bad_numbers(tmp_path: Path) -> None:
    path = tmp_path / "dirty.csv"
    path.write_text("reading\n" + "".join(f"{i}.5\n" for i in range(95)) + "坏\n" * 5, encoding="utf-8")
    with open_source(path, workdir=tmp_path / "work") as source:
        reading = profile(source).column("reading")
    assert (reading.type, reading.inferred_type) == ("VARCHAR", "DOUBLE")
    assert (reading.type_conforming, reading.type_consistency) == (95, 0.95)
    assert reading.mean == pytest.approx(47.5)


def test_high_cardinality_columns(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    lines = [f"name_{i},{i / 1000}" for i in range(12_000)] + ["frequent,0.0"] * 50
    path.write_text("name,x\n" + "\n".join(lines) + "\n", encoding="utf-8")
    with open_source(path, workdir=tmp_path / "work") as source:
        result = profile(source)
    name = result.column("name")
    assert name.top_values == [{"value": "frequent", "count": 50}]
    assert (name.suppressed_values, name.top_values_exact) == (12_000, True)
    x = result.column("x")
    assert x.top_values == [{"value": 0.0, "count": 51}]
    assert x.top_values_exact is False and x.suppressed_values is None


def test_progress_reaches_the_end(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(100)), encoding="utf-8")
    seen: list[tuple[str, float]] = []
    with open_source(path, workdir=tmp_path / "work") as source:
        profile(source, progress=lambda phase, fraction: seen.append((phase, fraction)))
        out = io.StringIO()
        with rich_progress(console=Console(file=out, width=100)) as update:
            profile(source, progress=update)
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and seen[-1] == ("done", 1.0)
    assert {"read", "statistics", "distributions", "duplicates"} <= {p for p, _ in seen}
    assert "100%" in out.getvalue()


@pytest.mark.slow
def test_ten_thousand_columns_profile(tmp_path: Path) -> None:
    width = 10_000
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(width))
    body = "\n".join(",".join(str((r * 7 + i) % 13) for i in range(width)) for r in range(20))
    path.write_text(header + "\n" + body + "\n", encoding="utf-8")
    with open_source(path, workdir=tmp_path / "work") as source:
        result = profile(source)
    assert (result.rows, len(result.columns)) == (20, width)
    assert result.column("c9999").count == 20
