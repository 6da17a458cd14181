"""The sensitivity scan's samples: each column's first ``SENSITIVITY_SAMPLE`` non-null values in key order.

A row's key is its hash (``_row_sample.row_key``): of the profile's unique column when there is one, else of
the whole row. The rows with the smallest keys hold a column's first ``SENSITIVITY_SAMPLE`` non-null values
when about 1.5 × as many of its non-null values lie under the cutoff, a fraction ``1.5 × SENSITIVITY_SAMPLE /
non-null`` of the rows. Dense columns share one keyed copy of every column of the rows under the largest such
fraction up to ``SHARED_FRACTION``; sparser columns up to ``COPIED_FRACTION`` get one narrow copy of just
those columns; the sparsest are drawn from the whole table (a copy of most rows would only cost memory), and
so is a column found short under its copy's cutoff (one chance in very many). A column with no more non-null
values than the sample size is taken whole.
"""

from __future__ import annotations

from typing import Any

import duckdb

from resonance.node import _row_sample
from resonance.node.profiler import Profile
from resonance.node.sources import quote_ident

SENSITIVITY_SAMPLE = 10_000
COLUMNS_PER_QUERY = 10  # samples fetched by one query (each holds a top-N state of a few MB)
WHOLE_COLUMNS_PER_QUERY = 100  # columns taken whole, unpivoted from one SELECT
SHARED_FRACTION = 0.05
COPIED_FRACTION = 0.5


def draw_samples(
    con: duckdb.DuckDBPyConnection, relation: str, prof: Profile, screen: str
) -> dict[str, list[tuple[Any, int, bool]]]:
    """Every column's sample as (value as text, times drawn, matches the regex ``screen``) rows."""
    draws = _Draws(con, relation, prof)
    try:
        return draws.all(screen)
    finally:
        draws.drop()


class _Draws:
    def __init__(self, con: duckdb.DuckDBPyConnection, relation: str, prof: Profile) -> None:
        self.con, self.relation = con, relation
        self.key = _row_sample.row_key(prof.unique_column)
        self.columns = [c.name for c in prof.columns]
        self.sources: dict[str, str] = {}  # column → what its sample is drawn from, in key order
        self.copies: list[str] = []
        wanted = {
            c.name: 1.5 * SENSITIVITY_SAMPLE / (prof.rows - c.nulls)
            for c in prof.columns
            if prof.rows - c.nulls > SENSITIVITY_SAMPLE
        }
        dense = [n for n, f in wanted.items() if f <= SHARED_FRACTION]
        sparse = [n for n, f in wanted.items() if SHARED_FRACTION < f <= COPIED_FRACTION]
        if dense:
            self._copy("_sensitivity_rows", ["*"], max(wanted[n] for n in dense), dense)
        if sparse:
            self._copy("_sensitivity_sparse", [quote_ident(n) for n in sparse], max(wanted[n] for n in sparse), sparse)
        for name in wanted:
            self.sources.setdefault(name, self._every_row(name))

    def _copy(self, table: str, columns: list[str], fraction: float, names: list[str]) -> None:
        sql = _row_sample.keyed_rows_sql(self.relation, columns, fraction, self.key)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}")
        self.copies.append(table)
        self.sources.update(dict.fromkeys(names, table))

    def _every_row(self, name: str) -> str:
        return f"({_row_sample.keyed_rows_sql(self.relation, [quote_ident(name)], 1.0, self.key)})"

    def all(self, screen: str) -> dict[str, list[tuple[Any, int, bool]]]:
        drawn: dict[str, list[tuple[Any, int, bool]]] = {name: [] for name in self.columns}
        sampled = [n for n in self.columns if n in self.sources]
        whole = [n for n in self.columns if n not in self.sources]
        for start in range(0, len(sampled), COLUMNS_PER_QUERY):
            chunk = sampled[start : start + COLUMNS_PER_QUERY]
            for index, value, times, candidate in self._grouped([self._branch(n) for n in chunk], screen):
                drawn[chunk[index]].append((value, times, candidate))
        for start in range(0, len(whole), WHOLE_COLUMNS_PER_QUERY):
            chunk = whole[start : start + WHOLE_COLUMNS_PER_QUERY]
            for index, value, times, candidate in self._unpivoted(chunk, screen):
                drawn[chunk[int(index)]].append((value, times, candidate))
        for name, rows in drawn.items():
            if self.sources.get(name) in self.copies and sum(times for _, times, _ in rows) < SENSITIVITY_SAMPLE:
                rows[:] = [row[1:] for row in self._grouped([self._branch(name, self._every_row(name))], screen)]
        return drawn

    def _branch(self, name: str, source: str | None = None) -> str:
        quoted = quote_ident(name)
        source = source or self.sources[name]
        return (
            f"SELECT {quoted} AS v FROM {source} WHERE {quoted} IS NOT NULL "
            f"ORDER BY {_row_sample.KEY} LIMIT {SENSITIVITY_SAMPLE}"
        )

    def _unpivoted(self, names: list[str], screen: str) -> list[tuple[Any, ...]]:
        """Every non-null value of each of ``names``, counted: one SELECT unpivoted (which drops NULLs). A
        ``UNION ALL`` branch per column would bind the whole table once per column, ~5 ms each on 10,000
        columns."""
        select = ", ".join(f'CAST({quote_ident(n)} AS VARCHAR) AS "{i}"' for i, n in enumerate(names))
        return self.con.execute(
            f"SELECT i, v, count(*), regexp_matches(v, ?) FROM (UNPIVOT (SELECT {select} FROM {self.relation}) "
            "ON COLUMNS(*) INTO NAME i VALUE v) GROUP BY i, v",
            [screen],
        ).fetchall()

    def _grouped(self, branches: list[str], screen: str) -> list[tuple[Any, ...]]:
        union = " UNION ALL ".join(
            f"(SELECT {i} AS i, CAST(v AS VARCHAR) AS v FROM ({sql}))" for i, sql in enumerate(branches)
        )
        return self.con.execute(
            f"SELECT i, v, count(*), regexp_matches(v, ?) FROM ({union}) GROUP BY i, v", [screen]
        ).fetchall()

    def drop(self) -> None:
        for table in self.copies:
            self.con.execute(f"DROP TABLE IF EXISTS {table}")
