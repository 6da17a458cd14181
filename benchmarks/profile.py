"""The node's whole analysis pipeline against ydata-profiling (minimal) and DuckDB ``SUMMARIZE``, on the same files.

What is measured against what
    Ours: ``open_source(path)`` + ``pipeline.analyse(source)``, the node's whole pipeline: encoding scan and
    fingerprint, profile (materialize, statistics, value counts, histograms, duplicates, correlations, time
    coverage, small-count suppression), quality assessment, sensitivity scan of every column on a 10,000-value
    DuckDB sample, and the grade proposal, all on one DuckDB connection (the file is parsed once).
    ydata-profiling: ``pandas.read_csv(path)`` + ``ProfileReport(df, minimal=True).to_json()`` (``to_json``
    forces the computation), i.e. what a user of that tool runs to get a profile of the same file.
    DuckDB: ``SELECT * FROM (SUMMARIZE SELECT * FROM read_csv(path))`` on a fresh connection with
    ``threads=2``: DuckDB's own one-query column summary, the floor of what profiling a CSV can cost.
    Each contender runs in its own subprocess, one after the other in the same run, and its time is taken
    inside that process around the work (interpreter start and imports excluded; the time of the whole
    subprocess is reported too). Peak RSS is the worker's own ``VmHWM`` (``/proc/self/status``, read when its
    work is done; ``ru_maxrss`` is the fallback where there is no /proc): ``getrusage``/``wait4``'s
    ``ru_maxrss`` of a child is not usable on Linux, because it starts from the parent's RSS at the fork and
    keeps it across ``exec``, so every child would report at least the orchestrating process. Figures are
    reported as ratios measured in the same run: ours ÷ SUMMARIZE (goal ≤ 2) and ydata ÷ ours (goal ≥ 20).

Data
    A generated table (default 1,000,000 rows × 50 columns, ``_profile_data.py``: integers, floats,
    categoricals of cardinality 2 to 1,000,000, timestamps, booleans, free text, PII columns: mobile numbers,
    resident ID numbers with valid check characters, e-mails, names), written as CSV (and Parquet with
    ``--parquet``) into ``benchmarks/out/profile/`` by DuckDB and kept there for the next run; and the real
    datasets of ``../shared/data`` that are present (CMAPSS, the steel-plate faults and the five gas-turbine
    years are first written as one headed CSV each, because the three contenders must read the same file).

ydata-profiling on the large table
    ydata-profiling is first timed on the first 10k, 50k, 100k (and 200k) rows (the head of the table, written
    as its own CSV); after each sample its scaling is fitted (a + b·n, and the exponent of a power law). As soon
    as the projection for the full table is under ``--ydata-limit`` seconds (600) and its projected peak RSS
    under ``--ydata-max-rss-gb`` (75% of MemAvailable), it is run on the full table and measured. Otherwise its
    time on the full table is extrapolated, and the output says so (``*``) wherever the figure is used. Our
    pipeline and SUMMARIZE are timed on the same samples, so the ratio at each size is measured too.

ydata-profiling needs pandas < 3, the project uses pandas 3, so it lives in a venv of its own (not a
project dependency)::

    python3.11 -m venv benchmarks/.venv-ydata && echo '*' > benchmarks/.venv-ydata/.gitignore
    benchmarks/.venv-ydata/bin/pip install ydata-profiling

Without it (or with ``--skip-ydata``) that comparator is skipped with a message. Run from the repository
root::

    .venv/bin/python benchmarks/profile.py --parquet                # the recorded run (~8-11 min)
    .venv/bin/python benchmarks/profile.py --rows 100000 --skip-real  # a quick check (~1 min)
    .venv/bin/python benchmarks/profile.py --skip-ydata --json out.json

The exit status is 0 when the goals are met on the generated table, 1 when one is not.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = HERE / "out" / "profile"
YDATA_VENV_PYTHON = HERE / ".venv-ydata" / "bin" / "python"
MARK = "@@RESULT@@ "
MAX_OURS_VS_SUMMARIZE = 2.0
MIN_YDATA_VS_OURS = 20.0
CONTENDERS = ("ours", "summarize", "ydata")
YDATA_INSTALL = (
    "ydata-profiling is not available: that comparator is skipped. It needs pandas < 3 (the project has pandas 3),"
    " so install it in a venv of its own:\n"
    "    python3.11 -m venv benchmarks/.venv-ydata && echo '*' > benchmarks/.venv-ydata/.gitignore\n"
    "    benchmarks/.venv-ydata/bin/pip install ydata-profiling\n"
    "or pass --ydata-python PATH to an interpreter that has it."
)


# --- workers: each runs in its own subprocess and prints one MARK line of JSON -----------------------------------


def _worker_ours(path: str) -> dict[str, Any]:
    """open_source + pipeline.analyse, with each phase timed by wrapping the functions analyse calls."""
    from resonance.node import pipeline
    from resonance.node.sources import open_source

    spent: dict[str, float] = {}
    materializations: list[float] = []

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    from resonance.node import _profile_run
    from resonance.node.sources import file_sha256

    queries: dict[str, list[float]] = {}
    run_query = _profile_run.Run.query

    def query(self: Any, sql: str, params: list[Any] | None = None, con: Any = None) -> list[tuple[Any, ...]]:
        begin = time.perf_counter()
        try:
            return run_query(self, sql, params, con)
        finally:
            entry = queries.setdefault(_query_kind(sql), [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - begin

    _profile_run.Run.query = query  # type: ignore[method-assign]
    per_column: dict[str, float] = {}
    scan_counts = pipeline.scan_counts

    def scan(name: str, *args: Any, **kwargs: Any) -> Any:
        begin = time.perf_counter()
        try:
            return scan_counts(name, *args, **kwargs)
        finally:
            per_column[name] = time.perf_counter() - begin

    pipeline.scan_counts = scan  # type: ignore[assignment]
    pipeline.profile = timed("profile", pipeline.profile)  # type: ignore[assignment]
    pipeline.assess = timed("quality", pipeline.assess)  # type: ignore[assignment]
    pipeline.scan_sensitivity = timed("sensitivity", pipeline.scan_sensitivity)  # type: ignore[assignment]
    pipeline.scan_counts = timed("sensitivity_python", pipeline.scan_counts)  # type: ignore[assignment]
    pipeline.grade = timed("grade", pipeline.grade)  # type: ignore[assignment]
    marks: list[tuple[str, float]] = []

    def progress(phase: str, fraction: float) -> None:
        if not marks or marks[-1][0] != phase:
            marks.append((phase, time.perf_counter()))

    workdir = Path(tempfile.mkdtemp(prefix="bench-profile-", dir=os.environ.get("BENCH_WORKDIR")))
    try:
        started, cpu = time.perf_counter(), time.process_time()
        source = open_source(path, workdir=workdir)
        opened = time.perf_counter()
        relation = source.relation

        def counted(con: Any, *, materialize: bool = False) -> str:
            begin = time.perf_counter()
            try:
                return relation(con, materialize=materialize)
            finally:
                if materialize:
                    materializations.append(time.perf_counter() - begin)

        source.relation = counted  # type: ignore[method-assign]
        with source:
            analysis = pipeline.analyse(source, progress=progress)
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    profile_phases: dict[str, float] = {}
    profile_end = marks[-1][1] if marks else opened
    for (phase, at), (_, until) in zip(marks, [*marks[1:], ("end", profile_end)], strict=True):
        if phase != "done":
            profile_phases[phase] = round(until - at, 3)
    flagged = {s.column: list(s.flagged_kinds) for s in analysis.sensitivity if s.flagged_kinds}
    hashing = time.perf_counter()
    file_sha256(Path(path))  # after the timed run: how much of "open" hashing alone takes
    hashing = time.perf_counter() - hashing
    python_by_type: dict[str, float] = {}
    for column in analysis.profile.columns:
        kind = column.type if column.kind in ("numeric", "temporal", "boolean") else "VARCHAR"
        python_by_type[kind] = python_by_type.get(kind, 0.0) + per_column.get(column.name, 0.0)
    return {
        "seconds": total,
        "cpu_seconds": round(cpu, 3),
        "phases": {
            "open": round(opened - started, 3),
            **{k: round(v, 3) for k, v in spent.items()},
        },
        "profile_phases": profile_phases,
        "profile_queries": {k: [n, round(t, 3)] for k, (n, t) in sorted(queries.items(), key=lambda kv: -kv[1][1])},
        "sensitivity_python_by_type": {
            k: round(v, 3) for k, v in sorted(python_by_type.items(), key=lambda kv: -kv[1])
        },
        "sha256_seconds": round(hashing, 3),
        "materializations": [round(m, 3) for m in materializations],
        "rows": analysis.profile.rows,
        "columns": len(analysis.profile.columns),
        "quality_grade": analysis.quality.grade,
        "grade": analysis.proposal.level,
        "flagged": flagged,
    }


def _query_kind(sql: str) -> str:
    """A short label for one of the profiler's queries."""
    text = " ".join(sql.split())
    for needle, label in (
        ("DESCRIBE", "describe"),
        ("_text_sample AS", "text type-inference sample"),
        ("FROM _text_sample", "text type inference (casts on the sample)"),
        ("DROP", "drop temp table"),
        ("_profile_sample AS", "deterministic sample (ORDER BY hash LIMIT)"),
        ("approx_top_k", "frequent-value candidates (on the sample)"),
        ("corr(", "correlations (on the sample)"),
        ("GROUPING SETS", "exact value counts (GROUPING SETS, one scan)"),
        ("SEMI JOIN", "exact counts of candidate values (semi-join per column)"),
        ("UNPIVOT", "exact value counts (UNPIVOT + GROUP BY)"),
        ("WITH g AS", "top values of high-cardinality text (GROUP BY per column)"),
        ("hash(*COLUMNS(*))", "duplicate rows (hash of the row, GROUP BY)"),
        ("count(DISTINCT", "unique-column check (one exact distinct count)"),
        ("lag(epoch", "time granularity (sorted steps per time column)"),
        ("histogram(", "histograms and exact counts of candidates"),
        ("count_if(date_trunc", "histograms and exact counts of candidates"),
        ("approx_count_distinct", "basic statistics (one wide scan)"),
        ("SELECT count(*) FROM", "row count"),
    ):
        if needle in text:
            return label
    return text[:60]


