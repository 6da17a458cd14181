"""The end-to-end demo: three machine-tool enterprises train one failure-prediction model without moving a row.

A space (registry, REST API, TLS SuperLink) and three nodes (SuperNodes) run as separate processes on
127.0.0.1. Each enterprise's node enrols, analyses its AI4I partition (product type L, M or H) where it lies and
publishes metadata; the model developer negotiates a contract with each provider; the federated job runs on
Flower's deployment engine; the result is compared with a centralized model and each enterprise's local-only
model (possible only because the demo holds all partitions); the ledger is verified.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from resonance.demo import world as worlds
from resonance.demo.nodes import ENTERPRISES

JOB_MODEL = {"code": "mt-failure", "name_zh": "机床故障预测行业模型", "name_en": "Machine-tool failure prediction",
             "industry": "machine_tools", "scenario": worlds.PURPOSE}  # fmt: skip
DEMO_PRESET = "ai4i"


def job_spec(rounds: int | None = None, preset_name: str = DEMO_PRESET) -> Any:
    """The demo's job: the preset's task and strategy over the three enterprises' datasets (``rounds``: the
    preset's unless given)."""
    from resonance.federation.jobspec import parse_job
    from resonance.federation.learning.presets import preset

    chosen = preset(preset_name)
    return parse_job(
        {
            "name": "机床故障预测（三家企业联邦训练）",
            "consumer": worlds.CONSUMER,
            "purpose": worlds.PURPOSE,
            "datasets": [f"ai4i-{t.lower()}" for t, _ in ENTERPRISES],
            "model": JOB_MODEL,
            "task": chosen["task"],
            "training": {
                "rounds": rounds or chosen["rounds"],
                "min_nodes": 2,
                "strategy": chosen["strategy"],
                "round_timeout": 120,
            },
        },
        where="demo job",
    )


