"""The federation spine end to end, with real processes on 127.0.0.1: a space (REST API, TLS SuperLink) and three
enterprise nodes (SuperNodes), contracts negotiated, jobs submitted and run on Flower's deployment engine.

One world per module (building it takes about a minute); the jobs run one after another on it:
a normal job, a job during which a provider revokes its contract, a job refused for its ε budget, a job during
which a node dies, and a job whose node traffic is captured behind a TLS-terminating proxy.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from _tls_capture import CapturingProxy
from resonance.demo import world as worlds
from resonance.demo.nodes import ENTERPRISES
from resonance.demo.run import JOB_MODEL
from resonance.errors import ResonanceError
from resonance.federation import execution, jobs, supernode
from resonance.federation.jobspec import parse_job
from resonance.federation.learning.presets import preset
from resonance.ledger import chain
from resonance.node import contracts as node_contracts
from resonance.policy import metering
from resonance.registry import models as m
from resonance.registry.db import transaction

pytestmark = pytest.mark.slow

DATASETS = [f"ai4i-{t.lower()}" for t, _ in ENTERPRISES]
PRIVATE_PURPOSE = "JS-MT-04"  # contracts for this scenario carry a DP budget ε = 5


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[worlds.World]:
    home = tmp_path_factory.mktemp("world")
    with worlds.space_home(home):
        built = worlds.create(home)
        try:
            worlds.start_space(built)
            for product_type, org in ENTERPRISES:
                worlds.join(built, product_type, org)
                worlds.negotiate(built, org, max_rounds=100)
                worlds.negotiate(built, org, purpose=PRIVATE_PURPOSE, max_rounds=100, epsilon_budget=5.0)
            worlds.start_nodes(built)
            yield built
        finally:
            built.close()


def spec(
    rounds: int, *, timeout: float = 60, privacy: dict | None = None, family: str = "logistic", secagg: bool = False
):
    task = preset("ai4i-logistic" if family == "logistic" else "ai4i")["task"]
    data = {
        "consumer": worlds.CONSUMER,
        "purpose": PRIVATE_PURPOSE if privacy else worlds.PURPOSE,
        "datasets": DATASETS,
        "model": JOB_MODEL,
        "task": task,
        "training": {"rounds": rounds, "min_nodes": 2, "round_timeout": timeout, "secagg": secagg},
    }
    if privacy:
        data["privacy"] = privacy
    return parse_job(data, where="test job")


def submit(world: worlds.World, job_spec) -> int:
    with transaction(world.sessions) as session:
        job, _ = jobs.submit(session, job_spec, actor="test")
        return job.id


def run(world: worlds.World, job_id: int, on_event=None) -> dict:
    return execution.run(world.sessions, job_id, space_home=world.home, on_event=on_event, timeout=600)


def events(world: worlds.World, job_id: int) -> str:
    """The job's event record, for failure messages."""
    path = jobs.job_dir(world.home, job_id) / "progress.jsonl"
    return path.read_text(encoding="utf-8")[-3000:] if path.is_file() else "(no progress.jsonl)"


def ledger_kinds(world: worlds.World, subject: str) -> list[str]:
    with transaction(world.sessions) as session:
        return [e.kind for e in session.scalars(select(m.LedgerEvent).where(m.LedgerEvent.subject == subject))]


def test_a_job_trains_one_model_over_three_nodes(world: worlds.World) -> None:
    job_id = submit(world, spec(rounds=3))
    rounds_seen: list[int] = []
    result = run(world, job_id, on_event=lambda e: rounds_seen.append(e["round"]) if e["event"] == "round" else None)

    assert result["status"] == "completed" and result["rounds_done"] == 3, events(world, job_id)
    assert rounds_seen == [0, 1, 2, 3]
    assert result["final"]["auc"] > 0.8 and result["final"]["n"] > 1500  # pooled over the three test splits
    with transaction(world.sessions) as session:
        model = session.scalars(select(m.ModelVersion).where(m.ModelVersion.code == "mt-failure")).all()[-1]
        lineage = model.lineage
        assert lineage["job"] == job_id and lineage["rounds"] == 3
        assert sorted(d["code"] for d in lineage["datasets"]) == sorted(DATASETS)
        assert all(d["fingerprint"].startswith("sha256:") for d in lineage["datasets"])
        assert sorted(lineage["nodes"]) == sorted(world.node_id(org) for _, org in ENTERPRISES)
        assert set(lineage["artifacts"]) == {"model.npz", "model.onnx"}
        meters = metering.read(session, job=str(job_id))
        assert sorted(r["rounds"] for r in meters) == [3, 3, 3] and all(r["samples"] > 0 for r in meters)
        assert chain.verify(session).ok
    kinds = ledger_kinds(world, f"job:{job_id}")
    assert kinds[:2] == ["job.submitted", "job.started"] and kinds[-1] == "job.ended"
    assert kinds.count("job.round") == 3
    # each provider's contribution, from the round updates the space already had, scored at the nodes
    with transaction(world.sessions) as session:
        found = session.get(m.Job, job_id).spec["contribution"]
    nodes = sorted(world.node_id(org) for _, org in ENTERPRISES)
    assert found["available"] and found["method"] == "shapley_exact_per_round" and sorted(found["players"]) == nodes
    assert found["rounds"] == 3 and found["evaluations"] == 3 * 2**3 and found["trainings"] == 0
    assert sum(found["shapley"].values()) == pytest.approx(found["gain"], abs=1e-9)
    assert found["gain"] > 0  # the model improved over the rounds, and the providers share that gain
    assert sorted(found["orgs"].values()) == sorted(org for _, org in ENTERPRISES)
    assert "job.contribution" in kinds
    # each node metered its own rounds in its own store
    home = world.nodes["mill-l"]
    assert node_contracts.usage(home, str(world.contracts["mill-l"]))["rounds"] >= 3


