"""Slice diagnosis (``evaluation.slices.find_slices``) on a generated table, against a decision tree in the same run.

What is measured against what
    Ours: ``find_slices`` at level 2 (default) on ``--rows`` × ``--features`` (1,000,000 × 30): 20 numeric
    features (normal, uniform, log-normal, integers), 10 categorical (2 to 12 values), a binary label and a
    score from a noisy logistic model, with a planted weak slice (``cat_0 = c1 ∧ num_3 ≥ q80``) where the
    model guesses at random. Time includes binning every column, the lattice search and the slices'
    task metrics.
    Baseline: one ``sklearn.tree.DecisionTreeClassifier(max_depth=3)`` fit on the per-row error indicator over
    the same features (categoricals as their integer codes): the cheapest usual way to ask "where are the
    errors" of a million rows. The ratio ours ÷ tree is reported; both run in this process, one after the other.
    Also reported: whether the planted slice is found (rank among the returned slices) and the pandas
    ``groupby`` over all feature pairs' bins as a second reference (the same counts, computed the plain way).

    .venv/bin/python benchmarks/slices.py                      # the recorded run (goal ≤ 60 s on 2 cores)
    .venv/bin/python benchmarks/slices.py --rows 100000        # a quick check
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from resonance.evaluation.slices import find_slices


def make_table(rows: int, features: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    numeric = max(1, features * 2 // 3)
    columns: dict[str, np.ndarray] = {}
    for i in range(numeric):
        kind = i % 4
        if kind == 0:
            columns[f"num_{i}"] = rng.normal(50, 10, rows)
        elif kind == 1:
            columns[f"num_{i}"] = rng.uniform(0, 250, rows)
        elif kind == 2:
            columns[f"num_{i}"] = rng.lognormal(3, 0.7, rows)
        else:
            columns[f"num_{i}"] = rng.integers(1000, 3000, rows).astype(np.float64)
    for j in range(features - numeric):
        levels = 2 + j % 11
        columns[f"cat_{j}"] = np.array([f"c{v}" for v in range(levels)], dtype=object)[rng.integers(0, levels, rows)]
    frame = pd.DataFrame(columns)
    logit = -3 + 0.04 * (frame["num_0"] - 50) + 0.01 * (frame["num_1"] - 125)
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    score = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.5, rows))))
    planted = (frame["cat_0"] == "c1").to_numpy() & (frame["num_3"] >= frame["num_3"].quantile(0.8)).to_numpy()
    score = np.where(planted, rng.random(rows), score)  # the model guesses there
    return frame, y, score, list(columns)


def tree_baseline(frame: pd.DataFrame, errors: np.ndarray) -> float:
    encoded = frame.apply(lambda c: c if pd.api.types.is_numeric_dtype(c) else pd.factorize(c)[0]).to_numpy(np.float32)
    start = time.perf_counter()
    DecisionTreeClassifier(max_depth=3, random_state=0).fit(encoded, errors)
    return time.perf_counter() - start


def groupby_baseline(frame: pd.DataFrame, errors: np.ndarray, features: list[str], bins: int = 5) -> float:
    start = time.perf_counter()
    binned = pd.DataFrame(
        {
            c: (
                pd.qcut(frame[c], bins, labels=False, duplicates="drop")
                if pd.api.types.is_numeric_dtype(frame[c])
                else frame[c]
            )
            for c in features
        }
    )
    binned["_e"] = errors
    for a, b in itertools.combinations(features, 2):
        binned.groupby([a, b], observed=True)["_e"].agg(["size", "sum"])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--skip-groupby", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    frame, y, score, features = make_table(args.rows, args.features)
    start, cpu = time.perf_counter(), time.process_time()
    found = find_slices(frame, y, score, task="classification", features=features, max_level=args.level)
    ours, ours_cpu = time.perf_counter() - start, time.process_time() - cpu
    errors = ((score >= 0.5) != y).astype(np.int64)
    tree = tree_baseline(frame, errors)
    grouped = None if args.skip_groupby else groupby_baseline(frame, errors, features)
    rank = next((i + 1 for i, s in enumerate(found) if {p[0] for p in s.predicates} == {"cat_0", "num_3"}), None)
    figures = {
        "rows": args.rows,
        "features": args.features,
        "level": args.level,
        "ours_s": round(ours, 2),
        "ours_cpu_s": round(ours_cpu, 2),
        "tree_depth3_s": round(tree, 2),
        "ours_over_tree": round(ours / tree, 2),
        "pair_groupby_s": None if grouped is None else round(grouped, 2),
        "ours_over_groupby": None if grouped is None else round(ours / grouped, 3),
        "planted_slice_rank": rank,
        "top": [s.describe("en") for s in found],
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(figures, out, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main()
