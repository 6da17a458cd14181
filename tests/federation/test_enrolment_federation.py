"""The operator's approval lets a node into the federation, end to end with real processes on 127.0.0.1: a space
API process, a TLS SuperLink with node authentication, and ``resonance node serve`` agents that start (and stop)
their SuperNodes. Plus the node's CA pinning and the public federation answer, without processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from _server import RESONANCE, free_port
from resonance import tokens
from resonance.errors import ResonanceError
from resonance.federation import enrolment, flower_keys, pki, superlink, supernode
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction


@contextmanager
def running_space(db: str, space: Path) -> Iterator[str]:
    """The space API as a process whose log goes to a file: the agents' heartbeats every second would fill an
    unread pipe (``_server.running_space``) and block the server."""
    port = free_port()
    space.mkdir(parents=True, exist_ok=True)
    with (space / "api.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(RESONANCE), "space", "serve", "--port", str(port)], env=_env(space, db), stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, (space / "api.log").read_text()
        try:
            return httpx.get(f"{base}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        _wait_for(up, 60, "the space API")
        yield base
    finally:
        _end(proc)


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def _env(space: Path, db: str) -> dict[str, str]:
    env = {**os.environ, "RESONANCE_HOME": str(space), "RESONANCE_DATABASE_URL": db}
    env.pop("RESONANCE_NODE_HOME", None)
    return env


def _cli(*args: str, space: Path, db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RESONANCE), *args], env=_env(space, db), capture_output=True, text=True, timeout=180)


def _serve(home: Path, space: Path, db: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(RESONANCE), "node", "serve", "--home", str(home), "--interval", "1"],
            env=_env(space, db),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _end(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=10)


@pytest.mark.slow
def test_only_approved_nodes_come_online_and_serve_stops_its_supernode(sqlite_registry, tmp_path):
    with transaction(sqlite_registry.sessions) as s:
        services.create(s, CONCEPTS["organisations"], {"code": "mill", "name_zh": "机床厂"})
        _, token = tokens.create_token(s, "mill provider", "provider", org="mill")
    db, space = sqlite_registry.url, tmp_path / "space"
    homes = {name: tmp_path / name for name in ("a", "b", "c")}  # a, c approved; b stays pending
    link = superlink.start(space)
    serving: dict[str, subprocess.Popen[bytes]] = {}
    try:
        with running_space(db, space) as base:
            ids = {}
            for name, home in homes.items():
                made = _cli("node", "init", "--space", base, "--org", "mill", "--token", token, "--home", str(home),
                            "--json", space=space, db=db)  # fmt: skip
                assert made.returncode == 0, made.stderr
                ids[name] = json.loads(made.stdout)["node_id"]
            flower = {name: flower_keys.public_key_text(home) for name, home in homes.items()}
            for name in ("a", "c"):
                approved = _cli("space", "nodes", "approve", ids[name], space=space, db=db)
                assert approved.returncode == 0, approved.stderr
                assert "authorised at the SuperLink" in approved.stdout
            keys = superlink.authorised_keys(space)
            assert set(keys) == {flower_keys.fingerprint(flower["a"]), flower_keys.fingerprint(flower["c"])}
            assert all(entry["node_id"] for entry in keys.values())  # registered at the running SuperLink

            for name, home in homes.items():
                serving[name] = _serve(home, space, db, tmp_path / f"serve-{name}.log")
            for name in ("a", "c"):
                _wait_for(lambda n=name: superlink.node_status(space, flower[n]) == "online", 180, f"{name} online")

            asked = _cli("node", "status", "--home", str(homes["a"]), "--json", space=space, db=db)
            assert asked.returncode == 0, asked.stderr
            status = json.loads(asked.stdout)
            assert status["status"] == "approved"
            assert status["supernode"]["running"] is True and status["supernode"]["superlink"] == link.address
            pinned = enrolment.ca_path(homes["a"]).read_bytes()
            assert pinned.strip() == (pki.tls_dir(space) / "ca.pem").read_bytes().strip()

            # b is pending: its agent runs, but no SuperNode; and its key is refused if it tries by hand
            assert serving["b"].poll() is None and supernode.running(homes["b"]) is None
            asked = _cli("node", "status", "--home", str(homes["b"]), space=space, db=db)
            assert "pending" in asked.stdout, asked.stderr
            assert _end(serving["b"]) == 0  # (its agent would stop a SuperNode that runs while it is pending)
            assert "SuperNode stopped" not in (tmp_path / "serve-b.log").read_text()
            supernode.start(homes["b"], link.address, pki.tls_dir(space) / "ca.pem", max_retries=1)
            _wait_for(lambda: supernode.running(homes["b"]) is None, 120, "b's SuperNode to give up")
            assert "Failed to activate SuperNode" in supernode.log_file(homes["b"]).read_text()
            online = {n["node-id"] for n in superlink.status(space).nodes if n["status"] == "online"}
            assert online == {keys[flower_keys.fingerprint(flower[n])]["node_id"] for n in ("a", "c")}

            # refusing c withdraws its key, and c's agent stops its SuperNode
            refused = _cli("space", "nodes", "refuse", ids["c"], "--reason", "审计未通过", space=space, db=db)
            assert refused.returncode == 0 and "withdrawn" in refused.stdout
            assert set(superlink.authorised_keys(space)) == {flower_keys.fingerprint(flower["a"])}
            _wait_for(lambda: supernode.running(homes["c"]) is None, 60, "c's SuperNode to stop")
            assert serving["c"].poll() is None  # the agent itself keeps running

            # SIGTERM ends a's agent and its SuperNode with it
            assert _end(serving["a"]) == 0
            assert supernode.running(homes["a"]) is None
            assert "SuperNode stopped" in (tmp_path / "serve-a.log").read_text()

            # a CA other than the pinned one is refused, before any SuperNode starts
            enrolment.ca_path(homes["a"]).write_text(pki.ensure_ca(tmp_path / "rogue").ca_cert.read_text())
            rogue = _cli("node", "serve", "--home", str(homes["a"]), "--interval", "1", space=space, db=db)
            assert rogue.returncode == 1 and "another CA certificate" in rogue.stderr
            assert supernode.running(homes["a"]) is None
    finally:
        for proc in serving.values():
            _end(proc)
        for home in homes.values():
            supernode.stop(home)
        superlink.stop(space)


def test_serve_without_federation_and_once_start_no_supernode(sqlite_registry, tmp_path):
    """--no-federation is accepted; with --once the agent exits after one heartbeat and leaves no SuperNode."""
    with transaction(sqlite_registry.sessions) as s:
        services.create(s, CONCEPTS["organisations"], {"code": "mill", "name_zh": "机床厂"})
        _, token = tokens.create_token(s, "mill provider", "provider", org="mill")
    db, space, home = sqlite_registry.url, tmp_path / "space", tmp_path / "node"
    with running_space(db, space) as base:
        made = _cli("node", "init", "--space", base, "--org", "mill", "--token", token, "--home", str(home), "--json",
                    space=space, db=db)  # fmt: skip
        assert made.returncode == 0, made.stderr
        node_id = json.loads(made.stdout)["node_id"]
        assert _cli("space", "nodes", "approve", node_id, space=space, db=db).returncode == 0
        once = _cli("node", "serve", "--home", str(home), "--once", "--no-federation", space=space, db=db)
        assert once.returncode == 0, once.stderr
        assert "approved" in once.stdout and supernode.running(home) is None
        assert not enrolment.ca_path(home).exists()
        status = json.loads(_cli("node", "status", "--home", str(home), "--json", space=space, db=db).stdout)
        assert status["supernode"] == {"running": False, "pid": None, "superlink": None}


def _pem(tmp_path: Path, name: str) -> str:
    return pki.ensure_ca(tmp_path / name).ca_cert.read_text()


def test_the_node_pins_the_first_ca_and_refuses_another(tmp_path):
    home, first, second = tmp_path / "node", _pem(tmp_path, "s1"), _pem(tmp_path, "s2")
    path = enrolment.pin_ca(home, first)
    assert path == enrolment.ca_path(home) and path.read_text().strip() == first.strip()
    assert enrolment.pin_ca(home, first) == path  # the same CA again is fine
    with pytest.raises(ResonanceError, match="another CA certificate") as caught:
        enrolment.pin_ca(home, second)
    assert caught.value.code == "ca_changed" and caught.value.where == str(path)
    assert path.read_text().strip() == first.strip()  # the pinned one is kept


@pytest.mark.parametrize("bad", [None, "", 42, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"])
def test_a_missing_or_malformed_ca_is_refused_and_nothing_is_pinned(tmp_path, bad):
    with pytest.raises(ResonanceError) as caught:
        enrolment.pin_ca(tmp_path / "node", bad)
    assert caught.value.code in ("ca_missing", "bad_ca")
    assert not enrolment.ca_path(tmp_path / "node").exists()


def test_federation_info_names_the_running_superlink_only(tmp_path):
    space = tmp_path / "space"
    assert enrolment.federation_info(space) == {"superlink": None, "ca_cert": None, "ca_sha256": None}
    (space / "federation").mkdir(parents=True)
    (space / "federation" / "superlink.json").write_text(json.dumps({"pid": 2**22 + 7, "port": 1}))  # a dead pid
    tls = pki.ensure_ca(space)
    info = enrolment.federation_info(space)
    assert info["superlink"] is None and info["ca_cert"] == tls.ca_cert.read_text()
