"""``resonance node contracts sync|list|revoke``: the contracts this node enforces (使用控制 at the node)."""

from __future__ import annotations

from pathlib import Path

import typer

from resonance.cli._common import console, handle_errors, print_json, print_table

app = typer.Typer(no_args_is_help=True, help="contracts this node enforces: sync from the space, list, revoke")

HOME_OPTION = typer.Option(None, "--home", help="node home (default: RESONANCE_NODE_HOME or ~/.resonance/node)")


def _home(home: Path | None):  # type: ignore[no-untyped-def]
    from resonance.node.home import NodeHome, default_node_home

    return NodeHome(home or default_node_home())


@app.command("sync")
@handle_errors
def sync(home: Path | None = HOME_OPTION, json_out: bool = typer.Option(False, "--json")) -> None:
    """Fetch the signed terms of this node's contracts from the space; report local revocations to it."""
    from resonance.node import contracts

    result = contracts.sync(_home(home))
    if json_out:
        print_json(result)
        return
    console.print(
        f"{result['contracts']} contract(s) synced; terminated by the space: "
        f"{', '.join(result['terminated_by_space']) or 'none'}; "
        f"revocations reported: {', '.join(result['revocations_reported']) or 'none'}"
    )


@app.command("list")
@handle_errors
def list_(home: Path | None = HOME_OPTION, json_out: bool = typer.Option(False, "--json")) -> None:
    """The contracts this node holds, their state and what was used under each."""
    from resonance.node import contracts

    rows = contracts.list_contracts(_home(home))
    if json_out:
        print_json(rows)
        return
    print_table(
        f"contracts at this node — {len(rows)}",
        ["id", "state", "dataset", "consumer", "purpose", "rounds", "ε", "expires_at"],
        [
            [
                r["contract_id"],
                r["state"] + (" (revoked here)" if r["revoked_here"] else ""),
                f"{r['dataset_code']}@{r['dataset_version']}",
                r["consumer_org"],
                r["purpose"],
                f"{r['usage']['rounds']}/{r['max_rounds'] if r['max_rounds'] is not None else '∞'}",
                f"{r['usage']['epsilon']:g}/{r['epsilon_budget'] if r['epsilon_budget'] is not None else '∞'}",
                r["expires_at"],
            ]
            for r in rows
        ],
    )


@app.command("revoke")
@handle_errors
def revoke(
    contract_id: str,
    reason: str = typer.Option(..., "--reason", help="why (the consumer and the operator read it)"),
    home: Path | None = HOME_OPTION,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Revoke a contract now, at this node (its next round is refused); the space is told when reachable."""
    from resonance.node import contracts

    target = _home(home)
    contracts.revoke(target, contract_id, reason)
    told = contracts.revocation_reported(target, contract_id.strip())
    if json_out:
        print_json({"contract_id": contract_id.strip(), "state": "TERMINATED", "space_told": told})
    else:
        after = "the space was told" if told else "the space could not be reached; the next sync tells it"
        console.print(f"contract {contract_id.strip()} revoked at this node; {after}")
