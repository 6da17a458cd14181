"""The SQL the profiler runs: wide one-scan aggregates built column by column, in chunks of columns.

Each builder returns ``Items``: select expressions with the (column, statistic) each result lands in, so
that a chunk of 10,000 columns is as easy to read back as a chunk of three.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from resonance.node import _row_sample
from resonance.node._row_sample import ROW_HASH, keyed_rows_sql
from resonance.node.sources import quote_ident

QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
QUANTILE_KEYS = tuple(f"p{round(q * 100)}" for q in QUANTILES)
BINS = 20
# Text columns: the first of these types that at least TYPE_MAJORITY of the non-blank values in a sample of
# TEXT_SAMPLE_ROWS cast to (casting every value of every text column costs more than all other statistics).
TEXT_CANDIDATES = ("DOUBLE", "TIMESTAMP")
TYPE_MAJORITY = 0.9
TEXT_SAMPLE_ROWS = 20_000
COLUMNS_PER_QUERY = 120
# Aggregates per one-scan query. Each holds per-thread vectors, and DuckDB's time for map-building aggregates
# (histogram, approx_top_k) grows faster than linearly with their number in one query: those cost MAP_COST.
QUERY_BUDGET = 400
MAP_COST = 10

_NUMERIC = re.compile(r"^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|REAL|DECIMAL.*)$")
_TEMPORAL = re.compile(r"^(DATE|TIMESTAMP.*)$")


def kind_of(duckdb_type: str) -> str:
    """numeric | temporal | text | boolean | other, from a DuckDB type name."""
    name = duckdb_type.upper()
    if _NUMERIC.match(name):
        return "numeric"
    if _TEMPORAL.match(name):
        return "temporal"
    if name == "VARCHAR":
        return "text"
    if name == "BOOLEAN":
        return "boolean"
    return "other"


@dataclass
class Plan:
    """How one column is read: its stored type and, once inferred, the typed expression over it."""

    index: int
    name: str
    storage: str
    inferred: str = ""
    expr: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    guard: bool = False  # read NaN and infinities as NULL (set once a float column is found to hold some)

    def __post_init__(self) -> None:
        self.inferred = self.inferred or self.storage
        self.expr = self.expr or quote_ident(self.name)

    @property
    def quoted(self) -> str:
        return quote_ident(self.name)

    @property
    def kind(self) -> str:
        return kind_of(self.inferred)

    @property
    def recast(self) -> bool:
        return self.inferred != self.storage


@dataclass
class Items:
    """Select expressions and where each result goes: (plan, statistic name)."""

    exprs: list[str] = field(default_factory=list)
    targets: list[tuple[Plan, str]] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    cost: int = 0
    param_counts: list[int] = field(default_factory=list)

    def add(self, plan: Plan, stat: str, expr: str, *params: Any, cost: int = 1) -> None:
        self.exprs.append(expr)
        self.targets.append((plan, stat))
        self.params.extend(params)
        self.param_counts.append(len(params))
        self.cost += cost

    def split(self, parts: int) -> list[Items]:
        """The same expressions as up to ``parts`` Items of about equal length, in order."""
        size = max(1, -(-len(self.exprs) // max(parts, 1)))
        out, used = [], 0
        for start in range(0, len(self.exprs), size):
            count = sum(self.param_counts[start : start + size])
            out.append(
                Items(
                    exprs=self.exprs[start : start + size],
                    targets=self.targets[start : start + size],
                    params=self.params[used : used + count],
                    param_counts=self.param_counts[start : start + size],
                )
            )
            used += count
        return out

    def sql(self, relation: str) -> str:
        body = ", ".join(f"{e} AS _{i}" for i, e in enumerate(self.exprs))
        return f"SELECT {body} FROM {relation}"

    def store(self, row: tuple[Any, ...]) -> None:
        for (plan, stat), value in zip(self.targets, row, strict=True):
            plan.stats[stat] = value


def chunks(plans: list[Plan], size: int = COLUMNS_PER_QUERY) -> Iterator[list[Plan]]:
    for start in range(0, len(plans), size):
        yield plans[start : start + size]


def _double(plan: Plan) -> str:
    return f"CAST({plan.expr} AS DOUBLE)"


def floating(plan: Plan) -> bool:
    """Whether the column's values are floating point (and so may be NaN or infinite)."""
    return plan.inferred.upper() in ("DOUBLE", "FLOAT", "REAL")


