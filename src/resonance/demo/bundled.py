"""Access to the data bundled with the package (no network, no ../shared needed)."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from functools import lru_cache
from importlib import resources


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
