"""``resonance space``: create or upgrade the registry, serve the API."""

from __future__ import annotations

import typer

from resonance.cli._common import console, handle_errors, print_json
from resonance.federation.pki import ensure_ca
from resonance.ledger.keys import ensure_space_key
from resonance.registry.db import upgrade
from resonance.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("init")
@handle_errors
def init(json_out: bool = typer.Option(False, "--json", help="print machine-readable JSON")) -> None:
    """Create the registry database, or upgrade it to this version's schema."""
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    before, after = upgrade(url)
    ensure_space_key(settings.home)  # signs the ledger and finalized contracts
    ca_cert = str(ensure_ca(settings.home).ca_cert)  # the federation's TLS CA; an existing one is kept
    if json_out:
        out = {"database": _safe(url), "before": before, "after": after, "home": str(settings.home)}
        print_json({**out, "ca_cert": ca_cert})
        return
    state = "created" if before is None else ("already current" if before == after else f"upgraded from {before}")
    console.print(f"registry {state}: revision {after} at {_safe(url)}")
    console.print(f"federation CA 联邦 CA 证书: {ca_cert}")


@app.command("serve")
@handle_errors
def serve(
    host: str | None = typer.Option(None, "--host", help="address to listen on (default: settings host, 127.0.0.1)"),
    port: int | None = typer.Option(None, "--port", help="port to listen on (default: settings port, 8765)"),
) -> None:
    """Serve the REST API (docs at /docs) over the registry; refuses an uninitialised or outdated one."""
    import uvicorn

    from resonance.api.app import create_app

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    api = create_app()  # checks the schema before listening
    console.print(
        f"Resonance Space API on http://{host}:{port} (docs: /docs) over {_safe(settings.effective_database_url)}"
    )
    uvicorn.run(api, host=host, port=port, log_level="info")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


nodes_app = typer.Typer(no_args_is_help=True, help="nodes that asked to join: list, approve, refuse")
app.add_typer(nodes_app, name="nodes")


@nodes_app.command("list")
@handle_errors
def nodes_list(
    status: str | None = typer.Option(None, help="pending | approved | refused | revoked"),
    json_out: bool = typer.Option(False, "--json", help="print machine-readable JSON"),
) -> None:
    """List the nodes that asked to join this space, with their status."""
    from resonance.cli._common import print_table, registry_session
    from resonance.registry import nodes

    with registry_session() as session:
        rows = [nodes.as_dict(session, n) for n in nodes.list_nodes(session, status)]
    if json_out:
        print_json(rows)
        return
    print_table(
        f"nodes — {len(rows)}",
        ["id", "org", "name", "status", "requested_at", "reason"],
        [[r["id"], r["org"], r["name"], r["status"], r["requested_at"], r["reason"]] for r in rows],
    )


@nodes_app.command("approve")
@handle_errors
def nodes_approve(node_id: str, json_out: bool = typer.Option(False, "--json")) -> None:
    """Approve a pending node: from now on it may publish metadata and take part in jobs (its SuperNode key is
    authorised at the SuperLink now, or at the SuperLink's next start if it is not running)."""
    _decide(node_id, True, "", json_out)


@nodes_app.command("refuse")
@handle_errors
def nodes_refuse(
    node_id: str,
    reason: str = typer.Option(..., "--reason", help="what the provider must fix (they can read it)"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Refuse a node, saying why; its SuperNode key is withdrawn from the SuperLink."""
    _decide(node_id, False, reason, json_out)


def _decide(node_id: str, approve: bool, reason: str, json_out: bool) -> None:
    import getpass

    from resonance.cli._common import registry_session
    from resonance.registry import nodes

    with registry_session() as session:
        node = nodes.decide(session, node_id, approve, by=f"operator (CLI, {getpass.getuser()})", reason=reason)
        out = nodes.as_dict(session, node)
    if json_out:
        print_json(out)
        return
    console.print(f"node {out['id']} of {out['org']}: {out['status']}")
    if not out["flower_public_key"]:
        console.print("it sent no SuperNode key: it can train once it enrols again (`resonance node enrol`)")
    elif approve:
        console.print("its SuperNode key is authorised at the SuperLink (at its next start if it is not running)")
    else:
        console.print("its SuperNode key is withdrawn from the SuperLink")


from resonance.cli.federation import app as federation_app  # noqa: E402

app.add_typer(federation_app, name="federation")
