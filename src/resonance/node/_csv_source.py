"""CSV/TSV files and folders of CSV shards, read by DuckDB's CSV reader in strict mode.

The encoding is found (and the file transcoded when needed) by ``_encoding``; the delimiter is sniffed from
the first lines; the column types come from DuckDB's sniffer. A row with the wrong number of fields is an
error naming its file and line, with the expected and found field counts.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from resonance.errors import ResonanceError
from resonance.node import _encoding
from resonance.node.sources import CSV_SUFFIXES, Source, error, first_line, quote_ident, quote_str


class CsvSource(Source):
    """One CSV/TSV file or a folder of CSV shards with the same header, read by DuckDB's CSV reader (strict)."""

    def __init__(self, kind: str, display_name: str, workdir: Path) -> None:
        super().__init__(kind, display_name, workdir)
        self.texts: list[_encoding.TextFile] = []
        self.names: list[str] = []  # how each file is named in errors
        self.delimiter = ","
        self.columns: list[tuple[str, str]] = []
        self.options: dict[str, str] = {}
        self.data_index = 0  # the first file that has data rows: types are sniffed from it

    def add(self, text: _encoding.TextFile, name: str) -> None:
        self.texts.append(text)
        self.names.append(name)
        self._watch(text.path, text.hash.result)  # still hashing: the fingerprint waits for it

    def _reader(self, columns: list[tuple[str, str]] | None = None, *, full_sniff: bool = False) -> str:
        files = "[" + ", ".join(quote_str(str(t.readable)) for t in self.texts) + "]"
        opts = [
            f"delim={quote_str(self.delimiter)}",
            "header=true",
            "quote='\"'",
            "escape='\"'",
            "strict_mode=true",
            "null_padding=false",
            "skip=0",
        ]
        if columns is not None:
            spec = ", ".join(f"{quote_str(n)}: {quote_str(t)}" for n, t in columns)
            opts += ["auto_detect=false", "columns={" + spec + "}"]
            opts += [f"{k}={quote_str(v)}" for k, v in self.options.items()]
        elif full_sniff:
            opts.append("sample_size=-1")
        return f"read_csv({files}, {', '.join(opts)})"

    def sniff(self, con: duckdb.DuckDBPyConnection, *, full: bool = False) -> None:
        """Find the column types (DuckDB's sniffer; the whole file when ``full``), with errors that name lines."""
        text = self.texts[self.data_index]
        reader = self._reader(full_sniff=True) if full else None
        try:
            if reader is None:
                row = con.execute(
                    f"SELECT Columns, DateFormat, TimestampFormat FROM sniff_csv("
                    f"{quote_str(str(text.readable))}, delim={quote_str(self.delimiter)}, header=true, "
                    "quote='\"', escape='\"', strict_mode=true, null_padding=false, skip=0)"
                ).fetchone()
                assert row is not None
                columns, dateformat, tsformat = row
                self.columns = [(c["name"], c["type"]) for c in columns]
                self.options = {}  # new_line is left to DuckDB: passing the sniffed '\r\n' back loses rows
                if dateformat:
                    self.options["dateformat"] = dateformat
                if tsformat:
                    self.options["timestampformat"] = tsformat
            else:
                described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
                self.columns = [(r[0], r[1]) for r in described]
        except duckdb.Error as exc:
            raise self.explain(exc) from None

    def relation(self, con: duckdb.DuckDBPyConnection, *, materialize: bool = False) -> str:
        self.check_unchanged()
        name = quote_ident(self.view_name)
        if not materialize:
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {self._reader(self.columns)}")
            return name
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [self.view_name]
        ).fetchone()
        if exists and exists[0]:
            return name  # already read into this connection
        for attempt in range(len(self.columns) + 2):
            try:
                _create_table(con, name, self._reader(self.columns))
                return name
            except duckdb.ConversionException as exc:
                # A value later in the file does not fit the type sniffed from the first rows: read that column
                # as text (the profiler measures how many of its values fit the type); after two such surprises
                # let the sniffer read the whole file once instead of retrying column by column.
                column = _converting_column(str(exc))
                if attempt >= 2 or column is None:
                    self.sniff(con, full=True)
                    continue
                self.columns = [(n, "VARCHAR" if n == column else t) for n, t in self.columns]
            except duckdb.Error as exc:
                raise self.explain(exc) from None
        raise self.explain(RuntimeError("the column types could not be settled"))

    def _file_for(self, message: str) -> int:
        match = re.search(r"file\s*=\s*(.+)", message)
        if match:
            mentioned = match.group(1).strip()
            for index, text in enumerate(self.texts):
                if mentioned in (str(text.readable), str(text.path)):
                    return index
        return 0 if len(self.texts) == 1 else -1

    def explain(self, exc: Exception) -> ResonanceError:
        message = str(exc)
        index = self._file_for(message)
        name = self.names[index] if index >= 0 else self.display_name
        line = re.search(r"CSV Error on Line: (\d+)", message)
        counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
        if counts and line:
            return _ragged(name, int(line.group(1)), int(counts.group(1)), int(counts.group(2)))
        column = _converting_column(message)
        if column is not None and line:
            kind = dict(self.columns).get(column, "the detected type")
            return error(
                f"a value in column {column} is not a {kind} like the values in the first rows",
                f"{name}, line {line.group(1)}, column {column}",
                "fix the value, or profile the source (the profiler reads such columns as text)",
                "source_type",
            )
        if "sniff" in message.lower() or "dialect" in message.lower():
            for i, text in enumerate(self.texts if index < 0 else [self.texts[index]]):
                found = _encoding.first_ragged_line(text.readable, self.delimiter)
                if found is not None:
                    return _ragged(self.names[i if index < 0 else index], *found)
        if isinstance(exc, duckdb.IOException):
            return error(
                "the file could not be read from disk (it may have been moved or deleted)",
                name,
                "check that the file is still there and readable, then open it again",
                "source_vanished",
                404,
            )
        detail = first_line(message)
        for text, shown in zip(self.texts, self.names, strict=True):
            detail = detail.replace(str(text.readable), shown)
        return error(
            f"the CSV file could not be read: {detail}",
            name,
            "check that it is a complete, consistently delimited CSV file",
            "source_unreadable",
        )


