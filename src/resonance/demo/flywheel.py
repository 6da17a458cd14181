"""The demo's flywheel cycle: train → evaluate at the evaluator's node → diagnose → data demands → a provider
releases held-back rows as a new dataset version → retrain → evaluate again; before and after per slice and
overall are recorded (``evaluation.flywheel``) and returned.

The world: the three machine-tool enterprises of the demo and the evaluation centre (``evaluator``), all real
processes on 127.0.0.1 (``demo.world``). The evaluator holds a fifth of AI4I (every product type, chosen by a
hash of the UDI) as its evaluation dataset, protected so that it can only be evaluated on. The enterprises hold
the rest by product type — except that enterprise L at first publishes only 15 % of its rows with tool wear
≥ 170 min (it keeps the others back, as a plant might keep its worn-tool records to itself). The model trained
on that does worst where tools are worn; the diagnosis at the evaluator's node finds such a slice, the demand
routed on published profiles reaches L among others, L releases all its rows as version 2, the model is
retrained with it and evaluated again on the same slice (a *watched* slice, so that both numbers come from the
same rows). Nothing here knows the answer in advance: the slice is whatever the diagnosis finds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from resonance.demo import world as worlds
from resonance.demo.bundled import ai4i_frame
from resonance.node.home import NodeHome

ENTERPRISES = (("L", "mill-l"), ("M", "mill-m"), ("H", "mill-h"))
EVALUATOR = "evaluator"
EVAL_DATASET = "ai4i-eval@1"
WITHHOLDER = "mill-l"
WEAR, WEAR_FROM, RELEASED_FIRST = "Tool wear [min]", 170, 0.15
MODEL = {
    "code": "mt-flywheel",
    "name_zh": "机床故障预测行业模型（飞轮）",
    "name_en": "Machine-tool failure (flywheel)",
    "industry": "machine_tools",
    "scenario": worlds.PURPOSE,
}


def tables() -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame]:
    """The evaluator's rows, each enterprise's first published rows, and enterprise L's full table."""
    from resonance.federation.learning.data import split_mask

    frame = ai4i_frame()
    held = split_mask(frame["UDI"].tolist(), 0.2, 7)
    evaluation, rest = frame[held], frame[~held]
    parts = {t: rest[rest["Type"] == t] for t, _ in ENTERPRISES}
    full_l = parts["L"]
    worn = full_l[full_l[WEAR] >= WEAR_FROM]
    released = split_mask(worn["UDI"].tolist(), RELEASED_FIRST, 3)
    parts["L"] = pd.concat([full_l[full_l[WEAR] < WEAR_FROM], worn[released]]).sort_index()
    return evaluation.reset_index(drop=True), parts, full_l


def _prepare(frame: pd.DataFrame, org: str, code: str, version: str, kind: str, name_zh: str) -> Callable[..., Any]:
    from resonance.demo.nodes import register_local

    def prepare(home: NodeHome) -> tuple[dict[str, Any], dict[str, Any]]:
        data = home.path / "data" / f"{code}-v{version}.csv"
        data.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(data, index=False)
        registry = {
            "code": code,
            "version": version,
            "kind": kind,
            "industry": "machine_tools",
            "category": "production",
            "licence": "CC BY 4.0",
            "name_zh": name_zh,
        }
        return register_local(home, org, data, registry, label_column="Machine failure")

    return prepare


def job_spec(rounds: int) -> Any:
    from resonance.federation.jobspec import parse_job
    from resonance.federation.learning.presets import preset

    chosen = preset("ai4i")
    return parse_job(
        {
            "name": "机床故障预测（飞轮）",
            "consumer": worlds.CONSUMER,
            "purpose": worlds.PURPOSE,
            "datasets": [f"ai4i-{t.lower()}" for t, _ in ENTERPRISES],  # the newest published version of each
            "model": MODEL,
            "task": chosen["task"],
            "training": {"rounds": rounds, "min_nodes": 2, "strategy": chosen["strategy"], "round_timeout": 900},
        },
        where="flywheel job",
    )


def _agent(home: Path, node_home: NodeHome) -> subprocess.Popen[bytes]:
    """The evaluator's node agent (`resonance node serve`), a real process that fetches and runs evaluations.

    It runs only while an evaluation is pending: its signed requests write to the registry (last seen), and
    the training run's start (``federation.execution.run``) holds a SQLite read transaction that cannot become
    a write once another process wrote meanwhile (SQLite WAL: "database is locked")."""
    with (home / "evaluator-node.log").open("ab") as log:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("resonance")), "node", "serve", "--home", str(node_home.path),
             "--interval", "1", "--no-federation"],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ}, start_new_session=True,
        )  # fmt: skip