def finite(plan: Plan) -> str:
    """The column as DOUBLE, NULL where it is NaN or infinite (once ``plan.guard`` says there are such values)."""
    x = _double(plan)
    return f"(CASE WHEN isfinite({x}) THEN {x} END)" if plan.guard else x


def basic_items(plan: Plan, items: Items) -> None:
    """Counts and the statistics of the column's kind (phase 1; phase 1b for recast text columns)."""
    expr, kind = plan.expr, plan.kind
    items.add(plan, "non_null", f"count({expr})")
    if kind == "other":
        return
    items.add(plan, "distinct", f"approx_count_distinct({expr})")
    if kind == "numeric":
        # Only floating-point values can be NaN or infinite. They are counted first; a column that has some is
        # read again with a CASE guard (not a FILTER clause: DuckDB evaluates each FILTER separately).
        x = finite(plan)
        items.add(plan, "min", f"min({x})")
        items.add(plan, "max", f"max({x})")
        items.add(plan, "mean", f"avg({x})")
        items.add(plan, "std", f"stddev_samp({x})")
        if plan.guard:
            items.add(plan, "finite", f"count({x})")
        elif floating(plan):
            items.add(plan, "nonfinite", f"count_if(NOT isfinite({x}))")
        quantiles = ", ".join(str(q) for q in QUANTILES)
        items.add(plan, "quantiles", f"approx_quantile({x}, [{quantiles}])")
    elif kind == "temporal":
        items.add(plan, "min", f"min({expr})")
        items.add(plan, "max", f"max({expr})")
    elif kind == "boolean":
        items.add(plan, "true", f"count_if({expr})")
    elif kind == "text":
        items.add(plan, "empty", f"count_if({blank(expr)})")
        items.add(plan, "len_min", f"min(length({expr}))")
        items.add(plan, "len_max", f"max(length({expr}))")
        items.add(plan, "len_mean", f"avg(length({expr}))")


# The characters DuckDB's trim() removes (Unicode Zs; tests/node/test_profiler.py checks it against DuckDB).
TRIMMED = (32, 160, 5760, *range(8192, 8203), 8239, 8287, 12288)


def blank(expr: str) -> str:
    """``trim(expr) = ''`` without trimming every value: trimming allocates a new string per row and costs more
    than all other statistics of a text column; only values that start with a trimmed character need it."""
    codes = ", ".join(str(c) for c in TRIMMED)
    return (
        f"CASE WHEN {expr} = '' THEN true WHEN ord({expr}) IN ({codes}) THEN trim({expr}) = '' "
        f"WHEN {expr} IS NOT NULL THEN false END"
    )


def text_sample_sql(relation: str, plans: list[Plan], total: int, key: str = ROW_HASH) -> str:
    """About TEXT_SAMPLE_ROWS rows of the text columns, for type inference: chosen by their ``key`` (a hash), so
    the same whatever the order of the rows (``_row_sample``)."""
    columns = ", ".join(p.quoted for p in plans)
    fraction = TEXT_SAMPLE_ROWS / total if total else 1.0
    return f"SELECT {columns} FROM ({keyed_rows_sql(relation, [p.quoted for p in plans], fraction, key)})"


def text_type_items(plan: Plan, items: Items) -> None:
    """How many sampled values of a text column are filled, and how many cast to each candidate type."""
    x = plan.quoted
    items.add(plan, "sample_filled", f"count_if(trim({x}) <> '')")
    for candidate in TEXT_CANDIDATES:
        items.add(plan, f"sample_{candidate}", f"count(TRY_CAST({x} AS {candidate}))")


def infer_text_type(plan: Plan) -> None:
    """Give a text column whose sampled values mostly cast to a stricter type that type (read with TRY_CAST);
    how many of all its values fit is then counted exactly (``conforming``)."""
    stats = plan.stats
    stats["conforming"] = (stats.get("non_null") or 0) - (stats.get("empty") or 0)
    filled = stats.get("sample_filled") or 0
    if filled <= 0:
        return
    for candidate in TEXT_CANDIDATES:
        if (stats.get(f"sample_{candidate}") or 0) / filled >= TYPE_MAJORITY:
            plan.inferred = candidate
            plan.expr = f"TRY_CAST({plan.quoted} AS {candidate})"
            plan.guard = candidate == "DOUBLE"  # 'inf' and 'nan' are numbers to TRY_CAST
            return