def run_demo(
    home: Path,
    *,
    rounds: int | None = None,
    preset_name: str = DEMO_PRESET,
    lang: str = "zh",
    step: Callable[[str], None] = lambda _: None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Build the world in ``home`` (which must not exist or be empty), run everything, stop every process.

    Where the time goes (``phases`` in the result, seconds from the start): the SuperNodes are started as soon
    as the nodes have joined, so that they connect while the contracts are negotiated, and the reference models
    train on a thread while the federation runs (the space's process mostly waits on the SuperLink then)."""
    from resonance.federation.learning.metrics import HEADLINE
    from resonance.ledger import chain
    from resonance.registry.db import transaction
    from resonance.registry.rules import progress

    started = time.perf_counter()
    phases: list[dict[str, Any]] = []

    def mark(text: str) -> None:
        phases.append({"step": text, "start": round(time.perf_counter() - started, 2)})
        step(text)

    spec = job_spec(rounds, preset_name)
    rounds = spec.training.rounds
    metric = HEADLINE[spec.task["task"]][0]
    with worlds.space_home(home):
        mark("space: registry, REST API and TLS SuperLink")
        world = worlds.create(home)
        try:
            worlds.start_space(world)
            summaries = []
            for product_type, org in ENTERPRISES:
                mark(f"{org}: node enrols, analyses its data where it lies, publishes metadata only")
                summaries.append(worlds.join(world, product_type, org))
            worlds.start_nodes(world, wait=False)  # they connect while the contracts are negotiated
            references = _References(world, spec.task, rounds)
            for _, org in ENTERPRISES:
                mark(f"数字合约 {worlds.CONSUMER} ⇄ {org}: REQUESTED → … → FINALIZED; the node keeps the signed terms")
                worlds.negotiate(world, org, max_rounds=max(100, rounds))
            mark("three SuperNodes connect to the SuperLink (TLS, node keys)")
            worlds.wait_nodes(world)
            references.start()
            mark(f"federated training: {rounds} rounds")
            outcome = worlds.train(world, spec, on_event=on_event)
            mark("references: a centralized model and each enterprise's local-only model, same test rows")
            central, local = references.result()
            mark("ledger: verify the hash chain and every signature")
            with transaction(world.sessions) as session:
                verified = chain.verify(session)
                report = progress(session, lang=lang)
                metering = _metering(session, outcome["job"])
                contribution = _contribution(session, outcome["job"])
        finally:
            world.close()
    phases.append({"step": "done", "start": round(time.perf_counter() - started, 2)})
    for here, after in itertools.pairwise(phases):
        here["seconds"] = round(after["start"] - here["start"], 2)
    federated = outcome.get("final", {})
    return {
        "home": str(home),
        "database": world.database_url,
        "added": world.seeded,
        "metric": metric,
        "preset": preset_name,
        "federated": {"metric": metric, "value": federated.get(metric), **federated},
        "centralized": {"metric": metric, "value": central.get(metric), **central},
        "local": {org: {"metric": metric, "value": m.get(metric), **m} for org, m in local.items()},
        "rounds": outcome["rounds_done"],
        "job": outcome,
        "nodes": summaries,
        "contracts": world.contracts,
        "metering": metering,
        "contribution": contribution,
        "ledger_verified": verified.ok,
        "ledger_events": verified.count,
        "progress": [p.as_dict() for p in report],
        "_progress": report,  # the objects, for the CLI's tables (not JSON)
        "phases": phases[:-1],
        "seconds": round(time.perf_counter() - started, 2),
    }


class _References:
    """The centralized and local-only models (demo data only), trained on a thread while the federation runs.

    They use the task as the space plans it — categorical vocabularies built from the published profiles by the
    same ``with_vocabularies`` — and read each node's own CSV, so their test rows are the job's."""

    def __init__(self, world: worlds.World, task: dict[str, Any], rounds: int) -> None:
        self.world, self.task, self.rounds = world, task, rounds
        self._thread = threading.Thread(target=self._run, name="demo-references", daemon=True)
        self._out: tuple[dict[str, Any], dict[str, Any]] | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def result(self) -> tuple[dict[str, Any], dict[str, Any]]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._out is not None
        return self._out

    def _run(self) -> None:
        try:
            self._out = reference_metrics(self.world, self.task, self.rounds)
        except BaseException as exc:  # re-raised in the caller's thread by result()
            self._error = exc


def reference_metrics(world: worlds.World, task: dict[str, Any], rounds: int) -> tuple[dict, dict[str, dict]]:
    """Centralized metrics and each enterprise's local-only metrics on the pooled test rows of the nodes' CSVs."""
    from resonance.federation.learning import baselines
    from resonance.federation.learning.data import load_local
    from resonance.federation.learning.encoding import with_vocabularies
    from resonance.federation.learning.spec import TaskSpec

    spec = TaskSpec.model_validate(with_vocabularies(task, published_profiles(world)))
    parts = [load_local(world.nodes[org].path / "data" / f"ai4i_{t}.csv", spec, name=org) for t, org in ENTERPRISES]
    central = baselines.centralized(parts, spec, rounds)
    alone = baselines.local_only(parts, spec, rounds)
    return central.metrics, {org: o.metrics for (_, org), o in zip(ENTERPRISES, alone, strict=True)}


def published_profiles(world: worlds.World) -> list[dict[str, Any]]:
    """The profiles the world's nodes published (metadata in the registry), as the space reads them for a job."""
    from resonance.registry import models as m
    from resonance.registry.db import transaction
    from resonance.registry.references import resolve

    with transaction(world.sessions) as session:
        return [resolve(session, m.Dataset, key, where="demo").profile or {} for key in world.datasets.values()]


def _contribution(session: Any, job_id: int) -> dict[str, Any]:
    """Each enterprise's contribution to the job (Shapley and leave-one-out from the round updates), by org."""
    from resonance.registry import models as m

    found = dict(session.get(m.Job, job_id).spec.get("contribution") or {})
    if not found.get("available"):
        return found
    orgs = found["orgs"]
    return {
        "method": found["method"],
        "gain": found["gain"],
        "evaluations": found["evaluations"],
        "trainings": found["trainings"],
        "by_org": {
            orgs[n]: {
                "shapley": found["shapley"][n],
                "share": found["share"][n],
                "leave_one_out": found["leave_one_out"][n],
            }
            for n in found["players"]
        },
    }


def _metering(session: Any, job_id: int) -> list[dict[str, Any]]:
    from resonance.policy import metering

    return metering.read(session, job=str(job_id))
