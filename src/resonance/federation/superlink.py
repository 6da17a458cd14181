"""The space's Flower SuperLink: start, stop and health of one ``flower-superlink`` process, and node authorisation.

Layout under ``<space home>/federation/``::

    tls/                 CA and server certificate (see ``pki``)
    superlink.json       pid, port and address of the running SuperLink (removed by ``stop``)
    superlink.log        its log (``--log-file``, timestamped); ``superlink.out`` its console output
    state.db             its state database (runs, registered nodes), kept across restarts
    flwr/                FLWR_HOME for the CLI: ``config.toml`` with the connection named ``resonance``
    authorised_keys.json SuperNode public keys the operator approved, with the flwr node id each got

The SuperLink runs with TLS, ``--enable-supernode-auth`` (only registered SuperNode keys may connect),
``--isolation subprocess`` and ``--disable-runtime-dependency-installation``. It serves its Fleet, Control and
Runtime APIs over HTTPS on one port (flwr 1.41); ``/health`` answers 200 when it is up.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from resonance.errors import Conflict, ResonanceError
from resonance.federation import flower_keys, pki
from resonance.federation._control import list_nodes
from resonance.federation._flwr_cli import run_flwr
from resonance.federation._flwr_config import CONNECTION, flwr_bin, flwr_env, write_connection
from resonance.federation._procs import HOST, alive, free_port, port_free, terminate_group


@dataclass(frozen=True)
class SuperLink:
    """A running SuperLink as recorded in ``superlink.json``."""

    pid: int
    port: int
    host: str = HOST

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class LinkStatus:
    running: bool
    healthy: bool
    pid: int | None
    address: str | None
    log_file: str
    nodes: list[dict]


def federation_dir(space_home: Path) -> Path:
    return Path(space_home) / "federation"


def flwr_home(space_home: Path) -> Path:
    """The FLWR_HOME the space's `flwr` CLI calls use (never the user's ~/.flwr)."""
    return federation_dir(space_home) / "flwr"


def log_file(space_home: Path) -> Path:
    return federation_dir(space_home) / "superlink.log"


def start(
    space_home: Path, *, port: int | None = None, timeout: float = 60, env: dict[str, str] | None = None
) -> SuperLink:
    """Start the SuperLink (creating the CA if needed) and wait until ``/health`` answers; return it.

    ``port`` defaults to a free port on 127.0.0.1 (flwr's default 8000 is often taken). Refuses to start a
    second SuperLink for the same home. Re-registers authorised keys the state database does not know.
    The process runs in its own session, so it outlives the caller until ``stop``.
    """
    space_home = Path(space_home)
    current = running(space_home)
    if current is not None:
        raise Conflict(
            what=f"a SuperLink already runs for this space (pid {current.pid}, {current.address})",
            fix="use it, or stop it first with `resonance space federation stop`",
        )
    tls = pki.ensure_ca(space_home)
    fed = federation_dir(space_home)
    fed.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    if not port_free(port):
        raise Conflict(what=f"port {port} on {HOST} is already in use", fix="pass another --port, or leave it out")
    write_connection(flwr_home(space_home), f"{HOST}:{port}", tls.ca_cert)
    cmd = [
        flwr_bin("flower-superlink"),
        "--ssl-ca-certfile", str(tls.ca_cert),
        "--ssl-certfile", str(tls.server_cert),
        "--ssl-keyfile", str(tls.server_key),
        "--enable-supernode-auth",
        "--isolation", "subprocess",
        "--disable-runtime-dependency-installation",
        "--database", str(fed / "state.db"),
        "--host", HOST,
        "--port", str(port),
        "--log-file", str(log_file(space_home)),
    ]  # fmt: skip
    with open(fed / "superlink.out", "ab") as out:
        proc = subprocess.Popen(
            cmd,
            env=flwr_env(flwr_home(space_home), env),
            cwd=fed,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    link = SuperLink(pid=proc.pid, port=port)
    (fed / "superlink.json").write_text(json.dumps(asdict(link)), encoding="utf-8")
    if not _wait_healthy(link, tls.ca_cert, proc, timeout):
        stop(space_home)
        raise ResonanceError(
            what=f"the SuperLink did not become healthy on {link.address} within {timeout:.0f} s",
            where=str(log_file(space_home)),
            fix="read the log named here; check that the venv's flwr entry points are installed",
            code="superlink_failed",
            status=503,
        )
    _reregister_known_keys(space_home)
    return link


def stop(space_home: Path, timeout: float = 20) -> bool:
    """Stop the SuperLink and everything it started (its process group). Returns False if none was running."""
    state = federation_dir(space_home) / "superlink.json"
    link = _read_state(space_home)
    if link is None:
        return False
    stopped = terminate_group(link.pid, timeout)
    state.unlink(missing_ok=True)
    return stopped


def running(space_home: Path) -> SuperLink | None:
    """The running SuperLink of this space, or None (a stale state file of a dead process is removed)."""
    link = _read_state(space_home)
    if link is None:
        return None
    if not alive(link.pid):
        (federation_dir(space_home) / "superlink.json").unlink(missing_ok=True)
        return None
    return link


def require_running(space_home: Path) -> SuperLink:
    link = running(space_home)
    if link is None:
        raise ResonanceError(
            what="the space's SuperLink is not running",
            fix="start it with `resonance space federation start`",
            code="superlink_down",
            status=503,
        )
    return link


def status(space_home: Path) -> LinkStatus:
    """Whether the SuperLink runs and answers, and the SuperNodes it knows (registered / online / offline)."""
    link = running(space_home)
    healthy = link is not None and _healthy(link, pki.TlsFiles(pki.tls_dir(space_home)).ca_cert)
    nodes: list[dict] = []
    if healthy and link is not None:
        nodes = list_nodes(link.address, pki.tls_dir(space_home) / "ca.pem")
    return LinkStatus(
        running=link is not None,
        healthy=healthy,
        pid=link.pid if link else None,
        address=link.address if link else None,
        log_file=str(log_file(space_home)),
        nodes=nodes,
    )


def authorise_node(space_home: Path, public_key: str, name: str | None = None) -> str:
    """Authorise a SuperNode key at the SuperLink (call it when the operator approves a node); return flwr's node id.

    ``public_key`` is the node's ``keys/flower.pub`` line (ECDSA, OpenSSH format). The key is kept in
    ``authorised_keys.json`` so that a SuperLink started later (or with a fresh state database) registers it too;
    when the SuperLink is not running, the returned id is ``""`` and registration happens at its next start.
    Authorising the same key twice returns the id it already has.
    """
    flower_keys.parse_public_key(public_key)
    keys = _load_keys(space_home)
    fp = flower_keys.fingerprint(public_key)
    entry = keys.get(fp) or {"public_key": public_key.strip(), "name": name or "", "node_id": ""}
    keys[fp] = entry
    _save_keys(space_home, keys)
    if running(space_home) is None:
        return entry["node_id"]
    if entry["node_id"] and entry["node_id"] in _registered_ids(space_home):
        return entry["node_id"]
    entry["node_id"] = _register(space_home, entry["public_key"], entry["name"])
    _save_keys(space_home, keys)
    return entry["node_id"]


def deauthorise_node(space_home: Path, public_key: str) -> bool:
    """Withdraw a SuperNode key (node revoked): unregister it at the SuperLink and forget it. False if unknown."""
    keys = _load_keys(space_home)
    entry = keys.pop(flower_keys.fingerprint(public_key), None)
    if entry is None:
        return False
    _save_keys(space_home, keys)
    if entry["node_id"] and running(space_home) is not None and entry["node_id"] in _registered_ids(space_home):
        run_flwr(flwr_home(space_home), ["supernode", "unregister", entry["node_id"], CONNECTION, "--format", "json"])
    return True


def node_status(space_home: Path, public_key: str) -> str:
    """What the SuperLink says of an authorised key's node: ``online``, ``offline``, ``registered`` (never
    connected), ``unregistered``, or ``unknown`` (not authorised, or not registered yet).

    A SuperNode that died without stopping stays ``online`` until its heartbeat expires (about 60 s in flwr 1.41);
    until then the SuperLink refuses a restarted SuperNode with the same key (``2004 Failed to activate``), so a
    supervisor restarting a crashed node should wait for ``offline`` first.
    """
    entry = _load_keys(space_home).get(flower_keys.fingerprint(public_key))
    if entry is None or not entry["node_id"]:
        return "unknown"
    for node in status(space_home).nodes:
        if node["node-id"] == entry["node_id"]:
            return str(node["status"])
    return "unknown"


def wait_online(space_home: Path, count: int, timeout: float = 60) -> int:
    """Wait until at least ``count`` SuperNodes are online; return how many are. Raises after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        online = sum(1 for n in status(space_home).nodes if n["status"] == "online")
        if online >= count:
            return online
        if time.monotonic() > deadline:
            raise ResonanceError(
                what=f"only {online} of {count} SuperNodes are online after {timeout:.0f} s",
                fix="check that each node was approved (its key authorised) and read its federation/supernode.log",
                code="nodes_offline",
                status=503,
            )
        time.sleep(0.5)


