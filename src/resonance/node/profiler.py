"""Profile a local source with DuckDB in bounded memory: per-column statistics and table-level facts.

    with open_source(path, workdir=work) as source, rich_progress() as progress:
        result = profile(source, k=5, progress=progress)
    json.dumps(result.as_dict())   # publishable: nothing seen fewer than k times is in it

DuckDB runs with 2 threads, a memory limit and its spill folder inside the source's work folder, so a file
of any size is profiled in about the same memory. Text sources are read once into DuckDB's columnar storage;
every further statistic comes from a handful of wide one-scan queries (basic statistics of all columns,
histograms and value counts of all columns, exact counts for suppression, duplicate rows, a deterministic
sample for correlations, and one step query per time column). What leaves ``as_dict()`` follows the small-count
rule of ``_release``: a value seen fewer than ``k`` times is never in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb

from resonance.node import _release as rel
from resonance.node._profile_run import Run
from resonance.node._progress import Tracker
from resonance.node.sources import Source

ProgressCallback = Callable[[str, float], None]
"""Called with (phase, overall fraction 0..1) while profiling, from the profiling thread or a poller thread."""

PHASES = {
    "read": "reading 读取",
    "statistics": "statistics 统计",
    "sample": "sample 抽样",
    "distributions": "distributions 分布",
    "values": "values 取值",
    "duplicates": "duplicates 重复",
    "correlations": "correlations 相关",
    "time": "time coverage 时间",
}
TOP_VALUES = 10


@dataclass
class ColumnProfile:
    """What one column looks like. ``private`` holds exact local values for quality scoring; never published."""

    name: str
    type: str  # as stored (DuckDB type)
    inferred_type: str  # what the values are: the stored type, or what most text values cast to
    kind: str  # numeric | temporal | text | boolean | other
    count: int
    nulls: int
    null_ratio: float
    empty: int = 0  # blank strings (text columns), counted as missing by quality scoring
    distinct_approx: int | None = None
    type_conforming: int | None = None  # non-missing values that fit inferred_type
    type_consistency: float | None = None
    min: Any = None
    max: Any = None
    min_exact: bool = True
    max_exact: bool = True
    mean: float | None = None
    std: float | None = None
    quantiles: dict[str, float | None] = field(default_factory=dict)
    histogram: list[dict[str, Any]] = field(default_factory=list)
    top_values: list[dict[str, Any]] = field(default_factory=list)
    suppressed_values: int | None = None  # distinct values seen fewer than k times (not published)
    top_values_exact: bool = True
    length: dict[str, float | None] = field(default_factory=dict)
    time_coverage: dict[str, Any] | None = None
    private: dict[str, Any] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready and publishable (small counts suppressed); ``private`` is left out."""
        out = {
            "name": self.name,
            "type": self.type,
            "inferred_type": self.inferred_type,
            "kind": self.kind,
            "count": self.count,
            "nulls": self.nulls,
            "null_ratio": self.null_ratio,
            "empty": self.empty,
            "distinct_approx": self.distinct_approx,
            "type_conforming": self.type_conforming,
            "type_consistency": self.type_consistency,
            "min": rel.jsonable(self.min),
            "max": rel.jsonable(self.max),
            "min_exact": self.min_exact,
            "max_exact": self.max_exact,
            "mean": rel.jsonable(self.mean),
            "std": rel.jsonable(self.std),
            "quantiles": {key: rel.jsonable(v) for key, v in self.quantiles.items()},
            "histogram": [dict(b) for b in self.histogram],
            "top_values": [dict(v) for v in self.top_values],
            "suppressed_values": self.suppressed_values,
            "top_values_exact": self.top_values_exact,
            "length": dict(self.length),
            "time_coverage": dict(self.time_coverage) if self.time_coverage else None,
        }
        return out