def _create_table(con: duckdb.DuckDBPyConnection, name: str, reader: str) -> None:
    """``CREATE TABLE name AS SELECT * FROM reader``, in whatever order the parallel readers finish: nothing
    downstream depends on the order of rows (samples are drawn by row hash, ``_row_sample``), and keeping file
    order needs buffers that, under the profiler's memory limit, made the read twice as slow. A very wide file
    (thousands of columns) is the exception: each reader thread then holds a block per column, which can
    exceed the limit, and the read is done again in file order, which appends as it goes."""
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {reader}")
        return
    except duckdb.OutOfMemoryException:
        pass
    (previous,) = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone() or (False,)
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {reader}")
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if previous else 'false'}")


def _converting_column(message: str) -> str | None:
    match = re.search(r'Error when converting column "(.+?)"', message)
    return match.group(1) if match else None


def _ragged(name: str, line: int, expected: int, found: int) -> ResonanceError:
    return error(
        f"line {line} has {found} fields but the header has {expected}",
        f"{name}, line {line}",
        "make every row have as many fields as the header (a value with the delimiter in it must be quoted)",
        "source_ragged",
    )


def _open_text(path: Path, name: str, source: CsvSource, index: int, *, prefer_tab: bool) -> tuple[list[str], bool]:
    """Scan one text file into ``source``; return its header fields and whether data rows follow."""
    if path.stat().st_size == 0:
        raise error("the file is empty", name, "export the data again, with a header row and data rows", "source_empty")
    target = source.workdir / f"{index:05d}-{re.sub(r'[^0-9A-Za-z_.-]', '_', path.stem)[:40]}.utf8.csv"
    text = _encoding.scan_text(path, name, target)
    head, complete = _encoding.read_head(text.readable)
    if not head.strip():
        raise error("the file has no text in it", name, "export the data again with a header row", "source_empty")
    if index == 0:
        source.delimiter = _encoding.sniff_delimiter(head, complete, prefer_tab=prefer_tab)
    source.add(text, name)
    header = _encoding.header_fields(head, source.delimiter)
    return header, _encoding.has_data_row(head, complete, source.delimiter)


def _header_only(name: str) -> ResonanceError:
    return error(
        "the file has a header row but no data rows",
        name,
        "export the data again including its rows",
        "source_empty",
    )


def open_csv(path: Path, name: str, kind: str, workdir: Path) -> CsvSource:
    source = CsvSource(kind, path.name, workdir)
    try:
        _, has_rows = _open_text(path, name, source, 0, prefer_tab=kind == "tsv")
        if not has_rows:
            raise _header_only(name)
        with duckdb.connect() as con:
            source.sniff(con)
        return source
    except BaseException:
        source.close()
        raise


def open_folder(path: Path, name: str, workdir: Path) -> CsvSource:
    shards = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CSV_SUFFIXES)
    if not shards:
        raise error(
            "the folder holds no CSV files (.csv, .tsv, .txt)",
            name,
            "point at a folder of CSV shards that share one header, or at a single file",
            "source_empty",
        )
    source = CsvSource("csv_folder", path.name, workdir)
    try:
        expected: list[str] | None = None
        with_data = []
        for index, shard in enumerate(shards):
            shard_name = str(shard)
            header, has_rows = _open_text(shard, shard_name, source, index, prefer_tab=shard.suffix.lower() == ".tsv")
            if expected is None:
                expected = header
            elif header != expected:
                missing = [h for h in expected if h not in header]
                extra = [h for h in header if h not in expected]
                detail = "; ".join(
                    part
                    for part in (
                        f"missing {', '.join(missing)}" if missing else "",
                        f"unexpected {', '.join(extra)}" if extra else "",
                        "same columns in another order" if not missing and not extra else "",
                    )
                    if part
                )
                raise error(
                    f"this shard's header differs from the first shard's ({shards[0].name}): {detail}",
                    shard_name,
                    "give every shard exactly the same header row, or move this shard out of the folder",
                    "source_header",
                )
            if has_rows:
                with_data.append(index)
        if not with_data:
            raise _header_only(name)
        source.data_index = with_data[0]
        with duckdb.connect() as con:
            source.sniff(con)
        return source
    except BaseException:
        source.close()
        raise