def authorised_keys(space_home: Path) -> dict[str, dict[str, str]]:
    """Fingerprint → {public_key, name, node_id} of every authorised SuperNode key."""
    return _load_keys(space_home)


def _register(space_home: Path, public_key: str, name: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "node.pub"
        path.write_text(public_key + "\n", encoding="ascii")
        args = ["supernode", "register", str(path), CONNECTION, "--format", "json"]
        if name:
            args += ["--name", name]
        data = run_flwr(flwr_home(space_home), args)
    return str(data["node-id"])


def _registered_ids(space_home: Path) -> set[str]:
    nodes = list_nodes(require_running(space_home).address, pki.tls_dir(space_home) / "ca.pem")
    return {str(n["node-id"]) for n in nodes if n.get("status") != "unregistered"}


def _reregister_known_keys(space_home: Path) -> None:
    keys = _load_keys(space_home)
    if not keys:
        return
    known = _registered_ids(space_home)
    for entry in keys.values():
        if entry["node_id"] not in known:
            entry["node_id"] = _register(space_home, entry["public_key"], entry["name"])
    _save_keys(space_home, keys)


def _load_keys(space_home: Path) -> dict[str, dict[str, str]]:
    path = federation_dir(space_home) / "authorised_keys.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise ResonanceError(
            what="authorised_keys.json is not valid JSON", where=str(path), fix="restore it from backup"
        ) from None


def _save_keys(space_home: Path, keys: dict[str, dict[str, str]]) -> None:
    path = federation_dir(space_home) / "authorised_keys.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(keys, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def _read_state(space_home: Path) -> SuperLink | None:
    path = federation_dir(space_home) / "superlink.json"
    if not path.exists():
        return None
    try:
        return SuperLink(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        path.unlink(missing_ok=True)
        return None


def _wait_healthy(link: SuperLink, ca: Path, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if _healthy(link, ca):
            return True
        time.sleep(0.2)
    return False


def _healthy(link: SuperLink, ca: Path) -> bool:
    try:
        context = ssl.create_default_context(cafile=str(ca))
        return httpx.get(f"https://{link.address}/health", verify=context, timeout=2).status_code == 200
    except (httpx.HTTPError, OSError):
        return False
