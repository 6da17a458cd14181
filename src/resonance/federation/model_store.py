"""The model registry's artifacts: each finished job becomes a ModelVersion with its weights, an ONNX export where
the family allows, per-round metrics and lineage (datasets with version hashes, contracts, nodes, rounds, code).

Artifacts live in the space home, ``artifacts/models/<code>/<version>/``: ``model.npz`` (parameters and the
standardiser), ``model.onnx`` (the declared features in, categories as vocabulary positions; derived features,
indicators and the pooled standardisation inside the graph; probability of class 1 or the regression value
out), ``standardiser.json``, ``result.json``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import resonance
from resonance.errors import NotFound, ResonanceError
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import concept


def artifact_dir(space_home: Path, code: str, version: str) -> Path:
    return space_home / "artifacts" / "models" / code / version


def next_version(session: Session, code: str) -> str:
    versions = session.scalars(select(m.ModelVersion.version).where(m.ModelVersion.code == code)).all()
    numbers = [int(v) for v in versions if v.isdigit()]
    return str(max(numbers, default=0) + 1)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_arrays(npz_path: Path) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Parameters (``arr_0``…) in order, and the standardiser (``mean``, ``std``) when present."""
    with np.load(npz_path) as data:
        arrays = [data[f"arr_{i}"] for i in range(len([k for k in data.files if k.startswith("arr_")]))]
        extra = {k: data[k] for k in data.files if not k.startswith("arr_")}
    return arrays, extra


def publish(
    session: Session,
    *,
    space_home: Path,
    job: m.Job,
    spec: dict[str, Any],
    result: dict[str, Any],
    out: Path,
    lineage: dict[str, Any],
) -> m.ModelVersion:
    """Register the job's model (version = next free unless the job named one) and store its artifacts."""
    target = spec["model"]
    version = target.get("version") or next_version(session, target["code"])
    npz = out / "model.npz"
    if not npz.is_file():
        raise ResonanceError(
            what=f"job {job.id} ended without a model file", where=str(out), code="no_model", fix="see the job's logs"
        )
    folder = artifact_dir(space_home, target["code"], version)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(npz, folder / "model.npz")
    (folder / "result.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    arrays, extra = load_arrays(npz)
    files = {"model.npz": sha256_file(folder / "model.npz")}
    onnx_bytes = _onnx(spec, arrays, extra)
    if onnx_bytes is not None:
        (folder / "model.onnx").write_bytes(onnx_bytes)
        files["model.onnx"] = hashlib.sha256(onnx_bytes).hexdigest()
    if extra:
        (folder / "standardiser.json").write_text(
            json.dumps({k: v.tolist() for k, v in extra.items()}), encoding="utf-8"
        )
    payload = {
        "code": target["code"],
        "version": version,
        "name_zh": target["name_zh"],
        "name_en": target.get("name_en", ""),
        "kind": target.get("kind", "industry"),
        "industry": target["industry"],
        "scenario": target.get("scenario"),
        "developer": spec["consumer"],
        "family": spec["task"].get("family", ""),
        "status": "registered",
        "metrics": {"final": result.get("final", {}), "rounds": result.get("history", [])},
    }
    row = services.create(session, concept("models"), payload, where=f"job {job.id}")
    row.artifact_sha256 = files["model.npz"]
    row.lineage = {**lineage, "artifacts": files, "code_version": resonance.__version__, "job": job.id}
    session.flush()
    return row


def find(session: Session, key: str) -> m.ModelVersion:
    """A model version by ``code`` (the newest) or ``code@version``."""
    code, _, version = key.partition("@")
    stmt = select(m.ModelVersion).where(m.ModelVersion.code == code)
    if version:
        stmt = stmt.where(m.ModelVersion.version == version)
    rows = session.scalars(stmt).all()
    if not rows:
        raise NotFound("model", key, fix="list models with `resonance model list`")
    return max(rows, key=lambda r: (len(r.version), r.version))


def artifact_path(session: Session, space_home: Path, key: str, fmt: str = "npz") -> Path:
    """Where a model version's artifact lies (``key`` = ``code`` or ``code@version``)."""
    row = find(session, key)
    path = artifact_dir(space_home, row.code, row.version) / f"model.{fmt}"
    if not path.is_file():
        raise ResonanceError(
            what=f"model {row.code}@{row.version} has no {fmt} artifact",
            where=str(path),
            fix="choose --format npz" if fmt != "npz" else "the artifact was removed; retrain the model",
            code="no_artifact",
        )
    return path


def _onnx(spec: dict[str, Any], arrays: list[np.ndarray], extra: dict[str, np.ndarray]) -> bytes | None:
    """The model as ONNX taking raw features: the pooled standardisation is part of the graph, and so are derived
    features and the categorical indicators (``encoding.with_preprocessing``). The task is the plan's — it holds
    the vocabularies the space built — when the job recorded one."""
    from resonance.federation.learning.alignment import Standardiser
    from resonance.federation.learning.encoding import with_preprocessing
    from resonance.federation.learning.families import get_family
    from resonance.federation.learning.spec import TaskSpec

    task = TaskSpec.model_validate((spec.get("plan") or {}).get("task") or spec["task"])
    standardiser = Standardiser.from_arrays(extra) if "mean" in extra else None
    try:
        model = get_family(task).to_onnx(arrays, task.n_inputs, standardiser=standardiser, task=task.task)
    except NotImplementedError:
        return None
    return with_preprocessing(task, model)
