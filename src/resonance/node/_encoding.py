"""Text files for DuckDB: detect the encoding by decoding, transcode to UTF-8 in chunks, sniff the delimiter.

DuckDB reads UTF-8 (with or without BOM) itself; anything else is transcoded, streaming, to a UTF-8 file in
the node's work folder. Detection is by decoding the whole file, never by guessing from a prefix alone:
strict UTF-8 first, then GB18030 (a superset of GBK and GB2312, what Chinese Excel writes for "CSV"), then the
encoding charset-normalizer proposes, each confirmed by decoding every byte. A file that is mostly one
encoding but has invalid bytes is refused with the byte offset and line of the first bad byte, because
decoding it as something else would silently corrupt the Chinese text.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from resonance.errors import ResonanceError

CHUNK = 1 << 20
_NON_ASCII = bytes(range(128))
# This many valid non-ASCII bytes before the first invalid one means "this file is in that encoding, but damaged".
MOSTLY = 48
_DELIMITERS = (",", "\t", ";", "|")
SAVE_AS_UTF8 = "save it again as “CSV UTF-8 (逗号分隔)” (or as .xlsx / Parquet) and open that"


@dataclass
class TextFile:
    """What the scan found: the encoding, the file DuckDB should read (the original or a UTF-8 copy)."""

    path: Path
    encoding: str  # utf-8 | utf-8-sig | gb18030 | what charset-normalizer found
    readable: Path  # UTF-8 file for DuckDB
    hash: FileHash  # the sha256 of ``path``, still being computed when the scan returns
    size: int
    mtime_ns: int

    @property
    def sha256(self) -> str:
        """The sha256 of the file's bytes (waits for the hash thread if it has not finished)."""
        return self.hash.result()

    @property
    def transcoded(self) -> bool:
        return self.readable != self.path


class _DecodeFailure(Exception):
    def __init__(self, offset: int, line: int, good_non_ascii: int, truncated: bool) -> None:
        super().__init__(offset)
        self.offset, self.line, self.good_non_ascii, self.truncated = offset, line, good_non_ascii, truncated


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def _position(path: Path, offset: int) -> tuple[int, int]:
    """(line, valid non-ASCII bytes) before byte ``offset``: read again only once decoding has failed there."""
    lines = 1
    good = 0
    left = offset
    with path.open("rb") as fh:
        while left > 0 and (chunk := fh.read(min(CHUNK, left))):
            lines += chunk.count(b"\n")
            good += len(chunk.translate(None, _NON_ASCII))
            left -= len(chunk)
    return lines, good


class FileHash:
    """The sha256 of a file, computed on a thread of its own from the moment this is made.

    hashlib releases the GIL for large updates, so the hash runs beside the encoding check and, once that is
    done, beside DuckDB reading the file; ``result`` waits for it. The thread reads the file itself (the
    check is not held back to the hash's pace); a change of the file in between is caught by the size and
    mtime checks of the source. ``cancel`` stops it early (the scan failed). Hand-written rather than a
    ThreadPoolExecutor: one thread per file, stoppable between chunks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digest = hashlib.sha256()
        self._error: OSError | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"resonance-sha256 {path}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self.path.open("rb") as fh:
                while not self._stop.is_set() and (chunk := fh.read(CHUNK)):
                    self._digest.update(chunk)
        except OSError as exc:
            self._error = exc

    def result(self) -> str:
        self._thread.join()
        if self._stop.is_set():
            raise RuntimeError("the hash was cancelled")
        if self._error is not None:
            raise ResonanceError(
                what=f"the file could not be read to the end: {self._error}",
                where=str(self.path),
                fix="check that the file is still there and readable, then open it again",
                code="source_vanished",
                status=404,
            )
        return self._digest.hexdigest()

    def cancel(self) -> None:
        self._stop.set()
        self._thread.join()


def _complete_utf8(data: bytes) -> int:
    """The length of ``data`` without a UTF-8 character cut off at its end (the rest goes with the next chunk)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data)
        if byte >= 0xC0:  # the lead byte of the last character: is the character complete?
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) - back if length > back else len(data)
    return len(data)


def _valid_utf8(data: bytes, end: int) -> bool:
    """Whether ``data[:end]`` is valid UTF-8, checked by Arrow without copying or decoding it: several times
    faster than ``bytes.decode`` and without the GIL, so the sha256 thread runs beside it. (Python has no
    validate-only UTF-8 check; decoding builds a str of every chunk only to throw it away.)"""
    import pyarrow as pa

    offsets = pa.py_buffer(struct.pack("=ii", 0, end))  # not pa.array(): that may import pandas to look for it
    try:
        pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _decode_stream(path: Path, encoding: str, sink: io.TextIOBase | None) -> None:
    """Decode ``path`` strictly, chunk by chunk, writing the text to ``sink``; raise _DecodeFailure at a bad
    byte."""
    # No line or byte count is kept here: a valid file never needs one, and on a 500 MB file keeping them
    # cost more CPU than the decode. The position of a failure is found by _position, reading the file again.
    # Only checking UTF-8 (no sink), Arrow validates each chunk; Python's decode then runs only on a chunk that
    # fails, to find the bad byte with the same rules as a decode.
    check_only = sink is None and codecs.lookup(encoding).name == "utf-8"
    carry = b""
    offset = 0  # file offset of the start of ``carry``
    chunks = _chunks(path)
    pending = next(chunks, None)
    while pending is not None:
        following = next(chunks, None)
        data = carry + pending
        if check_only:
            end = _complete_utf8(data) if following is not None else len(data)
            if _valid_utf8(data, end):
                carry = data[end:]
                offset += end
                pending = following
                continue
        try:
            text = data.decode(encoding)
            carry = b""
        except UnicodeDecodeError as exc:
            at_tail = exc.end == len(data) and len(data) - exc.start < 4
            if at_tail and following is not None:  # a character split across two chunks
                text = data[: exc.start].decode(encoding)
                carry = data[exc.start :]
            else:
                line, good = _position(path, offset + exc.start)
                raise _DecodeFailure(
                    offset=offset + exc.start,
                    line=line,
                    good_non_ascii=good,
                    truncated=at_tail and following is None,
                ) from None
        offset += len(data) - len(carry)
        if sink is not None:
            sink.write(text)
        pending = following


