"""``resonance demo``: build a fresh example space and show the action's progress.

Issue by issue this grows into the full end-to-end run (nodes, contracts, federated training, evaluation).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from resonance.cli._common import console, handle_errors, print_json, print_table
from resonance.registry.db import make_engine, make_sessionmaker, transaction, upgrade
from resonance.settings import get_settings

app = typer.Typer()


@app.callback(invoke_without_command=True)
@handle_errors
def demo(
    home: Path | None = typer.Option(None, help="where to build the demo space (default: <RESONANCE_HOME>/demo)"),
    json_out: bool = typer.Option(False, "--json", help="end with one JSON object instead of tables"),
    lang: str = typer.Option("zh", help="zh or en"),
) -> None:
    """Build a fresh example space (its own SQLite registry) and print the action's progress."""
    from resonance.demo.nodes import run_nodes
    from resonance.demo.seed import seed
    from resonance.registry.rules import progress

    started = time.perf_counter()
    home = home or get_settings().home / "demo"
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    url = f"sqlite:///{home / 'registry.sqlite'}"
    steps = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=json_out,
        transient=False,
    )
    with steps:
        task = steps.add_task("creating the registry (migrations)", total=None)
        upgrade(url)
        steps.update(task, description="seeding the example province and central enterprise")
        engine = make_engine(url)
        with transaction(make_sessionmaker(engine)) as session:
            added = seed(session)
            steps.update(task, description="three enterprise nodes analyse their own data and publish metadata")
            node_summaries = run_nodes(session, home / "nodes")
            steps.update(task, description="checking every quota and deadline of the notice")
            report = progress(session, lang=lang)
        engine.dispose()
        steps.update(task, description="done")
    seconds = round(time.perf_counter() - started, 2)
    if json_out:
        print_json(
            {
                "home": str(home),
                "database": url,
                "added": dict(added),
                "nodes": node_summaries,
                "progress": [p.as_dict() for p in report],
                "seconds": seconds,
            }
        )
        return
    from resonance.cli.action import _print_entity

    console.print(f"demo space at {home} — {sum(added.values())} registry rows added in {seconds} s")
    print_table(
        "节点数据画像 · what each enterprise's node published (metadata only)",
        ["node", "org", "dataset", "rows", "quality", "sensitivity"],
        [
            [
                n["node"],
                n["org"],
                n["dataset"],
                n["rows"],
                f"{n['quality_grade']} ({n['quality_score']})",
                n["sensitivity"],
            ]
            for n in node_summaries
        ],
    )
    for entity_progress in report:
        _print_entity(entity_progress, lang)
    console.print(f"explore it: RESONANCE_HOME={home} resonance dataset list  ·  resonance action progress")
