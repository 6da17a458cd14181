"""``resonance flywheel``: one recorded cycle 评测诊断 → 数据集定向优化 → 模型能力提升 on the demo world, and the
cycles recorded so far."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, print_table, registry_session
from resonance.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("run")
@handle_errors
def run(
    home: Path | None = typer.Option(None, help="where to build the world (default: <RESONANCE_HOME>/flywheel)"),
    rounds: int = typer.Option(5, min=1, max=100, help="federated rounds of each training"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Train → evaluate at the evaluator's node → diagnose → demands → a provider's new version → retrain →
    evaluate, in a fresh demo world (real processes on 127.0.0.1); before and after per slice and overall."""
    from resonance.demo.flywheel import run_flywheel

    target = home or get_settings().home / "flywheel"
    if target.exists():
        shutil.rmtree(target)
    say = (lambda _: None) if json_out else (lambda text: console.print(f"• {text}"))
    result = run_flywheel(target, rounds=rounds, step=say)
    if json_out:
        print_json(result)
        return
    _show(result)


@app.command("list")
@handle_errors
def list_cmd(json_out: bool = JSON_OPTION) -> None:
    """The flywheel cycles recorded in this space's registry."""
    from resonance.evaluation import flywheel

    with registry_session() as session:
        rows = [flywheel.as_dict(r) for r in flywheel.list_cycles(session)]
    if json_out:
        print_json(rows)
        return
    for row in rows:
        _show(row)


def _show(result: dict[str, Any]) -> None:
    target = result["slice"]
    name = target.get("metric")
    console.print(f"flywheel cycle {result['id']} ({result['status']}), {result.get('seconds')} s — slice: "
                  f"{escape(str(target.get('condition')))}")  # fmt: skip

    def cell(side: str, part: str, metric: str) -> str:
        value = (result[side].get(part) or {}).get(metric)
        if not value or value.get("value") is None:
            return "–"
        low, high = value.get("low"), value.get("high")
        band = f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else ""
        return f"{value['value']:.3f}{band}"

    rows = [
        [f"slice {name}", cell("before", "slice", name), cell("after", "slice", name)],
        ["slice auc", cell("before", "slice", "auc"), cell("after", "slice", "auc")],
        ["overall auc", cell("before", "overall", "auc"), cell("after", "overall", "auc")],
    ]
    print_table("before / after (95% CI) · 优化前后", ["", "before 前", "after 后"], rows)
    steps = result.get("steps", {})
    console.print(
        f"jobs {steps.get('train_job')} → {steps.get('retrain_job')}; evaluations {steps.get('evaluations')}; "
        f"demands {steps.get('demands')} (answered {steps.get('answered')}); new versions {steps.get('new_versions')}"
    )
