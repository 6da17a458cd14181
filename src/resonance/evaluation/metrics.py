"""Task metrics with 95% bootstrap confidence intervals, overall and per slice, and CI-aware comparison.

    values = task_metrics("classification", y_true, y_score, bootstrap=1000, seed=0)
    values["auc"].value, values["auc"].low, values["auc"].high
    compare(values["auc"], other["auc"])   # "better" | "worse" | "tie" (tie when the CIs overlap)

The bootstrap is vectorised rather than a loop over scikit-learn calls (which would take minutes for 1,000
replicates of 100k rows): each replicate is a resample drawn as row indices, and one ``np.bincount`` per block
of replicates counts, for every distinct score, the positives and negatives that replicate holds. Every
classification metric then comes from cumulative sums over those counts — AUC (ties counted as half),
precision/recall/F1/accuracy at the threshold, and recall at fixed precision (the best recall over all
thresholds whose precision reaches the target). Regression metrics come from per-replicate weighted sums.
The point values are the same formulas on the full data (equal to scikit-learn's; the tests check this).
Scenario-defined ``extra`` metrics are arbitrary callables, so they are bootstrapped by a plain loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from resonance.errors import ResonanceError

TASKS = ("classification", "regression")
CLASSIFICATION_METRICS = ("auc", "f1", "recall_at_precision", "precision", "recall", "accuracy")
REGRESSION_METRICS = ("rmse", "mae", "r2")
LOWER_IS_BETTER = frozenset({"rmse", "mae"})
"""Metrics where a smaller value is better; every other built-in metric (and by default every extra) is
better when larger. An extra metric that is a cost names itself with a ``cost`` prefix or suffix."""

NAMES = {
    "auc": ("AUC", "AUC"),
    "f1": ("F1", "F1"),
    "recall_at_precision": ("recall at fixed precision", "固定精确率下的召回率"),
    "precision": ("precision", "精确率"),
    "recall": ("recall", "召回率"),
    "accuracy": ("accuracy", "准确率"),
    "rmse": ("RMSE", "均方根误差"),
    "mae": ("MAE", "平均绝对误差"),
    "r2": ("R²", "决定系数 R²"),
}
"""(en, zh) display names of the built-in metrics."""

_BLOCK_CELLS = 4_000_000  # bincount cells per block of replicates: bounds memory (~32 MB of int64 per array)


@dataclass(frozen=True)
class MetricValue:
    """One metric: the point value on all rows and its 95% percentile-bootstrap interval.

    ``low``/``high`` are None when no bootstrap was asked for; ``value`` is NaN when the metric is undefined
    on these rows (AUC with a single class, precision with no predicted positive)."""

    name: str
    value: float
    low: float | None = None
    high: float | None = None
    higher_is_better: bool = True

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes None: JSON has no NaN and signed documents refuse it)."""
        return {
            "name": self.name,
            "value": _finite(self.value),
            "low": _finite(self.low),
            "high": _finite(self.high),
            "higher_is_better": self.higher_is_better,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricValue:
        """The inverse of ``as_dict`` (None values become NaN / no interval)."""
        value = data.get("value")
        return cls(
            name=str(data.get("name", "")),
            value=float("nan") if value is None else float(value),
            low=None if data.get("low") is None else float(data["low"]),
            high=None if data.get("high") is None else float(data["high"]),
            higher_is_better=bool(data.get("higher_is_better", True)),
        )


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def higher_is_better(name: str) -> bool:
    """Whether a larger value of metric ``name`` is better."""
    lowered = name.lower()
    return not (lowered in LOWER_IS_BETTER or lowered.startswith("cost") or lowered.endswith("cost"))


def compare(a: MetricValue, b: MetricValue) -> Literal["better", "worse", "tie"]:
    """Is ``a`` better than ``b``? A tie when their 95% intervals overlap (or either value is undefined).

    Without intervals on both sides only equal values tie. Leaderboards rank with this, so two models whose
    difference the evaluation data cannot resolve share a place."""
    if a.higher_is_better != b.higher_is_better:
        raise ResonanceError(
            what=f"cannot compare {a.name} with {b.name}: one is better when higher, the other when lower",
            where="compare",
            fix="compare values of the same metric",
            code="metric_mismatch",
        )
    if not (math.isfinite(a.value) and math.isfinite(b.value)):
        return "tie"
    bounds = (a.low, a.high, b.low, b.high)
    if all(v is not None and math.isfinite(v) for v in bounds):
        if a.low <= b.high and b.low <= a.high:  # type: ignore[operator]
            return "tie"
    elif a.value == b.value:
        return "tie"
    if a.value == b.value:
        return "tie"
    ahead = a.value > b.value if a.higher_is_better else a.value < b.value
    return "better" if ahead else "worse"


# ---- input checking ---------------------------------------------------------------------------------------


def _vector(values: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ResonanceError(
            what=f"{name} must hold numbers only",
            where=name,
            fix="pass a list or array of numbers (labels 0/1 for classification)",
            code="invalid_metric_input",
        ) from exc
    if array.ndim != 1:
        array = array.ravel() if array.ndim == 2 and 1 in array.shape else array
    if array.ndim != 1:
        raise ResonanceError(
            what=f"{name} must be one value per row, got an array of shape {array.shape}",
            where=name,
            fix="pass a flat list or a one-column array (for class probabilities, the probability of class 1)",
            code="invalid_metric_input",
        )
    if not np.isfinite(array).all():
        raise ResonanceError(
            what=f"{name} holds {int((~np.isfinite(array)).sum())} missing or infinite values",
            where=name,
            fix="drop those rows or predict them before evaluating",
            code="invalid_metric_input",
        )
    return array


def check_inputs(task: str, y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both vectors as float arrays, after refusing an unknown task, unequal lengths, no rows, non-numbers,
    missing values, or (classification) labels other than 0 and 1."""
    if task not in TASKS:
        raise ResonanceError(
            what=f"unknown task {task!r}",
            where="task",
            fix=f"use one of {', '.join(TASKS)}",
            code="invalid_metric_input",
        )
    truth, score = _vector(y_true, "y_true"), _vector(y_score, "y_score")
    if len(truth) != len(score):
        raise ResonanceError(
            what=f"y_true has {len(truth)} rows but y_score has {len(score)}",
            where="y_score",
            fix="pass one prediction per evaluated row",
            code="invalid_metric_input",
        )
    if len(truth) == 0:
        raise ResonanceError(
            what="there are no rows to evaluate", where="y_true", fix="evaluate on a non-empty dataset"
        )
    if task == "classification":
        bad = ~np.isin(truth, (0.0, 1.0))
        if bad.any():
            raise ResonanceError(
                what=f"classification labels must be 0 or 1; {int(bad.sum())} rows hold other values"
                f" (the first: {truth[bad][0].item()!r})",
                where="y_true",
                fix="encode the positive class as 1 and every other as 0",
                code="invalid_metric_input",
            )
    return truth, score


# ---- classification: counts per distinct score, per replicate -------------------------------------------------


def _classification_from_counts(
    pos: np.ndarray, neg: np.ndarray, split: int, precision_at: float
) -> dict[str, np.ndarray]:
    """Metrics from (replicates, distinct scores) counts of positives and negatives, scores ascending.

    ``split`` = index of the first distinct score >= threshold (predicted positive from there on)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
        below_neg = np.cumsum(neg, axis=1) - neg  # negatives strictly below each score
        auc = (pos * (below_neg + 0.5 * neg)).sum(axis=1) / (n_pos * n_neg)
        tp, fp = pos[:, split:].sum(axis=1), neg[:, split:].sum(axis=1)
        fn, tn = n_pos - tp, n_neg - fp
        precision = tp / (tp + fp)
        recall = tp / n_pos
        f1 = 2 * tp / (2 * tp + fp + fn)
        accuracy = (tp + tn) / (n_pos + n_neg)
        # thresholds at each distinct score, from the top: tp/fp of "score >= s"
        tps = np.cumsum(pos[:, ::-1], axis=1)
        fps = np.cumsum(neg[:, ::-1], axis=1)
        precisions = tps / (tps + fps)
        reachable = np.where(precisions >= precision_at - 1e-12, tps, 0)
        rap = reachable.max(axis=1, initial=0) / n_pos
    return {
        "auc": auc,
        "f1": f1,
        "recall_at_precision": rap,
        "precision": precision,
        "recall": recall,
        "accuracy": accuracy,
    }


def _classification(
    truth: np.ndarray,
    score: np.ndarray,
    threshold: float,
    precision_at: float,
    bootstrap: int,
    rng: np.random.Generator,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    distinct, group = np.unique(score, return_inverse=True)
    cells = 2 * len(distinct)
    label = truth.astype(np.int64)
    key = label * len(distinct) + group  # label-major: each replicate's negatives, then positives, contiguous
    split = int(np.searchsorted(distinct, threshold, side="left"))
    full = np.bincount(key, minlength=cells).reshape(1, 2, -1)
    point = {
        k: float(v[0]) for k, v in _classification_from_counts(full[:, 1], full[:, 0], split, precision_at).items()
    }
    draws: dict[str, list[np.ndarray]] = {k: [] for k in point}
    n = len(truth)
    block = max(1, min(bootstrap, _BLOCK_CELLS // max(cells, n)))
    done = 0
    while done < bootstrap:
        size = min(block, bootstrap - done)
        rows = rng.integers(0, n, size=(size, n))
        offsets = (np.arange(size, dtype=np.int64) * cells)[:, None]
        counts = np.bincount((key[rows] + offsets).ravel(), minlength=size * cells).reshape(size, 2, -1)
        for name, values in _classification_from_counts(counts[:, 1], counts[:, 0], split, precision_at).items():
            draws[name].append(values)
        done += size
    return point, {k: np.concatenate(v) if v else np.empty(0) for k, v in draws.items()}


# ---- regression: weighted sums per replicate ------------------------------------------------------------------


def _regression_from_sums(n: np.ndarray, sse: np.ndarray, sae: np.ndarray, sy: np.ndarray, sy2: np.ndarray) -> dict:
    with np.errstate(divide="ignore", invalid="ignore"):
        total = sy2 - sy**2 / n
        return {
            "rmse": np.sqrt(sse / n),
            "mae": sae / n,
            "r2": np.where(total > 0, 1 - sse / np.where(total > 0, total, 1), np.nan),
        }


def _regression(
    truth: np.ndarray, score: np.ndarray, bootstrap: int, rng: np.random.Generator
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    residual = truth - score
    columns = np.stack([residual**2, np.abs(residual), truth, truth**2], axis=1)  # (n, 4), C order for BLAS
    n = len(truth)
    whole = columns.sum(axis=0)
    point = {k: float(v) for k, v in _regression_from_sums(np.float64(n), *whole).items()}
    draws: dict[str, list[np.ndarray]] = {k: [] for k in point}
    block = max(1, min(bootstrap, _BLOCK_CELLS // n))
    done = 0
    while done < bootstrap:
        size = min(block, bootstrap - done)
        rows = rng.integers(0, n, size=(size, n)) + (np.arange(size, dtype=np.int64) * n)[:, None]
        weights = np.bincount(rows.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)
        sums = (weights @ columns).T  # (4, size): each replicate's sums, as one matrix product
        for name, values in _regression_from_sums(np.full(size, float(n)), *sums).items():
            draws[name].append(values)
        done += size
    return point, {k: np.concatenate(v) if v else np.empty(0) for k, v in draws.items()}


# ---- public ---------------------------------------------------------------------------------------------------


def _interval(draws: np.ndarray) -> tuple[float | None, float | None]:
    finite = draws[np.isfinite(draws)]
    if len(finite) == 0:
        return None, None
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)


def task_metrics(
    task: str,
    y_true: Any,
    y_score: Any,
    *,
    threshold: float = 0.5,
    precision_at: float = 0.9,
    bootstrap: int = 1000,
    seed: int = 0,
    extra: Mapping[str, Callable[[np.ndarray, np.ndarray], float]] | None = None,
) -> dict[str, MetricValue]:
    """The task's metrics on these rows, each with a 95% percentile-bootstrap interval.

    classification: ``y_true`` 0/1, ``y_score`` the score of class 1 (a probability for ``threshold`` to
    make sense) → auc, f1, recall_at_precision (at ``precision_at``), precision, recall, accuracy.
    regression: ``y_score`` the prediction → rmse, mae, r2. ``extra``: name → f(y_true, y_score) → float,
    scenario-defined (e.g. a cost-weighted score), bootstrapped over the same resamples' sizes.
    ``bootstrap=0`` gives point values without intervals. The same ``seed`` gives the same intervals."""
    truth, score = check_inputs(task, y_true, y_score)
    if not isinstance(bootstrap, int) or bootstrap < 0:
        raise ResonanceError(
            what=f"bootstrap must be a whole number >= 0, got {bootstrap!r}",
            where="bootstrap",
            fix="use e.g. 1000 (or 0 for no intervals)",
            code="invalid_metric_input",
        )
    if task == "classification" and not 0 < precision_at <= 1:
        raise ResonanceError(
            what=f"precision_at must be in (0, 1], got {precision_at!r}",
            where="precision_at",
            fix="use e.g. 0.9",
            code="invalid_metric_input",
        )
    rng = np.random.default_rng(seed)
    if task == "classification":
        point, draws = _classification(truth, score, threshold, precision_at, bootstrap, rng)
    else:
        point, draws = _regression(truth, score, bootstrap, rng)
    out: dict[str, MetricValue] = {}
    for name, value in point.items():
        low, high = _interval(draws[name]) if bootstrap else (None, None)
        out[name] = MetricValue(name, value, low, high, higher_is_better(name))
    for name, function in (extra or {}).items():
        if name in out:
            raise ResonanceError(
                what=f"extra metric {name!r} has the name of a built-in metric",
                where=f"extra.{name}",
                fix="give the scenario's metric its own name",
                code="invalid_metric_input",
            )
        out[name] = _extra(name, function, truth, score, bootstrap, seed)
    return out


def _extra(
    name: str,
    function: Callable[[np.ndarray, np.ndarray], float],
    truth: np.ndarray,
    score: np.ndarray,
    bootstrap: int,
    seed: int,
) -> MetricValue:
    try:
        value = float(function(truth, score))
    except Exception as exc:  # a scenario's code: say which metric failed, whatever it raised
        raise ResonanceError(
            what=f"extra metric {name!r} failed: {exc}",
            where=f"extra.{name}",
            fix="make it a function (y_true, y_score) -> float that accepts numpy arrays",
            code="invalid_metric_input",
        ) from exc
    if not bootstrap:
        return MetricValue(name, value, None, None, higher_is_better(name))
    rng = np.random.default_rng([seed, 1])
    n = len(truth)
    draws = np.empty(bootstrap)
    for index in range(bootstrap):
        rows = rng.integers(0, n, size=n)
        draws[index] = float(function(truth[rows], score[rows]))
    low, high = _interval(draws)
    return MetricValue(name, value, low, high, higher_is_better(name))


@dataclass(frozen=True)
class SliceMetrics:
    """The metrics of one slice of rows: its key (a value, or a tuple of values), its row count, its metrics."""

    key: Any
    n: int
    metrics: dict[str, MetricValue]

    def as_dict(self) -> dict[str, Any]:
        key = list(self.key) if isinstance(self.key, tuple) else self.key
        key = key.item() if isinstance(key, np.generic) else key
        return {"slice": key, "n": self.n, "metrics": {k: v.as_dict() for k, v in self.metrics.items()}}


def by_slice(
    task: str,
    y_true: Any,
    y_score: Any,
    slices: Sequence[Any] | np.ndarray,
    *,
    min_n: int = 1,
    **options: Any,
) -> list[SliceMetrics]:
    """``task_metrics`` per slice: ``slices`` gives each row's slice key (e.g. a column of the evaluation data).

    Slices with fewer than ``min_n`` rows are left out (pass the small-count threshold ``k`` when the result
    leaves the node). Keys are sorted; ``options`` are ``task_metrics``'s keyword arguments."""
    truth, score = check_inputs(task, y_true, y_score)
    keys = np.asarray(list(slices) if not isinstance(slices, np.ndarray) else slices, dtype=object)
    if len(keys) != len(truth):
        raise ResonanceError(
            what=f"slices has {len(keys)} values but there are {len(truth)} rows",
            where="slices",
            fix="pass one slice key per evaluated row",
            code="invalid_metric_input",
        )
    present = np.array([k is not None and not (isinstance(k, float) and math.isnan(k)) for k in keys], dtype=bool)
    labels = [_hashable(k) for k in keys[present]]
    codes: dict[Any, list[int]] = {}
    for index, label in zip(np.flatnonzero(present), labels, strict=True):
        codes.setdefault(label, []).append(int(index))
    out = []
    for label in sorted(
        codes, key=lambda k: (str(type(k)), k) if not isinstance(k, tuple) else ("tuple", tuple(map(str, k)))
    ):
        rows = np.asarray(codes[label])
        if len(rows) < max(1, min_n):
            continue
        out.append(SliceMetrics(label, len(rows), task_metrics(task, truth[rows], score[rows], **options)))
    return out


def _hashable(key: Any) -> Any:
    if isinstance(key, list | np.ndarray):
        return tuple(_hashable(k) for k in key)
    return key.item() if isinstance(key, np.generic) else key