def _worker_summarize(path: str, threads: int) -> dict[str, Any]:
    import duckdb

    reader = "read_parquet" if path.endswith(".parquet") else "read_csv"
    literal = "'" + path.replace("'", "''") + "'"
    started, cpu = time.perf_counter(), time.process_time()
    con = duckdb.connect(":memory:", config={"threads": threads})
    rows = con.execute(f"SELECT * FROM (SUMMARIZE SELECT * FROM {reader}({literal}))").fetchall()
    con.close()
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "columns": len(rows),
        "duckdb": duckdb.__version__,
    }


def _worker_ydata(path: str) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore")
    import pandas as pd
    import ydata_profiling
    from ydata_profiling import ProfileReport

    started, cpu = time.perf_counter(), time.process_time()
    df = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
    read = time.perf_counter()
    text = ProfileReport(df, minimal=True, progress_bar=False).to_json()
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "read_seconds": round(read - started, 3),
        "profile_seconds": round(done - read, 3),
        "json_bytes": len(text),
        "rows": len(df),
        "ydata_profiling": ydata_profiling.__version__,
        "pandas": pd.__version__,
    }


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: of this exec'd image only), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def worker_main(kind: str, path: str, threads: int) -> int:
    if kind == "ours":
        result = _worker_ours(path)
    elif kind == "summarize":
        result = _worker_summarize(path, threads)
    elif kind == "ydata":
        result = _worker_ydata(path)
    else:
        raise SystemExit(f"unknown worker {kind}")
    result["peak_rss_mb"] = _peak_rss_mb()
    print(MARK + json.dumps(result, ensure_ascii=False, default=str), flush=True)
    return 0


