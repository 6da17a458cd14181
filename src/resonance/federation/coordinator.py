"""The space's side of a federated job, without Flower: admit nodes, standardise features from their aggregates,
average their updates, keep the per-round record and write the job's outputs.

Outputs, in the job's ``out`` directory (read by the space while the job runs and after it ends):

- ``progress.jsonl``: one JSON object per event (``admitted``, ``round``, ``refused``, ``dropped``, ``ended``)
- ``model.npz``: the final global parameters (``arr_0``, ``arr_1``, …) and ``mean``/``std`` of the standardiser
- ``result.json``: status, reason, rounds done, participants, per-round metrics, final metrics
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from resonance.federation.learning.alignment import Standardiser, combine_stats
from resonance.federation.learning.families import get_family
from resonance.federation.learning.metrics import merge_evaluations
from resonance.federation.participant import task_spec
from resonance.federation.plan import JobPlan


def weighted_average(updates: list[tuple[list[np.ndarray], int]]) -> list[np.ndarray]:
    """FedAvg: parameters weighted by the number of training examples behind them."""
    total = sum(n for _, n in updates)
    if total <= 0:
        raise ValueError("no training examples behind the updates")
    return [sum(arrays[i] * (n / total) for arrays, n in updates) for i in range(len(updates[0][0]))]


@dataclass
class Coordinator:
    plan: JobPlan
    out: Path
    started: float = field(default_factory=time.perf_counter)
    active: dict[str, str] = field(default_factory=dict)  # our node id -> org, still taking part
    refused: dict[str, str] = field(default_factory=dict)  # our node id -> reason
    history: list[dict[str, Any]] = field(default_factory=list)
    standardiser: Standardiser | None = None
    samples: dict[str, int] = field(default_factory=dict)  # our node id -> training examples used, all rounds
    node_seconds: dict[str, float] = field(default_factory=dict)  # our node id -> seconds of local work
    node_rounds: dict[str, int] = field(default_factory=dict)  # our node id -> training rounds it took part in
    contribution: dict[str, Any] = field(default_factory=dict)  # job_contribution.estimate, set after the rounds

    def meter(self, node_id: str, samples: int, seconds: float) -> None:
        self.node_rounds[node_id] = self.node_rounds.get(node_id, 0) + 1
        self.samples[node_id] = self.samples.get(node_id, 0) + samples
        self.node_seconds[node_id] = round(self.node_seconds.get(node_id, 0.0) + seconds, 4)

    def __post_init__(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self._progress = (self.out / "progress.jsonl").open("a", encoding="utf-8")

    # --- record -----------------------------------------------------------------------------------------
    def event(self, kind: str, **fields: Any) -> None:
        line = {"event": kind, "t": round(time.perf_counter() - self.started, 3), **fields}
        self._progress.write(json.dumps(line, ensure_ascii=False, default=_jsonable) + "\n")
        self._progress.flush()

    def refuse(self, node_id: str, reason: str) -> None:
        if node_id in self.active or node_id not in self.refused:
            self.active.pop(node_id, None)
            self.refused[node_id] = reason
            self.event("refused", node=node_id, reason=reason)

    def drop(self, node_id: str, reason: str) -> None:
        self.active.pop(node_id, None)
        self.event("dropped", node=node_id, reason=reason)

    # --- decide -----------------------------------------------------------------------------------------
    def admit(self, hellos: dict[str, dict[str, Any]]) -> list[np.ndarray]:
        """Admit the nodes that answered; federated standardisation; initial parameters."""
        for node_id in hellos:
            self.active[node_id] = self.plan.participants[node_id].org
        stats = [{k: np.asarray(v, dtype=np.float64) for k, v in h["stats"].items()} for h in hellos.values()]
        self.standardiser = combine_stats(stats) if stats else None
        self.event("admitted", nodes=sorted(self.active), refused=self.refused)
        spec = task_spec(self.plan)
        return get_family(spec).init(spec.n_inputs, spec, self.standardiser)

    def enough(self) -> bool:
        return len(self.active) >= self.plan.min_nodes

    def shortfall(self) -> str:
        return f"only {len(self.active)} node(s) can still take part but the job needs {self.plan.min_nodes}" + (
            f"; refused: {self.refused}" if self.refused else ""
        )

    def record_round(self, round_number: int, evaluations: list[dict[str, Any]], fit_seconds: list[float]) -> None:
        """Metrics of the global model that went into this round, pooled exactly from the nodes' statistics."""
        metrics = merge_evaluations(evaluations) if evaluations else {}
        entry = {
            "round": round_number,
            "nodes": sorted(self.active),
            "metrics": metrics,
            "node_seconds": round(max(fit_seconds), 4) if fit_seconds else 0.0,
        }
        self.history.append(entry)
        self.event("round", **entry)

    # --- finish -----------------------------------------------------------------------------------------
    def finish(
        self, arrays: list[np.ndarray] | None, status: str, reason: str = "", final: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if arrays is not None:
            extra = self.standardiser.to_arrays() if self.standardiser is not None else {}
            np.savez(self.out / "model.npz", *arrays, **extra)
        result = {
            "job": self.plan.job_id,
            "status": status,
            "reason": reason,
            "rounds_done": len([h for h in self.history if h["round"] > 0]),
            "participants": {n: self.plan.participants[n].org for n in self.active},
            "refused": self.refused,
            "history": self.history,
            "samples": self.samples,
            "node_seconds": self.node_seconds,
            "node_rounds": self.node_rounds,
            "final": final or {},
            "contribution": self.contribution,
            "seconds": round(time.perf_counter() - self.started, 3),
        }
        (self.out / "result.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=2, default=_jsonable), encoding="utf-8"
        )
        self.event("ended", status=status, reason=reason)
        self._progress.close()
        return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
