"""A table behind a SQLAlchemy URL, streamed (server-side cursor, ``yield_per``) into a temporary Parquet file.

The URL's password never leaves this module: display names show it as ``***`` and every driver message is
scrubbed of it before it reaches an error.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import duckdb
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError

from resonance.errors import ResonanceError
from resonance.node._convert import arrow_schema, batch_size, rows_to_parquet
from resonance.node.sources import Source, quote_ident, quote_str

_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


class SqlSource(Source):
    """One table (or view) of a database reachable through SQLAlchemy."""

    def __init__(self, display_name: str, workdir: Path, engine: Engine, table: sa.Table, url: URL) -> None:
        super().__init__("sql", display_name, workdir)
        self.engine = engine
        self.table = table
        self._url = url
        self.parquet: Path | None = None

    def _scrub(self, text: str) -> str:
        return scrub(text, self._url)

    def _fail(self, what: str, exc: Exception, fix: str, code: str = "source_unreadable") -> ResonanceError:
        detail = self._scrub(" ".join(str(getattr(exc, "orig", None) or exc).split()))[:300]
        return ResonanceError(what=f"{what}: {detail}", where=self.display_name, fix=fix, code=code, status=422)

    def _shape(self) -> tuple[int, list[tuple[str, str]]]:
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(sa.func.count()).select_from(self.table)).scalar_one()
        except SQLAlchemyError as exc:
            raise self._fail("the table could not be counted", exc, "check that the table still exists") from None
        return int(rows), [(c.name, str(c.type)) for c in self.table.columns]

    def fingerprint(self) -> str:
        """A version hash over the table's current row count and schema (not its contents)."""
        rows, columns = self._shape()
        payload = json.dumps({"rows": rows, "columns": columns}, ensure_ascii=False, sort_keys=True)
        return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()

    def check_unchanged(self) -> None:
        return None

    def relation(self, con: duckdb.DuckDBPyConnection, *, materialize: bool = False) -> str:
        if self.parquet is None:
            self.parquet = self._stream()
        name = quote_ident(self.view_name)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet({quote_str(str(self.parquet))})")
        return name

    def _stream(self) -> Path:
        columns = []
        for column in self.table.columns:
            try:
                python_type: type | None = column.type.python_type
            except NotImplementedError:
                python_type = None
            columns.append((column.name, python_type, bool(getattr(column.type, "timezone", False))))
        schema = arrow_schema(columns)
        target = self.workdir / "table.parquet"
        per_batch = batch_size(len(columns))
        try:
            with self.engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=per_batch).execute(sa.select(self.table))
                batches = ([tuple(row) for row in part] for part in result.partitions())
                rows_to_parquet(batches, schema, target, self.display_name)
        except SQLAlchemyError as exc:
            target.unlink(missing_ok=True)
            raise self._fail("the table could not be read", exc, "check the connection and the table") from None
        return target

    def explain(self, exc: Exception) -> ResonanceError:
        return self._fail("the table's copy could not be read", exc, "open the source again")

    def close(self) -> None:
        self.engine.dispose()
        super().close()


def scrub(text: str, url: URL) -> str:
    """``text`` with the URL's password (raw and URL-encoded) replaced by ``***``."""
    password = url.password
    if password:
        for form in {str(password), quote_plus(str(password)), quote(str(password), safe="")}:
            if form:
                text = text.replace(form, "***")
    return text


def _split(spec: str, table: str | None) -> tuple[str, str | None]:
    if "#" in spec:
        spec, fragment = spec.rsplit("#", 1)
        table = table or (fragment or None)
    return spec, table


def mask_url(spec: str) -> str:
    """A database URL with its password shown as ``***`` (the input unchanged if it is not a URL)."""
    base, table = _split(spec, None)
    try:
        shown = make_url(base).render_as_string(hide_password=True)
    except ArgumentError:
        return "(database URL)"
    return f"{shown}#{table}" if table else shown


def open_sql(spec: str, table: str | None, workdir: Path, **engine_options: Any) -> SqlSource:
    """Connect, find ``table`` (``schema.table`` allowed) and count its rows; rows are read on ``relation()``."""
    base, table = _split(spec, table)
    try:
        url = make_url(base)
    except ArgumentError:
        raise ResonanceError(
            what="not a valid database URL",
            where="database URL",
            fix="write it like postgresql://user@host:5432/dbname#table or sqlite:///path/file.db#table",
            code="source_url",
        ) from None
    shown = url.render_as_string(hide_password=True)
    if not table:
        raise ResonanceError(
            what="no table named for the database source",
            where=shown,
            fix="append #table to the URL or pass table=…",
            code="source_url",
        )
    display = f"{shown}#{table}"
    if url.drivername in _DRIVERS:
        url = url.set(drivername=_DRIVERS[url.drivername])
    options = dict(engine_options)
    if url.drivername.startswith("postgresql"):
        options.setdefault("connect_args", {"connect_timeout": 10})
    try:
        engine = sa.create_engine(url, **options)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise ResonanceError(
            what=f"no database driver for {url.drivername}: {scrub(str(exc), url)}",
            where=display,
            fix="use postgresql:// or sqlite:///, or install the SQLAlchemy driver for this database",
            code="source_url",
        ) from None
    schema, _, name = table.rpartition(".")
    try:
        reflected = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=engine)
    except NoSuchTableError:
        try:
            known = sa.inspect(engine).get_table_names(schema=schema or None)
        except SQLAlchemyError:
            known = []
        engine.dispose()
        raise ResonanceError(
            what=f"the database has no table {table!r}",
            where=display,
            fix=("tables there: " + ", ".join(known[:20])) if known else "check the table name and schema",
            code="source_not_found",
            status=404,
        ) from None
    except SQLAlchemyError as exc:
        engine.dispose()
        detail = scrub(" ".join(str(getattr(exc, "orig", None) or exc).split()), url)[:300]
        raise ResonanceError(
            what=f"could not connect to the database: {detail}",
            where=display,
            fix="check host, port, user, password and database name, and that the server is running",
            code="source_connect",
            status=502,
        ) from None
    source = SqlSource(display, workdir, engine, reflected, url)
    rows, _ = source._shape()
    if rows == 0:
        source.close()
        raise ResonanceError(
            what="the table has no rows",
            where=display,
            fix="load data into it, or name another table",
            code="source_empty",
        )
    return source
