"""``resonance scenario accept``: adopt a reference example (参考示例) as one of an entity's scenario files."""

from __future__ import annotations

import typer

from resonance.cli._common import console, handle_errors, print_json, registry_session
from resonance.registry import reference_scenarios, services
from resonance.registry.concepts import CONCEPTS

app = typer.Typer(no_args_is_help=True)


@app.command("accept")
@handle_errors
def accept(
    reference: str = typer.Argument(..., help="code of the reference example, e.g. REF-steel-01"),
    entity: str = typer.Option(..., "--entity", help="action entity that adopts it (code or 中文名)"),
    code: str | None = typer.Option(None, "--code", help="code of the new scenario file (default: ENTITY-REF)"),
    lead: str | None = typer.Option(None, "--lead", help="lead organisation (code or name)"),
    json_out: bool = typer.Option(False, "--json", help="print machine-readable JSON"),
) -> None:
    """Copy a reference example into ENTITY's own scenario files, ready to edit; it then counts toward quotas."""
    with registry_session() as session:
        row = reference_scenarios.accept(session, reference, entity, code, lead)
        item = services.read_one(session, CONCEPTS["scenarios"], row)
    if json_out:
        print_json(item)
    else:
        console.print(
            f"scenario {item['code']} added to {item['entity']} from {reference}; edit it with "
            f"`resonance scenario update {item['code']} --data '{{…}}'`"
        )
