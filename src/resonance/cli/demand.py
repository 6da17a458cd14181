"""``resonance demand``: data demands (数据需求) routed from a diagnosed slice to the providers whose data covers it.

The evaluator (or operator) routes a signed result's slices (``route``); each provider sees the demands addressed
to it (``list --org``) and answers one with a new dataset version it published (``answer``); the demand is
closed once a model was retrained with it (``close``).
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, print_table, registry_session

app = typer.Typer(no_args_is_help=True)


def _table(rows: list[dict[str, Any]]) -> None:
    print_table(
        "数据需求 data demands",
        ["id", "status", "to", "routed dataset", "wanted", "slice", "answer"],
        [
            [r["id"], f"{r['status']} {r['status_zh']}", r["target"], r["dataset"], r["examples_wanted"],
             escape(r["slice"].get("en", "")), r["answer_dataset"] or ""]
            for r in rows
        ],
    )  # fmt: skip


@app.command("route")
@handle_errors
def route_cmd(
    evaluation: str = typer.Argument(..., help="the signed evaluation result's id (see `resonance eval status`)"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Turn each diagnosed slice of a result into demands to the providers whose published profiles cover it."""
    from resonance.evaluation import data_demands

    with registry_session() as session:
        rows = [data_demands.as_dict(session, d) for d in data_demands.route_result(session, evaluation, actor="cli")]
    if json_out:
        print_json(rows)
    elif rows:
        _table(rows)
    else:
        console.print("no published dataset covers the diagnosed slices / 没有已发布数据集覆盖诊断出的切片")


@app.command("list")
@handle_errors
def list_cmd(
    org: str | None = typer.Option(None, "--org", help="only demands addressed to this provider"),
    status: str | None = typer.Option(None, "--status", help="open | answered | closed"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Data demands, oldest first."""
    from resonance.evaluation import data_demands

    with registry_session() as session:
        rows = [data_demands.as_dict(session, d) for d in data_demands.list_demands(session, target=org, status=status)]
    print_json(rows) if json_out else _table(rows)


@app.command("show")
@handle_errors
def show(demand: str = typer.Argument(..., help="the demand's id"), json_out: bool = JSON_OPTION) -> None:
    """One demand: the slice in words, where it was routed and why, the examples wanted, the answer."""
    from resonance.evaluation import data_demands

    with registry_session() as session:
        row = data_demands.as_dict(session, data_demands.get(session, demand))
    if json_out:
        print_json(row)
        return
    console.print(f"demand {row['id']} ({row['status']} {row['status_zh']}) to {row['target']} on {row['dataset']}")
    console.print(f"slice: {escape(row['slice'].get('zh', ''))}\n       {escape(row['slice'].get('en', ''))}")
    console.print(f"examples wanted: {row['examples_wanted']} (about {row['estimated_rows']} such rows published)")
    if row["answer_dataset"]:
        console.print(f"answered with {row['answer_dataset']}: {row['answer_note']}")


@app.command("answer")
@handle_errors
def answer(
    demand: str = typer.Argument(..., help="the demand's id"),
    dataset: str = typer.Option(..., "--dataset", help="your new dataset version: CODE@VERSION"),
    org: str | None = typer.Option(None, "--org", help="your organisation (default: the demand's target)"),
    note: str = typer.Option("", "--note", help="what the new version adds"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Answer a demand addressed to you with a new dataset version you published."""
    from resonance.evaluation import data_demands
    from resonance.registry import models as m

    with registry_session() as session:
        row = data_demands.get(session, demand)
        who = org or session.get(m.Organisation, row.target_org_id).code
        out = data_demands.as_dict(
            session, data_demands.answer(session, demand, dataset=dataset, org=who, actor=f"cli ({who})", note=note)
        )
    print_json(out) if json_out else console.print(f"demand {out['id']} answered with {out['answer_dataset']}")


@app.command("close")
@handle_errors
def close(
    demand: str = typer.Argument(..., help="the demand's id"),
    note: str = typer.Option("", "--note", help="e.g. the retraining job"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Close an answered demand once a model was retrained with the new version."""
    from resonance.evaluation import data_demands

    with registry_session() as session:
        out = data_demands.as_dict(session, data_demands.close(session, demand, actor="cli", note=note))
    print_json(out) if json_out else console.print(f"demand {out['id']} closed")