# --- running a contender -------------------------------------------------------------------------------------


@dataclass
class Measure:
    """One contender on one file: seconds of the work, of the whole subprocess, and its peak RSS."""

    contender: str
    seconds: float | None = None
    cpu_seconds: float | None = None  # CPU time of the work, all threads (less sensitive to a busy machine)
    process_seconds: float | None = None
    peak_rss_mb: float | None = None
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and self.seconds is not None


def run_worker(python: str, kind: str, path: Path, *, threads: int, timeout: float, workdir: Path) -> Measure:
    """Run one worker in a fresh subprocess (``-P``: this folder is not put on its path) and wait4 it."""
    command = [python, "-P", str(Path(__file__).resolve()), "--worker", kind, str(path), "--threads", str(threads)]
    env = {**os.environ, "BENCH_WORKDIR": str(workdir), "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryFile("w+") as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env, cwd=REPO)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        elapsed = time.perf_counter() - started
        errors.seek(0)
        tail = errors.read()[-2000:]
    measure = Measure(kind, process_seconds=round(elapsed, 3))
    lines = [line for line in out.splitlines() if line.startswith(MARK)]
    if killed.is_set():
        measure.error = f"timed out after {timeout:.0f} s"
    elif proc.returncode != 0 or not lines:
        measure.error = f"exit {proc.returncode}: {tail.strip().splitlines()[-1] if tail.strip() else 'no output'}"
    else:
        detail = json.loads(lines[-1][len(MARK) :])
        measure.seconds = round(float(detail.pop("seconds")), 3)
        measure.peak_rss_mb = detail.pop("peak_rss_mb", None)
        measure.cpu_seconds = detail.pop("cpu_seconds", None)
        detail["wait4_ru_maxrss_mb"] = round(usage.ru_maxrss / 1024, 1)
        measure.detail = detail
    return measure


def best(measures: list[Measure]) -> Measure:
    """The fastest successful run (its peak RSS replaced by the largest of all runs), or the last failure."""
    good = [m for m in measures if m.ok]
    if not good:
        return measures[-1]
    chosen = min(good, key=lambda m: m.seconds or math.inf)
    peaks = [m.peak_rss_mb for m in good if m.peak_rss_mb is not None]
    chosen.peak_rss_mb = max(peaks) if peaks else None
    chosen.detail["runs"] = [m.seconds for m in good]
    return chosen


# --- data ----------------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    name: str
    path: Path
    rows: int
    cols: int
    note: str = ""

    @property
    def megabytes(self) -> float:
        return round(self.path.stat().st_size / 1e6, 1)


def _write_csv(target: Path, header: list[str], rows: list[list[str]]) -> None:
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def real_datasets(data_dir: Path, out_dir: Path) -> tuple[list[Dataset], list[str]]:
    """The real datasets present under ``data_dir``; headless or split ones written as one headed CSV."""
    found: list[Dataset] = []
    missing: list[str] = []
    out_dir.mkdir(parents=True, exist_ok=True)

    def count(path: Path) -> tuple[int, int]:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            return sum(1 for _ in reader), len(header)

    for name, relative, note in (
        ("ai4i2020", "ai4i2020/ai4i2020.csv", "as shipped (BOM, CRLF)"),
        ("steel_energy", "steel_energy/Steel_industry_data.csv", "as shipped (BOM, CRLF, dd-mm-yyyy HH:MM)"),
        ("ccpp", "ccpp/Folds5x2_pp.csv", "as shipped"),
    ):
        path = data_dir / relative
        if path.exists():
            rows, cols = count(path)
            found.append(Dataset(name, path, rows, cols, note))
        else:
            missing.append(name)

    cmapss = data_dir / "cmapss_fd001" / "train_FD001.txt"
    if cmapss.exists():
        header = ["unit", "cycle", "setting_1", "setting_2", "setting_3"] + [f"s{k}" for k in range(1, 22)]
        table = [line.split() for line in cmapss.read_text().splitlines() if line.strip()]
        target = out_dir / "cmapss_fd001_train.csv"
        _write_csv(target, header, table)
        found.append(Dataset("cmapss_fd001", target, len(table), len(header), "train_FD001.txt with a header"))
    else:
        missing.append("cmapss_fd001")

    years = sorted((data_dir / "gas_turbine_emissions").glob("gt_20*.csv"))
    if years:
        header, body = [], []
        for path in years:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
            header = lines[0].split(",")
            body += [line.split(",") for line in lines[1:] if line.strip()]
        target = out_dir / "gas_turbine_emissions.csv"
        _write_csv(target, header, body)
        found.append(Dataset("gas_turbine_emissions", target, len(body), len(header), f"{len(years)} years in one CSV"))
    else:
        missing.append("gas_turbine_emissions")

    faults = data_dir / "steel_plates_faults" / "Faults.NNA"
    names = data_dir / "steel_plates_faults" / "Faults27x7_var"
    if faults.exists() and names.exists():
        header = [n.strip() for n in names.read_text().splitlines() if n.strip()]
        table = [line.split("\t") for line in faults.read_text().splitlines() if line.strip()]
        target = out_dir / "steel_plates_faults.csv"
        _write_csv(target, header, table)
        found.append(Dataset("steel_plates_faults", target, len(table), len(header), "Faults.NNA with its header"))
    else:
        missing.append("steel_plates_faults")
    return found, missing


# --- the run -------------------------------------------------------------------------------------------------


@dataclass
class Row:
    """The three contenders on one file, with the ratios."""

    dataset: str
    rows: int
    cols: int
    megabytes: float
    ours: Measure
    summarize: Measure
    ydata: Measure | None
    ydata_extrapolated: bool = False
    note: str = ""

    @property
    def ours_vs_summarize(self) -> float | None:
        if self.ours.ok and self.summarize.ok and self.summarize.seconds:
            return round((self.ours.seconds or 0) / self.summarize.seconds, 2)
        return None

    @property
    def ours_vs_summarize_cpu(self) -> float | None:
        if self.ours.cpu_seconds and self.summarize.cpu_seconds:
            return round(self.ours.cpu_seconds / self.summarize.cpu_seconds, 2)
        return None

    @property
    def ydata_vs_ours(self) -> float | None:
        if self.ydata is not None and self.ydata.ok and self.ours.ok and self.ours.seconds:
            return round((self.ydata.seconds or 0) / self.ours.seconds, 1)
        return None

    @property
    def ydata_vs_ours_cpu(self) -> float | None:
        if self.ydata is not None and self.ydata.cpu_seconds and self.ours.cpu_seconds:
            return round(self.ydata.cpu_seconds / self.ours.cpu_seconds, 1)
        return None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            ours_vs_summarize=self.ours_vs_summarize,
            ours_vs_summarize_cpu=self.ours_vs_summarize_cpu,
            ydata_vs_ours=self.ydata_vs_ours,
            ydata_vs_ours_cpu=self.ydata_vs_ours_cpu,
        )
        return out


