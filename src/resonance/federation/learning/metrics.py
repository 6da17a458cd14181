"""Evaluation without rows: each node returns sufficient statistics, ``merge_evaluations`` adds them up.

Classification (binary): per-class histograms of the model's score over ``BINS`` bins, confusion counts at
probability 0.5, the log-loss sum and n. The bins are evenly spaced in logit from -``LOGIT_RANGE`` to
+``LOGIT_RANGE`` (scores beyond fall in the end bins): failures are rare, most scores sit near 0, and equal
widths in probability would put nearly every negative in one bin. ROC AUC is computed from the merged
histograms with ties inside a bin counted as half, so it equals the pooled rows' AUC up to pairs that share a
bin; every count-based metric is exact.

Regression: n, sum of squared errors, sum of absolute errors, sum of y and of y² — RMSE, MAE and R² of the
pooled rows, exactly.

The statistics dicts hold only ints, floats and lists of them, so they fit a Flower ``MetricRecord``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from resonance.errors import ResonanceError

BINS = 200
LOGIT_RANGE = 12.0
HEADLINE = {"classification": ("auc", True), "regression": ("rmse", False)}
"""The metric each task is judged by, and whether higher is better."""

_CLASSIFICATION_KEYS = ("n", "hist_pos", "hist_neg", "tp", "fp", "tn", "fn", "log_loss_sum")
_REGRESSION_KEYS = ("n", "sse", "sae", "sum_y", "sum_y2")


def classification_stats(logits: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Sufficient statistics of binary predictions given as logits (log-odds of class 1)."""
    z = np.asarray(logits, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    bins = np.clip(np.floor((z + LOGIT_RANGE) / (2 * LOGIT_RANGE) * BINS), 0, BINS - 1).astype(np.int64)
    positive = y == 1
    predicted = z >= 0
    # log loss from logits without overflow: softplus(z) - y*z
    log_loss = np.logaddexp(0.0, z) - y * z
    return {
        "n": len(y),
        "hist_pos": np.bincount(bins[positive], minlength=BINS).tolist(),
        "hist_neg": np.bincount(bins[~positive], minlength=BINS).tolist(),
        "tp": int(np.sum(predicted & positive)),
        "fp": int(np.sum(predicted & ~positive)),
        "tn": int(np.sum(~predicted & ~positive)),
        "fn": int(np.sum(~predicted & positive)),
        "log_loss_sum": float(log_loss.sum()),
    }


def regression_stats(predictions: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Sufficient statistics of regression predictions."""
    p = np.asarray(predictions, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    err = p - y
    return {
        "n": len(y),
        "sse": float(np.square(err).sum()),
        "sae": float(np.abs(err).sum()),
        "sum_y": float(y.sum()),
        "sum_y2": float(np.square(y).sum()),
    }


def merge_evaluations(parts: list[Mapping[str, Any]]) -> dict[str, float]:
    """Pooled metrics from several nodes' evaluation statistics (all of one task).

    Classification: ``auc``, ``accuracy``, ``precision``, ``recall``, ``f1``, ``log_loss``, ``n``,
    ``positives``. Regression: ``rmse``, ``mae``, ``r2``, ``n``. A node with n = 0 is allowed and adds nothing.
    """
    if not parts:
        raise ResonanceError(
            what="no evaluations to merge", where="merge_evaluations", fix="collect at least one", code="no_stats"
        )
    keys = _CLASSIFICATION_KEYS if "hist_pos" in parts[0] else _REGRESSION_KEYS
    totals: dict[str, Any] = {}
    for i, part in enumerate(parts):
        missing = [k for k in keys if k not in part]
        if missing:
            raise ResonanceError(
                what=f"evaluation {i} lacks {', '.join(missing)} (mixed tasks, or not from a family's evaluate)",
                where="merge_evaluations",
                fix="merge only evaluations of one task, as returned by Family.evaluate",
                code="bad_evaluation",
            )
        for key in keys:
            value = np.asarray(part[key], dtype=np.float64)
            if key.startswith("hist") and value.shape != (BINS,):
                raise ResonanceError(
                    what=f"evaluation {i} has a {key} of {value.size} bins, expected {BINS}",
                    where="merge_evaluations",
                    fix="every node must run the same code version",
                    code="bad_evaluation",
                )
            totals[key] = totals.get(key, 0.0) + value
    if totals["n"] <= 0:
        raise ResonanceError(
            what="the evaluations hold no rows", where="merge_evaluations", fix="evaluate on data", code="no_rows"
        )
    return _classification(totals) if keys is _CLASSIFICATION_KEYS else _regression(totals)


def _classification(t: dict[str, Any]) -> dict[str, float]:
    pos, neg = t["hist_pos"], t["hist_neg"]
    p_total, n_total = pos.sum(), neg.sum()
    if p_total > 0 and n_total > 0:
        below = np.concatenate([[0.0], np.cumsum(neg)[:-1]])
        auc = float(np.sum(pos * (below + 0.5 * neg)) / (p_total * n_total))
    else:
        auc = float("nan")
    tp, fp, tn, fn = (float(t[k]) for k in ("tp", "fp", "tn", "fn"))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "auc": auc,
        "accuracy": float((tp + tn) / t["n"]),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "log_loss": float(t["log_loss_sum"] / t["n"]),
        "n": float(t["n"]),
        "positives": float(p_total),
    }


def _regression(t: dict[str, Any]) -> dict[str, float]:
    n = float(t["n"])
    total_ss = float(t["sum_y2"] - t["sum_y"] ** 2 / n)
    return {
        "rmse": float(np.sqrt(t["sse"] / n)),
        "mae": float(t["sae"] / n),
        "r2": 1.0 - float(t["sse"]) / total_ss if total_ss > 0 else float("nan"),
        "n": n,
    }


def score(metrics: Mapping[str, float], task: str) -> float:
    """The headline metric oriented so that higher is better (RMSE is negated)."""
    name, higher = HEADLINE[task]
    return float(metrics[name]) if higher else -float(metrics[name])


def ratio(candidate: Mapping[str, float], reference: Mapping[str, float], task: str) -> float:
    """How good ``candidate`` is relative to ``reference`` on the headline metric (1.0 = as good, above = better):
    AUC_c / AUC_r for classification, RMSE_r / RMSE_c for regression."""
    name, higher = HEADLINE[task]
    c, r = float(candidate[name]), float(reference[name])
    return c / r if higher else r / c
