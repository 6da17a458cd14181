"""Access to the data bundled with the package (no network, no ../shared needed)."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from functools import lru_cache
from importlib import resources

import pandas as pd


@lru_cache
def ai4i_rows() -> list[dict[str, str]]:
    """The AI4I 2020 rows as dicts keyed by the original headers."""
    raw = resources.files("resonance.demo").joinpath("data/ai4i2020.csv.gz").read_bytes()
    text = gzip.decompress(raw).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def ai4i_shape_by_type() -> dict[str, dict[str, int]]:
    """Rows, columns and failures per product Type (L/M/H): the three demo enterprises' datasets."""
    rows = ai4i_rows()
    counts = Counter(r["Type"] for r in rows)
    failures = Counter(r["Type"] for r in rows if r["Machine failure"] == "1")
    columns = len(rows[0])
    return {t: {"rows": counts[t], "columns": columns, "failures": failures[t]} for t in sorted(counts)}


# ---- as tables, for the learning layer (federation.learning) -------------------------------------------------

AI4I_FEATURES = [
    "Air temperature [K]",
    "Process temperature [K]",
    "Rotational speed [rpm]",
    "Torque [Nm]",
    "Tool wear [min]",
]
AI4I_TARGET = "Machine failure"

CMAPSS_COLUMNS = ["unit", "cycle", "setting_1", "setting_2", "setting_3", *[f"s{i}" for i in range(1, 22)]]
CMAPSS_RUL_CAP = 125
"""Remaining useful life is capped ("piecewise linear" target): early in life an engine shows no degradation."""


def ai4i_frame() -> pd.DataFrame:
    """AI4I 2020 as a pandas DataFrame with its original headers and numeric columns as numbers."""
    raw = resources.files("resonance.demo").joinpath("data/ai4i2020.csv.gz").read_bytes()
    return pd.read_csv(io.BytesIO(gzip.decompress(raw)), encoding="utf-8-sig")


def ai4i_parts() -> dict[str, pd.DataFrame]:
    """The three demo enterprises' tables: AI4I rows by product Type, keyed "L", "M", "H"."""
    frame = ai4i_frame()
    return {t: frame[frame["Type"] == t].reset_index(drop=True) for t in ("L", "M", "H")}


def _cmapss_text(name: str) -> bytes:
    return gzip.decompress(resources.files("resonance.demo").joinpath(f"data/cmapss_fd001/{name}.gz").read_bytes())


def cmapss_fd001_train(cap: int | None = CMAPSS_RUL_CAP) -> pd.DataFrame:
    """C-MAPSS FD001 training engines (100, run to failure) with ``RUL`` = cycles left, capped at ``cap``."""
    frame = pd.read_csv(io.BytesIO(_cmapss_text("train_FD001.txt")), sep=r"\s+", header=None, names=CMAPSS_COLUMNS)
    frame["RUL"] = frame.groupby("unit")["cycle"].transform("max") - frame["cycle"]
    if cap is not None:
        frame["RUL"] = frame["RUL"].clip(upper=cap)
    return frame


def cmapss_fd001_test(cap: int | None = CMAPSS_RUL_CAP) -> pd.DataFrame:
    """C-MAPSS FD001 test engines (truncated before failure) with their true ``RUL`` per row, capped at ``cap``."""
    frame = pd.read_csv(io.BytesIO(_cmapss_text("test_FD001.txt")), sep=r"\s+", header=None, names=CMAPSS_COLUMNS)
    final = pd.read_csv(io.BytesIO(_cmapss_text("RUL_FD001.txt")), sep=r"\s+", header=None, names=["RUL"])["RUL"]
    last = frame.groupby("unit")["cycle"].transform("max")
    frame["RUL"] = frame["unit"].map(dict(zip(range(1, len(final) + 1), final, strict=True))) + last - frame["cycle"]
    if cap is not None:
        frame["RUL"] = frame["RUL"].clip(upper=cap)
    return frame


def cmapss_constant_columns(frame: pd.DataFrame) -> list[str]:
    """Settings and sensors that carry (almost) no information in FD001: at most two distinct values."""
    candidates = [c for c in CMAPSS_COLUMNS if c.startswith(("s", "setting"))]
    return [c for c in candidates if frame[c].nunique() <= 2]


def cmapss_parts(enterprises: int = 4, cap: int | None = CMAPSS_RUL_CAP) -> dict[str, pd.DataFrame]:
    """FD001's training engines split by unit id over ``enterprises`` (contiguous blocks: 4 → 25 engines each),
    keyed "E1", "E2", …"""
    frame = cmapss_fd001_train(cap)
    units = sorted(frame["unit"].unique())
    blocks = [units[i * len(units) // enterprises : (i + 1) * len(units) // enterprises] for i in range(enterprises)]
    return {f"E{i + 1}": frame[frame["unit"].isin(b)].reset_index(drop=True) for i, b in enumerate(blocks)}
