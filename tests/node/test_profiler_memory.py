"""Profiling a file of a few hundred thousand rows stays far below 1 GB of memory (measured in a child process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

ROWS = 300_000
MiB = 1024 * 1024


def _child(code: str) -> int:
    """Run ``code`` in a fresh interpreter; return that interpreter's own peak RSS (bytes).

    The child reads its ``VmHWM`` (the high-water mark of its own address space, which starts afresh at exec).
    ``getrusage`` would not do: ``RUSAGE_CHILDREN`` is the largest peak of any child the pytest worker ever waited
    for, and Linux carries a forked process's ``ru_maxrss`` across exec, so even the child's ``RUSAGE_SELF`` starts
    at the worker's own size (1,060 MiB in a full run) — both failed CI runs for that reason.
    """
    report = (
        "\nfrom pathlib import Path as _P\n"
        "print('PEAK_KIB', next(x.split()[1] for x in _P('/proc/self/status').read_text().splitlines()"
        " if x.startswith('VmHWM:')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code + report], check=True, timeout=300, capture_output=True, text=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("PEAK_KIB "))
    return int(line.split()[1]) * 1024  # /proc reports kB (KiB)


@pytest.mark.slow
def test_profile_peak_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    columns = ", ".join(
        [
            "i AS id",
            "TIMESTAMP '2024-01-01' + to_minutes((15 * i)::BIGINT) AS ts",
            "['甲','乙','丙'][1 + i % 3] AS 设备",
        ]
        + [f"round(random() * {j + 1} * 100, 3) AS x{j}" for j in range(15)]
        + [f"(i % {j + 3})::INTEGER AS code{j}" for j in range(3)]
    )
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT {columns} FROM range({ROWS}) t(i)) TO '{path}' (HEADER, DELIMITER ',')")
    work = tmp_path / "work"
    setup = textwrap.dedent(f"""
        from pathlib import Path
        from resonance.node.profiler import profile
        from resonance.node.sources import open_source
        source = open_source(Path({str(path)!r}), workdir=Path({str(work)!r}))
    """)
    baseline = _child(setup + "source.close()\n")
    peak = _child(
        setup
        + textwrap.dedent(f"""
        result = profile(source)
        assert result.rows == {ROWS} and len(result.columns) == 21, (result.rows, len(result.columns))
        source.close()
        """)
    )
    print(f"baseline {baseline / MiB:.0f} MiB, peak {peak / MiB:.0f} MiB")
    increase = peak - baseline
    assert increase < 700 * MiB, f"profiling raised peak RSS by {increase / MiB:.0f} MiB"
    assert peak < 1024 * MiB, f"peak RSS {peak / MiB:.0f} MiB"


@pytest.mark.slow
def test_whole_pipeline_peak_memory(tmp_path: Path) -> None:
    """profile + quality + sensitivity on one connection: the shared table must not push the peak past 1 GB."""
    path = tmp_path / "pii.csv"
    columns = ", ".join(
        [
            "i AS id",
            "TIMESTAMP '2024-01-01' + to_minutes((15 * i)::BIGINT) AS ts",
            "(13000000000 + (hash(i) % 6999999999))::BIGINT AS 手机",
            "'user' || i || '@example.com' AS email",
            "['张伟','王芳','李娜'][1 + i % 3] AS 负责人",
            "CASE WHEN i % 5 = 0 THEN '请联系 139' || lpad((i % 100000000)::VARCHAR, 8, '0') ELSE '正常' END AS 备注",
        ]
        + [f"round(random() * {j + 1} * 100, 3) AS x{j}" for j in range(12)]
        + [f"md5((i % {10 ** (j + 2)})::VARCHAR) AS t{j}" for j in range(3)]
    )
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT {columns} FROM range({ROWS}) t(i)) TO '{path}' (HEADER, DELIMITER ',')")
    work = tmp_path / "work"
    code = textwrap.dedent(f"""
        from pathlib import Path
        from resonance.node.pipeline import analyse
        from resonance.node.sources import open_source
        with open_source(Path({str(path)!r}), workdir=Path({str(work)!r})) as source:
            result = analyse(source)
        assert result.profile.rows == {ROWS} and len(result.sensitivity) == 21
        assert {{s.column for s in result.sensitivity if s.pii}} == {{"手机", "email", "负责人", "备注"}}
        status = Path("/proc/self/status").read_text()
        print(int(status.split("VmHWM:")[1].split()[0]) * 1024)
    """)
    done = subprocess.run([sys.executable, "-c", code], check=True, timeout=300, capture_output=True, text=True)
    peak = int(done.stdout.strip().splitlines()[-1])
    print(f"whole pipeline peak {peak / MiB:.0f} MiB")
    assert peak < 1024 * MiB, f"peak RSS {peak / MiB:.0f} MiB"


@pytest.mark.slow
def test_whole_pipeline_on_ten_thousand_columns_stays_under_1_gb(tmp_path: Path) -> None:
    """Very wide files: the quality scan once held every column's aggregates in one query (1.25 GB on 10,000
    columns), and a parallel read of such a file can exceed the memory limit (then it is read again in order)."""
    path = tmp_path / "wide.csv"
    columns = ", ".join(f"(i * {k}) % 97 AS c{k}" for k in range(10_000))
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT {columns} FROM range(300) r(i)) TO '{path}' (HEADER)")
    peak = _child(
        textwrap.dedent(f"""
        from pathlib import Path
        from resonance.node.pipeline import analyse
        from resonance.node.sources import open_source
        with open_source(Path({str(path)!r}), workdir=Path({str(tmp_path / "work")!r})) as source:
            result = analyse(source)
        assert result.profile.rows == 300 and len(result.sensitivity) == 10_000
        assert result.sensitivity[9999].sampled == 300 and result.sensitivity[9999].sampling == "all"
        """)
    )
    print(f"peak {peak / MiB:.0f} MiB")
    assert peak < 1024 * MiB, f"peak RSS {peak / MiB:.0f} MiB"
