"""Samples of a table that do not depend on the order of its rows: rows are chosen by a hash of their values.

A parallel CSV reader appends rows in the order its threads finish, a SQL table has no order at all, and a
Parquet file has the file's; DuckDB's seeded ``USING SAMPLE reservoir(…) REPEATABLE`` follows that order, so
it draws other rows when the order changes (and runs on one thread). Here a row's key is a hash of its values,
of all of them or of one column that holds a distinct value in every row: a row is in a sample when its key
is below a cutoff, and "the first n" are the n smallest keys. The same data then gives the same sample
whatever its order or format (the CSV and its Parquet copy agree), and rows that tie on the key are equal, so
which of them is taken does not matter. Rows that repeat are drawn together (all copies or none): a sample of
a table of many duplicate rows is coarser than a reservoir's, though still unbiased.
"""

from __future__ import annotations

from resonance.node.sources import quote_ident

KEY = "__resonance_row_key"  # a header of that name would clash with it
# Every value of a row, as the arguments of one hash. ``hash(t) … FROM x AS t`` would hash the column t instead
# of the row when x has a column named t; an unpacked ``COLUMNS(*)`` cannot be shadowed by a header.
ROW_HASH = "hash(*COLUMNS(*))"


def cutoff(fraction: float) -> int:
    """The 64-bit key below which about ``fraction`` of uniformly hashed rows fall."""
    return min(2**64 - 1, int(2**64 * min(1.0, max(fraction, 0.0))))


def row_key(unique_column: str | None) -> str:
    """The key of a row: the hash of a column known to hold a distinct value in every row (no two rows tie, and
    hashing one column costs a fraction of hashing all), else the hash of the whole row."""
    return f"hash({quote_ident(unique_column)})" if unique_column else ROW_HASH


def keyed_rows_sql(relation: str, columns: list[str], fraction: float, key: str = ROW_HASH) -> str:
    """``KEY`` (the row's ``key``) and ``columns`` (quoted names) of the rows whose key is below
    ``cutoff(fraction)``.

    The hash is computed once, in the inner query: ``WHERE hash(…) < …`` beside ``SELECT hash(…)`` hashes every
    row twice."""
    where = f" WHERE {KEY} < {cutoff(fraction)}" if fraction < 1 else ""
    return f"SELECT * FROM (SELECT {key} AS {KEY}, {', '.join(columns)} FROM {relation}){where}"
