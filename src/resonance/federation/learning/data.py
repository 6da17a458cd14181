"""A node's local data as float arrays for training, split deterministically into train and test rows.

    data = load_local("ai4i_L.csv", spec)          # a path, an opened node Source, or a pandas DataFrame
    data.train_X, data.train_y, data.test_X, data.test_y

Files are opened with the node's own ``open_source`` (so a GBK-encoded CSV, a TSV, Parquet or a workbook read
the same way as when the node profiled them); the rows stay in this process. Every numeric feature and the
target must be numeric and present in every row: a missing column, an empty cell or a non-numeric value is a
``ResonanceError`` naming the column and the data row (1 = the first row under the header).

The split is a hash: a row goes to the test side when ``blake2b(seed, key)`` falls below ``test_fraction``,
where the key is the ``split_key`` column's value (all rows of one engine together) or else the row's
position. Categorical and derived features are encoded by ``encoding.encode_frame`` (``spec.inputs()``).
The same file and spec therefore always give the same split, on any machine, and a union of every
node's test rows is a well-defined pooled test set.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from resonance.errors import ResonanceError
from resonance.federation.learning.encoding import encode_frame, numeric_column
from resonance.federation.learning.spec import TaskSpec
from resonance.node.sources import Source, open_source, quote_ident


@dataclass
class LocalData:
    """One node's rows as arrays (columns in ``features`` order: the spec's ``inputs()``), split into train and test."""

    features: list[str]
    target: str
    train_X: np.ndarray
    train_y: np.ndarray
    test_X: np.ndarray
    test_y: np.ndarray
    name: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_train(self) -> int:
        return len(self.train_y)

    @property
    def n_test(self) -> int:
        return len(self.test_y)


def load_local(source: str | Path | Source | pd.DataFrame, spec: TaskSpec, *, name: str = "") -> LocalData:
    """Read ``spec``'s columns from ``source`` and split them (see the module docstring).

    Raises ``ResonanceError`` for an unreadable or empty source, a missing column, or a missing or non-numeric
    value; classification targets must be 0/1 (or true/false).
    """
    if isinstance(source, pd.DataFrame):
        return frame_to_local(source, spec, name=name or "dataframe")
    if isinstance(source, Source):
        return frame_to_local(_read_source(source, spec), spec, name=name or source.display_name)
    if not isinstance(source, str | Path):
        raise ResonanceError(
            what=f"cannot read local data from a {type(source).__name__}",
            fix="pass a file path, an opened node source, or a pandas DataFrame",
            code="bad_source",
        )
    with (
        tempfile.TemporaryDirectory(prefix="resonance-learning-") as work,
        open_source(source, workdir=Path(work)) as opened,
    ):
        return frame_to_local(_read_source(opened, spec), spec, name=name or str(source))


def _read_source(source: Source, spec: TaskSpec) -> pd.DataFrame:
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")
        with source.reading():
            view = source.relation(con)
            present = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()]
            _require_columns(present, spec, source.display_name)
            select = ", ".join(quote_ident(c) for c in spec.columns())
            return con.execute(f"SELECT {select} FROM {view}").df()
    finally:
        con.close()


def _require_columns(present: list[str], spec: TaskSpec, where: str) -> None:
    missing = [c for c in spec.columns() if c not in present]
    if missing:
        raise ResonanceError(
            what=f"column {missing[0]!r} is not in the data" + (f" (nor {missing[1:]})" if len(missing) > 1 else ""),
            where=where,
            fix=f"name columns exactly as in the header; the data has: {', '.join(present[:30])}"
            " / 列名须与表头完全一致",
            code="missing_column",
            status=422,
        )


def frame_to_local(frame: pd.DataFrame, spec: TaskSpec, *, name: str = "dataframe") -> LocalData:
    """Validate and split an in-memory table (the rows of one node)."""
    _require_columns([str(c) for c in frame.columns], spec, name)
    if len(frame) == 0:
        raise ResonanceError(
            what="the data has a header but no rows",
            where=name,
            fix="export the data again with its rows / 数据只有表头，没有数据行",
            code="no_rows",
            status=422,
        )
    X = encode_frame(frame, spec, name)
    y = _target(frame[spec.target], spec, name)
    keys = frame[spec.split_key].tolist() if spec.split_key else range(len(frame))
    test = split_mask(keys, spec.test_fraction, spec.seed)
    return LocalData(
        features=spec.inputs(),
        target=spec.target,
        train_X=X[~test],
        train_y=y[~test],
        test_X=X[test],
        test_y=y[test],
        name=name,
        info={"rows": len(frame)},
    )


def split_mask(keys: Any, test_fraction: float, seed: int) -> np.ndarray:
    """True for each key that falls on the test side; equal keys always fall on the same side."""
    cache: dict[str, bool] = {}
    out = []
    for key in keys:
        text = _key_text(key)
        side = cache.get(text)
        if side is None:
            digest = hashlib.blake2b(f"{seed}\0{text}".encode(), digest_size=8).digest()
            side = int.from_bytes(digest, "big") / 2**64 < test_fraction
            cache[text] = side
        out.append(side)
    return np.asarray(out, dtype=bool)


def _key_text(key: Any) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    if isinstance(key, np.generic):
        return _key_text(key.item())
    return str(key)


_numeric = numeric_column  # the node's one rule for numbers, shared with the encoding


def _target(column: pd.Series, spec: TaskSpec, where: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(column):
        column = column.astype(float)
    elif spec.task == "classification" and not pd.api.types.is_numeric_dtype(column):
        column = column.map(lambda v: {"true": 1, "false": 0}.get(str(v).strip().lower(), v)).astype(object)
    y = _numeric(column, spec.target, where)
    if spec.task == "classification":
        bad = ~np.isin(y, (0.0, 1.0))
        if bad.any():
            row = int(np.argmax(bad))
            raise ResonanceError(
                what=f"the target {spec.target!r} must be 0 or 1 for classification, found {y[row]:g} at data row "
                f"{row + 1}",
                where=f"{where}: row {row + 1}, column {spec.target!r}",
                fix="encode the positive class as 1 and the rest as 0 / 目标列须为0或1",
                code="bad_target",
                status=422,
            )
    return y
