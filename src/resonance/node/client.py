"""The node's connection to the space: enrolment, heartbeats and publishing, every request signed by the node key.

The node always connects out to the space; nothing on the space side connects in to the node. The enrolment
carries the node's SuperNode public key too, under the same proof; ``federation()`` asks where to connect.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from resonance import __version__
from resonance.errors import ResonanceError
from resonance.federation import enrolment, flower_keys
from resonance.node import keys
from resonance.node.home import NodeHome


def canonical_json(payload: Any) -> bytes:
    """The exact bytes sent: sorted keys, UTF-8, no spaces (what the signature covers)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


class SpaceClient:
    def __init__(
        self,
        home: NodeHome,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        verify: bool | str = True,
    ) -> None:
        self.home = home
        self.config = home.load()
        self._key = home.private_key()
        headers = {"User-Agent": f"resonance-node/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.config.space_url, headers=headers, timeout=timeout, transport=transport, verify=verify
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SpaceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _post(self, path: str, payload: Any, signed: bool = True) -> dict[str, Any]:
        body = canonical_json(payload)
        headers = {"Content-Type": "application/json"}
        if signed:
            headers.update(keys.signed_headers(self.config.node_id, self._key, "POST", path, body))
        try:
            response = self._http.post(path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ResonanceError(
                what=f"cannot reach the space at {self.config.space_url}: {exc}",
                fix="check the space URL in node.toml and that `resonance space serve` runs",
                code="space_unreachable",
                status=503,
            ) from None
        return _result(response)

    def _get(self, path: str) -> dict[str, Any]:
        try:
            response = self._http.get(path)
        except httpx.HTTPError as exc:
            raise ResonanceError(
                what=f"cannot reach the space at {self.config.space_url}: {exc}",
                fix="check the space URL in node.toml and that `resonance space serve` runs",
                code="space_unreachable",
                status=503,
            ) from None
        return _result(response)

    def enrol(self) -> dict[str, Any]:
        """Ask to enrol; sends the Ed25519 identity and the SuperNode key (made here if missing), both under one
        proof signed by the identity key (``enrolment.enrolment_message``)."""
        flower = flower_keys.ensure_node_key(self.home.path)
        proof = keys.sign(self._key, enrolment.enrolment_message(self.config.node_id, flower))
        payload = {
            "org": self.config.org,
            "public_key": self.home.public_key(),
            "flower_public_key": flower,
            "name": self.config.name,
            "proof": proof,
            "software_version": __version__,
        }
        return self._post("/api/v1/nodes/enrol", payload, signed=False)

    def federation(self) -> dict[str, Any]:
        """The space's SuperLink address (None while it is not running) and its CA certificate (public)."""
        return self._get("/api/v1/federation")

    def heartbeat(self) -> dict[str, Any]:
        return self._post(f"/api/v1/nodes/{self.config.node_id}/heartbeat", {"software_version": __version__})

    def publish(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._post(f"/api/v1/nodes/{self.config.node_id}/datasets", payload)

    def sync_contracts(self) -> dict[str, Any]:
        """The space's signed terms of every finalized (or since terminated) contract this node computes."""
        return self._post(f"/api/v1/nodes/{self.config.node_id}/contracts/sync", {})

    def next_evaluation(self) -> dict[str, Any] | None:
        """The next evaluation handed to this evaluator node (model ONNX included), or None."""
        reply = self._post(f"/api/v1/nodes/{self.config.node_id}/evaluations/next", {})
        return reply.get("evaluation")

    def evaluation_result(self, job: int, signed: dict[str, Any]) -> dict[str, Any]:
        """Post the result this node signed (``{"document", "signature"}``); the space verifies the signature."""
        return self._post(f"/api/v1/nodes/{self.config.node_id}/evaluations/{job}/result", signed)

    def evaluation_failed(self, job: int, reason: str) -> dict[str, Any]:
        return self._post(f"/api/v1/nodes/{self.config.node_id}/evaluations/{job}/failed", {"reason": reason[:2000]})

    def revoke_contract(self, contract_id: str, reason: str) -> dict[str, Any]:
        """Tell the space this node revoked a contract (the space terminates it and records the node's act)."""
        return self._post(f"/api/v1/nodes/{self.config.node_id}/contracts/{contract_id}/revoke", {"reason": reason})


def _result(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.is_success:
        return data
    error = data.get("error", {}) if isinstance(data, dict) else {}
    raise ResonanceError(
        what=f"the space refused the request: {error.get('what') or response.text[:200]}",
        fix=error.get("fix", ""),
        where=error.get("where", ""),
        code=error.get("code", "space_error"),
        status=response.status_code,
    )