def _bad_bytes(name: str, encoding: str, failure: _DecodeFailure) -> ResonanceError:
    where = f"{name}, line {failure.line} (byte offset {failure.offset})"
    if failure.truncated:
        return ResonanceError(
            what=f"the file ends in the middle of a {encoding} character: it looks truncated",
            where=where,
            fix="copy the complete file again from its source",
            code="source_truncated",
            status=422,
        )
    return ResonanceError(
        what=f"mixed encodings: the file is {encoding} but has bytes that are not valid {encoding}",
        where=where,
        fix=f"the file was probably pasted together from files in different encodings; {SAVE_AS_UTF8}",
        code="source_encoding",
        status=422,
    )


def scan_text(path: Path, name: str, target: Path) -> TextFile:
    """Find the encoding of ``path`` and, unless it is UTF-8, transcode it to the UTF-8 file ``target``. The
    file's sha256 is computed beside it and may still be running when this returns (``TextFile.sha256``)."""
    stat = path.stat()
    file_hash = FileHash(path)
    try:
        return _scan(path, name, target, file_hash, stat)
    except BaseException:
        file_hash.cancel()
        raise


def _scan(path: Path, name: str, target: Path, file_hash: FileHash, stat: os.stat_result) -> TextFile:
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _transcode(path, target, "utf-16", file_hash, stat)
    try:
        _decode_stream(path, "utf-8", None)
    except _DecodeFailure as failure:
        if failure.truncated or failure.good_non_ascii >= MOSTLY:
            raise _bad_bytes(name, "UTF-8", failure) from None
    else:
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        return TextFile(path, encoding, path, file_hash, stat.st_size, stat.st_mtime_ns)
    try:
        return _transcode(path, target, "gb18030", file_hash, stat)
    except _DecodeFailure as failure:
        if failure.truncated or failure.good_non_ascii >= MOSTLY:
            raise _bad_bytes(name, "GB18030", failure) from None
    with path.open("rb") as fh:
        guess = from_bytes(fh.read(4 * CHUNK)).best()
    candidate = guess.encoding if guess is not None else None
    if candidate and codecs.lookup(candidate).name not in ("utf-8", "gb18030"):
        try:
            return _transcode(path, target, candidate, file_hash, stat)
        except _DecodeFailure:
            pass
    raise ResonanceError(
        what="the file's encoding is not UTF-8, GBK/GB18030 or any encoding that decodes all of it",
        where=name,
        fix=SAVE_AS_UTF8,
        code="source_encoding",
        status=422,
    )


def _transcode(path: Path, target: Path, encoding: str, file_hash: FileHash, stat: os.stat_result) -> TextFile:
    try:
        with target.open("w", encoding="utf-8", newline="") as sink:
            _decode_stream(path, encoding, sink)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return TextFile(path, encoding, target, file_hash, stat.st_size, stat.st_mtime_ns)


def read_head(readable: Path, limit: int = 1 << 16) -> tuple[str, bool]:
    """The first ``limit`` characters of a UTF-8 file (BOM removed) and whether that is the whole file."""
    with readable.open("r", encoding="utf-8-sig", newline="") as fh:
        text = fh.read(limit)
        complete = fh.read(1) == ""
    return text, complete


def sniff_delimiter(head: str, complete: bool, prefer_tab: bool = False) -> str:
    """The delimiter that splits the first lines into the most consistent number of fields (>1), else ','."""
    lines = head.splitlines(keepends=True)
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off
    lines = [line for line in lines[:200] if line.strip()]
    best, best_key = ("\t" if prefer_tab else ","), (0.0, 1, prefer_tab)
    for delim in _DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delim))
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        share = sum(len(r) == width for r in rows) / len(rows)
        key = (round(share, 2), width, prefer_tab and delim == "\t")
        if key > best_key:
            best, best_key = delim, key
    return best


def header_fields(head: str, delimiter: str) -> list[str]:
    """The header record of ``head`` parsed with ``delimiter`` (empty list for an empty text)."""
    for record in csv.reader(io.StringIO(head), delimiter=delimiter):
        return [field.strip() for field in record]
    return []


def has_data_row(head: str, complete: bool, delimiter: str) -> bool:
    """Whether anything but blank lines follows the header (a partial head is assumed to hold data)."""
    if not complete:
        return True
    records = csv.reader(io.StringIO(head), delimiter=delimiter)
    next(records, None)
    return any(any(field.strip() for field in record) for record in records)


def first_ragged_line(readable: Path, delimiter: str) -> tuple[int, int, int] | None:
    """(line, expected, found) for the first record whose field count differs from the header's, or None."""
    with readable.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        expected = None
        start = 1  # the line where the next record begins
        for record in reader:
            if expected is None:
                expected = len(record)
            elif record and len(record) != expected:
                return start, expected, len(record)
            start = reader.line_num + 1
    return None
