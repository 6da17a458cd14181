"""The end-to-end demo: three machine-tool enterprises train one failure-prediction model without moving a row.

A space (registry, REST API, TLS SuperLink) and three nodes (SuperNodes) run as separate processes on
127.0.0.1. Each enterprise's node enrols, analyses its AI4I partition (product type L, M or H) where it lies and
publishes metadata; the model developer negotiates a contract with each provider; the federated job runs on
Flower's deployment engine; the result is compared with a centralized model and each enterprise's local-only
model (possible only because the demo holds all partitions); the ledger is verified.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from resonance.demo import world as worlds
from resonance.demo.nodes import ENTERPRISES

JOB_MODEL = {"code": "mt-failure", "name_zh": "机床故障预测行业模型", "name_en": "Machine-tool failure prediction",
             "industry": "machine_tools", "scenario": worlds.PURPOSE}  # fmt: skip


def job_spec(rounds: int, preset_name: str = "ai4i") -> Any:
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
            "training": {"rounds": rounds, "min_nodes": 2, "strategy": chosen["strategy"], "round_timeout": 120},
        },
        where="demo job",
    )


def run_demo(
    home: Path,
    *,
    rounds: int = 10,
    lang: str = "zh",
    step: Callable[[str], None] = lambda _: None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Build the world in ``home`` (which must not exist or be empty), run everything, stop every process."""
    from resonance.federation.learning import baselines
    from resonance.federation.learning.data import load_local
    from resonance.federation.learning.metrics import HEADLINE
    from resonance.ledger import chain
    from resonance.registry.db import transaction
    from resonance.registry.rules import progress

    started = time.perf_counter()
    spec = job_spec(rounds)
    task = _task_spec(spec)
    metric = HEADLINE[task.task][0]
    with worlds.space_home(home):
        step("space: registry, REST API and TLS SuperLink")
        world = worlds.create(home)
        try:
            worlds.start_space(world)
            summaries = []
            for product_type, org in ENTERPRISES:
                step(f"{org}: node enrols, analyses its data where it lies, publishes metadata only")
                summaries.append(worlds.join(world, product_type, org))
            for _, org in ENTERPRISES:
                step(f"数字合约 {worlds.CONSUMER} ⇄ {org}: REQUESTED → … → FINALIZED; the node keeps the signed terms")
                worlds.negotiate(world, org, max_rounds=max(100, rounds))
            step("three SuperNodes connect to the SuperLink (TLS, node keys)")
            worlds.start_nodes(world)
            step(f"federated training: {rounds} rounds")
            outcome = worlds.train(world, spec, on_event=on_event)
            step("references: a centralized model and each enterprise's local-only model, same test rows")
            parts = [
                load_local(world.nodes[org].path / "data" / f"ai4i_{t}.csv", task, name=org) for t, org in ENTERPRISES
            ]
            central = baselines.centralized(parts, task, rounds)
            alone = baselines.local_only(parts, task, rounds)
            local = {org: o.metrics for (_, org), o in zip(ENTERPRISES, alone, strict=True)}
            step("ledger: verify the hash chain and every signature")
            with transaction(world.sessions) as session:
                verified = chain.verify(session)
                report = progress(session, lang=lang)
                metering = _metering(session, outcome["job"])
        finally:
            world.close()
    federated = outcome.get("final", {})
    return {
        "home": str(home),
        "database": world.database_url,
        "added": world.seeded,
        "metric": metric,
        "federated": {"metric": metric, "value": federated.get(metric), **federated},
        "centralized": {"metric": metric, "value": central.metrics.get(metric), **central.metrics},
        "local": {org: {"metric": metric, "value": m.get(metric), **m} for org, m in local.items()},
        "rounds": outcome["rounds_done"],
        "job": outcome,
        "nodes": summaries,
        "contracts": world.contracts,
        "metering": metering,
        "ledger_verified": verified.ok,
        "ledger_events": verified.count,
        "progress": [p.as_dict() for p in report],
        "_progress": report,  # the objects, for the CLI's tables (not JSON)
        "seconds": round(time.perf_counter() - started, 2),
    }


def _task_spec(spec: Any) -> Any:
    from resonance.federation.learning.spec import TaskSpec

    return TaskSpec.model_validate(spec.task)


def _metering(session: Any, job_id: int) -> list[dict[str, Any]]:
    from resonance.policy import metering

    return metering.read(session, job=str(job_id))