def _evaluate(world: Any, node_home: NodeHome, model: str, watch: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from resonance.evaluation import runs
    from resonance.registry.db import transaction

    with transaction(world.sessions) as session:
        job = runs.request(
            session,
            model=model,
            dataset=EVAL_DATASET,
            evaluator=EVALUATOR,
            space_home=world.home,
            actor=f"{EVALUATOR} (demo)",
            watch=watch,
        )
        job_id = job.id
    agent = _agent(world.home, node_home)
    try:
        outcome = runs.wait(world.sessions, job_id, timeout=600)
    finally:
        agent.terminate()
        agent.wait(timeout=30)
    if outcome["status"] != "completed":
        from resonance.errors import ResonanceError

        raise ResonanceError(
            what=f"evaluation {job_id} {outcome['status']}: {outcome.get('reason')}",
            where=str(world.home / "evaluator-node.log"),
            fix="read the evaluator node's log",
        )
    return outcome


def _holds(rows: pd.DataFrame, found: dict[str, Any]) -> bool:
    """Whether ``rows`` (a node's unreleased rows) hold enough examples of a demanded slice to answer it."""
    from resonance.evaluation.at_node import SUPPRESS_K
    from resonance.evaluation.slices import Slice

    return int(Slice.from_dict(found).matches(rows).sum()) >= SUPPRESS_K


def _metric(metrics: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = (metrics or {}).get(name)
    return {k: value.get(k) for k in ("value", "low", "high")} if isinstance(value, dict) else None


def run_flywheel(
    home: Path, *, rounds: int = 5, step: Callable[[str], None] = lambda _: None, on_event: Any = None
) -> dict[str, Any]:
    """Build the world in ``home`` (empty or absent), run one cycle, stop every process; the cycle's record."""
    from resonance.evaluation import data_demands, flywheel
    from resonance.evaluation import datasets as eval_datasets
    from resonance.node.client import SpaceClient
    from resonance.registry.db import transaction

    started = time.perf_counter()
    evaluation, first, full_l = tables()
    with worlds.space_home(home):
        step("space: registry, REST API and TLS SuperLink")
        world = worlds.create(home)
        try:
            worlds.start_space(world)
            for product_type, org in ENTERPRISES:
                step(
                    f"{org}: node enrols and publishes its data's metadata"
                    + (" (holding back most worn-tool rows)" if org == WITHHOLDER else "")
                )
                worlds.join(
                    world,
                    product_type,
                    org,
                    prepare=_prepare(
                        first[product_type],
                        org,
                        f"ai4i-{product_type.lower()}",
                        "1",
                        "common",
                        f"铣削加工过程故障数据集（{product_type}型产品）",
                    ),
                )
            step("evaluator: its node holds the evaluation dataset (evaluate only, only by the evaluator)")
            worlds.join(
                world,
                "E",
                EVALUATOR,
                prepare=_prepare(evaluation, EVALUATOR, "ai4i-eval", "1", "evaluation", "机床故障预测评测集"),
            )
            evaluator_home = world.nodes.pop(EVALUATOR)  # an evaluator trains nothing: no SuperNode
            with transaction(world.sessions) as session:
                eval_datasets.protect(session, EVAL_DATASET, actor=f"{EVALUATOR} (demo)")
            for _, org in ENTERPRISES:
                worlds.negotiate(world, org, max_rounds=10 * rounds + 100)
            worlds.start_nodes(world)
            step(f"train: {rounds} federated rounds")
            trained = worlds.train(world, job_spec(rounds), on_event=on_event)
            step(f"evaluate {trained['model']} at the evaluator's node; diagnose slices there")
            before = _evaluate(world, evaluator_home, trained["model"])["result"]
            with transaction(world.sessions) as session:
                demands = [
                    data_demands.as_dict(session, d)
                    for d in data_demands.route_result(session, before["id"], actor=f"{EVALUATOR} (demo)")
                ]
            step(f"{len(demands)} data demand(s) routed on published profiles")
            # at L's node: which demands its held-back rows can answer (rows stay there; only the answer leaves)
            held = full_l[~full_l.index.isin(first["L"].index)]
            mine = [
                d for d in demands if d["target"] == WITHHOLDER and _holds(held, before["slices"][d["slice_index"]])
            ]
            index = min((d["slice_index"] for d in mine), default=0)
            target = before["slices"][index] if before["slices"] else None
            answered = []
            if target is not None and mine:
                step(f"{WITHHOLDER} releases its held-back rows as ai4i-l@2 and answers its demand(s)")
                payload, _ = _prepare(full_l, WITHHOLDER, "ai4i-l", "2", "common", "铣削加工过程故障数据集（L型产品）")(
                    world.nodes[WITHHOLDER]
                )
                with SpaceClient(world.nodes[WITHHOLDER]) as client:
                    client.publish(payload)
                world.datasets[WITHHOLDER] = "ai4i-l@2"
                with transaction(world.sessions) as session:
                    for demand in mine:
                        data_demands.answer(
                            session,
                            demand["id"],
                            dataset="ai4i-l@2",
                            org=WITHHOLDER,
                            actor=f"{WITHHOLDER} (demo)",
                            note="rows held back at first, released",
                        )
                        answered.append(demand["id"])
                worlds.negotiate(world, WITHHOLDER, max_rounds=10 * rounds + 100)
            step(f"retrain: {rounds} federated rounds with the new version")
            retrained = worlds.train(world, job_spec(rounds), on_event=on_event)
            step(f"evaluate {retrained['model']} again, on the same slice")
            after = _evaluate(world, evaluator_home, retrained["model"], watch=[target] if target else None)["result"]
            with transaction(world.sessions) as session:
                for demand_id in answered:
                    data_demands.close(
                        session, demand_id, actor="flywheel (demo)", note=f"retrained: job {retrained['job']}"
                    )
                record = _record(
                    session, target, before, after, trained, retrained, demands, answered, time.perf_counter() - started
                )
                result = flywheel.as_dict(record)
        finally:
            world.close()
    return {**result, "home": str(home), "database": world.database_url}


def _record(
    session: Any,
    target: dict[str, Any] | None,
    before: dict[str, Any],
    after: dict[str, Any],
    trained: dict[str, Any],
    retrained: dict[str, Any],
    demands: list[dict[str, Any]],
    answered: list[int],
    seconds: float,
) -> Any:
    from resonance.evaluation import flywheel

    name = (target or {}).get("metric") or "recall"
    watched = (after.get("watched") or [{}])[0] if target else {}
    slice_before = (target or {}).get("metrics") or {}
    slice_after = watched.get("metrics") or {}
    record_before = {
        "model": before["model"],
        "evaluation": before["id"],
        "slice": {name: _metric(slice_before, name), "auc": _metric(slice_before, "auc")},
        "overall": {"auc": _metric(before["metrics"], "auc"), name: _metric(before["metrics"], name)},
    }
    record_after = {
        "model": after["model"],
        "evaluation": after["id"],
        "slice": {name: _metric(slice_after, name), "auc": _metric(slice_after, "auc")},
        "overall": {"auc": _metric(after["metrics"], "auc"), name: _metric(after["metrics"], name)},
    }
    target_info = {
        "condition": watched.get("condition") or (target or {}).get("description", {}).get("en"),
        "description": (target or {}).get("description"),
        "predicates": (target or {}).get("predicates"),
        "metric": name,
        "n": watched.get("n"),
        "gain": {k: flywheel.gain(k, record_before["slice"][k], record_after["slice"][k]) for k in (name, "auc")},
        "overall_gain": flywheel.gain("auc", record_before["overall"]["auc"], record_after["overall"]["auc"]),
    }
    steps = {
        "train_job": trained["job"],
        "retrain_job": retrained["job"],
        "evaluations": [before["id"], after["id"]],
        "demands": [d["id"] for d in demands],
        "answered": answered,
        "new_versions": ["ai4i-l@2"] if answered else [],
    }
    return flywheel.record(
        session,
        model_code=MODEL["code"],
        target=target_info,
        before=record_before,
        after=record_after,
        steps=steps,
        seconds=seconds,
        actor="flywheel (demo)",
        status="completed" if answered else "no_data",
    )


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """What ``resonance demo --json`` shows under ``flywheel``: the slice, before and after (slice and overall)."""
    name = result["slice"].get("metric")
    return {
        "slice": result["slice"].get("condition"),
        "metric": name,
        "before": {"slice": result["before"]["slice"].get(name), "overall": result["before"]["overall"].get("auc")},
        "after": {"slice": result["after"]["slice"].get(name), "overall": result["after"]["overall"].get("auc")},
        "demands": len(result["steps"].get("demands", [])),
        "answered": len(result["steps"].get("answered", [])),
        "new_versions": result["steps"].get("new_versions", []),
        "seconds": result.get("seconds"),
    }
