"""The evaluator's node: run a handed-out model on the node's own evaluation rows and sign the result.

``serve_step`` is called by ``resonance node serve`` on every heartbeat: it asks the space for the next
evaluation (a signed node request), checks the ONNX bytes against their announced SHA-256 and the local data
against the published version hash, runs the model with onnxruntime, computes the task metrics with bootstrap
confidence intervals (``evaluation.metrics``) and the diagnosis (``evaluation.slices.find_slices``), and posts
the document signed by the node key (``evaluation.documents``). Rows, scores per row and paths never leave:
the document holds aggregates only, and a slice with fewer than ``SUPPRESS_K`` rows is not published.
"""

from __future__ import annotations

import base64
import hashlib
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

import resonance
from resonance.errors import ResonanceError
from resonance.evaluation import documents
from resonance.federation.learning.encoding import raw_codes
from resonance.federation.learning.spec import TaskSpec
from resonance.node import catalog
from resonance.node.home import NodeHome

SUPPRESS_K = 5  # the node's small-count suppression (docs/node.md): no aggregate over fewer rows leaves
SLICES_K = 5  # slices diagnosed per evaluation


def serve_step(home: NodeHome, client: Any, say: Any = print) -> int | None:
    """Run the next evaluation handed to this node, if any; returns its job id (None when there was none).

    A failure at the node (data changed, a column missing, a model that does not run) is reported to the space,
    which closes the evaluation as failed with that reason; the agent goes on."""
    assignment = client.next_evaluation()
    if not assignment:
        return None
    job = int(assignment["job"])
    say(f"evaluation {job}: {assignment['model']} on {assignment['dataset']} — running here, the rows stay")
    try:
        document = evaluate(home, assignment)
    except Exception as exc:  # any failure here is the node's to report; the agent itself goes on
        what = f"{exc.what} ({exc.fix})" if isinstance(exc, ResonanceError) and exc.fix else str(exc) or repr(exc)
        client.evaluation_failed(job, what)
        say(f"evaluation {job} failed: {what}")
        return job
    signature = documents.sign(document, home.private_key())
    try:
        client.evaluation_result(job, {"document": document, "signature": signature})
    except ResonanceError as exc:
        if exc.status >= 500:
            raise  # the space is unreachable: the evaluation stays running and is handed out again
        client.evaluation_failed(job, f"the space refused the result: {exc.what}")
        say(f"evaluation {job}: the space refused the result: {exc.what}")
        return job
    say(f"evaluation {job}: signed result sent")
    return job


