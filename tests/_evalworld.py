"""A small real world for the evaluation tests: a registry (SQLite or PostgreSQL), an evaluator's node home
holding an evaluation dataset (registered, analysed and published the way a node does it), and registered
models with ONNX artifacts in the space home."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from resonance.demo.bundled import ai4i_frame
from resonance.demo.nodes import register_local
from resonance.evaluation import datasets as eval_datasets
from resonance.federation import model_store
from resonance.federation.learning import baselines
from resonance.federation.learning.data import frame_to_local, split_mask
from resonance.federation.learning.families import get_family
from resonance.federation.learning.presets import preset
from resonance.federation.learning.spec import TaskSpec
from resonance.node import keys
from resonance.node.home import NodeHome
from resonance.registry import models as m
from resonance.registry import nodes, services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction

EVAL_DATASET = "ai4i-eval@1"
ORGS = {
    "evaluator": ("江苏省工业人工智能评测中心", ["evaluation_institution"]),
    "eval-b": ("另一家评测机构", ["evaluation_institution"]),
    "model-co": ("金陵工业智能", ["model"]),
    "mill-l": ("苏锡精密机床", ["data"]),
}


@dataclass
class EvalWorld:
    registry: Any
    root: Path
    space_home: Path
    node_home: NodeHome
    node_id: str
    models: dict[str, str] = field(default_factory=dict)  # code -> sha256 of its ONNX

    @property
    def sessions(self) -> Any:
        return self.registry.sessions


def task() -> dict[str, Any]:
    return dict(preset("ai4i-logistic")["task"])


def evaluation_rows(n: int = 800) -> Any:
    """The evaluator's rows: a reproducible sample of AI4I (all product types) the models never trained on."""
    frame = ai4i_frame()
    held = split_mask(frame["UDI"].tolist(), 0.2, 7)
    return frame[held].head(n).reset_index(drop=True), frame[~held].reset_index(drop=True)


