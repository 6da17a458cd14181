"""Aligning several nodes' columns without sharing rows: federated standardisation and shared vocabularies.

Standardisation: each node sends ``local_stats`` (row count, per-feature sums and sums of squares, class counts
or target sums) — aggregates, never rows; ``combine_stats`` adds them up into the pooled mean and (population)
standard deviation, the same numbers a pooled table would give. The sums of squares are taken about the node's
own mean (``m2``) and combined with Chan et al.'s parallel formula: raw sums of squares lose most digits on a
reading like 2388.1 ± 0.07 (C-MAPSS sensor 13), the centred ones keep them. Every node then applies the same
``Standardiser``, so the model sees identically scaled features everywhere.

Categorical columns: ``vocabulary_from_profiles`` builds one category list from the ``top_values`` each node
already published in its profile (values seen fewer than k times were suppressed at the node and are absent,
so a rare category can never be learnt from here); ``one_hot`` encodes a column with it, unseen values as all
zeros.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from resonance.errors import ResonanceError
from resonance.federation.learning.spec import TaskSpec


def local_stats(X: np.ndarray, y: np.ndarray, spec: TaskSpec) -> dict[str, np.ndarray]:
    """Sufficient statistics of one node's training rows: ``n``, ``sum`` and ``m2`` (sum of squared deviations from
    the node's mean) per feature, and ``classes`` (counts of 0 and 1) for classification or ``y_sum``/``y_m2`` for
    regression. All values are arrays so
    that they travel in a Flower ArrayRecord."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != spec.n_inputs or len(y) != len(X):
        raise ResonanceError(
            what=f"expected X of shape (rows, {spec.n_inputs}) and y of the same rows, got {X.shape} and {y.shape}",
            where="local_stats",
            fix="pass the node's train_X and train_y from load_local",
            code="bad_shape",
        )
    stats = {
        "n": np.array([len(X)], dtype=np.float64),
        "sum": X.sum(axis=0),
        "m2": np.square(X - X.mean(axis=0)).sum(axis=0) if len(X) else np.zeros(X.shape[1]),
    }
    if spec.task == "classification":
        positives = float(y.sum())
        stats["classes"] = np.array([len(y) - positives, positives])
    else:
        stats["y_sum"] = np.array([y.sum()])
        stats["y_m2"] = np.array([np.square(y - y.mean()).sum() if len(y) else 0.0])
    return stats


