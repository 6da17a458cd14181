"""``resonance ledger list|verify``: the 存证 ledger of governance acts, and its verification."""

from __future__ import annotations

import typer

from resonance.cli._common import console, err_console, handle_errors, print_json, print_table, registry_session

app = typer.Typer(no_args_is_help=True)


@app.command("list")
@handle_errors
def list_(
    kind: str | None = typer.Option(None, "--kind", help="e.g. contract.finalized, or a family: 'contract.'"),
    subject: str | None = typer.Option(None, "--subject", help="e.g. contract:3, node:node-…, job:J1"),
    after: int = typer.Option(0, "--after", min=0, help="only events after this seq"),
    limit: int = typer.Option(200, "--limit", min=1, max=10000),
    json_out: bool = typer.Option(False, "--json", help="print machine-readable JSON"),
) -> None:
    """List ledger events in order (seq, time, kind, subject, actor)."""
    from resonance.ledger import chain

    with registry_session() as session:
        rows = [chain.as_dict(e) for e in chain.events(session, kind=kind, subject=subject, after=after, limit=limit)]
    if json_out:
        print_json(rows)
        return
    print_table(
        f"存证 ledger — {len(rows)} event(s)",
        ["seq", "at", "kind", "subject", "actor", "hash"],
        [[r["seq"], r["at"], r["kind"], r["subject"], r["actor"], r["hash"][:16]] for r in rows],
    )


@app.command("verify")
@handle_errors
def verify(json_out: bool = typer.Option(False, "--json", help="print machine-readable JSON")) -> None:
    """Check every event's hash, chain link and signatures; exit 1 and name each bad seq when tampered with."""
    from resonance.ledger import chain

    with registry_session() as session:
        report = chain.verify(session)
    if json_out:
        print_json(report.as_dict())
    elif report.ok:
        console.print(f"ledger verified: {report.count} event(s), chain and signatures intact (存证校验通过)")
    else:
        err_console.print(f"[bold red]ledger NOT verified[/] ({len(report.problems)} problem(s), 存证校验失败):")
        for problem in report.problems:
            err_console.print(f"  - {problem}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
