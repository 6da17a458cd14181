"""The signed evaluation result: one JSON document the evaluator's node signs with its Ed25519 key.

The node signs the canonical JSON of the document (sorted keys, UTF-8, no spaces — the bytes
``node.client.canonical_json`` gives), so that anyone holding the node's enrolled public key can check the
stored result later, independently of the request that carried it. Numbers that are not finite are refused
before signing: JSON has no NaN, and a value that does not survive the round trip could never be verified.
"""

from __future__ import annotations

import math
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from resonance.errors import ResonanceError
from resonance.node import keys
from resonance.node.client import canonical_json

FORMAT = "resonance.evaluation/1"
DOCUMENT_FIELDS = ("format", "job", "node", "evaluator", "model", "dataset", "code_version", "task", "rows",
                   "metrics", "slices", "evaluated_at")  # fmt: skip


def finite(value: Any) -> Any:
    """``value`` with every float checked finite (NaN/inf → None), so that the document is plain JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def sign(document: dict[str, Any], key: Ed25519PrivateKey) -> str:
    """The node key's signature (base64) of the document's canonical JSON."""
    return keys.sign(key, canonical_json(document))


def verify(document: dict[str, Any], signature: str, public_key: str) -> bool:
    """Whether ``signature`` is the signature of ``document`` by the holder of ``public_key`` (base64)."""
    return keys.verify(public_key, canonical_json(document), signature)


def check_shape(document: Any) -> dict[str, Any]:
    """Refuse (422) a document that lacks a field or whose metrics are not {name: {value, low, high}}."""
    if not isinstance(document, dict):
        raise _bad("the evaluation result must be a JSON object", "document")
    missing = [f for f in DOCUMENT_FIELDS if f not in document]
    if missing:
        raise _bad(f"the evaluation result lacks {', '.join(missing)}", "document")
    if document["format"] != FORMAT:
        raise _bad(f"unknown result format {document['format']!r}; expected {FORMAT}", "document.format")
    metrics = document["metrics"]
    if not isinstance(metrics, dict) or not metrics:
        raise _bad("metrics must be a non-empty object {name: {value, low, high}}", "document.metrics")
    for name, metric in metrics.items():
        if not isinstance(metric, dict) or not isinstance(metric.get("value"), int | float | None):
            raise _bad(f"metric {name!r} must be an object with a numeric value", f"document.metrics.{name}")
    for name in ("slices", "watched"):
        items = document.get(name, [])
        if not isinstance(items, list) or not all(isinstance(s, dict) for s in items):
            raise _bad(f"{name} must be a list of objects", f"document.{name}")
    return document


def _bad(what: str, where: str) -> ResonanceError:
    return ResonanceError(
        what=what, where=where, fix="send the node's signed result unchanged", code="bad_result", status=422
    )
