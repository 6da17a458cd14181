"""``resonance node``: create this machine's node, ask the space to enrol it, check its status, run its agent
(heartbeats, contract sync and, once approved, its Flower SuperNode)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import typer

from resonance.cli import node_contracts
from resonance.cli._common import console, err_console, handle_errors, print_json
from resonance.errors import ResonanceError
from resonance.node.home import NodeHome, default_node_home

app = typer.Typer(no_args_is_help=True)
app.add_typer(node_contracts.app, name="contracts")

HOME_OPTION = typer.Option(None, "--home", help="node home (default: RESONANCE_NODE_HOME or ~/.resonance/node)")
TOKEN_FILE = "keys/space.token"


def node_home(home: Path | None) -> NodeHome:
    return NodeHome(home or default_node_home())


def _save_token(home: NodeHome, token: str) -> None:
    path = home.path / TOKEN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token.strip() + "\n")


def saved_token(home: NodeHome) -> str | None:
    path = home.path / TOKEN_FILE
    return path.read_text().strip() if path.is_file() else None


@app.command("init")
@handle_errors
def init(
    space: str = typer.Option(..., "--space", help="the space's URL, e.g. http://127.0.0.1:8765"),
    org: str = typer.Option(..., "--org", help="your organisation's code in the space"),
    token: str = typer.Option(..., "--token", envvar="RESONANCE_TOKEN", help="API token of your organisation"),
    name: str = typer.Option("", "--name", help="a name for this node, e.g. 一车间数据节点"),
    home: Path | None = HOME_OPTION,
    force: bool = typer.Option(False, "--force", help="replace an existing node in this home (new key)"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create the node home (local catalog, Ed25519 key) and send the enrolment request to the space."""
    from resonance.federation import flower_keys
    from resonance.node.client import SpaceClient

    target = node_home(home)
    if force and target.exists():  # a replaced node gets new keys, its SuperNode key included
        flower_keys.private_key_path(target.path).unlink(missing_ok=True)
        flower_keys.public_key_path(target.path).unlink(missing_ok=True)
    config = target.create(org=org, space_url=space, name=name, force=force)
    _save_token(target, token)
    try:
        with SpaceClient(target, token=token) as client:
            reply = client.enrol()
    except ResonanceError as exc:
        err_console.print(f"node {config.node_id} created in {target.path}, but the enrolment was not sent.")
        raise ResonanceError(
            what=exc.what,
            fix=f"{exc.fix}; then run `resonance node enrol`".lstrip("; "),
            code=exc.code,
            status=exc.status,
        ) from None
    config.status = reply.get("status", "pending")
    target.save(config)
    out = {"node_id": config.node_id, "home": str(target.path), "status": config.status, "space": space}
    if json_out:
        print_json(out)
    else:
        console.print(
            f"node {config.node_id} created in {target.path}; enrolment {config.status}. "
            "The operator approves it with `resonance space nodes approve " + config.node_id + "`."
        )


@app.command("enrol")
@handle_errors
def enrol(home: Path | None = HOME_OPTION, json_out: bool = typer.Option(False, "--json")) -> None:
    """Send (again) this node's enrolment request."""
    from resonance.node.client import SpaceClient

    target = node_home(home)
    with SpaceClient(target, token=saved_token(target)) as client:
        reply = client.enrol()
    print_json(reply) if json_out else console.print(f"enrolment of {reply['id']}: {reply['status']}")


@app.command("status")
@handle_errors
def status(home: Path | None = HOME_OPTION, json_out: bool = typer.Option(False, "--json")) -> None:
    """Ask the space (signed) whether this node is pending, approved or refused; say whether its SuperNode runs."""
    from resonance.federation import supernode
    from resonance.node.client import SpaceClient

    target = node_home(home)
    with SpaceClient(target) as client:
        reply = client.heartbeat()
    config = target.load()
    config.status = reply["status"]
    target.save(config)
    running = supernode.running(target.path)
    node = {"running": running is not None, "pid": running.pid if running else None}
    node["superlink"] = running.superlink if running else None
    out = {"node_id": config.node_id, "org": config.org, "space": config.space_url, **reply, "supernode": node}
    if json_out:
        print_json(out)
        return
    console.print(
        f"node {config.node_id} ({config.org}) at {config.space_url}: {reply['status']}"
        + (f" — {reply['reason']}" if reply.get("reason") else "")
    )
    console.print(
        f"SuperNode: running (pid {running.pid}, SuperLink {running.superlink})"
        if running
        else "SuperNode: not running (`resonance node serve` starts it once the node is approved)"
    )