@dataclass
class Profile:
    """A source's profile: table-level facts and one ColumnProfile per column."""

    source: str
    kind: str
    fingerprint: str
    rows: int
    columns: list[ColumnProfile]
    duplicate_rows: int  # rows that repeat an earlier row exactly (64-bit row hash)
    duplicate_ratio: float
    correlations: list[dict[str, Any]]
    correlation_sample_rows: int
    k: int
    seconds: float = 0.0
    # A column with a distinct value in every row (counted exactly), if the profile found one: it keys the
    # node's samples (``_row_sample.row_key``). Not published.
    unique_column: str | None = None

    def column(self, name: str) -> ColumnProfile:
        """The profile of column ``name`` (KeyError if there is none)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready with stable keys; contains no value seen fewer than ``k`` times."""
        return {
            "source": self.source,
            "kind": self.kind,
            "fingerprint": self.fingerprint,
            "rows": self.rows,
            "column_count": len(self.columns),
            "duplicate_rows": self.duplicate_rows,
            "duplicate_ratio": self.duplicate_ratio,
            "k": self.k,
            "correlation_sample_rows": self.correlation_sample_rows,
            "correlations": [dict(c) for c in self.correlations],
            "columns": [c.as_dict() for c in self.columns],
            "seconds": round(self.seconds, 3),
        }


def profile(
    source: Source,
    *,
    k: int = 5,
    sample_rows: int = 100_000,
    progress: ProgressCallback | None = None,
    memory_limit: str = "700MB",
    connection: duckdb.DuckDBPyConnection | None = None,
) -> Profile:
    """Profile ``source`` (see the module docstring). Raises ResonanceError for data DuckDB cannot read.

    ``connection`` (from ``connect(source)``) lets a caller keep querying the same materialized data after
    profiling, as ``quality.assess`` does; without it the profile opens and closes its own.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    started = time.perf_counter()
    with borrowed_or_new(source, connection, memory_limit) as con:
        tracker = Tracker(con, progress, list(PHASES))
        run = Run(con, source, tracker, k=k)
        with tracker.phase("read"):
            run.open()
        columns = run.columns(top=TOP_VALUES, sample_rows=sample_rows)
        duplicates = run.duplicates()
        correlations, used = run.correlations()
        run.time_coverage(columns)
        tracker.done()
    return Profile(
        source=source.display_name,
        kind=source.kind,
        fingerprint=source.fingerprint(),
        rows=run.rows,
        columns=columns,
        duplicate_rows=duplicates,
        duplicate_ratio=round(duplicates / run.rows, 6) if run.rows else 0.0,
        correlations=correlations,
        correlation_sample_rows=used,
        k=k,
        seconds=time.perf_counter() - started,
        unique_column=run.unique_column,
    )


def connect(source: Source, memory_limit: str = "700MB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for ``source``: 2 threads, ``memory_limit``, spilling into its work folder."""
    spill = source.workdir / "duckdb-spill"
    spill.mkdir(parents=True, exist_ok=True)
    config = {
        "threads": 2,
        "memory_limit": memory_limit,
        "temp_directory": str(spill),
        "preserve_insertion_order": False,
    }
    con = duckdb.connect(":memory:", config=config)
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    return con


@contextmanager
def borrowed_or_new(
    source: Source, connection: duckdb.DuckDBPyConnection | None, memory_limit: str = "700MB"
) -> Iterator[duckdb.DuckDBPyConnection]:
    """``connection`` as it is (its owner closes it), or a new ``connect(source)`` closed at the end of the block."""
    if connection is not None:
        yield connection
        return
    with connect(source, memory_limit) as con:
        yield con


@contextmanager
def rich_progress(description: str = "Profiling 数据画像", console: Any = None) -> Iterator[ProgressCallback]:
    """A rich progress bar for the CLI; yields the callback to pass as ``profile(..., progress=…)``."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(description, total=1.0)

        def update(phase: str, fraction: float) -> None:
            bar.update(task, completed=fraction, description=f"{description} · {PHASES.get(phase, phase)}")

        yield update
