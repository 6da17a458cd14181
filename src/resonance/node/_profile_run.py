"""One profiling run: the phases of ``profiler.profile`` against one DuckDB connection, and their progress."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import duckdb

from resonance.errors import ResonanceError
from resonance.node import _profile_queries as q
from resonance.node import _release as rel
from resonance.node._progress import Tracker
from resonance.node._row_sample import row_key
from resonance.node.sources import Source

if TYPE_CHECKING:
    from resonance.node.profiler import ColumnProfile

TOP_EXACT_LIMIT = 10_000  # columns with at most this many distinct values get an exact value→count map
TOP_CANDIDATES = 10  # frequent values looked for in the sample (then counted exactly) for the other columns
MAX_CORRELATION_COLUMNS = 30
MAX_SAMPLED_HEAVY = 200
# HyperLogLog's error is a few per cent: a column this close to one distinct value per row may be unique.
UNIQUE_LIKELY = 0.95
_PROGRAMMING = (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException)


class Run:
    """The state of one profile: the relation, its rows, one query plan per column."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: Source, tracker: Tracker, *, k: int) -> None:
        self.con, self.source, self.tracker, self.k = con, source, tracker, k
        self.relation = ""
        self.rows = 0
        self.plans: list[q.Plan] = []
        self.correlated: list[q.Plan] = []
        self.sampled: list[q.Plan] = []
        self.unique_column: str | None = None  # a column with a distinct value per row, once one is known
        self.sample_rows = 0

    def query(
        self, sql: str, params: list[Any] | None = None, con: duckdb.DuckDBPyConnection | None = None
    ) -> list[tuple[Any, ...]]:
        """Run ``sql``; a reading error becomes the source's ResonanceError (programming errors stay as they are)."""
        try:
            return (con or self.con).execute(sql, params or []).fetchall()
        except _PROGRAMMING:
            raise
        except duckdb.OutOfMemoryException:
            raise ResonanceError(
                what="profiling needed more memory than its limit allows",
                where=self.source.display_name,
                fix="raise the profiler's memory limit (memory_limit=…), or profile fewer columns at a time",
                code="profile_memory",
                status=507,
            ) from None
        except duckdb.Error as exc:
            raise self.source.explain(exc) from None

    def query_small(self, items: q.Items, table: str) -> None:
        """``items`` over a small ``table`` (one row group, which DuckDB scans on one thread), run as two queries
        at once on cursors of their own, so that both cores work; the results land in the plans."""
        halves = items.split(2)
        if len(halves) < 2:
            (row,) = self.query(items.sql(table), items.params)
            items.store(row)
            return

        def run(half: q.Items) -> tuple[Any, ...]:
            with self.con.cursor() as cursor:
                (row,) = self.query(half.sql(table), half.params, cursor)
            return row

        with ThreadPoolExecutor(len(halves), thread_name_prefix="resonance-profile") as pool:
            for half, row in zip(halves, pool.map(run, halves), strict=True):
                half.store(row)

    def open(self) -> None:
        self.relation = self.source.relation(self.con, materialize=True)
        described = self.query(f"DESCRIBE SELECT * FROM {self.relation}")
        self.plans = [q.Plan(i, row[0], row[1]) for i, row in enumerate(described)]
        self.rows = int(self.query(f"SELECT count(*) FROM {self.relation}")[0][0])

    def _wide(
        self, build: Callable[[q.Plan, q.Items], None], plans: list[q.Plan], share: float = 1.0, relation: str = ""
    ) -> None:
        """Run ``build``'s aggregates for all ``plans`` in as few one-scan queries as the budget allows (each
        aggregate holds vectors per thread, and map-building aggregates slow down when there are many)."""
        items = q.Items()
        start = self.tracker.within
        for done, plan in enumerate(plans, start=1):
            build(plan, items)
            if items.cost >= q.QUERY_BUDGET or done == len(plans):
                if items.exprs and relation:
                    self.query_small(items, relation)
                elif items.exprs:
                    (row,) = self.query(items.sql(self.relation), items.params)
                    items.store(row)
                items = q.Items()
                self.tracker.at(start + share * done / len(plans))

    # -- per-column statistics ------------------------------------------------------------------------------------
    def columns(self, *, top: int, sample_rows: int) -> list[ColumnProfile]:
        """Statistics of every column; leaves the deterministic sample in ``_profile_sample`` for correlations."""
        with self.tracker.phase("statistics"):
            self._statistics()
        with self.tracker.phase("sample", 2):
            self._sample(sample_rows)
        with self.tracker.phase("distributions"):
            self._value_counts(share=0.5)
            self._wide(self._distribution_items, self.plans, share=0.4)
            self._seen(share=0.1)
        heavy_text = [p for p in self.plans if p.stats.get("heavy") == "text"]
        with self.tracker.phase("values", len(heavy_text)):
            for plan in heavy_text:
                self._text_values(plan, top)
                self.tracker.step()
        return [self._column(plan, top) for plan in self.plans]

    def _statistics(self) -> None:
        plans = self.plans
        self._wide(q.basic_items, plans, share=0.7)
        unique = self._confirmed_unique()
        self.unique_column = unique.name if unique is not None else None
        text = [p for p in plans if p.kind == "text" and p.stats.get("non_null")]
        if text:
            sample = q.text_sample_sql(self.relation, text, self.rows, row_key(self.unique_column))
            self.query(f"CREATE OR REPLACE TABLE _text_sample AS {sample}")  # not TEMP: cursors read it too
            self._wide(q.text_type_items, text, share=0.1, relation="_text_sample")
            self.query("DROP TABLE _text_sample")
        again = []
        for plan in plans:
            if plan.kind == "text":
                plan.stats.update(raw_non_null=plan.stats["non_null"], raw_distinct=plan.stats["distinct"])
                q.infer_text_type(plan)
                if plan.recast:
                    again.append(plan)
            elif plan.stats.get("nonfinite"):
                plan.guard = True
                again.append(plan)
        self._wide(q.basic_items, again, share=0.2)
        for plan in plans:
            if plan.recast:
                plan.stats["conforming"] = plan.stats["non_null"]  # the values TRY_CAST could read
            if plan.kind == "numeric" and "finite" not in plan.stats:
                plan.stats["finite"] = (plan.stats.get("non_null") or 0) - (plan.stats.get("nonfinite") or 0)

    def _sample(self, sample_rows: int) -> None:
        """The deterministic sample: correlation columns and high-cardinality numeric/time columns (whose
        frequent values are looked for in the sample and then counted exactly in the whole table)."""
        numeric = [p for p in self.plans if p.kind == "numeric" and p.stats.get("std") and p.stats["finite"] > 2]
        self.correlated = numeric[:MAX_CORRELATION_COLUMNS]
        heavy = [
            p
            for p in self.plans
            if p.kind in ("numeric", "temporal") and (p.stats.get("distinct") or 0) > TOP_EXACT_LIMIT
        ][:MAX_SAMPLED_HEAVY]
        chosen = {p.index for p in self.correlated + heavy}
        self.sampled = [p for p in self.plans if p.index in chosen]
        self.sample_rows = min(self.rows, sample_rows)
        if not self.sampled:
            return
        key = row_key(self.unique_column) if self.unique_column else None
        self.query(
            "CREATE OR REPLACE TABLE _profile_sample AS "  # not TEMP: query_small's cursors read it too
            + q.sample_sql(self.relation, self.sampled, sample_rows, self.rows, key=key)
        )
        if self.query("SELECT count(*) FROM _profile_sample")[0][0] < self.sample_rows:  # too few under the cutoff
            self.query(
                "CREATE OR REPLACE TABLE _profile_sample AS "
                + q.sample_sql(self.relation, self.sampled, sample_rows, self.rows, cutoff=False, key=key)
            )
        self.tracker.step()
        index = {id(p): i for i, p in enumerate(self.sampled)}
        items = q.Items()
        for plan in heavy:
            items.add(plan, "candidates", f"approx_top_k(c{index[id(plan)]}, {2 * TOP_CANDIDATES})", cost=q.MAP_COST)
        if items.exprs:
            self.query_small(items, "_profile_sample")

    def _value_counts(self, share: float) -> None:
        """Exact value→count maps of every column with at most TOP_EXACT_LIMIT distinct values: one UNPIVOT and
        GROUP BY per value type and chunk of columns (far cheaper than one histogram() aggregate per column)."""
        families: dict[str, list[q.Plan]] = {}
        for plan in self.plans:
            stats = plan.stats
            if plan.kind in ("numeric", "temporal", "text", "boolean") and stats.get("non_null"):
                if (stats.get("distinct") or 0) <= TOP_EXACT_LIMIT:
                    stats["value_counts"] = {}
                    families.setdefault(q.value_family(plan), []).append(plan)
                elif plan.kind == "text":
                    stats["heavy"] = "text"
        start, total, done = self.tracker.within, sum(len(m) for m in families.values()), 0
        sets = self.rows >= q.GROUPING_SETS_ROWS
        for family, members in families.items():
            for chunk in q.chunks(members, q.GROUPING_SETS_COLUMNS if sets else q.UNPIVOT_COLUMNS):
                sql = q.value_counts_sql(self.relation, chunk, family, grouping_sets=sets)
                for index, value, count in self.query(sql):
                    chunk[int(index[1:])].stats["value_counts"][value] = int(count)
                done += len(chunk)
                self.tracker.at(start + share * done / total)

    def _seen(self, share: float) -> None:
        """Exact counts of the candidate values (``stats["wanted"]``) of the columns that have no exact value
        counts: a semi-join of each column with its candidates, UNION ALL per value type and chunk of columns.
        (An ``IN`` list in the wide scan compared every row with every candidate: four times the CPU.)"""
        families: dict[str, list[q.Plan]] = {}
        for plan in self.plans:
            if plan.stats.get("wanted"):
                plan.stats["seen"] = {}
                families.setdefault(q.seen_family(plan), []).append(plan)
        start, total, done = self.tracker.within, sum(len(m) for m in families.values()), 0
        for members in families.values():
            for chunk in q.chunks(members, q.SEEN_COLUMNS):
                sql, params = q.seen_sql(self.relation, chunk)
                for index, value, count in self.query(sql, params):
                    chunk[int(index)].stats["seen"][value] = int(count)
                done += len(chunk)
                self.tracker.at(start + share * done / total)

    def _distribution_items(self, plan: q.Plan, items: q.Items) -> None:
        stats, kind, expr = plan.stats, plan.kind, plan.expr
        distinct = stats.get("distinct") or 0
        wanted = [v for v in stats.get("candidates") or [] if v is not None]
        if kind == "numeric" and stats.get("finite"):
            low, high = float(stats["min"]), float(stats["max"])
            step = rel.grid_step(low, high)
            edge_low, edge_high = rel.outside_low(low, step), rel.outside_high(high, step)
            stats.update(step=step, edges=(edge_low, edge_high))
            if "value_counts" not in stats:  # else the bins are summed from the exact value counts
                width = (edge_high - edge_low) / q.BINS
                items.add(plan, "bins", q.histogram_expr(plan, edge_low, width), cost=q.MAP_COST)
            if distinct > TOP_EXACT_LIMIT:  # else the exact value counts say how often each value was seen
                wanted = sorted({float(v) for v in wanted} | set(_order_candidates(stats, step)))
        if wanted and "value_counts" not in stats:
            stats["wanted"] = wanted  # counted exactly by ``_seen``, a join per column
        if kind == "temporal" and stats.get("non_null"):
            x = f"CAST({expr} AS TIMESTAMP)"
            for side in ("min", "max"):
                value = stats[side]
                items.add(plan, f"{side}_exact", f"count_if({x} = CAST(? AS TIMESTAMP))", value)
                for part, _ in rel.TIME_LEVELS:
                    items.add(
                        plan,
                        f"{side}_{part}",
                        f"count_if(date_trunc('{part}', {x}) = date_trunc('{part}', CAST(? AS TIMESTAMP)))",
                        value,
                    )

    def _text_values(self, plan: q.Plan, top: int) -> None:
        """Exact value counts of a high-cardinality text column: the top values at or above k and the rest."""
        if plan.name == self.unique_column and not plan.recast and self.k > 1:
            # every value once: all below k, none published; grouping a million distinct strings finds nothing
            plan.stats.update(top=[], suppressed=self.rows, exact_distinct=self.rows)
            return
        sql = (
            f"WITH g AS (SELECT {plan.expr} AS v, count(*) AS c FROM {self.relation} "
            f"WHERE {plan.expr} IS NOT NULL GROUP BY ALL) "
            f"SELECT (SELECT count(*) FROM g WHERE c < {self.k}), "
            f"(SELECT list([v, c::VARCHAR]) FROM (SELECT v, c FROM g WHERE c >= {self.k} "
            f"ORDER BY c DESC, v LIMIT {int(top)})), (SELECT count(*) FROM g)"
        )
        ((suppressed, kept, groups),) = self.query(sql)
        plan.stats["top"] = [{"value": v, "count": int(c)} for v, c in kept or []]
        plan.stats["suppressed"] = int(suppressed)
        plan.stats["exact_distinct"] = int(groups)

    # -- assembling one column ------------------------------------------------------------------------------------
    def _column(self, plan: q.Plan, top: int) -> ColumnProfile:
        from resonance.node.profiler import ColumnProfile

        stats, rows, k = plan.stats, self.rows, self.k
        raw_non_null = int(stats.get("raw_non_null", stats.get("non_null") or 0))
        empty = int(stats.get("empty") or 0)
        filled = raw_non_null - empty
        conforming = int(stats["conforming"]) if "conforming" in stats else raw_non_null
        col = ColumnProfile(
            name=plan.name,
            type=plan.storage,
            inferred_type=plan.inferred,
            kind=plan.kind,
            count=rows,
            nulls=rows - raw_non_null,
            null_ratio=round((rows - raw_non_null) / rows, 6) if rows else 0.0,
            empty=empty,
            distinct_approx=_int(stats.get("raw_distinct", stats.get("distinct"))),
            type_conforming=conforming,
            type_consistency=round(conforming / filled, 6) if filled > 0 else None,
        )
        if "len_min" in stats:
            col.length = {
                "min": _int(stats["len_min"]),
                "max": _int(stats["len_max"]),
                "mean": _round(stats["len_mean"]),
            }
        if "value_counts" in stats:
            col.top_values, col.suppressed_values = rel.release_top(stats["value_counts"] or {}, k, top)
        elif "top" in stats:
            col.top_values, col.suppressed_values = stats["top"], stats["suppressed"]
        elif plan.kind in ("numeric", "temporal") and (stats.get("distinct") or 0) > TOP_EXACT_LIMIT:
            seen = stats.get("seen") or {}
            counts = {v: int(seen.get(v, 0)) for v in stats.get("candidates") or [] if v is not None}
            col.top_values, _ = rel.release_top(counts, k, top)
            col.suppressed_values, col.top_values_exact = None, False
        if plan.kind == "numeric" and stats.get("finite"):
            self._numeric(col, stats)
        if plan.kind == "temporal" and stats.get("non_null"):
            col.private.update(min=stats["min"], max=stats["max"])
            start = {"exact": stats["min_exact"], **{p: stats[f"min_{p}"] for p, _ in rel.TIME_LEVELS}}
            end = {"exact": stats["max_exact"], **{p: stats[f"max_{p}"] for p, _ in rel.TIME_LEVELS}}
            is_date = plan.inferred.upper() == "DATE"
            label_start, precision_start = rel.release_time(start, stats["min"], k, is_date)
            label_end, precision_end = rel.release_time(end, stats["max"], k, is_date)
            col.time_coverage = {
                "start": label_start,
                "start_precision": precision_start,
                "end": label_end,
                "end_precision": precision_end,
            }
        return col

    def _numeric(self, col: ColumnProfile, stats: dict[str, Any]) -> None:
        k, step = self.k, stats["step"]
        low, high = stats["min"], stats["max"]
        col.private.update(
            min=low, max=high, quantiles=dict(zip(q.QUANTILE_KEYS, stats["quantiles"] or [], strict=False))
        )
        counts = stats.get("value_counts") if "value_counts" in stats else stats.get("seen")
        seen_map = {float(v): int(c) for v, c in (counts or {}).items() if v is not None}

        def seen(value: float) -> int:
            return seen_map.get(float(value), 0)

        col.min, col.min_exact = rel.release_number(low, seen(low), k, rel.outside_low(float(low), step))
        col.max, col.max_exact = rel.release_number(high, seen(high), k, rel.outside_high(float(high), step))
        if col.min_exact and isinstance(low, int) and not isinstance(low, bool):
            col.min = low
        if col.max_exact and isinstance(high, int) and not isinstance(high, bool):
            col.max = high
        col.mean, col.std = _round(stats.get("mean")), _round(stats.get("std"))
        for key, value in zip(q.QUANTILE_KEYS, stats.get("quantiles") or [], strict=False):
            if value is None:
                col.quantiles[key] = None
                continue
            fallback = None
            for candidate in rel.quantile_fallbacks(float(value), step):
                if seen(candidate) == 0 or seen(candidate) >= k:
                    fallback = candidate
                    break
            col.quantiles[key], _ = rel.release_number(float(value), seen(value), k, fallback)
        edge_low, edge_high = stats["edges"]
        width = (edge_high - edge_low) / q.BINS
        if "value_counts" in stats:
            counts = [0] * q.BINS
            for value, count in seen_map.items():
                if math.isfinite(value):
                    counts[q.bin_of(value, edge_low, width)] += count
        else:
            bins = stats.get("bins") or {}
            counts = [int(bins.get(i, 0)) for i in range(q.BINS)]
        edges = [rel.jsonable(_round(edge_low + i * width, 12)) for i in range(q.BINS)] + [edge_high]
        col.histogram = rel.merge_bins(edges, counts, k)

    # -- table-level facts ----------------------------------------------------------------------------------------
    def duplicates(self) -> int:
        """Rows that repeat an earlier row. None when some column is known to hold as many distinct non-null
        values as there are rows (exact counts, e.g. a serial number): then no two rows are equal, and the
        GROUP BY of every row's hash is not needed."""
        with self.tracker.phase("duplicates"):
            if self.unique_column is not None:
                return 0
            unique = next((p for p in self.plans if self.rows and self._distinct_exact(p) == self.rows), None)
            if unique is not None:
                self.unique_column = unique.name
                return 0
            ((groups, rows_in_groups),) = self.query(q.duplicates_sql(self.relation))
        return int(rows_in_groups) - int(groups)

    def _confirmed_unique(self, tries: int = 2) -> q.Plan | None:
        """A column without nulls whose approximate distinct count says "a value per row" (an id, a timestamp),
        confirmed by counting its distinct values exactly: one column's count costs a fraction of grouping
        every row's hash."""
        likely = [
            p
            for p in self.plans
            if p.stats.get("non_null") == self.rows and (p.stats.get("distinct") or 0) >= UNIQUE_LIKELY * self.rows
        ]
        for plan in likely[:tries]:
            ((distinct,),) = self.query(f"SELECT count(DISTINCT {plan.quoted}) FROM {self.relation}")
            if distinct == self.rows:
                return plan
        return None

    @staticmethod
    def _distinct_exact(plan: q.Plan) -> int | None:
        """How many distinct non-null values the column holds, where that was counted exactly."""
        stats = plan.stats
        if "exact_distinct" in stats:
            return int(stats["exact_distinct"])
        if "value_counts" in stats and not plan.recast and not plan.guard:
            return len(stats["value_counts"] or {})
        return None

    def correlations(self) -> tuple[list[dict[str, Any]], int]:
        """Pearson correlations between the sampled numeric columns, strongest first; and the rows used."""
        usable = self.correlated
        with self.tracker.phase("correlations"):
            if len(usable) < 2:
                return [], 0
            index = {id(p): i for i, p in enumerate(self.sampled)}
            pairs = [(a, b) for a in range(len(usable)) for b in range(a + 1, len(usable))]
            items, found = q.Items(), q.Plan(-1, "correlations", "DOUBLE")  # ``found`` collects the results
            for a, b in pairs:
                items.add(found, f"{a},{b}", f"corr(c{index[id(usable[a])]}, c{index[id(usable[b])]})")
            self.query_small(items, "_profile_sample")
            row = tuple(found.stats[f"{a},{b}"] for a, b in pairs)
            self.query("DROP TABLE IF EXISTS _profile_sample")
        out = []
        for (a, b), r in zip(pairs, row, strict=True):
            r = rel.jsonable(r)
            if r is not None:
                out.append({"a": usable[a].name, "b": usable[b].name, "r": round(r, 6)})
        out.sort(key=lambda c: -abs(c["r"]))
        return out, self.sample_rows

    def time_coverage(self, columns: list[ColumnProfile]) -> None:
        timed = [(p, c) for p, c in zip(self.plans, columns, strict=True) if c.time_coverage is not None]
        with self.tracker.phase("time", len(timed)):
            for plan, col in timed:
                distinct, non_null = plan.stats.get("distinct") or 0, plan.stats.get("non_null") or 0
                found = self.query(q.granularity_sql(self.relation, plan, mostly_distinct=distinct > non_null / 2))
                self.tracker.step()
                if not found or col.time_coverage is None:
                    continue
                seconds, count, total = found[0]
                en, zh = q.describe_step(float(seconds))
                col.time_coverage.update(
                    granularity_seconds=rel.jsonable(float(seconds)),
                    granularity=en,
                    granularity_zh=zh,
                    regularity=round(count / total, 6) if total else None,
                )


def _order_candidates(stats: dict[str, Any], step: float) -> list[float]:
    """The values whose exact counts decide how min, max and quantiles are released."""
    values = [float(stats["min"]), float(stats["max"])]
    for value in stats.get("quantiles") or []:
        if value is not None:
            values += [float(value), *rel.quantile_fallbacks(float(value), step)]
    return values


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _round(value: Any, digits: int = 10) -> float | None:
    value = rel.jsonable(value)
    return None if value is None else round(float(value), digits)