@dataclass
class Fit:
    """ydata's time against rows: a + b·n by least squares, and t ∝ n^p by least squares on logs."""

    points: list[tuple[int, float]]
    a: float
    b: float
    exponent: float
    model: str

    def predict(self, rows: int) -> float:
        if self.model == "linear":
            return self.a + self.b * rows
        n0, t0 = self.points[-1]
        return t0 * (rows / n0) ** self.exponent


def fit(points: list[tuple[int, float]]) -> Fit:
    ns = [float(n) for n, _ in points]
    ts = [t for _, t in points]
    mean_n, mean_t = sum(ns) / len(ns), sum(ts) / len(ts)
    var = sum((n - mean_n) ** 2 for n in ns)
    b = sum((n - mean_n) * (t - mean_t) for n, t in zip(ns, ts, strict=True)) / var if var else 0.0
    a = mean_t - b * mean_n
    logs = [(math.log(n), math.log(t)) for n, t in zip(ns, ts, strict=True) if t > 0]
    mean_x = sum(x for x, _ in logs) / len(logs)
    mean_y = sum(y for _, y in logs) / len(logs)
    var_x = sum((x - mean_x) ** 2 for x, _ in logs)
    exponent = sum((x - mean_x) * (y - mean_y) for x, y in logs) / var_x if var_x else 1.0
    return Fit(points, a, b, exponent, "linear" if exponent <= 1.15 else "power")


