"""Training rounds under SecAgg+: the space learns only the weighted sum of the nodes' updates, never one node's.

flwr 1.41 speaks SecAgg+ only through its legacy workflow (``DefaultWorkflow`` with ``SecAggPlusWorkflow``) and a
legacy strategy, so the rounds of a secure job run there; admission before and evaluation after stay in the
Message API (``server_app``). Each node sends its update (new − global parameters), masked and weighted by its
training examples; the workflow unmasks only their weighted average, which the strategy adds to the global model.
Updates, not parameters, are aggregated because SecAgg+ quantises values within ±``CLIPPING_RANGE``.

A node that refuses (its contract mod answers with an error) or falls silent leaves the round; the protocol
tolerates it while ``reconstruction_threshold`` nodes remain, and the job goes on while ``min_nodes`` remain.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from flwr.app import Context
from flwr.common import FitIns, FitRes, Parameters, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.server import LegacyContext, ServerConfig
from flwr.server.client_manager import ClientManager
from flwr.server.client_proxy import ClientProxy
from flwr.server.strategy import FedAvg as LegacyFedAvg
from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow
from flwr.serverapp import Grid

from resonance.federation.coordinator import Coordinator
from resonance.federation.plan import JobPlan

CLIPPING_RANGE = 8.0


def shares_and_threshold(nodes: int) -> tuple[int | float, int | float]:
    """SecAgg+ sharing: every node shares with all others; reconstruction survives one drop-out from 3 nodes on."""
    if nodes < 3:
        return 1.0, 1.0  # two nodes: full sharing, both needed (flwr refuses integer shares ≤ 2)
    return nodes, max(2, math.ceil(2 * nodes / 3))


class _SecureStrategy(LegacyFedAvg):
    """Sends the global parameters to the admitted nodes; adds the unmasked average update to them."""

    def __init__(
        self,
        plan: JobPlan,
        coordinator: Coordinator,
        ours: dict[int, str],
        arrays: list[np.ndarray],
        standardiser_json: str,
    ) -> None:
        super().__init__(
            fraction_fit=1.0,
            fraction_evaluate=0.0,
            min_fit_clients=plan.min_nodes,
            min_available_clients=plan.min_nodes,
            initial_parameters=ndarrays_to_parameters(arrays),
            accept_failures=True,
        )
        self.plan, self.coordinator, self.ours = plan, coordinator, ours
        self.arrays = arrays
        self.standardiser_json = standardiser_json
        self.stopped = False

    def configure_fit(
        self, server_round: int, parameters: Parameters, client_manager: ClientManager
    ) -> list[tuple[ClientProxy, FitIns]]:
        if self.stopped:
            return []
        active = {fid for fid, node in self.ours.items() if node in self.coordinator.active}
        config = {"round": server_round, "standardiser": self.standardiser_json}
        chosen = [proxy for proxy in client_manager.all().values() if int(proxy.node_id) in active]
        return [(proxy, FitIns(parameters, config)) for proxy in chosen]

    def aggregate_fit(
        self,
        server_round: int,
        results: list[tuple[ClientProxy, FitRes]],
        failures: list[Any],
    ) -> tuple[Parameters | None, dict[str, Any]]:
        answered = {int(proxy.node_id) for proxy, _ in results}
        for fid, node in self.ours.items():
            if node in self.coordinator.active and fid not in answered:
                self.coordinator.drop(node, f"left the secure aggregation in round {server_round} (refused or silent)")
        evaluations, seconds = [], []
        for proxy, fitres in results:
            evaluations.append(json.loads(str(fitres.metrics["evaluation"])))
            seconds.append(float(fitres.metrics["seconds"]))
            self.coordinator.meter(self.ours[int(proxy.node_id)], int(fitres.num_examples), seconds[-1])
        self.coordinator.record_round(server_round - 1, evaluations, seconds)
        if not results or not self.coordinator.enough():
            self.stopped = True
            return None, {}
        average_update = parameters_to_ndarrays(results[0][1].parameters)  # every result carries the unmasked sum
        self.arrays = [g + u for g, u in zip(self.arrays, average_update, strict=True)]
        return ndarrays_to_parameters(self.arrays), {}


def secure_rounds(
    grid: Grid,
    context: Context,
    plan: JobPlan,
    coordinator: Coordinator,
    ours: dict[int, str],
    arrays: list[np.ndarray],
    standardiser_json: str,
    max_weight: float,
) -> tuple[list[np.ndarray], bool]:
    """Run the job's rounds under SecAgg+; returns the final global parameters and whether the job stopped early."""
    strategy = _SecureStrategy(plan, coordinator, ours, arrays, standardiser_json)
    legacy = LegacyContext(
        context=context,
        config=ServerConfig(num_rounds=plan.rounds, round_timeout=plan.round_timeout),
        strategy=strategy,
    )
    shares, threshold = shares_and_threshold(len(coordinator.active))
    workflow = DefaultWorkflow(
        fit_workflow=SecAggPlusWorkflow(
            num_shares=shares,
            reconstruction_threshold=threshold,
            max_weight=max_weight,
            clipping_range=CLIPPING_RANGE,
            timeout=plan.round_timeout,
        )
    )
    workflow(grid, legacy)
    return strategy.arrays, strategy.stopped