def test_onnx_export_predicts_like_the_parameters(world: worlds.World, tmp_path: Path) -> None:
    import numpy as np
    import onnxruntime

    from resonance.federation import model_store
    from resonance.federation.learning.alignment import Standardiser
    from resonance.federation.learning.families import get_family
    from resonance.federation.learning.spec import TaskSpec

    with transaction(world.sessions) as session:
        onnx_path = model_store.artifact_path(session, world.home, "mt-failure", "onnx")
        npz_path = model_store.artifact_path(session, world.home, "mt-failure", "npz")
    arrays, extra = model_store.load_arrays(npz_path)
    task = TaskSpec.model_validate(preset("ai4i-logistic")["task"])
    X = np.random.default_rng(1).normal([300, 310, 1500, 40, 100], [2, 1.5, 180, 10, 60], size=(50, 5))
    expected = get_family(task).predict(arrays, Standardiser.from_arrays(extra).apply(X), task.task)
    session = onnxruntime.InferenceSession(str(onnx_path))
    got = session.run(None, {session.get_inputs()[0].name: X})[0].ravel()
    assert np.allclose(got, expected, atol=1e-6)


def test_a_provider_revokes_mid_job_and_the_job_goes_on_without_it(world: worlds.World) -> None:
    job_id = submit(world, spec(rounds=4))
    revoked = {"done": False}
    victim = world.nodes["mill-h"]
    contract = str(world.contracts["mill-h"])

    def on_event(event: dict) -> None:
        if event["event"] == "round" and event["round"] == 1 and not revoked["done"]:
            node_contracts.revoke(victim, contract, "数据安全负责人撤回授权 (test)")
            revoked["done"] = True

    result = run(world, job_id, on_event)
    assert result["status"] == "completed" and result["rounds_done"] == 4, events(world, job_id)
    record = json.loads((jobs.job_dir(world.home, job_id) / "result.json").read_text())
    victim_id = world.node_id("mill-h")
    assert victim_id in record["refused"] and "revoked" in record["refused"][victim_id]
    assert victim_id not in record["participants"]
    assert "job.node_refused" in ledger_kinds(world, f"job:{job_id}")
    with transaction(world.sessions) as session:
        # the node told the space: the contract is TERMINATED there too, and the next job cannot use it
        assert session.get(m.Contract, world.contracts["mill-h"]).state == "TERMINATED"
        with pytest.raises(ResonanceError) as info:
            jobs.submit(session, spec(rounds=2), actor="test")
        assert info.value.code == "job_refused" and "ai4i-h" in str(info.value)
    # later jobs run without mill-h: renegotiate so that the other tests have three nodes again
    with worlds.space_home(world.home):
        world.contracts["mill-h"] = worlds.negotiate(world, "mill-h", max_rounds=100)


def test_a_job_whose_privacy_would_exceed_the_budget_is_refused_whole(world: worlds.World) -> None:
    with transaction(world.sessions) as session:
        before = session.scalars(select(m.Job.id)).all()
        # noise multiplier 0.3 for 50 rounds spends far more than the contracts' ε budget of 5
        with pytest.raises(ResonanceError) as info:
            jobs.submit(session, spec(rounds=50, privacy={"noise_multiplier": 0.3, "clip": 1.0}), actor="test")
        assert info.value.code == "job_refused" and len(info.value.problems) == 3
        assert all("epsilon_exhausted" in p.what for p in info.value.problems)
        # and a job without DP is refused for the contracts that demand it
        with pytest.raises(ResonanceError) as info:
            jobs.submit(session, spec(rounds=2).model_copy(update={"purpose": PRIVATE_PURPOSE}), actor="test")
        assert all("dp_required" in p.what for p in info.value.problems)
    with transaction(world.sessions) as session:
        assert session.scalars(select(m.Job.id)).all() == before  # nothing half-recorded
        assert session.scalars(select(m.EpsilonSpending)).all() == []


