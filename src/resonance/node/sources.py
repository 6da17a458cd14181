"""Local data sources, described and opened where they lie: CSV/TSV, Parquet, Excel, a folder of CSV shards, SQL.

Nothing is copied into the project. What DuckDB cannot read as it is (a GBK CSV, a workbook, a database
table) is streamed into a temporary file in the caller's work folder and deleted on ``close()``.

    with open_source("产线数据.csv", workdir=node_home / "work") as source, source.reading():
        view = source.relation(con)          # a DuckDB view name, quoted
        con.sql(f"SELECT count(*) FROM {view}")

Every bad input is a ``ResonanceError`` that names the file and, where it can, the line/row and column.
Passwords in database URLs are masked everywhere: display names, fingerprints, errors.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import duckdb

from resonance.errors import ResonanceError
from resonance.node._convert import xlsx_to_parquet

CSV_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv"}
PARQUET_SUFFIXES = (".parquet", ".pq")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
SUPPORTED = "CSV/TSV (.csv .tsv .txt), Parquet (.parquet), Excel (.xlsx), a folder of CSV shards, or a database URL"


def quote_ident(name: str) -> str:
    """``name`` as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_str(text: str) -> str:
    """``text`` as a DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Source:
    """An opened local source. ``relation(con)`` makes it queryable in DuckDB; ``close()`` removes temp files."""

    kind: str
    display_name: str

    def __init__(self, kind: str, display_name: str, workdir: Path) -> None:
        self.kind = kind
        self.display_name = display_name
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"source-{kind}-", dir=workdir))
        self.view_name = f"source_{uuid.uuid4().hex[:12]}"
        self._files: list[Path] = []  # originals whose change or disappearance makes the source stale
        self._stats: dict[Path, tuple[int, int]] = {}
        self._hashes: dict[Path, tuple[tuple[int, int], str | Callable[[], str]]] = {}

    # -- identity ---------------------------------------------------------------------------------------------
    def _watch(self, path: Path, sha256: str | Callable[[], str] | None = None) -> None:
        """Refuse the source once ``path`` changes; ``sha256``: its hash, or a function that waits for it."""
        stat = path.stat()
        self._files.append(path)
        self._stats[path] = (stat.st_size, stat.st_mtime_ns)
        if sha256 is not None:
            self._hashes[path] = ((stat.st_size, stat.st_mtime_ns), sha256)

    def _file_hash(self, path: Path) -> str:
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        cached = self._hashes.get(path)
        if cached is None or cached[0] != key:
            cached = (key, file_sha256(path))
        elif callable(cached[1]):
            cached = (key, cached[1]())
        self._hashes[path] = cached
        return str(cached[1])

    def fingerprint(self) -> str:
        """A version hash: sha256 over the file bytes (cached while size and mtime stay the same)."""
        self.check_unchanged()
        if len(self._files) == 1:
            return "sha256:" + self._file_hash(self._files[0])
        digest = hashlib.sha256()
        for path in self._files:
            digest.update(f"{path.name}\0{self._file_hash(path)}\n".encode())
        return "sha256:" + digest.hexdigest()

    def check_unchanged(self) -> None:
        """Refuse to read a file that vanished or changed since it was opened."""
        for path in self._files:
            if not path.exists():
                raise ResonanceError(
                    what="the file was there when the source was opened but is gone now",
                    where=str(path),
                    fix="put the file back (or open the source again where it now lies)",
                    code="source_vanished",
                    status=404,
                )
            stat = path.stat()
            if (stat.st_size, stat.st_mtime_ns) != self._stats[path]:
                raise ResonanceError(
                    what="the file changed after the source was opened",
                    where=str(path),
                    fix="open the source again so that it is read as it is now",
                    code="source_changed",
                    status=409,
                )

    # -- reading ----------------------------------------------------------------------------------------------
    def relation(self, con: duckdb.DuckDBPyConnection, *, materialize: bool = False) -> str:
        """Register the source in ``con`` and return its quoted name (a view, or a table when ``materialize``).

        Materializing reads a text source once into DuckDB's columnar storage (spilling to disk under the
        connection's memory limit), so that several queries over it do not parse the text again.
        """
        raise NotImplementedError

    def explain(self, exc: Exception) -> ResonanceError:
        """Turn a DuckDB error raised while reading this source into an error that names the file."""
        return ResonanceError(
            what=f"the source could not be read: {self._scrub(first_line(str(exc)))}",
            where=self.display_name,
            fix="check that the file is complete and in a supported format: " + SUPPORTED,
            code="source_unreadable",
            status=422,
        )

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Queries over ``relation()`` inside this block raise the source's ResonanceError, not DuckDB's: a view
        is read lazily, so a bad row far into a file only shows when a query reaches it."""
        try:
            yield
        except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException):
            raise  # a mistake in the query, not in the data
        except duckdb.Error as exc:
            raise self.explain(exc) from None

    def _scrub(self, text: str) -> str:
        return text

    def close(self) -> None:
        """Delete the temporary files this source made (the original data is never touched)."""
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.display_name!r}>"


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def error(what: str, where: str, fix: str, code: str, status: int = 422) -> ResonanceError:
    return ResonanceError(what=what, where=where, fix=fix, code=code, status=status)


