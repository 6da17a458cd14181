"""The encoding scan: the fingerprint hashed beside the decode, and a failure's line and offset found afterwards."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from resonance.errors import ResonanceError
from resonance.node import _encoding

ROWS = "设备,温度\n" + "".join(f"甲{i}乙,{i}.5\n" for i in range(400))


def _no_hash_thread(path: Path) -> bool:
    return not any(t.name == f"resonance-sha256 {path}" for t in threading.enumerate())


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
    assert _no_hash_thread(path)  # joined once the hash was asked for


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
    assert _no_hash_thread(path)  # a failed scan stops its hash


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
    assert _no_hash_thread(refused) and _no_hash_thread(fewer)


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


TRICKY_UTF8 = "a é 温度 𝄞 \u0800 \uffff \U0010ffff z".encode()
INVALID_UTF8 = [
    b"\xc0\xaf",  # overlong '/'
    b"\xe0\x80\xaf",  # overlong, three bytes
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\xff",
    b"\x80",  # a lone continuation byte
    b"\xe6\xb8",  # a character cut short
    "温".encode("gb18030"),
]


def _python_says_valid(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("bad", INVALID_UTF8)
def test_the_arrow_check_agrees_with_python_decode(bad: bytes) -> None:
    for data in (TRICKY_UTF8, TRICKY_UTF8 + bad, bad + TRICKY_UTF8, TRICKY_UTF8[:5] + bad + TRICKY_UTF8[5:]):
        assert _encoding._valid_utf8(data, len(data)) == _python_says_valid(data), data


def test_a_chunk_is_cut_before_a_character_split_across_chunks() -> None:
    for end in range(len(TRICKY_UTF8) + 1):
        head = TRICKY_UTF8[:end]
        kept = _encoding._complete_utf8(head)
        assert _python_says_valid(head[:kept]), end  # what is checked now is whole characters
        assert len(head) - kept < 4 and (kept == end or not _python_says_valid(head)), end


def _outcome(path: Path, tmp_path: Path) -> tuple[str, str] | tuple[str, str, str]:
    try:
        found = _encoding.scan_text(path, "x.csv", tmp_path / "t.csv")
    except ResonanceError as exc:
        return ("error", exc.what, exc.where)
    return (found.encoding, found.sha256)


@pytest.mark.parametrize("chunk", [2, 3, 5, 1 << 20])
def test_the_arrow_check_gives_what_decoding_gives_wherever_the_bad_byte_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(_encoding, "CHUNK", chunk)
    path = tmp_path / "x.csv"
    good = b"k,v\n" + TRICKY_UTF8 * 30 + b"\n"
    files = [good] + [good[:at] + bad + good[at:] for at in (4, 37, 200, len(good) - 2) for bad in (b"\xff", b"\xe6")]
    files.append(good + "温".encode()[:2])  # ends inside a character
    for raw in files:
        path.write_bytes(raw)
        fast = _outcome(path, tmp_path)
        with monkeypatch.context() as python_only:
            python_only.setattr(_encoding, "_valid_utf8", lambda data, end: False)
            assert _outcome(path, tmp_path) == fast, raw
    checked = []
    real = _encoding._valid_utf8
    monkeypatch.setattr(_encoding, "_valid_utf8", lambda data, end: checked.append(end) or real(data, end))
    path.write_bytes(good)
    assert _outcome(path, tmp_path)[0] == "utf-8"
    assert sum(checked) == len(good)  # every byte was checked by Arrow, none decoded


def test_the_hash_runs_beside_the_scan_and_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    raw = ("a,b\n" + "温度,1.5\n" * 400_000).encode()
    path.write_bytes(raw)
    text = _encoding.scan_text(path, "big.csv", tmp_path / "t.csv")
    assert text.encoding == "utf-8" and text.size == len(raw)
    assert text.sha256 == hashlib.sha256(raw).hexdigest() and _no_hash_thread(path)


def test_a_file_that_cannot_be_read_to_the_end_is_an_error_on_asking_for_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "gone.csv"
    path.write_bytes(b"a\n1\n")
    found = _encoding.FileHash(path)
    found._thread.join()
    found._error = OSError("disk went away")  # what the thread keeps when a read fails
    with pytest.raises(ResonanceError) as caught:
        found.result()
    assert caught.value.code == "source_vanished" and caught.value.where == str(path)
