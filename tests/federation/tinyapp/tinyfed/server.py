"""ServerApp: FedAvg for ``num-rounds`` over ``min-nodes`` nodes; SecAgg+ (legacy workflow) when ``secagg``.

Writes ``<out>/progress.jsonl`` (one line per round: round, arrays, seconds since start) and ``<out>/result.json``.
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
from flwr.server.workflow.constant import MAIN_PARAMS_RECORD
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from resonance.federation.polling import FastGrid

app = ServerApp()


@app.main()
def main(grid: Grid, context: Context) -> None:
    cfg = context.run_config
    if bool(cfg["fast-grid"]):
        grid = FastGrid(grid)
    out = Path(str(cfg["out"]))
    out.mkdir(parents=True, exist_ok=True)
    rounds, nodes, timeout = int(cfg["num-rounds"]), int(cfg["min-nodes"]), float(cfg["round-timeout"])
    available = int(cfg["min-available"]) or nodes
    started = time.monotonic()

    def record(server_round: int, arrays: list[np.ndarray]) -> None:
        line = {"round": server_round, "arrays": [a.tolist() for a in arrays], "t": time.monotonic() - started}
        with open(out / "progress.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    initial = [np.zeros(3)]
    if bool(cfg["secagg"]):
        final = _secagg(grid, context, initial, rounds, (nodes, available), timeout, record)
    else:
        strategy = FedAvg(
            fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=nodes, min_available_nodes=available
        )

        def evaluate(server_round: int, arrays: ArrayRecord) -> MetricRecord:
            record(server_round, arrays.to_numpy_ndarrays())
            return MetricRecord({})

        result = strategy.start(
            grid=grid, initial_arrays=ArrayRecord(initial), num_rounds=rounds, timeout=timeout, evaluate_fn=evaluate
        )
        final = result.arrays.to_numpy_ndarrays()
    (out / "result.json").write_text(json.dumps({"arrays": [a.tolist() for a in final], "rounds": rounds}))


def _secagg(
    grid: Grid,
    context: Context,
    initial: list[np.ndarray],
    rounds: int,
    nodes: tuple[int, int],
    timeout: float,
    record: Callable[[int, list[np.ndarray]], None],
) -> list[np.ndarray]:
    """SecAgg+ needs the legacy strategy + workflow in flwr 1.41 (no Message-API strategy speaks it)."""
    cfg = context.run_config

    def evaluate(server_round: int, parameters: list[np.ndarray], config: dict) -> None:
        record(server_round, parameters)

    strategy = LegacyFedAvg(
        fraction_fit=1.0,
        fraction_evaluate=0.0,
        min_fit_clients=nodes[0],
        min_available_clients=nodes[1],
        initial_parameters=ndarrays_to_parameters(initial),
        evaluate_fn=evaluate,
    )
    legacy = LegacyContext(
        context=context, config=ServerConfig(num_rounds=rounds, round_timeout=timeout), strategy=strategy
    )
    workflow = DefaultWorkflow(
        fit_workflow=SecAggPlusWorkflow(
            num_shares=int(cfg["num-shares"]), reconstruction_threshold=int(cfg["threshold"]), timeout=timeout
        )
    )
    workflow(grid, legacy)
    return legacy.state.array_records[MAIN_PARAMS_RECORD].to_numpy_ndarrays()
