"""A node's Flower SuperNode: start and stop one ``flower-supernode`` process for a node home.

The SuperNode connects out to the space's SuperLink over TLS (``--root-certificates`` = the space's ``ca.pem``),
proves who it is with the node's ECDSA key (``keys/flower.key``, see ``flower_keys``), and tells its ClientApp
where the node lives with ``--node-config "home='<node home>'"`` (the ClientApp opens the catalog there; paths
never leave the node). Each SuperNode serves a local API for its ClientApp processes on its own port; those
processes are forks of a warm SuperExec started beside it (``_warm_superexec``).

Files under ``<node home>/federation/``: ``supernode.json`` (pid, port), ``supernode.log``, ``flwr/`` (its FLWR_HOME).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from resonance.errors import Conflict, ResonanceError
from resonance.federation import flower_keys
from resonance.federation._flwr_config import flwr_bin, flwr_env
from resonance.federation._procs import alive, free_port, terminate_group

DEFAULT_POLL_S = 0.2


@dataclass(frozen=True)
class SuperNode:
    """A running SuperNode as recorded in the node home."""

    pid: int
    port: int
    superlink: str


def federation_dir(node_home: Path) -> Path:
    return Path(node_home) / "federation"


def log_file(node_home: Path) -> Path:
    return federation_dir(node_home) / "supernode.log"


def node_config(node_home: Path) -> str:
    """The ``--node-config`` value: the node home, which the ClientApp reads as ``context.node_config["home"]``."""
    home = str(Path(node_home).resolve())
    if "'" in home:
        raise ResonanceError(
            what="the node home path contains a single quote, which --node-config cannot carry",
            where=home,
            fix="move the node home to a path without quotes",
        )
    return f"home='{home}'"


def start(
    node_home: Path,
    superlink: str,
    ca_cert: Path,
    *,
    port: int | None = None,
    max_retries: int | None = None,
    max_wait_time: float | None = None,
    poll_interval: float | None = DEFAULT_POLL_S,
    env: dict[str, str] | None = None,
    warm: bool | None = None,
) -> SuperNode:
    """Start the SuperNode of ``node_home`` against ``superlink`` (``host:port``); returns once the process runs.

    The node's SuperNode key is created if missing (its public key must be authorised at the space, see
    ``superlink.authorise_node``, or the SuperLink refuses it). ``max_retries``/``max_wait_time`` bound how long
    it keeps trying when the SuperLink is away or refuses it (default: forever). Whether it actually joined shows
    in ``resonance space federation status`` (status ``online``) and in its log. ``poll_interval`` caps flwr's
    hard-coded 3 s idle poll (see ``_fast_supernode``); None runs the unpatched ``flower-supernode``.
    ``warm`` runs the node's ClientApps as forks of one process that imported them at start
    (``_warm_superexec``) instead of a fresh ``flwr-clientapp`` process per message; None means yes unless
    ``RESONANCE_WARM_CLIENTAPPS=0`` (flwr's own process per message, for comparisons).
    """
    if warm is None:
        warm = os.environ.get("RESONANCE_WARM_CLIENTAPPS", "1") != "0"
    node_home = Path(node_home)
    if not Path(ca_cert).is_file():
        raise ResonanceError(
            what=f"no CA certificate at {ca_cert}",
            fix="copy the space's federation/tls/ca.pem to this node (made by `resonance space init`)",
        )
    current = running(node_home)
    if current is not None:
        raise Conflict(
            what=f"a SuperNode already runs for {node_home} (pid {current.pid})", fix="stop it first, or use it"
        )
    flower_keys.ensure_node_key(node_home)
    fed = federation_dir(node_home)
    fed.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    entry = [flwr_bin("flower-supernode")]
    extra_env = dict(env or {})
    if poll_interval is not None or warm:
        entry = [sys.executable, "-m", "resonance.federation._fast_supernode"]
    if poll_interval is not None:
        extra_env.setdefault("RESONANCE_SUPERNODE_POLL_S", str(poll_interval))
    if warm:  # _fast_supernode starts it as its own child: same process group, stopped with the node
        extra_env["RESONANCE_WARM_SUPEREXEC"] = f"127.0.0.1:{port}"
    cmd = [
        *entry,
        "--superlink", superlink,
        "--root-certificates", str(ca_cert),
        "--auth-supernode-private-key", str(flower_keys.private_key_path(node_home)),
        "--node-config", node_config(node_home),
        "--isolation", "process" if warm else "subprocess",
        "--host", "127.0.0.1",
        "--port", str(port),
    ]  # fmt: skip
    if max_retries is not None:
        cmd += ["--max-retries", str(max_retries)]
    if max_wait_time is not None:
        cmd += ["--max-wait-time", str(max_wait_time)]
    with open(log_file(node_home), "ab") as out:
        proc = subprocess.Popen(
            cmd,
            env=flwr_env(fed / "flwr", extra_env),
            cwd=fed,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    node = SuperNode(pid=proc.pid, port=port, superlink=superlink)
    (fed / "supernode.json").write_text(json.dumps(asdict(node)), encoding="utf-8")
    return node


def stop(node_home: Path, timeout: float = 15) -> bool:
    """Stop the node's SuperNode and its ClientApp processes. Returns False if none was running."""
    node = running(node_home)
    (federation_dir(node_home) / "supernode.json").unlink(missing_ok=True)
    if node is None:
        return False
    return terminate_group(node.pid, timeout)


def running(node_home: Path) -> SuperNode | None:
    """The node's running SuperNode, or None (a stale state file is removed)."""
    path = federation_dir(node_home) / "supernode.json"
    if not path.exists():
        return None
    try:
        node = SuperNode(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if not alive(node.pid):
        path.unlink(missing_ok=True)
        return None
    return node
