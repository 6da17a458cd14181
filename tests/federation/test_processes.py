"""Real Flower processes on 127.0.0.1: a TLS SuperLink with SuperNode authentication and three SuperNodes.

The tiny app (tests/federation/tinyapp) adds each node's own value (``<node home>/tiny.json``) to the global
vector, weighted by the node's ``n``; after R rounds of FedAvg every entry equals R × the weighted mean.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from resonance.errors import Conflict, ResonanceError
from resonance.federation import flower_keys, pki, runner, superlink, supernode

pytestmark = pytest.mark.slow

APP = Path(__file__).parent / "tinyapp"
NODES = [{"value": 1.0, "n": 10}, {"value": 2.0, "n": 20}, {"value": 3.0, "n": 30}]
MEAN = sum(x["value"] * x["n"] for x in NODES) / sum(x["n"] for x in NODES)  # 14/6


@dataclass
class Federation:
    space: Path
    link: superlink.SuperLink
    nodes: list[Path]

    @property
    def ca(self) -> Path:
        return pki.tls_dir(self.space) / "ca.pem"

    def start_node(self, home: Path, **kwargs) -> supernode.SuperNode:
        return supernode.start(home, self.link.address, self.ca, **kwargs)

    def online(self) -> set[str]:
        return {n["node-id"] for n in superlink.status(self.space).nodes if n["status"] == "online"}


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def fed(tmp_path_factory) -> Iterator[Federation]:
    root = tmp_path_factory.mktemp("fed")
    space = root / "space"
    link = superlink.start(space)
    nodes = [root / f"node{i}" for i in range(3)]
    try:
        for home, spec in zip(nodes, NODES, strict=True):
            superlink.authorise_node(space, flower_keys.ensure_node_key(home), name=home.name)
            (home / "tiny.json").write_text(json.dumps(spec))
        fed = Federation(space, link, nodes)
        for home in nodes:
            fed.start_node(home)
        assert superlink.wait_online(space, 3) == 3
        yield fed
    finally:
        for home in nodes:
            supernode.stop(home)
        superlink.stop(space)


def _wait_idle(fed: Federation, timeout: float = 120) -> None:
    """Until no node runs a ClientApp any more: only its SuperNode and SuperExec are left in its process group.

    A stopped run's task may still be running at a node (a tiny app sleeping through its round); a node handles
    its messages one at a time, so a test that starts right away would find that node busy — or, if it changes the
    node's tiny.json first, make that leftover task read it (sleep 600 s at the victim)."""

    def busy() -> list[str]:
        names = []
        for home in fed.nodes:
            node = supernode.running(home)
            if node is None:
                continue
            group = subprocess.run(["pgrep", "-g", str(node.pid)], capture_output=True, text=True).stdout.split()
            if len(group) > 2:
                names.append(home.name)
        return names

    _wait_for(lambda: not busy(), timeout, "the nodes' ClientApp tasks to end")


def _restart_after_crash(fed: Federation, home: Path) -> None:
    """flwr refuses a crashed node's key until its heartbeat expires (~60 s): wait for offline, then restart."""
    supernode.stop(home)
    key = flower_keys.public_key_text(home)
    _wait_for(lambda: superlink.node_status(fed.space, key) == "offline", 150, "the crashed node to go offline")
    fed.start_node(home)
    _wait_for(lambda: superlink.node_status(fed.space, key) == "online", 60, "the restarted node to be online")


def _result(out: Path) -> tuple[list[float], list[dict]]:
    result = json.loads((out / "result.json").read_text())
    progress = [json.loads(line) for line in (out / "progress.jsonl").read_text().splitlines()]
    return result["arrays"][0], progress


def test_superlink_runs_with_tls_and_refuses_a_second_start(fed):
    state = superlink.status(fed.space)
    assert state.running and state.healthy and state.address == fed.link.address
    assert len([n for n in state.nodes if n["status"] == "online"]) == 3
    with pytest.raises(Conflict, match="already runs"):
        superlink.start(fed.space)
    conn = (superlink.flwr_home(fed.space) / "config.toml").read_text()
    assert f'address = "{fed.link.address}"' in conn and "ca.pem" in conn


