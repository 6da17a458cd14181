"""Predictions with a registered ModelVersion: its feature schema, input validation, and its ONNX run.

The feature schema is the training job's task spec (``ModelVersion.lineage["job"]`` → ``Job.spec["task"]``):
the raw feature columns in order, which are exactly the inputs of the registered ``model.onnx`` (the pooled
standardisation is inside the graph, see ``federation.model_store``). The training means come from the
artifact's ``standardiser.json``; the maintenance agent uses them as the "typical machine" for occlusion.
The ONNX file is checked against the SHA-256 in the model's lineage before it is loaded, so a swapped
artifact is refused rather than run.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from resonance.errors import Problem, ResonanceError
from resonance.registry import models as m

MAX_ROWS = 1000


@dataclass(frozen=True)
class Schema:
    """What a model version takes and gives."""

    model: str  # code@version
    task: str  # classification | regression
    target: str
    features: list[str]
    means: dict[str, float]
    onnx: Path
    onnx_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "task": self.task,
            "target": self.target,
            "features": [{"name": f, "type": "number", "training_mean": self.means.get(f)} for f in self.features],
            "output": "probability of class 1" if self.task == "classification" else f"predicted {self.target}",
        }


def schema(session: Session, space_home: Path, key: str) -> Schema:
    """The schema of model ``key`` (``code`` = newest version, or ``code@version``)."""
    from resonance.federation import model_store

    row = model_store.find(session, key)
    name = f"{row.code}@{row.version}"
    job = session.get(m.Job, row.lineage.get("job")) if row.lineage.get("job") is not None else None
    task = (job.spec or {}).get("task", {}) if job is not None else {}
    features = task.get("features")
    if not features:
        raise ResonanceError(
            what=f"model {name} has no feature schema in its lineage (no training job with a task spec)",
            where=f"model {name}",
            fix="only models trained by a Resonance job can be called; retrain it with `resonance job submit`",
            code="no_schema",
            status=409,
        )
    folder = model_store.artifact_dir(space_home, row.code, row.version)
    onnx = folder / "model.onnx"
    expected = row.lineage.get("artifacts", {}).get("model.onnx")
    if not onnx.is_file() or not expected:
        raise ResonanceError(
            what=f"model {name} has no ONNX artifact",
            where=str(onnx),
            fix="its family cannot be exported to ONNX, or the artifact was removed; retrain it",
            code="no_artifact",
            status=409,
        )
    means: dict[str, float] = {}
    standardiser = folder / "standardiser.json"
    if standardiser.is_file():
        values = json.loads(standardiser.read_text(encoding="utf-8")).get("mean", [])
        means = {f: float(v) for f, v in zip(features, values, strict=False)}
    return Schema(
        name, task.get("task", "classification"), task.get("target", ""), list(features), means, onnx, expected
    )


def validate(rows: Any, schema: Schema) -> np.ndarray:
    """The rows as a float64 matrix in the schema's feature order; refuses (422) the whole input otherwise.

    Every problem is reported at once: a row that is not an object, missing fields, fields the model does
    not take, and values that are not finite numbers (strings, booleans, null, NaN are refused).
    """
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list) or not rows:
        raise _bad("rows must be a non-empty list of objects (feature name → number)", "rows", [])
    if len(rows) > MAX_ROWS:
        raise _bad(f"{len(rows)} rows is more than {MAX_ROWS} in one call", "rows", [])
    problems: list[Problem] = []
    known = set(schema.features)
    matrix = np.zeros((len(rows), len(schema.features)), dtype=np.float64)
    for i, row in enumerate(rows):
        at = f"rows[{i}]"
        if not isinstance(row, dict):
            problems.append(Problem(what=f"is a {type(row).__name__}, not an object", where=at))
            continue
        for name in schema.features:
            if name not in row:
                problems.append(Problem(what=f"missing field {name!r}", where=at, fix="give every feature"))
        for name in row:
            if name not in known:
                problems.append(
                    Problem(
                        what=f"unknown field {name!r}",
                        where=f"{at}.{name}",
                        fix=f"model {schema.model} takes: {', '.join(schema.features)}",
                    )
                )
        for j, name in enumerate(schema.features):
            if name not in row:
                continue
            value = row[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                problems.append(
                    Problem(
                        what=f"must be a finite number, got {type(value).__name__}",
                        where=f"{at}.{name}",
                        value=value,
                        fix="send the reading as a JSON number",
                    )
                )
                continue
            matrix[i, j] = float(value)
    if problems:
        raise _bad(f"{len(problems)} problem(s) in the input of model {schema.model}", "rows", problems)
    return matrix


def _bad(what: str, where: str, problems: list[Problem]) -> ResonanceError:
    return ResonanceError(
        what=what,
        where=where,
        fix="send objects with exactly the model's features as numbers (the model_schema tool lists them)",
        code="invalid_input",
        status=422,
        problems=problems,
    )


_sessions: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def _session(schema: Schema) -> Any:
    import onnxruntime as ort

    from resonance.federation import model_store

    key = (str(schema.onnx), schema.onnx_sha256)
    with _lock:
        if key not in _sessions:
            if model_store.sha256_file(schema.onnx) != schema.onnx_sha256:
                raise ResonanceError(
                    what=f"the ONNX artifact of model {schema.model} does not match the SHA-256 in its lineage",
                    where=str(schema.onnx),
                    fix="the file was changed after registration; restore it or retrain the model",
                    code="artifact_mismatch",
                    status=409,
                )
            _sessions[key] = ort.InferenceSession(str(schema.onnx), providers=["CPUExecutionProvider"])
        return _sessions[key]


def run(schema: Schema, matrix: np.ndarray) -> list[float]:
    """The model's outputs for the validated rows (probabilities of class 1, or regression values)."""
    result = _session(schema).run(["prediction"], {"X": matrix.astype(np.float64)})[0]
    return [float(v) for v in np.asarray(result).reshape(-1)]


def predict(session: Session, space_home: Path, key: str, rows: Any) -> dict[str, Any]:
    found = schema(session, space_home, key)
    values = run(found, validate(rows, found))
    return {"model": found.model, "task": found.task, "predictions": values}