def histogram_expr(plan: Plan, low: float, width: float) -> str:
    """An exact histogram of BINS equal-width bins starting at ``low``, as a bin→count map."""
    x = finite(plan)
    return f"histogram(greatest(0, least({BINS - 1}, floor(({x} - {low!r}) / {width!r})::INTEGER)))"


UNPIVOT_COLUMNS = 500
# GROUPING SETS pay off from about this many rows (measured: ~9 ms per set against ~35 ns per value saved);
# at most GROUPING_SETS_COLUMNS sets per query (200 sets overran a 700 MB limit).
GROUPING_SETS_ROWS = 250_000
GROUPING_SETS_COLUMNS = 25
_INTEGER = re.compile(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$")


def value_family(plan: Plan) -> str:
    """The type a column's values are compared in when counted together with other columns."""
    name = plan.inferred.upper()
    if _INTEGER.match(name):
        return "HUGEINT"
    if plan.kind == "numeric":
        return "DOUBLE"
    return name


def value_counts_sql(relation: str, plans: list[Plan], family: str, *, grouping_sets: bool = False) -> str:
    """(c<i>, value, count) for every non-null value of the columns ``plans`` (NaN and infinities left out).

    By default UNPIVOT, then one GROUP BY. With ``grouping_sets``: one scan with a GROUPING SET per column;
    each result row holds the value of its own set's column and NULL in the others, so UNPIVOT of that (small)
    result, which drops NULLs, gives the same (column, value) pairs and leaves out each column's NULL group.
    On large tables that takes half the CPU (the long (column, value) stream of UNPIVOT is never made), but
    each set has a hash table of its own, a fixed cost of milliseconds and memory: see GROUPING_SETS_ROWS."""
    exprs = [finite(p) if family == "DOUBLE" else p.expr for p in plans]
    select = ", ".join(f"CAST({e} AS {family}) AS c{i}" for i, e in enumerate(exprs))
    names = ", ".join(f"c{i}" for i in range(len(plans)))
    if not grouping_sets:
        return (
            f"SELECT n, v, count(*) FROM (UNPIVOT (SELECT {select} FROM {relation}) ON {names} "
            "INTO NAME n VALUE v) GROUP BY ALL"
        )
    sets = ", ".join(f"(c{i})" for i in range(len(plans)))
    return (
        f"SELECT n, v, c FROM (UNPIVOT (SELECT {names}, count(*) AS c FROM (SELECT {select} FROM {relation}) "
        f"GROUP BY GROUPING SETS ({sets})) ON {names} INTO NAME n VALUE v)"
    )


SEEN_COLUMNS = 50


def seen_family(plan: Plan) -> str:
    """The type a column's candidate values are joined in (``seen_sql``): finite DOUBLE for numbers."""
    return "DOUBLE" if plan.kind == "numeric" else plan.inferred.upper()


def seen_sql(relation: str, plans: list[Plan]) -> tuple[str, list[Any]]:
    """(i, value, count) for each value of ``plans[i].stats["wanted"]`` found in its column, and the parameters:
    each column semi-joined with its candidates (a hash probe per row), one UNION ALL branch per column. The
    columns must share ``seen_family``; a value absent from the column gives no row."""
    branches, params = [], []
    for i, plan in enumerate(plans):
        x = finite(plan) if plan.kind == "numeric" else plan.expr
        wanted = plan.stats["wanted"]
        values = ", ".join("(?)" for _ in wanted)
        branches.append(
            f"SELECT {i} AS i, t.v, count(*) FROM (SELECT {x} AS v FROM {relation}) AS t "
            f"SEMI JOIN (VALUES {values}) AS w(v) ON t.v = w.v GROUP BY t.v"
        )
        params.extend(wanted)
    return " UNION ALL ".join(branches), params


def bin_of(value: float, low: float, width: float) -> int:
    """The bin ``histogram_expr`` puts ``value`` in (the same arithmetic, in Python)."""
    return max(0, min(BINS - 1, math.floor((value - low) / width)))


def duplicates_sql(relation: str) -> str:
    """(groups of identical rows, rows in them); identity by a 64-bit hash of the whole row."""
    return (
        "SELECT count(*), coalesce(sum(c), 0) FROM ("
        f"SELECT count(*) AS c FROM (SELECT {ROW_HASH} AS h FROM {relation}) GROUP BY h HAVING count(*) > 1)"
    )


def sample_sql(
    relation: str, plans: list[Plan], rows: int, total: int, *, cutoff: bool = True, key: str | None = None
) -> str:
    """A deterministic sample of ``rows`` rows: those with the smallest hashes of the sampled columns (rows that
    tie agree on every sampled value, so which of them is taken does not matter), or of ``key`` (an expression
    no two rows tie on, e.g. the hash of a unique column). Numbers as finite DOUBLEs.

    With ``cutoff`` only rows whose hash is below ``sample_cutoff`` (about 1.5 × ``rows`` of them) are sorted,
    which gives the same rows unless fewer than ``rows`` pass it: count the result and, when it is short, run
    the query again with ``cutoff=False``."""
    exprs = [finite(p) if p.kind == "numeric" else p.expr for p in plans]
    select = ", ".join(f"{e} AS c{i}" for i, e in enumerate(exprs))
    if total <= rows:
        return f"SELECT {select} FROM {relation}"
    key = key or f"hash({', '.join(exprs)})"
    where = f" WHERE {key} < {sample_cutoff(rows, total)}" if cutoff and 1.5 * rows < total else ""
    return f"SELECT {select} FROM {relation}{where} ORDER BY {key} LIMIT {int(rows)}"


def sample_cutoff(rows: int, total: int) -> int:
    """A 64-bit hash below which about 1.5 × ``rows`` of ``total`` uniformly hashed rows fall."""
    return _row_sample.cutoff(1.5 * rows / total)  # (sample_sql's argument ``cutoff`` is a flag)


def granularity_sql(relation: str, plan: Plan, *, mostly_distinct: bool = False) -> str:
    """The most common step between consecutive distinct times: (seconds, steps with it, all steps).

    ``mostly_distinct``: most values occur once, so the times are sorted as they are and the zero steps between
    repeats are dropped, which gives the same steps as sorting the distinct times but skips hashing every value
    (a third of the CPU on a million timestamps); with many repeats, DISTINCT first leaves far less to sort."""
    distinct = "" if mostly_distinct else "DISTINCT "
    steps = "d > 0 AND NOT isnan(d)" if mostly_distinct else "d IS NOT NULL"  # inf - inf between repeats is NaN
    return (
        "SELECT d, c, sum(c) OVER () FROM (SELECT d, count(*) AS c FROM ("
        "SELECT epoch(x) - lag(epoch(x)) OVER (ORDER BY x) AS d FROM ("
        f"SELECT {distinct}{plan.expr} AS x FROM {relation} WHERE {plan.expr} IS NOT NULL)"
        f") WHERE {steps} GROUP BY d) ORDER BY c DESC, d LIMIT 1"
    )


_UNITS = (
    (365 * 86400, "year", "年"),
    (7 * 86400, "week", "周"),
    (86400, "day", "天"),
    (3600, "h", "小时"),
    (60, "min", "分钟"),
    (1, "s", "秒"),
)
_NAMED = {
    1: ("1 s", "每秒"),
    60: ("1 min", "每分钟"),
    3600: ("hourly", "每小时"),
    86400: ("daily", "每日"),
    7 * 86400: ("weekly", "每周"),
}


def describe_step(seconds: float) -> tuple[str, str]:
    """('15 min', '15分钟') / ('daily', '每日') for a step in seconds."""
    if seconds in _NAMED:
        return _NAMED[int(seconds)]
    if 28 * 86400 <= seconds <= 31 * 86400:
        return "monthly", "每月"
    if 365 * 86400 <= seconds <= 366 * 86400:
        return "yearly", "每年"
    for size, en, zh in _UNITS:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {en}", f"{count}{zh}"
    return f"{seconds:g} s", f"{seconds:g}秒"