def test_fedavg_two_rounds_end_to_end(fed, tmp_path):
    handle = runner.submit(fed.space, APP, {"num-rounds": 2, "min-nodes": 3, "out": str(tmp_path / "out")})
    assert handle.run_id.isdigit()
    lines = list(handle.follow(timeout=300))  # ends when the run ends
    assert any("[ROUND 2/2]" in line for line in lines)
    assert handle.wait(timeout=60) == "finished:completed"
    final, progress = _result(tmp_path / "out")
    assert final == pytest.approx([2 * MEAN] * 3, abs=1e-9)
    assert [p["round"] for p in progress] == [0, 1, 2]
    assert progress[1]["arrays"][0] == pytest.approx([MEAN] * 3, abs=1e-9)
    assert "[ROUND 2/2]" in handle.logs()
    assert (APP / "pyproject.toml").read_text() == (handle.workdir / "app" / "pyproject.toml").read_text()
    info = handle.info()
    assert info["fab-id"] == "resonance/tinyfed" and info["network-traffic"]["total-bytes"] > 0


def test_secaggplus_two_rounds_matches_plain_fedavg(fed, tmp_path):
    handle = runner.submit(
        fed.space,
        APP,
        {"num-rounds": 2, "min-nodes": 3, "secagg": True, "num-shares": 3, "threshold": 2, "out": str(tmp_path)},
    )
    assert handle.wait(timeout=400) == "finished:completed"
    final, _ = _result(tmp_path)
    # SecAgg+ quantises (clipping range 8, 2^22 levels): equal to FedAvg up to quantisation error
    assert final == pytest.approx([2 * MEAN] * 3, abs=1e-3)
    logs = handle.logs()
    assert "Secure aggregation commencing" in logs or "SecAgg" in logs


def test_unauthorised_and_wrong_keys_are_refused(fed, tmp_path):
    stranger = tmp_path / "stranger"
    fed.start_node(stranger, max_retries=1)
    # a node whose key was swapped after approval: same home layout, a key the space never saw
    impostor = tmp_path / "impostor"
    superlink.authorise_node(fed.space, flower_keys.ensure_node_key(impostor))
    flower_keys.private_key_path(impostor).unlink()
    flower_keys.ensure_node_key(impostor)
    fed.start_node(impostor, max_retries=1)
    _wait_for(lambda: supernode.running(stranger) is None and supernode.running(impostor) is None, 90, "refusals")
    for home in (stranger, impostor):
        log = supernode.log_file(home).read_text()
        assert "2004" in log and "Failed to activate SuperNode" in log
    assert len(fed.online()) == 3


def test_stop_a_running_run(fed, tmp_path):
    handle = runner.submit(fed.space, APP, {"num-rounds": 5, "min-nodes": 3, "train-sleep": 30.0, "out": str(tmp_path)})
    _wait_for(lambda: handle.status() == "running", 120, "the run to start")
    assert handle.stop() is True
    assert handle.wait(timeout=60) == "finished:stopped"
    assert handle.stop() is False
    assert not (tmp_path / "result.json").exists()
    _wait_idle(fed)  # its tasks end on their own (their replies are refused: the run is over)


def test_node_killed_mid_round_the_run_goes_on_with_the_others(fed, tmp_path):
    _wait_idle(fed)
    victim = fed.nodes[2]
    assert superlink.wait_online(fed.space, 3, timeout=150) == 3  # all three must be sampled, the victim included
    spec = json.loads((victim / "tiny.json").read_text())
    (victim / "tiny.json").write_text(json.dumps({**spec, "sleep": 600}))
    log_size = supernode.log_file(victim).stat().st_size
    try:
        handle = runner.submit(
            fed.space,
            APP,
            {"num-rounds": 2, "min-nodes": 2, "min-available": 2, "round-timeout": 60.0, "out": str(tmp_path)},
        )
        _wait_for(lambda: "Start `flwr-clientapp`" in supernode.log_file(victim).read_text()[log_size:], 240, "round 1")
        node = supernode.running(victim)
        assert node is not None
        os.killpg(node.pid, signal.SIGKILL)  # the SuperNode and its ClientApp die mid-round
        assert handle.wait(timeout=300) == "finished:completed"
        final, progress = _result(tmp_path)
        survivors = (1.0 * 10 + 2.0 * 20) / 30
        assert final == pytest.approx([2 * survivors] * 3, abs=1e-9)
        assert len(progress) == 3
    finally:
        (victim / "tiny.json").write_text(json.dumps(spec))
        _restart_after_crash(fed, victim)