def test_a_private_job_spends_epsilon_within_the_budget(world: worlds.World) -> None:
    job_id = submit(world, spec(rounds=2, privacy={"noise_multiplier": 2.0, "clip": 5.0}))
    result = run(world, job_id)
    assert result["status"] == "completed"
    with transaction(world.sessions) as session:
        spent = session.scalars(select(m.EpsilonSpending).where(m.EpsilonSpending.job_ref == str(job_id))).all()
        assert len(spent) == 3 and all(s.status == "spent" and 0 < s.epsilon <= 5.0 for s in spent)
    with transaction(world.sessions) as session:
        private = session.scalars(
            select(m.Contract.id).where(m.Contract.purpose == PRIVATE_PURPOSE, m.Contract.state == "FINALIZED")
        ).first()
    used = node_contracts.usage(world.nodes["mill-l"], str(private))
    assert used["epsilon"] > 0 and used["rounds"] == 2


def test_secure_aggregation_and_node_traffic_without_training_rows(world: worlds.World, tmp_path: Path) -> None:
    """A plain job and a SecAgg+ job learn the same model; every byte the nodes send during both, decrypted by a
    TLS proxy holding the space's certificate, carries no training row."""
    assert world.link is not None
    proxy = CapturingProxy(world.home, world.link.address)
    proxy.start()
    try:
        for home in world.nodes.values():
            supernode.stop(home.path)
        for home in world.nodes.values():
            supernode.start(home.path, proxy.address, world.ca)
        _wait_online(world, 3)
        results = {}
        for secagg in (False, True):
            job_id = submit(world, spec(rounds=2, secagg=secagg, timeout=180))
            results[secagg] = run(world, job_id)
            assert results[secagg]["status"] == "completed", events(world, job_id)
    finally:
        for home in world.nodes.values():  # stopped before the proxy, so that they can sign off at the SuperLink
            supernode.stop(home.path)
        proxy.stop()
        worlds.start_nodes(world)
    plain, secure = results[False], results[True]
    assert secure["rounds_done"] == 2
    with transaction(world.sessions) as session:  # no individual update reached the space: no contribution
        hidden = session.get(m.Job, secure["job"]).spec["contribution"]
    assert hidden["available"] is False and "SecAgg+" in hidden["reason"]
    # SecAgg+ quantises the summed updates: the model is the same up to quantisation error
    assert secure["final"]["auc"] == pytest.approx(plain["final"]["auc"], abs=0.01)
    assert secure["final"]["log_loss"] == pytest.approx(plain["final"]["log_loss"], rel=0.05)
    sent = proxy.client_bytes()
    assert len(sent) > 10_000  # real traffic was captured (model updates, replies)
    for _, org in ENTERPRISES:
        csv_path = world.nodes[org].path / "data" / f"ai4i_{org[-1].upper()}.csv"
        lines = csv_path.read_text(encoding="utf-8").splitlines()[1:]
        for line in lines[:: max(1, len(lines) // 200)]:
            cells = line.split(",")
            assert line.encode() not in sent
            assert cells[1].encode() not in sent  # product id such as L47181
            values = [float(c) for c in cells[3:8]]
            assert struct.pack("<5d", *values) not in sent  # a row's features as float64
            assert struct.pack("<5f", *values) not in sent  # … or as float32


def test_a_node_killed_mid_round_is_dropped_and_the_job_finishes(world: worlds.World) -> None:
    job_id = submit(world, spec(rounds=3, timeout=20))
    victim = world.nodes["mill-m"]
    killed = {"done": False}

    def on_event(event: dict) -> None:
        if event["event"] == "round" and event["round"] == 1 and not killed["done"]:
            running = supernode.running(victim.path)
            assert running is not None
            os.killpg(running.pid, signal.SIGKILL)
            killed["done"] = True

    result = run(world, job_id, on_event)
    assert killed["done"] and result["status"] == "completed" and result["rounds_done"] == 3, events(world, job_id)
    record = json.loads((jobs.job_dir(world.home, job_id) / "result.json").read_text())
    assert world.node_id("mill-m") not in record["participants"]
    assert "job.node_dropped" in ledger_kinds(world, f"job:{job_id}")


def _wait_online(world: worlds.World, count: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while len(worlds.online(world)) < count:
        assert time.monotonic() < deadline, "SuperNodes did not come online through the proxy"
        time.sleep(0.5)