def write_csv(frame: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return path


def make_model(world: EvalWorld, code: str, *, rows: int = 3000, rounds: int = 3, scramble: bool = False) -> str:
    """Train a logistic model in-process, register it with its ONNX artifact and task; returns the ONNX sha."""
    spec = TaskSpec.model_validate(task())
    _, train = evaluation_rows()
    train = train.head(rows).copy()
    if scramble:  # a model that learned nothing useful: labels shuffled
        train[spec.target] = np.random.default_rng(1).permutation(train[spec.target].to_numpy())
    outcome = baselines.centralized([frame_to_local(train, spec, name=code)], spec, rounds)
    onnx = get_family(spec).to_onnx(outcome.arrays, len(spec.features), standardiser=outcome.standardiser,
                                    task=spec.task)  # fmt: skip
    folder = model_store.artifact_dir(world.space_home, code, "1")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(onnx)
    with transaction(world.sessions) as s:
        row = services.create(
            s,
            CONCEPTS["models"],
            {"code": code, "name_zh": f"模型{code}", "kind": "industry", "industry": "machine_tools",
             "developer": "model-co"},
        )  # fmt: skip
        row.lineage = {"task": task()}
    world.models[code] = model_store.sha256_file(folder / "model.onnx")
    return world.models[code]


def build(registry: Any, root: Path, *, rows: int = 800) -> EvalWorld:
    """Organisations, the evaluator's approved node with its published, protected evaluation dataset."""
    space_home = root / "space"
    space_home.mkdir(parents=True, exist_ok=True)
    with transaction(registry.sessions) as s:
        for code, (name, roles) in ORGS.items():
            services.create(s, CONCEPTS["organisations"], {"code": code, "name_zh": name, "roles": roles})
    home = NodeHome(root / "evalnode")
    config = home.create(org="evaluator", space_url="http://testserver", name="评测节点")
    frame, _ = evaluation_rows(rows)
    data = write_csv(frame, home.path / "data" / "eval.csv")
    fields = {"code": "ai4i-eval", "version": "1", "kind": "evaluation", "industry": "machine_tools",
              "category": "production", "name_zh": "机床故障预测评测集"}  # fmt: skip
    payload, _ = register_local(home, "evaluator", data, fields, label_column="Machine failure")
    with transaction(registry.sessions) as s:
        proof = keys.sign(home.private_key(), f"enrol:{config.node_id}".encode())
        node = nodes.enrol(s, "evaluator", home.public_key(), config.name, proof)
        nodes.decide(s, node.id, approve=True, by="test operator", space_home=space_home)
        nodes.publish_dataset(s, node, payload)
        eval_datasets.protect(s, EVAL_DATASET, actor="evaluator")
    return EvalWorld(registry, root, space_home, home, config.node_id)


def dataset(session: Any, key: str = EVAL_DATASET) -> m.Dataset:
    from resonance.registry.references import resolve

    return resolve(session, m.Dataset, key)


class AppTransport(httpx.BaseTransport):
    """Lets the node's own ``SpaceClient`` (signed requests and all) talk to an in-process API."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self.client.request(
            request.method, request.url.raw_path.decode(), content=request.read(), headers=dict(request.headers)
        )
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)


def node_client(world: EvalWorld, api: Any) -> Any:
    from resonance.node.client import SpaceClient

    return SpaceClient(world.node_home, transport=AppTransport(api))


def clone_model(world: EvalWorld, source: str, code: str) -> str:
    """Another registered model version with the same ONNX (leaderboard tests need models, not training)."""
    import shutil

    folder = model_store.artifact_dir(world.space_home, code, "1")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(model_store.artifact_dir(world.space_home, source, "1") / "model.onnx", folder / "model.onnx")
    with transaction(world.sessions) as s:
        fields = {"code": code, "name_zh": f"模型{code}", "kind": "industry", "industry": "machine_tools"}
        row = services.create(s, CONCEPTS["models"], {**fields, "developer": "model-co"})
        row.lineage = {"task": task()}
    world.models[code] = world.models[source]
    return world.models[code]


def signed_result(
    world: EvalWorld, model: str, metrics: dict[str, tuple[float, float, float]], slices: list | None = None
) -> int:
    """An evaluation of ``model`` requested, handed to the node and answered with these metrics (value, low,
    high), signed by the evaluator node's key and accepted by the space. Returns the EvaluationResult id."""
    from resonance.evaluation import documents, runs

    with transaction(world.sessions) as s:
        job = runs.request(s, model=model, dataset=EVAL_DATASET, evaluator="evaluator", space_home=world.space_home,
                           actor="t")  # fmt: skip
        node = s.get(m.Node, world.node_id)
        assignment = runs.next_for(s, node, world.space_home)
        assert assignment is not None and assignment["job"] == job.id
        document = {
            "format": documents.FORMAT,
            "job": job.id,
            "node": world.node_id,
            "evaluator": "evaluator",
            "model": {"key": assignment["model"], "sha256": assignment["model_sha256"]},
            "dataset": {"key": assignment["dataset"], "fingerprint": assignment["dataset_fingerprint"]},
            "code_version": "test",
            "task": "classification",
            "rows": 800,
            "metrics": {k: {"name": k, "value": v, "low": lo, "high": hi} for k, (v, lo, hi) in metrics.items()},
            "slices": slices or [],
            "evaluated_at": "2026-12-05T10:00:00+00:00",
        }
        signature = documents.sign(document, world.node_home.private_key())
        return runs.submit_result(s, node, job.id, {"document": document, "signature": signature}).id


def provider(world: EvalWorld, org: str, frame: Any, code: str, version: str = "1") -> str:
    """A provider's node (enrolled, approved) publishing ``frame`` as ``code@version``; returns the key."""
    home = NodeHome(world.root / "nodes" / org)
    if not home.exists():
        home.create(org=org, space_url="http://testserver", name=f"{org} 节点")
    config = home.load()
    data = write_csv(frame, home.path / "data" / f"{code}-{version}.csv")
    fields = {"code": code, "version": version, "kind": "common", "industry": "machine_tools",
              "category": "production", "name_zh": f"{org} 加工数据"}  # fmt: skip
    payload, _ = register_local(home, org, data, fields, label_column="Machine failure")
    with transaction(world.sessions) as s:
        node = s.get(m.Node, config.node_id)
        if node is None:
            proof = keys.sign(home.private_key(), f"enrol:{config.node_id}".encode())
            node = nodes.enrol(s, org, home.public_key(), config.name, proof)
            nodes.decide(s, node.id, approve=True, by="test operator", space_home=world.space_home)
        nodes.publish_dataset(s, node, payload)
    return f"{code}@{version}"


WEAR_SLICE = {
    "predicates": [{"column": "Tool wear [min]", "op": ">=", "value": 180}],
    "n": 120,
    "metric": "recall",
    "value": 0.2,
    "overall": 0.6,
    "error_ratio": 3.0,
    "score": 0.4,
    "units": {},
    "description": {"en": "Tool wear [min] ≥ 180: recall 0.2 vs 0.6 overall, n = 120",
                    "zh": "Tool wear [min] ≥ 180：召回率 0.2，整体 0.6，n = 120"},
}  # fmt: skip
