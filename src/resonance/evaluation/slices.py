"""Slice finding on per-row errors: where does the model do worst, said in words a process engineer reads.

    found = find_slices(frame, y_true, y_score, task="classification", features=[...], units={"Tool wear [min]": "min"})
    found[0].describe("en")  # 'Type = L ∧ Tool wear [min] ≥ 200 min: recall 0.31 vs 0.78 overall, n = 143'
    found[0].matches(frame)  # the slice's rows again, as a boolean mask

The search is SliceLine's (Sagadeeva & Boehm, SIGMOD 2021): every feature is made categorical (numeric ones
binned at quantiles rounded to readable edges, columns with few values taken as they are), a slice is a
conjunction of one value of each of up to ``max_level`` features, and its score is
``α·(ē_S/ē − 1) − (1−α)·(n/|S| − 1)`` — a slice is interesting when its average error ``ē_S`` is well above the
overall ``ē`` and it is not tiny. Slices below the minimum support are never scored, and a lattice level is
only expanded where SliceLine's upper bound on the children's score can still beat the current top scores.

Why not the ``sliceline`` package (0.3.0; its pins fit our numpy/scikit-learn): it evaluates each lattice
level as one sparse product of the one-hot rows with all candidate slices, which for 1,000,000 rows × 30
features at level 2 asks for a 44 GiB index array (measured) — the benchmark's size cannot run. Here each
pair of features is evaluated with one ``np.bincount`` over the combined bin codes of its two columns: the same
counts in memory linear in the rows, and about 10 ms per feature pair for a million rows.

Per-row error: misclassification at ``threshold`` for classification, the squared error for regression. What
leaves is an aggregate over at least ``max(k, 30)`` rows (the small-count rule: nothing under ``k``); the
descriptions give the slice's task metric (recall by default) beside the overall one, not the raw error.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from resonance.errors import ResonanceError
from resonance.evaluation.metrics import NAMES, check_inputs, task_metrics

OPS = ("==", "<", ">=", "between")
"""Predicate operators: ``between`` holds [low, high) (low included, high excluded)."""

DEFAULT_ALPHA = 0.95
MIN_SUPPORT_FLOOR = 30
"""Default minimum support: a slice smaller than this says little, whatever ``k`` allows."""

Predicate = tuple[str, str, Any]


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _predicate_text(predicate: Predicate, units: Mapping[str, str]) -> str:
    column, op, value = predicate
    unit = f" {units[column]}" if units.get(column) else ""
    if op == "between":
        return f"{_number(value[0])} ≤ {column} < {_number(value[1])}{unit}"
    symbol = {"==": "=", "<": "<", ">=": "≥"}[op]
    return f"{column} {symbol} {_number(value)}{unit}"


@dataclass
class Slice:
    """One diagnosed slice: its predicates (a conjunction), its size and how the model does on it."""

    predicates: list[Predicate]
    n: int
    metric: str
    value: float
    overall: float
    error_ratio: float
    score: float
    units: dict[str, str] = field(default_factory=dict)

    @property
    def level(self) -> int:
        return len(self.predicates)

    def condition(self, lang: str = "en") -> str:
        """The predicates in words, joined by ∧ (the same in both languages: column names are the data's)."""
        return " ∧ ".join(_predicate_text(p, self.units) for p in self.predicates)

    def describe(self, lang: str = "en") -> str:
        """e.g. 'Type = L ∧ Tool wear [min] ≥ 200 min: recall 0.31 vs 0.78 overall, n = 143' (``lang`` en|zh)."""
        en, zh = NAMES.get(self.metric, (self.metric, self.metric))
        value, overall = _fmt(self.value), _fmt(self.overall)
        if lang == "zh":
            return f"{self.condition()}：{zh} {value}，整体 {overall}，n = {self.n}"
        return f"{self.condition()}: {en} {value} vs {overall} overall, n = {self.n}"

    def matches(self, frame: pd.DataFrame) -> np.ndarray:
        """A boolean mask of the rows of ``frame`` in this slice (missing values are in no slice)."""
        mask = np.ones(len(frame), dtype=bool)
        for column, op, value in self.predicates:
            if column not in frame.columns:
                raise ResonanceError(
                    what=f"the slice needs column {column!r}, which the data does not have",
                    where=column,
                    fix="select rows from data with the columns the slice was found on",
                    code="unknown_column",
                )
            values = frame[column]
            if op == "==":
                hit = values == value
            elif op == "<":
                hit = values < value
            elif op == ">=":
                hit = values >= value
            elif op == "between":
                hit = (values >= value[0]) & (values < value[1])
            else:
                raise ResonanceError(
                    what=f"unknown predicate operator {op!r}",
                    where=column,
                    fix=f"use one of {', '.join(OPS)}",
                    code="invalid_slice",
                )
            mask &= np.asarray(hit.fillna(False) if hasattr(hit, "fillna") else hit, dtype=bool)
        return mask

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: predicates, n, metric, values, ratio, score and the descriptions in en and zh."""
        return {
            "predicates": [
                {"column": c, "op": o, "value": list(v) if isinstance(v, tuple | list) else v}
                for c, o, v in self.predicates
            ],
            "n": self.n,
            "metric": self.metric,
            "value": _finite(self.value),
            "overall": _finite(self.overall),
            "error_ratio": _finite(self.error_ratio),
            "score": _finite(self.score),
            "units": dict(self.units),
            "description": {"en": self.describe("en"), "zh": self.describe("zh")},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Slice:
        """The inverse of ``as_dict`` (the stored description is recomputed, not read)."""
        try:
            predicates = []
            for item in data["predicates"]:
                op = str(item["op"])
                if op not in OPS:
                    raise ValueError(f"unknown operator {op!r}")
                value = item["value"]
                if op == "between":
                    value = [float(value[0]), float(value[1])]
                predicates.append((str(item["column"]), op, value))
            return cls(
                predicates=predicates,
                n=int(data["n"]),
                metric=str(data["metric"]),
                value=_nan(data.get("value")),
                overall=_nan(data.get("overall")),
                error_ratio=_nan(data.get("error_ratio")),
                score=_nan(data.get("score")),
                units={str(k): str(v) for k, v in (data.get("units") or {}).items()},
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ResonanceError(
                what=f"not a slice: {exc}",
                where="slice",
                fix="pass a slice as Slice.as_dict() wrote it",
                code="invalid_slice",
            ) from exc


def _fmt(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.2f}"


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


# ---- encoding features as bin codes ----------------------------------------------------------------------------


@dataclass
class _Feature:
    name: str
    codes: np.ndarray  # int64 per row; -1 = in no candidate slice (missing, rare value)
    predicates: list[Predicate]


def round_edges(edges: np.ndarray, low: float, high: float) -> list[float]:
    """Quantile edges rounded to a step about a twentieth of the range's order of magnitude, deduplicated,
    each strictly inside (low, high] so that no bin is empty by construction."""
    span = high - low
    if not math.isfinite(span) or span <= 0:
        return []
    step = 10 ** math.floor(math.log10(span / 20))
    digits = max(0, -math.floor(math.log10(step)))
    out: list[float] = []
    for edge in edges:
        rounded = round(round(edge / step) * step, digits)
        if low < rounded <= high and (not out or rounded > out[-1]):
            out.append(float(rounded))
    return out


def _encode(name: str, values: pd.Series, bins: int, min_support: int) -> _Feature:
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric:
        x = values.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = x[np.isfinite(x)]
        distinct = np.unique(finite) if len(finite) else finite
        if len(distinct) > bins:
            low, high = float(finite.min()), float(finite.max())
            edges = round_edges(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]), low, high)
            codes = np.searchsorted(np.asarray(edges), x, side="right").astype(np.int64)
            codes[~np.isfinite(x)] = -1
            predicates: list[Predicate] = []
            for index in range(len(edges) + 1):
                if index == 0:
                    predicates.append((name, "<", edges[0]))
                elif index == len(edges):
                    predicates.append((name, ">=", edges[-1]))
                else:
                    predicates.append((name, "between", (edges[index - 1], edges[index])))
            if not edges:
                predicates = []
                codes[:] = -1
            return _Feature(name, codes, predicates)
    # taken as it is: one predicate per value seen at least min_support times
    codes_raw, uniques = pd.factorize(values, use_na_sentinel=True)
    counts = np.bincount(codes_raw[codes_raw >= 0], minlength=len(uniques))
    keep = np.flatnonzero(counts >= min_support)
    remap = np.full(len(uniques) + 1, -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    codes = remap[np.where(codes_raw >= 0, codes_raw, len(uniques))]
    predicates = [(name, "==", _plain(uniques[i])) for i in keep]
    return _Feature(name, codes, predicates)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# ---- scoring ---------------------------------------------------------------------------------------------------


def _score(size: np.ndarray, error: np.ndarray, total: int, mean_error: float, alpha: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return alpha * ((error / size) / mean_error - 1) - (1 - alpha) * (total / size - 1)


def _upper_bound(
    size: np.ndarray,
    error: np.ndarray,
    max_error: np.ndarray,
    total: int,
    mean_error: float,
    alpha: float,
    min_support: int,
) -> np.ndarray:
    """SliceLine's bound on the score of any child of slices with (size, error sum, max row error) ≤ these."""
    best = np.full(len(size), -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        candidates = [np.full(len(size), float(min_support)), size.astype(float), error / max_error]
    for s in candidates:
        s = np.clip(np.nan_to_num(s, nan=min_support), min_support, np.maximum(size, min_support))
        bounded = np.minimum(error, s * max_error)
        best = np.maximum(best, _score(s, bounded, total, mean_error, alpha))
    return np.where(size >= min_support, best, -np.inf)


@dataclass
class _Found:
    """Candidate slices found so far: each a tuple of (feature index, code) pairs with its statistics."""

    keys: list[tuple[tuple[int, int], ...]] = field(default_factory=list)
    size: list[np.ndarray] = field(default_factory=list)
    error: list[np.ndarray] = field(default_factory=list)
    max_error: list[np.ndarray] = field(default_factory=list)


def _threshold(scores: list[float], top: int) -> float:
    """The score a new slice must beat to enter the top ``top`` (0: only slices worse than average count)."""
    if len(scores) < top:
        return 0.0
    return max(0.0, sorted(scores, reverse=True)[top - 1])


# ---- the search -------------------------------------------------------------------------------------------------


def find_slices(
    frame: pd.DataFrame,
    y_true: Any,
    y_score: Any,
    *,
    task: str,
    features: Sequence[str],
    k: int = 5,
    top: int = 5,
    max_level: int = 2,
    units: Mapping[str, str] | None = None,
    alpha: float = DEFAULT_ALPHA,
    bins: int = 5,
    min_support: int | None = None,
    threshold: float = 0.5,
    metric: str | None = None,
) -> list[Slice]:
    """The ``top`` slices of ``frame`` (conjunctions of up to ``max_level`` feature predicates) where the model's
    per-row error is highest for their size, best first.

    ``k``: the small-count threshold — no slice under ``max(k, min_support)`` rows is ever returned;
    ``min_support`` defaults to ``max(k, 30)``. ``bins``: quantile bins per numeric feature (edges rounded).
    ``metric``: the task metric the descriptions give (default: per slice, recall where its errors are mostly
    missed positives, precision where they are mostly false alarms, accuracy without positives; rmse for
    regression). ``units``: column → unit for the descriptions."""
    truth, score = check_inputs(task, y_true, y_score)
    _check_call(frame, truth, features, k, top, max_level, alpha, bins, min_support, metric, task)
    support = max(int(k), int(min_support if min_support is not None else max(k, MIN_SUPPORT_FLOOR)))
    if task == "classification":
        errors = ((score >= threshold).astype(np.float64) != truth).astype(np.float64)
    else:
        errors = (truth - score) ** 2
    total = len(truth)
    mean_error = float(errors.mean())
    if mean_error <= 0:
        return []  # no error anywhere: nothing to diagnose
    encoded = [_encode(name, frame[name], bins, support) for name in features]
    found = _search(encoded, errors, total, mean_error, alpha, support, top, max_level)
    units = dict(units or {})
    overall_metrics = task_metrics(task, truth, score, threshold=threshold, bootstrap=0)
    out = []
    for key, size, error, value in found:
        predicates = [encoded[f].predicates[c] for f, c in key]
        mask = np.ones(total, dtype=bool)
        for f, c in key:
            mask &= encoded[f].codes == c
        rows = np.flatnonzero(mask)
        assert len(rows) == size  # the bincount and the mask must agree
        name = metric or _default_metric(task, truth[rows], score[rows] >= threshold)
        slice_metrics = task_metrics(task, truth[rows], score[rows], threshold=threshold, bootstrap=0)
        out.append(
            Slice(
                predicates=predicates,
                n=int(size),
                metric=name,
                value=slice_metrics[name].value,
                overall=overall_metrics[name].value,
                error_ratio=float((error / size) / mean_error),
                score=float(value),
                units={c: units[c] for c, _, _ in predicates if c in units},
            )
        )
    return out


def _default_metric(task: str, truth: np.ndarray, predicted: np.ndarray) -> str:
    """The metric that shows a slice's errors: rmse (regression); recall where they are mostly missed
    positives, precision where they are mostly false alarms, accuracy in a slice without positives."""
    if task == "regression":
        return "rmse"
    if not truth.any():
        return "accuracy"
    missed = int((truth.astype(bool) & ~predicted).sum())
    false_alarms = int((~truth.astype(bool) & predicted).sum())
    return "recall" if missed >= false_alarms else "precision"


def _check_call(
    frame: Any,
    truth: np.ndarray,
    features: Sequence[str],
    k: int,
    top: int,
    max_level: int,
    alpha: float,
    bins: int,
    min_support: int | None,
    metric: str | None,
    task: str,
) -> None:
    def refuse(what: str, where: str, fix: str) -> None:
        raise ResonanceError(what=what, where=where, fix=fix, code="invalid_slice_input")

    if not isinstance(frame, pd.DataFrame):
        refuse(f"frame must be a pandas DataFrame, got {type(frame).__name__}", "frame", "pass the evaluated rows")
    if len(frame) != len(truth):
        refuse(f"frame has {len(frame)} rows but y_true has {len(truth)}", "frame", "pass one label per row")
    if isinstance(features, str) or not features:
        refuse("features must be a non-empty list of column names", "features", "name the columns to slice on")
    missing = [f for f in features if f not in frame.columns]
    if missing:
        refuse(f"unknown feature columns: {', '.join(map(str, missing))}", "features", "use columns of the frame")
    if len(set(features)) != len(features):
        refuse("features names a column twice", "features", "name each column once")
    for name, value, low, high in (
        ("k", k, 1, None),
        ("top", top, 1, None),
        ("max_level", max_level, 1, 3),
        ("bins", bins, 2, 50),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < low or (high and value > high):
            refuse(
                f"{name} must be a whole number from {low}{f' to {high}' if high else ''}, got {value!r}",
                name,
                "pass a whole number in that range",
            )
    if min_support is not None and (not isinstance(min_support, int) or min_support < 1):
        refuse(f"min_support must be a whole number >= 1, got {min_support!r}", "min_support", "e.g. 30")
    if not 0 < alpha <= 1:
        refuse(f"alpha must be in (0, 1], got {alpha!r}", "alpha", "use e.g. 0.95")
    allowed = ("recall", "accuracy", "f1", "precision", "auc") if task == "classification" else ("rmse", "mae", "r2")
    if metric is not None and metric not in allowed:
        refuse(f"metric {metric!r} does not describe a {task} slice", "metric", f"use one of {', '.join(allowed)}")


def _search(
    encoded: list[_Feature],
    errors: np.ndarray,
    total: int,
    mean_error: float,
    alpha: float,
    support: int,
    top: int,
    max_level: int,
) -> list[tuple[tuple[tuple[int, int], ...], int, float, float]]:
    """(key, size, error sum, score) of the best slices; level by level, pruned by the upper bound."""
    binary = bool(np.isin(errors, (0.0, 1.0)).all())
    results: list[tuple[tuple[tuple[int, int], ...], int, float, float]] = []
    # level 1: per feature, the counts and error sums of its codes
    basic: list[dict[int, tuple[int, float, float]]] = []
    for f, feature in enumerate(encoded):
        m = len(feature.predicates)
        valid = feature.codes >= 0
        size = np.bincount(feature.codes[valid], minlength=m)
        error = np.bincount(feature.codes[valid], weights=errors[valid], minlength=m)
        if binary:
            max_error = (error > 0).astype(float)
        else:
            max_error = np.zeros(m)
            np.maximum.at(max_error, feature.codes[valid], errors[valid])
        keep = {}
        scores = _score(size, error, total, mean_error, alpha)
        for c in range(m):
            if size[c] >= support and error[c] > 0:
                keep[c] = (int(size[c]), float(error[c]), float(max_error[c]))
                if scores[c] > 0:
                    results.append((((f, c),), int(size[c]), float(error[c]), float(scores[c])))
        basic.append(keep)
    if max_level >= 2:
        results += _level_two(encoded, basic, errors, total, mean_error, alpha, support, top, results, max_level)
    results.sort(key=lambda r: (-r[3], len(r[0]), r[0]))
    return results[:top]


def _level_two(
    encoded: list[_Feature],
    basic: list[dict[int, tuple[int, float, float]]],
    errors: np.ndarray,
    total: int,
    mean_error: float,
    alpha: float,
    support: int,
    top: int,
    results: list,
    max_level: int,
) -> list[tuple[tuple[tuple[int, int], ...], int, float, float]]:
    # codes restricted to valid basic slices, renumbered densely per feature
    dense: list[tuple[np.ndarray, list[int]]] = []
    for f, feature in enumerate(encoded):
        valid_codes = sorted(basic[f])
        remap = np.full(len(feature.predicates) + 1, -1, dtype=np.int64)
        remap[valid_codes] = np.arange(len(valid_codes))
        dense.append((remap[feature.codes], valid_codes))
    scores = [r[3] for r in results]
    found: list[tuple[tuple[tuple[int, int], ...], int, float, float]] = []
    level_two: dict[tuple[tuple[int, int], ...], tuple[int, float, float]] = {}
    for f, g in itertools.combinations(range(len(encoded)), 2):
        (cf, vf), (cg, vg) = dense[f], dense[g]
        if not vf or not vg:
            continue
        bound = _upper_bound(
            np.array([min(basic[f][a][0], basic[g][b][0]) for a in vf for b in vg], dtype=float),
            np.array([min(basic[f][a][1], basic[g][b][1]) for a in vf for b in vg]),
            np.array([min(basic[f][a][2], basic[g][b][2]) for a in vf for b in vg]),
            total,
            mean_error,
            alpha,
            support,
        )
        if bound.max() <= _threshold(scores, top):
            continue
        cells = len(vf) * len(vg)
        both = (cf >= 0) & (cg >= 0)
        combined = np.where(both, cf * len(vg) + cg, cells)
        size = np.bincount(combined, minlength=cells + 1)[:cells]
        error = np.bincount(combined, weights=errors, minlength=cells + 1)[:cells]
        value = _score(size, error, total, mean_error, alpha)
        for cell in np.flatnonzero((size >= support) & (error > 0)):
            a, b = vf[cell // len(vg)], vg[cell % len(vg)]
            key = ((f, a), (g, b))
            level_two[key] = (int(size[cell]), float(error[cell]), min(basic[f][a][2], basic[g][b][2]))
            if value[cell] > 0:
                found.append((key, int(size[cell]), float(error[cell]), float(value[cell])))
                scores.append(float(value[cell]))
    if max_level >= 3:
        found += _level_three(encoded, level_two, errors, total, mean_error, alpha, support, top, scores)
    return found


def _level_three(
    encoded: list[_Feature],
    level_two: dict[tuple[tuple[int, int], ...], tuple[int, float, float]],
    errors: np.ndarray,
    total: int,
    mean_error: float,
    alpha: float,
    support: int,
    top: int,
    scores: list[float],
) -> list[tuple[tuple[tuple[int, int], ...], int, float, float]]:
    """Level 3 as in SliceLine: a candidate's three level-2 parents must all be valid, and their combined upper
    bound must beat the current top scores; candidates are then counted one feature triple at a time."""
    keys = list(level_two)
    stats = np.array([level_two[key] for key in keys], dtype=float).reshape(-1, 3)
    if not keys:
        return []
    bound = _upper_bound(stats[:, 0], stats[:, 1], stats[:, 2], total, mean_error, alpha, support)
    floor = _threshold(scores, top)
    promising = [key for key, b in zip(keys, bound, strict=True) if b > floor]
    by_predicate: dict[tuple[int, int], list[tuple[tuple[int, int], ...]]] = {}
    for key in promising:
        for predicate in key:
            by_predicate.setdefault(predicate, []).append(key)
    triples: dict[tuple[int, int, int], set[tuple[tuple[int, int], ...]]] = {}
    for siblings in by_predicate.values():
        for one, two in itertools.combinations(siblings, 2):
            union = tuple(sorted(set(one) | set(two)))
            if len(union) != 3 or len({f for f, _ in union}) != 3:
                continue
            parents = [tuple(p) for p in itertools.combinations(union, 2)]
            if not all(p in level_two for p in parents):
                continue
            parent_stats = np.array([level_two[p] for p in parents])
            ub = _upper_bound(
                parent_stats[:, 0].min(keepdims=True),
                parent_stats[:, 1].min(keepdims=True),
                parent_stats[:, 2].min(keepdims=True),
                total,
                mean_error,
                alpha,
                support,
            )[0]
            if ub > floor:
                triples.setdefault(tuple(f for f, _ in union), set()).add(union)
    found = []
    for (f, g, h), wanted in sorted(triples.items()):
        mask_codes = [encoded[i].codes for i in (f, g, h)]
        sizes = [len(encoded[i].predicates) for i in (f, g, h)]
        both = (mask_codes[0] >= 0) & (mask_codes[1] >= 0) & (mask_codes[2] >= 0)
        cells = sizes[0] * sizes[1] * sizes[2]
        combined = np.where(both, (mask_codes[0] * sizes[1] + mask_codes[1]) * sizes[2] + mask_codes[2], cells)
        size = np.bincount(combined, minlength=cells + 1)[:cells]
        error = np.bincount(combined, weights=errors, minlength=cells + 1)[:cells]
        for key in sorted(wanted):
            (_, a), (_, b), (_, c) = key
            cell = (a * sizes[1] + b) * sizes[2] + c
            if size[cell] >= support and error[cell] > 0:
                value = float(_score(size[cell : cell + 1], error[cell : cell + 1], total, mean_error, alpha)[0])
                if value > 0:
                    found.append((key, int(size[cell]), float(error[cell]), value))
    return found