class Runner:
    def __init__(self, args: argparse.Namespace, ydata_python: str | None) -> None:
        self.args = args
        self.ydata_python = ydata_python
        self.workdir = Path(args.out_dir) / "work"
        self.workdir.mkdir(parents=True, exist_ok=True)

    def one(self, kind: str, path: Path, repeat: int, timeout: float | None = None) -> Measure:
        python = self.ydata_python if kind == "ydata" else sys.executable
        assert python is not None
        limit = timeout or self.args.timeout
        runs = []
        for _ in range(repeat):
            runs.append(run_worker(python, kind, path, threads=self.args.threads, timeout=limit, workdir=self.workdir))
            if not runs[-1].ok:
                break
        measure = best(runs)
        shown = f"{measure.seconds:.2f} s" if measure.ok else measure.error
        print(f"    {kind:19} {path.name}: {shown}  (peak RSS {measure.peak_rss_mb} MB)", flush=True)
        return measure

    def row(self, data: Dataset, repeat: int, *, ydata: bool = True, ydata_repeat: int | None = None) -> Row:
        print(f"  {data.name} ({data.rows:,} × {data.cols}, {data.megabytes} MB)", flush=True)
        ours = self.one("ours", data.path, repeat)
        summarize = self.one("summarize", data.path, repeat)
        measured = None
        if ydata and self.ydata_python:
            measured = self.one("ydata", data.path, ydata_repeat or repeat)
        return Row(data.name, data.rows, data.cols, data.megabytes, ours, summarize, measured, note=data.note)


def synthetic(args: argparse.Namespace, rows: int, *, parquet: bool = False) -> tuple[Dataset, dict[str, Any]]:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    import _profile_data

    info = _profile_data.generate(rows, args.cols, Path(args.out_dir), parquet=parquet, threads=args.threads)
    return Dataset(f"generated {rows:,}", Path(info["csv"]), rows, args.cols), info


def large_table(runner: Runner, args: argparse.Namespace, main: Dataset) -> tuple[Row, list[Row], Fit | None]:
    """The generated table: ours and SUMMARIZE on it; ydata on it directly, or on head samples and extrapolated."""
    print(f"  {main.name} ({main.rows:,} × {main.cols}, {main.megabytes} MB)", flush=True)
    kinds = ["ours", "summarize"]
    runs: dict[str, list[Measure]] = {kind: [] for kind in kinds}
    for _ in range(args.repeat):  # interleaved, so that a change in the machine's load hits all of them
        for kind in kinds:
            runs[kind].append(runner.one(kind, main.path, 1))
    chosen = {kind: best(measures) for kind, measures in runs.items()}
    row = Row(main.name, main.rows, main.cols, main.megabytes, chosen["ours"], chosen["summarize"], None)
    samples: list[Row] = []
    if runner.ydata_python is None:
        return row, samples, None
    ladder = sorted(n for n in args.ydata_samples if n < main.rows)
    points: list[tuple[int, float]] = []
    model: Fit | None = None
    direct = not ladder
    for n in ladder:
        data, _ = synthetic(args, n)
        data.name = f"head {n:,}"
        sample = runner.row(data, args.repeat, ydata_repeat=args.ydata_repeat)
        samples.append(sample)
        if sample.ydata is None or not sample.ydata.ok:
            break
        points.append((n, sample.ydata.seconds or 0.0))
        if len(points) >= 2:
            model = fit(points)
            projected = model.predict(main.rows)
            print(f"    ydata projected on {main.rows:,} rows: {projected:.0f} s ({model.model} fit)", flush=True)
            rss = _projected_rss(samples, main.rows)
            if rss is not None:
                print(f"    ydata peak RSS projected on {main.rows:,} rows: {rss / 1024:.1f} GB", flush=True)
            if projected <= args.ydata_limit and (rss is None or rss <= args.ydata_max_rss_gb * 1024):
                direct = True
                break
    if direct:
        row.ydata = runner.one("ydata", main.path, args.ydata_repeat, timeout=max(args.timeout, args.ydata_limit * 1.5))
        return row, samples, model
    if model is not None:
        largest = samples[len(points) - 1].ydata
        assert largest is not None
        projected = model.predict(main.rows)
        rss = _projected_rss(samples, main.rows)
        cpu = None
        if largest.cpu_seconds and largest.seconds:
            cpu = round(projected * largest.cpu_seconds / largest.seconds, 1)
        row.ydata = Measure(
            "ydata",
            seconds=round(projected, 1),
            cpu_seconds=cpu,
            peak_rss_mb=rss,
            detail={"extrapolated_from": points, "fit": asdict(model)},
        )
        row.ydata_extrapolated = True
    return row, samples, model


