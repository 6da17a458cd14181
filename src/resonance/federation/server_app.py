"""The ServerApp the space's SuperLink runs for a job: admit nodes, run the rounds, write the record.

Run config: ``job`` (the JobPlan as JSON) and ``out`` (the directory for progress.jsonl, model.npz and
result.json, read by the space). One message per node and round: a node evaluates the global parameters it
receives and then trains on them, so a round costs one round trip; a last ``evaluate`` scores the final model.

A node that refuses (its contract no longer allows the job) or does not answer within the round timeout is
dropped; the job goes on while at least ``min_nodes`` remain and otherwise stops with the reason.
With ``secagg`` the rounds run under SecAgg+ (``secure.py``): the space sees only the nodes' summed updates.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MessageType, RecordDict
from flwr.serverapp import Grid, ServerApp

from resonance.federation import job_contribution
from resonance.federation.coordinator import Coordinator, weighted_average
from resonance.federation.learning.metrics import merge_evaluations, score
from resonance.federation.mods import CONTRACT_REFUSED
from resonance.federation.plan import JobPlan
from resonance.federation.polling import FastGrid
from resonance.federation.secure import secure_rounds

app = ServerApp()


@app.main()
def main(grid: Grid, context: Context) -> None:
    grid = FastGrid(grid)  # flwr's grid waits 3 s between pulls for replies
    plan = JobPlan.from_json(str(context.run_config["job"]))
    coordinator = Coordinator(plan, Path(str(context.run_config["out"])))
    try:
        run(grid, plan, coordinator, context)
    except Exception as exc:  # the record must say how the job ended, whatever happened
        coordinator.finish(None, "failed", reason=f"{type(exc).__name__}: {exc}")
        raise


def run(grid: Grid, plan: JobPlan, coordinator: Coordinator, context: Context) -> dict[str, Any]:
    flower_ids = _wait_for_nodes(grid, len(plan.participants), plan.round_timeout)
    ours: dict[int, str] = {}  # Flower node id -> our node id
    hellos: dict[str, dict[str, Any]] = {}
    query = RecordDict({"config": ConfigRecord({"round": 0})})
    for reply in grid.send_and_receive(
        [Message(query, dst_node_id=fid, message_type=MessageType.QUERY) for fid in flower_ids],
        timeout=plan.round_timeout,
    ):
        if reply.has_error():
            _note_error(coordinator, ours, reply)
            continue
        hello = json.loads(str(reply.content["hello"]["json"]))
        if hello.get("takes_part") and hello["node"] in plan.participants:
            ours[reply.metadata.src_node_id] = hello["node"]
            hellos[hello["node"]] = hello
    for node_id in plan.participants:
        if node_id not in hellos and node_id not in coordinator.refused:
            coordinator.refuse(node_id, "did not answer when the job started")
    arrays = coordinator.admit(hellos)
    if not coordinator.enough():
        return coordinator.finish(None, "stopped", reason=coordinator.shortfall())
    assert coordinator.standardiser is not None
    standardiser_json = json.dumps({k: np.asarray(v).tolist() for k, v in coordinator.standardiser.to_arrays().items()})
    standardiser = ConfigRecord({"json": standardiser_json})

    log = job_contribution.RoundLog()
    if plan.secagg:
        max_weight = max(float(h.get("n_train", 1)) for h in hellos.values()) + 1.0
        arrays, stopped = secure_rounds(grid, context, plan, coordinator, ours, arrays, standardiser_json, max_weight)
    else:
        arrays, stopped = _plain_rounds(grid, plan, coordinator, ours, arrays, standardiser, log)
    if stopped:
        return coordinator.finish(arrays, "stopped", reason=coordinator.shortfall())

    # the final evaluation also scores the coalition models of the contribution estimate (one round trip)
    wanted = [] if plan.secagg else job_contribution.requests(log)
    content = RecordDict({"arrays": ArrayRecord(arrays), "standardiser": standardiser})
    if wanted:  # one matrix (a row per coalition model): flwr moves each array as an object of its own
        rows = [job_contribution.flatten(job_contribution.model(log, i, c)) for i, c in wanted]
        content["coalitions"] = ArrayRecord([np.stack(rows)])
        content["coalition-shapes"] = ConfigRecord({"json": json.dumps(log.shapes)})
    replies = _ask(grid, coordinator, ours, content, MessageType.EVALUATE, plan.rounds + 1, plan.round_timeout)
    evaluations = [json.loads(str(r.content["evaluation"]["json"])) for r in replies]
    coordinator.record_round(plan.rounds, evaluations, [])
    final = coordinator.history[-1]["metrics"] if coordinator.history else {}
    coordinator.contribution = _contribution(plan, log, wanted, replies)
    return coordinator.finish(arrays, "completed", final=final)


def _contribution(
    plan: JobPlan, log: job_contribution.RoundLog, wanted: list[tuple[int, frozenset]], replies: list[Message]
) -> dict[str, Any]:
    """Each provider's contribution from the nodes' scores of the coalition models (see ``job_contribution``)."""
    if plan.secagg:
        return job_contribution.unavailable("SecAgg+ hides each node's update from the space, by design")
    if not wanted:
        return job_contribution.unavailable("fewer than two providers took part in every round", log)
    per_node = [json.loads(str(r.content["contribution"]["json"])) for r in replies if "contribution" in r.content]
    if not per_node or any(len(stats) != len(wanted) for stats in per_node):
        return job_contribution.unavailable("no node scored the coalition models", log)
    task = str(plan.task["task"])
    scores = {key: score(merge_evaluations([stats[k] for stats in per_node]), task) for k, key in enumerate(wanted)}
    orgs = {node: a.org for node, a in plan.participants.items()}
    return job_contribution.estimate(log, scores, orgs=orgs)


def _plain_rounds(
    grid: Grid,
    plan: JobPlan,
    coordinator: Coordinator,
    ours: dict[int, str],
    arrays: list[np.ndarray],
    standardiser: ConfigRecord,
    log: job_contribution.RoundLog,
) -> tuple[list[np.ndarray], bool]:
    """FedAvg rounds in the Message API; returns the global parameters and whether the job stopped early.

    Every round's start, updates and weights also go to ``log`` (for the contribution estimate)."""
    for round_number in range(1, plan.rounds + 1):
        content = RecordDict(
            {
                "arrays": ArrayRecord(arrays),
                "standardiser": standardiser,
                "config": ConfigRecord({"round": round_number}),
            }
        )
        expected = set(coordinator.active)
        replies = _ask(grid, coordinator, ours, content, MessageType.TRAIN, round_number, plan.round_timeout)
        updates, evaluations, seconds = [], [], []
        by_node: dict[str, tuple[list[np.ndarray], int]] = {}
        for reply in replies:
            n = int(reply.content["metrics"]["num-examples"])
            updates.append((reply.content["arrays"].to_numpy_ndarrays(), n))
            by_node[ours[reply.metadata.src_node_id]] = updates[-1]
            evaluations.append(json.loads(str(reply.content["evaluation"]["json"])))
            seconds.append(float(reply.content["metrics"]["seconds"]))
            coordinator.meter(ours[reply.metadata.src_node_id], n, seconds[-1])
        coordinator.record_round(round_number - 1, evaluations, seconds)
        if not coordinator.enough() or not updates:
            return arrays, True
        log.add(round_number, arrays, by_node, expected)
        arrays = weighted_average(updates)
    return arrays, False


