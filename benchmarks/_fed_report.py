"""Ratios, verdicts and the printed table of the federation benchmark."""

from __future__ import annotations

import math
from typing import Any

from resonance.federation.learning.metrics import HEADLINE, ratio

GOAL_CENTRAL = 0.99  # federated ≥ 0.99 × centralized (metrics.ratio: 1.0 = as good)
GOAL_ROUND = 1.25  # our per-round wall time ≤ 1.25 × the bare app's
GOAL_SECAGG = 2.0  # SecAgg+ per-round wall time ≤ 2 × without


def accuracy(task: str, federated: dict, centralized: dict, local: dict[str, dict]) -> dict[str, Any]:
    """Federated vs centralized and vs each local-only model on the task's headline metric (AUC or RMSE)."""
    metric = HEADLINE[task][0]
    to_central = ratio(federated, centralized, task)
    to_local = {org: ratio(federated, m, task) for org, m in local.items()}
    failures = []
    if not to_central >= GOAL_CENTRAL:
        failures.append(f"{to_central:.4f} × centralized < {GOAL_CENTRAL}")
    failures += [f"not better than {org} alone" for org, r in to_local.items() if not r > 1.0]
    return {
        "metric": metric,
        "federated": federated.get(metric),
        "centralized": centralized.get(metric),
        "local": {org: m.get(metric) for org, m in local.items()},
        "ratio_to_centralized": to_central,
        "ratio_to_local": to_local,
        "met": not failures,
        "verdict": "PASS" if not failures else "FAIL: " + "; ".join(failures),
    }


def timing(ours: float, bare_first: float, bare_last: float) -> dict[str, Any]:
    """Our median per-round seconds against the mean of the bare app's first and last medians."""
    bare = (bare_first + bare_last) / 2
    r = ours / bare if bare > 0 else math.nan
    return {
        "ours_s": ours,
        "bare_first_s": bare_first,
        "bare_last_s": bare_last,
        "bare_drift": abs(bare_first - bare_last) / bare if bare > 0 else math.nan,
        "ratio": r,
        "met": r <= GOAL_ROUND,
        "verdict": "PASS" if r <= GOAL_ROUND else f"FAIL: {r:.2f} × bare > {GOAL_ROUND}",
    }


def secagg(plain: float, secure: float) -> dict[str, Any]:
    r = secure / plain if plain > 0 else math.nan
    return {
        "plain_s": plain,
        "secagg_s": secure,
        "ratio": r,
        "met": r <= GOAL_SECAGG,
        "verdict": "PASS" if r <= GOAL_SECAGG else f"FAIL: {r:.2f} × without > {GOAL_SECAGG}",
    }


def drift(first: float, last: float) -> float:
    """How far two runs of the same reference differ, relative to their mean (the noise of a comparison)."""
    mean = (first + last) / 2
    return abs(first - last) / mean if mean > 0 else math.nan


def table(results: dict[str, Any]) -> str:
    """A Markdown table of every measured ratio and its verdict."""
    rows = ["| measure | figure | ratio | goal | verdict |", "|---|---|---|---|---|"]
    for key, label in (("ai4i", "AI4I by product type"), ("cmapss", "C-MAPSS FD001, 4 enterprises")):
        acc = results.get(key)
        if not acc:
            continue
        m = acc["metric"]
        rows.append(
            f"| {label}: federated vs centralized | {m} {acc['federated']:.4f} vs {acc['centralized']:.4f} "
            f"| {acc['ratio_to_centralized']:.4f} | ≥ {GOAL_CENTRAL} | |"
        )
        for org, value in acc["local"].items():
            rows.append(
                f"| {label}: federated vs {org} alone | {m} {acc['federated']:.4f} vs {value:.4f} "
                f"| {acc['ratio_to_local'][org]:.4f} | > 1 | |"
            )
        rows.append(f"| {label}: accuracy goal | | | | {acc['verdict']} |")
    t = results.get("round_time")
    if t:
        rows.append(
            f"| per-round wall time, ours vs bare Flower FedAvg | {t['ours_s']:.2f} s vs {t['bare_first_s']:.2f} s "
            f"(first) / {t['bare_last_s']:.2f} s (last) | {t['ratio']:.3f} | ≤ {GOAL_ROUND} | {t['verdict']} |"
        )
    for nodes, s in results.get("secagg", {}).items():
        rows.append(
            f"| SecAgg+ overhead, {nodes} nodes (bare app) | {s['secagg_s']:.2f} s vs {s['plain_s']:.2f} s "
            f"| {s['ratio']:.3f} | ≤ {GOAL_SECAGG} | {s['verdict']} |"
        )
    for nodes, s in results.get("secagg_ours", {}).items():
        rows.append(
            f"| SecAgg+ overhead, {nodes} nodes (our job app) | {s['secagg_s']:.2f} s vs {s['plain_s']:.2f} s "
            f"(plain drift {s['plain_drift']:.0%}) | {s['ratio']:.3f} | ≤ {GOAL_SECAGG} | {s['verdict']} |"
        )
    return "\n".join(rows)