def _projected_rss(samples: list[Row], rows: int) -> float | None:
    """ydata's peak RSS on ``rows`` rows, by a straight line through its two largest samples."""
    known = [
        (s.rows, s.ydata.peak_rss_mb) for s in samples if s.ydata is not None and s.ydata.ok and s.ydata.peak_rss_mb
    ]
    if len(known) < 2:
        return None
    (n0, r0), (n1, r1) = known[-2], known[-1]
    return round(r1 + (r1 - r0) / (n1 - n0) * (rows - n1), 0)


def _available_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 8.0


def machine() -> dict[str, Any]:
    def sh(command: list[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    import duckdb

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "nproc": sh(["nproc"]),
        "free_g": sh(["free", "-g"]),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in line
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def find_ydata(args: argparse.Namespace) -> str | None:
    if args.skip_ydata:
        return None
    candidates = [args.ydata_python] if args.ydata_python else [sys.executable, str(YDATA_VENV_PYTHON)]
    for python in candidates:
        if not python or not Path(python).exists():
            continue
        probe = subprocess.run(
            [
                python,
                "-P",
                "-c",
                "import ydata_profiling, pandas; print(ydata_profiling.__version__, pandas.__version__)",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0:
            version, pandas = probe.stdout.split()[-2:]
            print(f"ydata-profiling {version} (pandas {pandas}) from {python}")
            return python
    print(YDATA_INSTALL)
    return None


# --- output --------------------------------------------------------------------------------------------------


def _s(m: Measure | None, extrapolated: bool = False) -> str:
    if m is None:
        return "—"
    if not m.ok:
        return f"({m.error})"
    return f"{m.seconds:.1f}{'*' if extrapolated else ''}"


def _ratio(value: float | None, extrapolated: bool = False) -> str:
    return "—" if value is None else f"{value:g}{'*' if extrapolated else ''}"


def _rss(m: Measure | None, extrapolated: bool = False) -> str:
    if m is None or m.peak_rss_mb is None:
        return "—"
    return f"{m.peak_rss_mb:,.0f}{'*' if extrapolated else ''}"


def _cpu(m: Measure | None, extrapolated: bool = False) -> str:
    if m is None or m.cpu_seconds is None:
        return "—"
    return f"{m.cpu_seconds:.1f}{'*' if extrapolated else ''}"


def table(rows: list[Row]) -> str:
    lines = [
        "| data | rows × cols | MB | ours s | SUMMARIZE s | ydata s | ours ÷ SUMMARIZE | ydata ÷ ours "
        "| CPU s ours / SUMMARIZE / ydata | CPU ours ÷ SUMMARIZE | CPU ydata ÷ ours "
        "| peak RSS MB ours / SUMMARIZE / ydata |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        x = r.ydata_extrapolated
        lines.append(
            f"| {r.dataset} | {r.rows:,} × {r.cols} | {r.megabytes} | {_s(r.ours)} | {_s(r.summarize)} "
            f"| {_s(r.ydata, x)} | {_ratio(r.ours_vs_summarize)} | {_ratio(r.ydata_vs_ours, x)} "
            f"| {_cpu(r.ours)} / {_cpu(r.summarize)} / {_cpu(r.ydata, x)} | {_ratio(r.ours_vs_summarize_cpu)} "
            f"| {_ratio(r.ydata_vs_ours_cpu, x)} "
            f"| {_rss(r.ours)} / {_rss(r.summarize)} / {_rss(r.ydata, x)} |"
        )
    return "\n".join(lines)


def phases(measure: Measure) -> str:
    if not measure.ok:
        return ""
    d = measure.detail
    total = measure.seconds or 1.0
    p = d["phases"]
    sens_python = p.get("sensitivity_python", 0.0)
    parts = [
        ("open: encoding scan + sha256 + sniff", p.get("open", 0.0)),
        ("profile", p.get("profile", 0.0)),
        ("quality (assess)", p.get("quality", 0.0)),
        ("sensitivity: DuckDB samples (by row hash)", p.get("sensitivity", 0.0) - sens_python),
        ("sensitivity: Python recognizers", sens_python),
        ("grade", p.get("grade", 0.0)),
    ]
    lines = ["| phase | s | share |", "|---|---|---|"]
    for name, seconds in parts:
        lines.append(f"| {name} | {seconds:.2f} | {seconds / total:.0%} |")
        if name == "profile":
            for phase, sec in d.get("profile_phases", {}).items():
                lines.append(f"| · profile: {phase} | {sec:.2f} | {sec / total:.0%} |")
    lines.append(f"| total | {total:.2f} | |")
    mats = d.get("materializations", [])
    lines.append("")
    lines.append(
        f"Calls of source.relation(materialize=True): {len(mats)} ({', '.join(f'{m:.2f} s' for m in mats)}; "
        "the first reads the file into the connection's table, later ones find it there)."
        f" sha256 of the file alone: {d.get('sha256_seconds', 0):.2f} s (part of open)."
    )
    by_type = d.get("sensitivity_python_by_type") or {}
    if by_type:
        lines.append(
            "Python recognizers by column type: " + ", ".join(f"{k} {v:.2f} s" for k, v in by_type.items()) + "."
        )
    queries = d.get("profile_queries") or {}
    if queries:
        lines += ["", "| profile query (all of one kind) | queries | s |", "|---|---|---|"]
        lines += [f"| {k} | {n} | {t:.2f} |" for k, (n, t) in queries.items()]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    begun = time.perf_counter()
    info = machine()
    print(f"{info['date']} · {info['nproc']} cores · {info['cpu']} · Python {info['python']} · DuckDB {info['duckdb']}")
    print(f"command: {info['command']}")
    ydata_python = find_ydata(args)
    runner = Runner(args, ydata_python)

    print(f"generating {args.rows:,} × {args.cols} …", flush=True)
    main, gen = synthetic(args, args.rows, parquet=args.parquet)
    cached = "cached from an earlier run" if gen["cached"]["csv"] else f"{gen['seconds']['csv']} s"
    print(f"  {main.path} ({main.megabytes} MB, {cached})")

    print("generated table:", flush=True)
    big, samples, model = large_table(runner, args, main)
    rows = [big]
    parquet_row: Row | None = None
    if args.parquet:
        print("generated table as Parquet:", flush=True)
        pq = Path(gen["parquet"])
        data = Dataset(f"generated {args.rows:,} (Parquet)", pq, args.rows, args.cols)
        parquet_row = runner.row(data, args.repeat, ydata=False)  # ydata's read is timed apart on the CSV
        parquet_row.megabytes = round(pq.stat().st_size / 1e6, 1)
    real: list[Row] = []
    missing: list[str] = []
    if not args.skip_real:
        found, missing = real_datasets(Path(args.data_dir), Path(args.out_dir) / "real")
        if missing:
            print(f"real datasets not found under {args.data_dir} (skipped): {', '.join(missing)}")
        print("real datasets:", flush=True)
        for data in found:
            real.append(runner.row(data, args.small_repeat))

    print()
    print(f"## {info['date']} · {info['nproc']} cores · {info['command']}")
    print()
    print(table(rows + ([parquet_row] if parquet_row else []) + samples + real))
    if big.ydata_extrapolated and model is not None:
        print()
        print(
            f"* ydata-profiling on {args.rows:,} rows is EXTRAPOLATED, not measured: timed on the first "
            + ", ".join(f"{n:,}" for n, _ in model.points)
            + f" rows ({', '.join(f'{t:.1f} s' for _, t in model.points)}); least squares t = {model.a:.2f} s + "
            f"{model.b * 1e6:.2f} s per million rows, power-law exponent {model.exponent:.2f} "
            f"({'~linear' if abs(model.exponent - 1) <= 0.15 else 'not linear'}); the {model.model} fit gives "
            f"{model.predict(args.rows):.0f} s. Its peak RSS is a straight line through its two largest samples."
        )
    if model is not None and big.ydata is not None and big.ydata.ok and not big.ydata_extrapolated:
        print()
        print(
            f"ydata-profiling's scaling on the first {', '.join(f'{n:,}' for n, _ in model.points)} rows: "
            f"t = {model.a:.2f} s + {model.b * 1e6:.2f} s per million rows, power-law exponent {model.exponent:.2f}; "
            f"that fit predicted {model.predict(args.rows):.0f} s on {args.rows:,} rows, "
            f"measured {big.ydata.seconds:.0f} s "
            f"(read_csv {big.ydata.detail.get('read_seconds')} s, profile {big.ydata.detail.get('profile_seconds')} s)."
        )
    if big.ours.ok:
        print()
        print(f"Where our {args.rows:,}-row run spends its time:")
        print()
        print(phases(big.ours))
        print()
        if parquet_row is not None and parquet_row.ours.ok:
            print()
            print(f"Where our {args.rows:,}-row run spends its time on the Parquet file:")
            print()
            print(phases(parquet_row.ours))
        print()
        print("Flagged columns:", json.dumps(big.ours.detail.get("flagged"), ensure_ascii=False))
        print(f"Grade proposal: {big.ours.detail.get('grade')}; quality grade: {big.ours.detail.get('quality_grade')}")
    vs_summarize, vs_ydata = big.ours_vs_summarize, big.ydata_vs_ours
    met_summarize = vs_summarize is not None and vs_summarize <= MAX_OURS_VS_SUMMARIZE
    met_ydata = vs_ydata is not None and vs_ydata >= MIN_YDATA_VS_OURS
    print()
    print(
        f"goal ours ÷ SUMMARIZE ≤ {MAX_OURS_VS_SUMMARIZE:g}: {_ratio(vs_summarize)} → "
        f"{'met' if met_summarize else 'NOT met'} (by CPU time: {_ratio(big.ours_vs_summarize_cpu)})"
    )
    if big.ydata is None:
        print(f"goal ydata ÷ ours ≥ {MIN_YDATA_VS_OURS:g}: not measured (ydata-profiling skipped)")
    else:
        print(
            f"goal ydata ÷ ours ≥ {MIN_YDATA_VS_OURS:g}: {_ratio(vs_ydata, big.ydata_extrapolated)}"
            f"{' (extrapolated ydata time)' if big.ydata_extrapolated else ''} → {'met' if met_ydata else 'NOT met'}"
            f" (by CPU time: {_ratio(big.ydata_vs_ours_cpu, big.ydata_extrapolated)})"
        )
    elapsed = time.perf_counter() - begun
    print(f"benchmark wall time: {elapsed / 60:.1f} min")
    if args.json:
        payload = {
            "machine": info,
            "generation": gen,
            "large": big.as_dict(),
            "parquet": parquet_row.as_dict() if parquet_row else None,
            "samples": [r.as_dict() for r in samples],
            "real": [r.as_dict() for r in real],
            "real_missing": missing,
            "ydata_fit": asdict(model) if model else None,
            "goals": {
                "ours_vs_summarize_max": MAX_OURS_VS_SUMMARIZE,
                "ydata_vs_ours_min": MIN_YDATA_VS_OURS,
                "met_summarize": met_summarize,
                "met_ydata": met_ydata if big.ydata is not None else None,
            },
            "wall_seconds": round(elapsed, 1),
        }
        Path(args.json).write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str))
        print(f"wrote {args.json}")
    if args.clean:
        shutil.rmtree(args.out_dir, ignore_errors=True)
    return 0 if met_summarize and (met_ydata or big.ydata is None) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated table (default 1000000)")
    parser.add_argument("--cols", type=int, default=50, help="columns of the generated table (default 50)")
    parser.add_argument("--parquet", action="store_true", help="also write the table as Parquet and time that")
    parser.add_argument("--skip-ydata", action="store_true", help="leave ydata-profiling out")
    parser.add_argument(
        "--ydata-python", help="a Python that has ydata-profiling (default: this one, then benchmarks/.venv-ydata)"
    )
    parser.add_argument(
        "--ydata-limit",
        type=float,
        default=600.0,
        help="longest ydata run on the full table, in seconds; above it ydata is extrapolated from samples (600)",
    )
    parser.add_argument(
        "--ydata-max-rss-gb",
        type=float,
        default=round(0.75 * _available_gb(), 1),
        help="run ydata on the full table only if its projected peak RSS stays below this (75%% of MemAvailable)",
    )
    parser.add_argument(
        "--ydata-samples",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[10_000, 50_000, 100_000, 200_000],
        help="head sizes for ydata's scaling (default 10000,50000,100000,200000)",
    )
    parser.add_argument("--skip-real", action="store_true", help="leave the real datasets out")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA), help=f"real datasets (default {DEFAULT_DATA})")
    parser.add_argument("--out-dir", default=str(DEFAULT_OUT), help=f"generated files (default {DEFAULT_OUT})")
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of ours and SUMMARIZE on the large files (2, best kept)"
    )
    parser.add_argument("--ydata-repeat", type=int, default=1, help="runs of ydata on the large files (1)")
    parser.add_argument("--small-repeat", type=int, default=3, help="runs per contender on the real datasets")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads for SUMMARIZE and generation (2)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds before one run is killed (900)")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--clean", action="store_true", help="delete the generated files at the end")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args.worker[0], args.worker[1], args.threads)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