@dataclass(frozen=True)
class Standardiser:
    """Pooled feature means and standard deviations (a constant feature gets std 1, so it stays constant).

    ``y_mean``/``y_std`` are the pooled target's (regression) and ``classes`` the pooled class counts.
    """

    mean: np.ndarray
    std: np.ndarray
    n: int
    y_mean: float = 0.0
    y_std: float = 1.0
    classes: np.ndarray | None = None

    def apply(self, X: np.ndarray) -> np.ndarray:
        """``(X - mean) / std``, column by column."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise ResonanceError(
                what=f"X has {X.shape[-1] if X.ndim else 0} columns but the standardiser has {len(self.mean)}",
                where="Standardiser.apply",
                fix="pass the features in the task's order",
                code="bad_shape",
            )
        return (X - self.mean) / self.std

    def to_arrays(self) -> dict[str, np.ndarray]:
        """JSON/npz-friendly form (``from_arrays`` reverses it)."""
        out = {
            "mean": self.mean,
            "std": self.std,
            "n": np.array([self.n]),
            "y": np.array([self.y_mean, self.y_std]),
        }
        if self.classes is not None:
            out["classes"] = self.classes
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Standardiser:
        """The Standardiser ``to_arrays`` described; a ResonanceError when ``mean``, ``std`` or ``n`` is missing."""
        missing = [key for key in ("mean", "std", "n") if key not in arrays]
        if missing or np.shape(arrays.get("mean")) != np.shape(arrays.get("std")):
            raise ResonanceError(
                what=f"not a standardiser: missing {', '.join(missing)}" if missing else "mean and std differ in shape",
                where="Standardiser.from_arrays",
                fix="pass what Standardiser.to_arrays() produced",
                code="bad_standardiser",
            )
        y = np.asarray(arrays.get("y", [0.0, 1.0]), dtype=np.float64)
        classes = arrays.get("classes")
        return cls(
            mean=np.asarray(arrays["mean"], dtype=np.float64),
            std=np.asarray(arrays["std"], dtype=np.float64),
            n=int(np.asarray(arrays["n"]).ravel()[0]),
            y_mean=float(y[0]),
            y_std=float(y[1]),
            classes=None if classes is None else np.asarray(classes, dtype=np.float64),
        )


def combine_stats(stats: list[Mapping[str, np.ndarray]]) -> Standardiser:
    """Add up several nodes' ``local_stats`` into the pooled Standardiser (exactly the pooled table's mean/std)."""
    if not stats:
        raise ResonanceError(
            what="no node statistics to combine",
            where="combine_stats",
            fix="collect local_stats from at least one node",
            code="no_stats",
        )
    keys = set(stats[0])
    for i, part in enumerate(stats):
        if set(part) != keys or np.shape(part["sum"]) != np.shape(stats[0]["sum"]):
            raise ResonanceError(
                what=f"node statistics {i} do not match the first node's (keys or feature count differ)",
                where="combine_stats",
                fix="every node must compute local_stats with the same task spec",
                code="stats_mismatch",
            )
    counts = np.array([float(np.asarray(s["n"]).sum()) for s in stats])
    n = float(counts.sum())
    if n <= 0:
        raise ResonanceError(
            what="the nodes have no training rows between them",
            where="combine_stats",
            fix="check that the datasets have rows",
            code="no_rows",
        )
    mean, var = _pooled(counts, [s["sum"] for s in stats], [s["m2"] for s in stats])
    std = np.sqrt(var)
    std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
    y_mean, y_std, classes = 0.0, 1.0, None
    if "y_sum" in keys:
        y_means, y_var = _pooled(counts, [s["y_sum"] for s in stats], [s["y_m2"] for s in stats])
        y_mean = float(y_means[0])
        y_std = float(np.sqrt(y_var[0])) or 1.0
    if "classes" in keys:
        classes = np.sum([np.asarray(s["classes"], dtype=np.float64) for s in stats], axis=0)
    return Standardiser(mean=mean, std=std, n=round(n), y_mean=y_mean, y_std=y_std, classes=classes)


def _pooled(counts: np.ndarray, sums: list, m2s: list) -> tuple[np.ndarray, np.ndarray]:
    """Pooled mean and population variance from per-node counts, sums and centred sums of squares."""
    sums_arr = np.array([np.asarray(x, dtype=np.float64) for x in sums])
    m2_arr = np.array([np.asarray(x, dtype=np.float64) for x in m2s])
    n = counts.sum()
    mean = sums_arr.sum(axis=0) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        node_means = np.where(counts[:, None] > 0, sums_arr / np.maximum(counts, 1)[:, None], mean)
    m2 = m2_arr.sum(axis=0) + (counts[:, None] * np.square(node_means - mean)).sum(axis=0)
    return mean, np.maximum(m2 / n, 0.0)


def vocabulary_from_profiles(profiles: Iterable[Mapping[str, Any]], column: str) -> list[str]:
    """The categories of ``column`` that the nodes published, most frequent (summed over nodes) first.

    ``profiles`` are the profile dicts the nodes publish (``Profile.as_dict()``, or a publish payload holding
    one under ``"profile"``). Only ``top_values`` count: values a node suppressed (seen fewer than k times) are
    not there and so never enter the vocabulary. Values are compared as text.
    """
    counts: Counter[str] = Counter()
    found = False
    for i, profile in enumerate(profiles):
        if not isinstance(profile, Mapping):
            raise ResonanceError(
                what=f"profile {i} is a {type(profile).__name__}, not a mapping",
                where="vocabulary_from_profiles",
                fix="pass the profile dicts the nodes published",
                code="bad_profile",
            )
        body = profile.get("profile", profile)
        for col in body.get("columns", []):
            if col.get("name") != column:
                continue
            found = True
            for entry in col.get("top_values") or []:
                if entry.get("value") is not None:
                    counts[str(entry["value"])] += int(entry.get("count") or 0)
    if not found:
        raise ResonanceError(
            what=f"no published profile has a column {column!r}",
            where="vocabulary_from_profiles",
            fix="check the column name against the datasets' published schemas",
            code="missing_column",
            status=422,
        )
    return [value for value, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def one_hot(values: Iterable[Any], vocabulary: list[str]) -> np.ndarray:
    """One column per vocabulary entry (in its order); a value not in the vocabulary is all zeros."""
    index = {value: i for i, value in enumerate(vocabulary)}
    values = list(values)
    out = np.zeros((len(values), len(vocabulary)), dtype=np.float64)
    for row, value in enumerate(values):
        col = index.get(str(value))
        if col is not None:
            out[row, col] = 1.0
    return out
