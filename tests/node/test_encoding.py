"""The encoding scan: the fingerprint hashed beside the decode, and a failure's line and offset found afterwards."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from resonance.errors import ResonanceError
from resonance.node import _encoding

ROWS = "设备,温度\n" + "".join(f"甲{i}乙,{i}.5\n" for i in range(400))


def _no_hash_thread() -> bool:
    return not any(t.name == "resonance-sha256" for t in threading.enumerate())


@pytest.mark.parametrize("chunk", [5, 64, 4096, 1 << 20])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_fingerprint_is_the_sha256_of_the_file_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str, chunk: int
) -> None:
    monkeypatch.setattr(_encoding, "CHUNK", chunk)
    path = tmp_path / "data.csv"
    raw = ROWS.encode(encoding)
    path.write_bytes(raw)
    text = _encoding.scan_text(path, "data.csv", tmp_path / "data.utf8.csv")
    assert text.sha256 == hashlib.sha256(raw).hexdigest()
    assert text.size == len(raw)
    assert text.readable.read_text(encoding="utf-8-sig") == ROWS
    assert _no_hash_thread()


@pytest.mark.parametrize("chunk", [3, 7, 64, 1 << 20])
def test_a_bad_byte_deep_in_the_file_gives_its_line_and_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(_encoding, "CHUNK", chunk)
    path = tmp_path / "pasted.csv"
    good = ROWS.encode("utf-8")
    path.write_bytes(good + "戊,3\n".encode("gbk") + b"x,4\n")
    with pytest.raises(ResonanceError) as caught:
        _encoding.scan_text(path, "pasted.csv", tmp_path / "out.csv")
    error = caught.value
    assert error.code == "source_encoding" and "UTF-8" in error.what
    assert error.where == f"pasted.csv, line {ROWS.count(chr(10)) + 1} (byte offset {len(good)})"
    assert not (tmp_path / "out.csv").exists()
    assert _no_hash_thread()


@pytest.mark.parametrize("chunk", [4, 1 << 20])
def test_the_mostly_threshold_counts_non_ascii_bytes_before_the_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(_encoding, "CHUNK", chunk)
    prefix = "a,b\n" + "x,1\n" * 50
    # exactly MOSTLY valid non-ASCII UTF-8 bytes (16 three-byte characters), then a byte UTF-8 never has
    refused = tmp_path / "refused.csv"
    body = (prefix + "甲乙丙丁,1\n" * 4).encode()
    assert len(body.translate(None, bytes(range(128)))) == _encoding.MOSTLY
    refused.write_bytes(body + b"\xff,2\n")
    with pytest.raises(ResonanceError) as caught:
        _encoding.scan_text(refused, "refused.csv", tmp_path / "r.csv")
    assert caught.value.where == f"refused.csv, line {prefix.count(chr(10)) + 5} (byte offset {len(body)})"
    # one character fewer: not "mostly UTF-8", so the scan goes on to the other encodings instead of naming a line
    fewer = tmp_path / "fewer.csv"
    short = (prefix + "甲乙丙丁,1\n" * 3 + "甲乙丙,1\n").encode()
    fewer.write_bytes(short + b"\xff,2\n")
    with pytest.raises(ResonanceError) as caught:
        _encoding.scan_text(fewer, "fewer.csv", tmp_path / "f.csv")
    assert caught.value.code == "source_encoding" and caught.value.where == "fewer.csv"
    assert _no_hash_thread()


def test_truncated_file_across_chunks_names_the_last_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_encoding, "CHUNK", 16)
    path = tmp_path / "cut.csv"
    raw = (ROWS + "丙").encode()[:-1]
    path.write_bytes(raw)
    with pytest.raises(ResonanceError) as caught:
        _encoding.scan_text(path, "cut.csv", tmp_path / "out.csv")
    assert caught.value.code == "source_truncated"
    assert caught.value.where == f"cut.csv, line {ROWS.count(chr(10)) + 1} (byte offset {len(raw) - 2})"


def test_position_is_line_and_non_ascii_bytes_before_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_bytes("ab\n甲\nc".encode())
    assert _encoding._position(path, 0) == (1, 0)
    assert _encoding._position(path, 3) == (2, 0)
    assert _encoding._position(path, 6) == (2, 3)
    assert _encoding._position(path, 7) == (3, 3)
    assert _encoding._position(path, 999) == (3, 3)  # past the end: the whole file
