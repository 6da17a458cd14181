"""``resonance token``: create, list and revoke API tokens (the secret is printed once, at creation)."""

from __future__ import annotations

from typing import Any

import typer

from resonance import tokens
from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, print_table, registry_session

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _token() -> None:
    """API tokens for the REST API: create, list, revoke."""


@app.command("create")
@handle_errors
def create_command(
    role: str = typer.Option(..., "--role", help="operator | provider | developer | evaluator | authority | viewer"),
    org: str | None = typer.Option(None, "--org", help="organisation code (provider, developer, evaluator)"),
    entity: str | None = typer.Option(None, "--entity", help="action entity code (authority)"),
    name: str | None = typer.Option(None, "--name", help="a label to recognise the token by"),
    expires_in_days: int | None = typer.Option(None, "--expires-in-days", help="expire after N days (default: never)"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Create a token and print its secret. The secret is shown only this once; store it safely."""
    with registry_session() as session:
        row, secret = tokens.create_token(session, name, role, org=org, entity=entity, expires_in_days=expires_in_days)
        info = tokens.describe(session, row)
    if json_out:
        print_json({**info, "secret": secret})
        return
    bound = info["org"] or info["entity"]
    console.print(
        f"created token {info['id']} ({info['name']}), role {info['role']}" + (f", for {bound}" if bound else "")
    )
    if info["expires_at"]:
        console.print(f"expires at {info['expires_at']:%Y-%m-%d %H:%M} UTC")
    console.print("secret (shown only now; use it as `Authorization: Bearer <secret>`):")
    # plain stdout so that it can be piped or copied without markup
    typer.echo(secret)


@app.command("list")
@handle_errors
def list_command(json_out: bool = JSON_OPTION) -> None:
    """List tokens: id, prefix, role, binding and state. Secrets are never shown (they are not stored)."""
    with registry_session() as session:
        rows = [tokens.describe(session, t) for t in tokens.list_tokens(session)]
    if json_out:
        print_json(rows)
        return
    columns = ("id", "prefix", "name", "role", "org", "entity", "state", "expires_at", "last_used_at")
    print_table("API tokens", columns, [[_cell(r[c]) for c in columns] for r in rows])


@app.command("revoke")
@handle_errors
def revoke_command(
    key: str = typer.Argument(..., help="token id or prefix (see `resonance token list`)"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    with registry_session() as session:
        info = tokens.describe(session, tokens.revoke(session, key))
    if json_out:
        print_json(info)
        return
    console.print(f"token {info['id']} ({info['name']}) revoked at {info['revoked_at']:%Y-%m-%d %H:%M:%S} UTC")


def _cell(value: Any) -> Any:
    return f"{value:%Y-%m-%d %H:%M}" if hasattr(value, "strftime") else value
