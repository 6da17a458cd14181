"""A node enrols with a real space process over loopback; the operator approves it; bad keys are refused."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx

from _server import RESONANCE, running_space
from resonance import tokens
from resonance.node import keys
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction


def cli(*args: str, home: Path, db: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESONANCE_HOME": str(home), "RESONANCE_DATABASE_URL": db}
    env.pop("RESONANCE_NODE_HOME", None)
    return subprocess.run([str(RESONANCE), *args], env=env, capture_output=True, text=True, timeout=120)


def test_node_enrols_is_approved_and_only_then_publishes(sqlite_registry, tmp_path):
    with transaction(sqlite_registry.sessions) as s:
        services.create(s, CONCEPTS["organisations"], {"code": "mill", "name_zh": "机床厂"})
        services.create(s, CONCEPTS["organisations"], {"code": "rival", "name_zh": "另一家"})
        _, provider = tokens.create_token(s, "mill provider", "provider", org="mill")
        _, rival = tokens.create_token(s, "rival provider", "provider", org="rival")
    db, node_home = sqlite_registry.url, tmp_path / "node"
    with running_space(db, tmp_path / "space") as base:
        refused = cli(
            "node",
            "init",
            "--space",
            base,
            "--org",
            "mill",
            "--token",
            rival,
            "--home",
            str(node_home),
            home=tmp_path,
            db=db,
        )
        assert refused.returncode == 1 and "cannot enrol a node for mill" in refused.stderr

        made = cli(
            "node",
            "init",
            "--space",
            base,
            "--org",
            "mill",
            "--token",
            provider,
            "--home",
            str(node_home),
            "--force",
            "--json",
            home=tmp_path,
            db=db,
        )
        assert made.returncode == 0, made.stderr
        node_id = json.loads(made.stdout)["node_id"]
        assert json.loads(made.stdout)["status"] == "pending"
        assert "pending" in cli("node", "status", "--home", str(node_home), home=tmp_path, db=db).stdout

        listed = json.loads(cli("space", "nodes", "list", "--json", home=tmp_path, db=db).stdout)
        assert [(n["id"], n["org"], n["status"]) for n in listed] == [(node_id, "mill", "pending")]

        key = keys.load_private(node_home / "keys" / "node.key")
        body = b'{"dataset":{"code":"d","name_zh":"d","kind":"common","industry":"steel"}}'
        path = f"/api/v1/nodes/{node_id}/datasets"
        early = httpx.post(base + path, content=body, headers=keys.signed_headers(node_id, key, "POST", path, body))
        assert early.status_code == 403 and "waiting for the operator" in early.json()["error"]["what"]

        assert cli("space", "nodes", "approve", node_id, home=tmp_path, db=db).returncode == 0
        status = json.loads(cli("node", "status", "--home", str(node_home), "--json", home=tmp_path, db=db).stdout)
        assert status["status"] == "approved"

        published = httpx.post(base + path, content=body, headers=keys.signed_headers(node_id, key, "POST", path, body))
        assert published.status_code == 201 and published.json()["owner"] == "mill"

        keys.generate(tmp_path / "stolen.key")
        impostor = keys.load_private(tmp_path / "stolen.key")
        forged = httpx.post(
            base + path, content=body, headers=keys.signed_headers(node_id, impostor, "POST", path, body)
        )
        assert forged.status_code == 401 and "signature does not match" in forged.json()["error"]["what"]
        tampered = httpx.post(
            base + path,
            content=body.replace(b'"d"', b'"e"', 1),
            headers=keys.signed_headers(node_id, key, "POST", path, body),
        )
        assert tampered.status_code == 401
