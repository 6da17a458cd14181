"""ServerApp of the bare app: flwr's FedAvg over ``min-nodes`` nodes, timed round by round.

``workflow``: ``message`` runs ``flwr.serverapp.strategy.FedAvg.start`` (train only, no federated evaluation);
``legacy`` runs the legacy FedAvg in ``DefaultWorkflow``; ``secagg`` the same with ``SecAggPlusWorkflow`` as the
fit workflow (flwr 1.41 has no Message-API strategy that speaks SecAgg+). ``fast-grid`` wraps the grid in our
``FastGrid`` (0.1 s reply polling) as our job app does, so that both apps poll alike.

Writes ``<out>/rounds.jsonl``: one line per call of the strategy's central evaluation — round 0 before the first
round, then after each round's aggregation — with ``t``, seconds since ``main`` started. The differences are
the per-round wall times.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, Context, MetricRecord
from flwr.common import ndarrays_to_parameters
from flwr.server import LegacyContext, ServerConfig
from flwr.server.strategy import FedAvg as LegacyFedAvg
from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

app = ServerApp()


@app.main()
def main(grid: Grid, context: Context) -> None:
    from resonance.federation.learning.families import get_family
    from resonance.federation.learning.spec import TaskSpec

    cfg = context.run_config
    if bool(cfg["fast-grid"]):
        from resonance.federation.polling import FastGrid

        grid = FastGrid(grid)
    out = Path(str(cfg["out"]))
    out.mkdir(parents=True, exist_ok=True)
    spec = TaskSpec.model_validate(json.loads(str(cfg["task"])))
    initial = get_family(spec).init(len(spec.features), spec)
    rounds, nodes, timeout = int(cfg["num-rounds"]), int(cfg["min-nodes"]), float(cfg["round-timeout"])
    started = time.perf_counter()

    def record(server_round: int) -> None:
        with open(out / "rounds.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps({"round": server_round, "t": time.perf_counter() - started}) + "\n")

    workflow = str(cfg["workflow"])
    if workflow == "message":
        strategy = FedAvg(fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=nodes, min_available_nodes=nodes)

        def evaluate(server_round: int, arrays: ArrayRecord) -> MetricRecord:
            record(server_round)
            return MetricRecord({})

        strategy.start(
            grid=grid, initial_arrays=ArrayRecord(initial), num_rounds=rounds, timeout=timeout, evaluate_fn=evaluate
        )
    elif workflow in ("legacy", "secagg"):
        _legacy(grid, context, initial, rounds, nodes, timeout, record, secagg=workflow == "secagg")
    else:
        raise ValueError(f"workflow must be message, legacy or secagg, not {workflow!r}")
    (out / "done.json").write_text(json.dumps({"rounds": rounds, "workflow": workflow}), encoding="utf-8")


def _legacy(
    grid: Grid,
    context: Context,
    initial: list[np.ndarray],
    rounds: int,
    nodes: int,
    timeout: float,
    record: Callable[[int], None],
    *,
    secagg: bool,
) -> None:
    def evaluate(server_round: int, parameters: list[np.ndarray], config: dict) -> None:
        record(server_round)

    strategy = LegacyFedAvg(
        fraction_fit=1.0,
        fraction_evaluate=0.0,
        min_fit_clients=nodes,
        min_available_clients=nodes,
        initial_parameters=ndarrays_to_parameters(initial),
        evaluate_fn=evaluate,
    )
    legacy = LegacyContext(
        context=context, config=ServerConfig(num_rounds=rounds, round_timeout=timeout), strategy=strategy
    )
    cfg = context.run_config
    fit = (
        SecAggPlusWorkflow(
            num_shares=int(cfg["num-shares"]), reconstruction_threshold=int(cfg["threshold"]), timeout=timeout
        )
        if secagg
        else None
    )
    DefaultWorkflow(fit_workflow=fit)(grid, legacy)