# ---- Parquet and Excel ----------------------------------------------------------------------------------------


class ParquetSource(Source):
    """A Parquet file, or a workbook sheet streamed into a temporary Parquet file."""

    def __init__(self, kind: str, display_name: str, workdir: Path) -> None:
        super().__init__(kind, display_name, workdir)
        self.parquet: Path | None = None
        self.select = "*"
        self.where = display_name

    def relation(self, con: duckdb.DuckDBPyConnection, *, materialize: bool = False) -> str:
        self.check_unchanged()
        assert self.parquet is not None
        name = quote_ident(self.view_name)
        parquet = quote_str(str(self.parquet))
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {self.select} FROM read_parquet({parquet})")
        return name

    def explain(self, exc: Exception) -> ResonanceError:
        detail = first_line(str(exc)).replace(str(self.parquet), self.display_name)
        return error(
            f"the data could not be read; the file is probably truncated or corrupted ({detail})",
            self.where,
            "copy the complete file again from its source",
            "source_corrupt",
        )


def _open_parquet(path: Path, name: str, workdir: Path) -> ParquetSource:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError) as exc:
        raise error(
            f"not a readable Parquet file: it is truncated or corrupted ({first_line(str(exc))})",
            name,
            "copy the complete file again from its source, or export it again",
            "source_corrupt",
        ) from None
    if meta.num_rows == 0:
        raise error("the Parquet file has columns but no rows", name, "export it again with its rows", "source_empty")
    source = ParquetSource("parquet", path.name, workdir)
    source.where = name
    source.parquet = path
    source._watch(path)
    return source


def _open_xlsx(path: Path, name: str, sheet: str | None, workdir: Path) -> ParquetSource:
    source = ParquetSource("xlsx", path.name, workdir)
    try:
        target = source.workdir / "sheet.parquet"
        result = xlsx_to_parquet(path, name, sheet, target)
        source.display_name = f"{path.name} [{result.sheet}]"
        source.where = f"{name}, sheet {result.sheet}"
        source.parquet = target
        source.select = ", ".join(
            f"CAST(c{i} AS {kind}) AS {quote_ident(col)}"
            for i, (col, kind) in enumerate(zip(result.columns, result.types, strict=True))
        )
        source._watch(path)
        return source
    except BaseException:
        source.close()
        raise


# ---- entry point ----------------------------------------------------------------------------------------------


def is_database_url(spec: object) -> bool:
    """Whether ``spec`` is a SQLAlchemy database URL rather than a path."""
    return isinstance(spec, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+]*://", spec) is not None


def open_source(spec: str | Path, *, table: str | None = None, workdir: Path, **options: Any) -> Source:
    """Open a local source without copying it into the project.

    ``spec`` is a file (CSV/TSV, Parquet, .xlsx), a folder of CSV shards with one header, or a SQLAlchemy URL
    (``postgresql://user@host/db#table`` or the URL with ``table=``). ``table`` names the sheet of a workbook
    or the table behind a URL. Temporary files go to a fresh folder inside ``workdir``; close the source (or
    use it as a context manager) to delete them. Raises ``ResonanceError`` for anything it cannot read.
    """
    if is_database_url(spec):
        from resonance.node._sql_source import open_sql

        return open_sql(str(spec), table, Path(workdir), **options)
    from resonance.node._csv_source import open_csv, open_folder

    path = Path(spec)
    name = str(spec)
    if not path.exists():
        raise error(
            "no such file or folder",
            name,
            "check the path (relative paths start at the current folder)",
            "source_not_found",
            404,
        )
    if path.is_dir():
        return open_folder(path, name, Path(workdir))
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return open_csv(path, name, CSV_SUFFIXES[suffix], Path(workdir))
    if path.stat().st_size == 0:
        raise error("the file is empty", name, "export the data again", "source_empty")
    if suffix in PARQUET_SUFFIXES:
        return _open_parquet(path, name, Path(workdir))
    if suffix in XLSX_SUFFIXES:
        return _open_xlsx(path, name, table, Path(workdir))
    if suffix == ".xls":
        raise error(
            "old-style .xls workbooks are not supported",
            name,
            "save it as .xlsx in Excel or WPS and open that",
            "source_format",
        )
    raise error(f"unsupported file type {suffix or '(none)'}", name, f"use {SUPPORTED}", "source_format")