@app.command("serve")
@handle_errors
def serve(
    home: Path | None = HOME_OPTION,
    interval: float = typer.Option(30.0, min=1.0, help="seconds between heartbeats"),
    once: bool = typer.Option(False, "--once", help="one heartbeat (and contract sync), then exit; no SuperNode"),
    no_federation: bool = typer.Option(
        False, "--no-federation", help="do not run the Flower SuperNode (this node takes part in no training)"
    ),
) -> None:
    """Run the node agent: it connects out to the space (heartbeats, status, contracts). It opens no listening port.

    Once the node is approved it also runs the node's Flower SuperNode against the space's SuperLink (address and
    CA fetched from the space; the CA is pinned in the node home) and stops it when the node is refused, and when
    this command ends (Ctrl-C or SIGTERM).
    """
    from resonance.federation import supernode
    from resonance.node.client import SpaceClient

    target = node_home(home)
    federate = not (no_federation or once)
    last = None
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with SpaceClient(target) as client:
            while True:
                try:
                    reply = client.heartbeat()
                    if reply["status"] != last:
                        console.print(f"node {reply['id']}: {reply['status']} {reply.get('reason') or ''}".rstrip())
                        last = reply["status"]
                    if reply["status"] == "approved":
                        _sync_contracts(target, client)
                        _evaluations(target, client)
                    if federate:
                        _federation_step(target, client, reply["status"])
                except ResonanceError as exc:
                    if exc.code == "ca_changed":
                        raise
                    err_console.print(f"heartbeat failed: {exc.what} (retrying in {interval:.0f} s)")
                if once:
                    return
                time.sleep(interval)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if federate and supernode.stop(target.path):
            console.print("SuperNode stopped")


def _exit_on_sigterm(*_: Any) -> None:
    sys.exit(0)  # unwinds through serve's finally, which stops the SuperNode


def _federation_step(target: NodeHome, client: Any, node_status: str) -> None:
    """Keep the SuperNode in line with the node's status and the space's SuperLink: run it only while approved,
    restart it when the SuperLink moved; a CA other than the pinned one is refused (``ca_changed``)."""
    from resonance.federation import enrolment, supernode

    current = supernode.running(target.path)
    if node_status != "approved":
        if current is not None and supernode.stop(target.path):
            console.print(f"SuperNode stopped: the node is {node_status}")
        return
    info = client.federation()
    address = info.get("superlink")
    if not address:
        if current is None:
            err_console.print("the space's SuperLink is not running; the SuperNode starts once it runs")
        return
    ca = enrolment.pin_ca(target.path, info.get("ca_cert"))
    if current is not None:
        if current.superlink == address:
            return
        supernode.stop(target.path)
    started = supernode.start(target.path, address, ca)
    console.print(f"SuperNode started (pid {started.pid}) → SuperLink {address}")


def _evaluations(target: NodeHome, client: Any) -> None:
    """Each heartbeat: run the evaluations handed to this node (an evaluator's), one after the other."""
    from resonance.evaluation import at_node

    for _ in range(20):  # at most this many per heartbeat, so heartbeats keep coming
        if at_node.serve_step(target, client, say=console.print) is None:
            return


def _sync_contracts(target: NodeHome, client: object) -> None:
    """Each heartbeat: fetch the contracts' signed terms; a termination at the space becomes a local revocation."""
    from resonance.node import contracts

    result = contracts.sync(target, client)
    for contract_id in result["terminated_by_space"]:
        console.print(f"contract {contract_id} was terminated at the space: this node no longer takes part under it")