def evaluate(home: NodeHome, assignment: dict[str, Any]) -> dict[str, Any]:
    """The unsigned result document of one handed-out evaluation (see the module docstring)."""
    onnx = base64.b64decode(assignment.get("model_onnx") or "")
    if hashlib.sha256(onnx).hexdigest() != assignment["model_sha256"]:
        raise ResonanceError(
            what="the model received does not match its announced SHA-256",
            where=f"evaluation {assignment['job']}",
            fix="request the evaluation again",
            code="model_mismatch",
        )
    task = assignment["task"]
    frame = read_local(home, assignment["dataset"], assignment["dataset_fingerprint"])
    features, target = list(task["features"]), task["target"]
    missing = [c for c in [*features, target, *assignment.get("slice_by", [])] if c not in frame.columns]
    if missing:
        raise ResonanceError(
            what=f"the evaluation data has no column {missing[0]!r}",
            where=assignment["dataset"],
            fix="evaluate a model whose features the evaluation data holds",
            code="missing_column",
        )
    spec = TaskSpec.model_validate(task)
    _numeric(frame, list(spec.numeric_features), assignment["dataset"])  # refuse missing or non-numeric values
    X = raw_codes(frame, spec)  # the exported model's input: categories as vocabulary positions
    y_true = _numeric(frame, [target], assignment["dataset"])[:, 0]
    y_score = predict(onnx, X)
    kind = task.get("task", "classification")
    bootstrap = int(assignment.get("bootstrap", 200))
    slice_columns = list(dict.fromkeys([*features, *assignment.get("slice_by", [])]))
    return documents.finite(
        {
            "format": documents.FORMAT,
            "job": int(assignment["job"]),
            "node": home.load().node_id,
            "evaluator": assignment["evaluator"],
            "model": {"key": assignment["model"], "sha256": assignment["model_sha256"]},
            "dataset": {"key": assignment["dataset"], "fingerprint": assignment["dataset_fingerprint"]},
            "code_version": resonance.__version__,
            "task": kind,
            "rows": len(y_true),
            "metrics": metric_dicts(kind, y_true, y_score, bootstrap),
            "slices": diagnose(frame[slice_columns], y_true, y_score, kind, slice_columns, bootstrap),
            "watched": watched(frame, y_true, y_score, kind, assignment.get("watch") or [], bootstrap),
            "evaluated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )


def read_local(home: NodeHome, dataset: str, fingerprint: str) -> pd.DataFrame:
    """The evaluation rows where they lie, refused when they changed since the published version."""
    import duckdb

    from resonance.node.sources import open_source

    sessions = catalog.open_catalog(home.catalog_url)
    with sessions() as session:
        row = catalog.get(session, dataset)
        location, table = row.location, row.table
    with open_source(location, table=table, workdir=home.workdir) as source:
        if fingerprint and source.fingerprint() != fingerprint:
            raise ResonanceError(
                what=f"the local data of {dataset} changed since it was published (its version hash differs)",
                where=dataset,
                fix="publish the data as a new version and evaluate on that",
                code="dataset_changed",
            )
        con = duckdb.connect()
        try:
            con.execute("SET threads = 1")
            with source.reading():
                return con.execute(f"SELECT * FROM {source.relation(con)}").df()
        finally:
            con.close()


def predict(onnx: bytes, X: np.ndarray) -> np.ndarray:
    """The model's output on ``X`` with onnxruntime (probability of class 1, or the regression value)."""
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        dtype = np.float32 if "float)" in session.get_inputs()[0].type else np.float64
        out = session.run(None, {name: X.astype(dtype)})[0]
    except Exception as exc:  # onnxruntime raises its own exception types; say what happened, in one line
        raise ResonanceError(
            what=f"the model did not run: {str(exc).splitlines()[0][:300]}",
            fix="evaluate a model registered by the space (its ONNX artifact), with the features it was trained on",
            code="model_failed",
        ) from None
    return np.asarray(out, dtype=np.float64).reshape(len(X))


def metric_dicts(task: str, y_true: np.ndarray, y_score: np.ndarray, bootstrap: int) -> dict[str, dict[str, Any]]:
    from resonance.evaluation.metrics import task_metrics

    return {name: _as_plain(value) for name, value in task_metrics(task, y_true, y_score, bootstrap=bootstrap).items()}


def diagnose(
    frame: pd.DataFrame, y_true: np.ndarray, y_score: np.ndarray, task: str, features: list[str], bootstrap: int
) -> list[dict[str, Any]]:
    """The slices where the model does worst, as published aggregates (suppressed below ``SUPPRESS_K`` rows)."""
    from resonance.evaluation.slices import find_slices

    out = []
    for found in find_slices(frame, y_true, y_score, task=task, features=features, k=SLICES_K):
        mask = np.asarray(found.matches(frame), dtype=bool)
        n = int(mask.sum())
        if n < SUPPRESS_K:
            continue
        item = {k: v for k, v in found.as_dict().items()}
        item["n"] = n
        item["description"] = {"zh": found.describe("zh"), "en": found.describe("en")}
        try:
            item["metrics"] = metric_dicts(task, y_true[mask], y_score[mask], bootstrap)
        except ResonanceError:
            item["metrics"] = {}
        out.append(item)
    return out


def watched(
    frame: pd.DataFrame,
    y_true: np.ndarray,
    y_score: np.ndarray,
    task: str,
    slices: list[dict[str, Any]],
    bootstrap: int,
) -> list[dict[str, Any]]:
    """Metrics on slices named in advance (an earlier diagnosis), so that before and after compare on the same
    rows; a slice with fewer than ``SUPPRESS_K`` rows here is reported as suppressed, without metrics."""
    from resonance.evaluation.slices import Slice

    out = []
    for item in slices:
        found = Slice.from_dict(item)
        mask = np.asarray(found.matches(frame), dtype=bool)
        n = int(mask.sum())
        entry: dict[str, Any] = {"predicates": item.get("predicates", []), "condition": found.condition()}
        if n < SUPPRESS_K:
            entry["suppressed"] = True
        else:
            entry["n"] = n
            try:
                entry["metrics"] = metric_dicts(task, y_true[mask], y_score[mask], bootstrap)
            except ResonanceError:
                entry["metrics"] = {}
        out.append(entry)
    return out


def _as_plain(value: Any) -> dict[str, Any]:
    if hasattr(value, "as_dict"):
        return dict(value.as_dict())
    if isinstance(value, dict):
        return dict(value)
    return {"value": _num(value.value), "low": _num(value.low), "high": _num(value.high)}


def _num(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def _numeric(frame: pd.DataFrame, columns: list[str], where: str) -> np.ndarray:
    values = frame[columns].apply(pd.to_numeric, errors="coerce")
    bad = values.isna().any(axis=1).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise ResonanceError(
            what=f"a value is missing or not a number at data row {row + 1} (columns {', '.join(columns)})",
            where=f"{where}: row {row + 1}",
            fix="fill or remove those rows of the evaluation data, then publish it as a new version",
            code="not_numeric",
        )
    return values.to_numpy(dtype=np.float64)