def test_secaggplus_tolerates_a_node_dropping_out(fed, tmp_path):
    _wait_idle(fed)
    victim = fed.nodes[2]
    assert superlink.wait_online(fed.space, 3, timeout=150) == 3  # all three must be sampled, the victim included
    spec = json.loads((victim / "tiny.json").read_text())
    (victim / "tiny.json").write_text(json.dumps({**spec, "sleep": 600}))
    log_size = supernode.log_file(victim).stat().st_size
    try:
        handle = runner.submit(
            fed.space,
            APP,
            {
                "num-rounds": 1,
                "min-nodes": 3,
                "secagg": True,
                "num-shares": 3,
                "threshold": 2,
                "round-timeout": 60.0,
                "out": str(tmp_path),
            },
        )
        # the victim passes SecAgg+ setup and key sharing, then hangs while training (collect-masked-vectors stage)
        _wait_for(
            lambda: supernode.log_file(victim).read_text()[log_size:].count("Start `flwr-clientapp`") >= 3,
            180,
            "the victim to reach the training stage",
        )
        node = supernode.running(victim)
        assert node is not None
        os.killpg(node.pid, signal.SIGKILL)
        assert handle.wait(timeout=300) == "finished:completed"
        final, _ = _result(tmp_path)
        survivors = (1.0 * 10 + 2.0 * 20) / 30
        assert final == pytest.approx([survivors] * 3, abs=1e-3)
    finally:
        (victim / "tiny.json").write_text(json.dumps(spec))
        _restart_after_crash(fed, victim)


def test_bad_inputs_are_refused(fed, tmp_path):
    with pytest.raises(ResonanceError, match="not declared"):
        runner.submit(fed.space, APP, {"no-such-key": 1})
    with pytest.raises(ResonanceError, match="must be str, int, float or bool"):
        runner.submit(fed.space, APP, {"out": ["a", "list"]})
    with pytest.raises(ResonanceError, match=r"no pyproject\.toml"):
        runner.submit(fed.space, tmp_path, {})
    with pytest.raises(ResonanceError, match="not a number"):
        runner.attach(fed.space, "abc")
    with pytest.raises(ResonanceError):
        runner.attach(fed.space, "12345")
    with pytest.raises(ResonanceError, match="OpenSSH public key"):
        superlink.authorise_node(fed.space, "ssh-rsa garbage")
    with pytest.raises(ResonanceError, match="no CA certificate"):
        supernode.start(tmp_path / "n", fed.link.address, tmp_path / "missing.pem")
    with pytest.raises(Conflict, match="already runs"):
        fed.start_node(fed.nodes[0])
    with pytest.raises(ResonanceError, match="only 3 of 5 SuperNodes"):
        superlink.wait_online(fed.space, 5, timeout=1)
    assert superlink.node_status(fed.space, flower_keys.ensure_node_key(tmp_path / "x")) == "unknown"
    assert superlink.node_status(fed.space, flower_keys.public_key_text(fed.nodes[0])) == "online"


def test_authorise_twice_returns_same_id_and_deauthorise(fed, tmp_path):
    key = flower_keys.ensure_node_key(tmp_path / "n")
    first = superlink.authorise_node(fed.space, key, name="n")
    assert first.isdigit() and superlink.authorise_node(fed.space, key) == first
    assert superlink.deauthorise_node(fed.space, key) is True
    assert superlink.deauthorise_node(fed.space, key) is False
    assert flower_keys.fingerprint(key) not in superlink.authorised_keys(fed.space)


def test_without_superlink(tmp_path):
    assert superlink.stop(tmp_path) is False
    assert superlink.running(tmp_path) is None
    assert superlink.status(tmp_path).running is False
    with pytest.raises(ResonanceError, match="not running"):
        runner.submit(tmp_path, APP, {})
    # approval before the link runs: remembered, registered when it starts
    key = flower_keys.ensure_node_key(tmp_path / "n")
    assert superlink.authorise_node(tmp_path, key) == ""
    superlink.start(tmp_path)
    try:
        node_id = superlink.authorised_keys(tmp_path)[flower_keys.fingerprint(key)]["node_id"]
        assert node_id.isdigit()
        assert node_id in {n["node-id"] for n in superlink.status(tmp_path).nodes}
    finally:
        assert superlink.stop(tmp_path) is True
    assert superlink.running(tmp_path) is None