def _ask(
    grid: Grid,
    coordinator: Coordinator,
    ours: dict[int, str],
    content: RecordDict,
    message_type: str,
    round_number: int,
    timeout: float,
) -> list[Message]:
    """Send to every node still taking part; drop those that refuse or stay silent; return the good replies."""
    targets = [fid for fid, node in ours.items() if node in coordinator.active]
    messages = [
        Message(content, dst_node_id=fid, message_type=message_type, group_id=str(round_number)) for fid in targets
    ]
    good, answered = [], set()
    for reply in grid.send_and_receive(messages, timeout=timeout):
        answered.add(reply.metadata.src_node_id)
        if reply.has_error():
            _note_error(coordinator, ours, reply)
        else:
            good.append(reply)
    for fid in targets:
        if fid not in answered:
            coordinator.drop(ours[fid], f"no answer within {timeout:g} s in round {round_number}")
    return good


def _note_error(coordinator: Coordinator, ours: dict[int, str], reply: Message) -> None:
    error = reply.error
    if error.code == CONTRACT_REFUSED:
        detail = json.loads(error.reason or "{}")
        coordinator.refuse(
            detail.get("node", str(reply.metadata.src_node_id)), f"{detail.get('code')}: {detail.get('en')}"
        )
        return
    node = ours.get(reply.metadata.src_node_id, f"flower-node-{reply.metadata.src_node_id}")
    last_line = ((error.reason or "").strip().splitlines() or [""])[-1]
    coordinator.drop(node, f"error {error.code}: {last_line}")


def _wait_for_nodes(grid: Grid, expected: int, timeout: float) -> list[int]:
    """Nodes connect on their own schedule: wait until every expected one is online, or the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        ids = list(grid.get_node_ids())
        if len(ids) >= expected or time.monotonic() > deadline:
            return ids
        time.sleep(0.2)
