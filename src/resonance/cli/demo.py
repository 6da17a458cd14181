"""``resonance demo``: the end-to-end demo — a space and three enterprise nodes as real processes on 127.0.0.1
train one failure-prediction model by federated learning, compared with centralized and local-only models."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from resonance.cli._common import console, handle_errors, print_json, print_table
from resonance.settings import get_settings

app = typer.Typer()


@app.callback(invoke_without_command=True)
@handle_errors
def demo(
    home: Path | None = typer.Option(None, help="where to build the demo space (default: <RESONANCE_HOME>/demo)"),
    rounds: int | None = typer.Option(None, min=1, max=200, help="federated training rounds (default: the preset's)"),
    json_out: bool = typer.Option(False, "--json", help="end with one JSON object instead of tables"),
    lang: str = typer.Option("zh", help="zh or en"),
    agent: bool = typer.Option(
        True, "--agent/--no-agent", help="then the scenario agent's act: signed A2A card, MCP, diagnose, score"
    ),
    flywheel: bool = typer.Option(
        True,
        "--flywheel/--no-flywheel",
        help="then one flywheel cycle in its own world: train, evaluate, diagnose, demands, new version, retrain",
    ),
) -> None:
    """Run the end-to-end demo in a fresh space (its own SQLite registry, processes stopped at the end).

    ``seconds`` is the federated demo (space, nodes, contracts, training, references, ledger); the agent's act
    runs after it on the same space and reports its own ``agent.seconds``; the flywheel cycle runs last in a world
    of its own (``<home>/flywheel``, where one enterprise first holds back rows) and reports ``flywheel.seconds``."""
    from resonance.demo.run import DEMO_PRESET, run_demo
    from resonance.federation.learning.presets import preset

    rounds = rounds or preset(DEMO_PRESET)["rounds"]
    home = home or get_settings().home / "demo"
    if home.exists():
        shutil.rmtree(home)
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=json_out,
    )
    with bar:
        current = {"task": None}

        def step(text: str) -> None:
            if current["task"] is not None:
                bar.update(current["task"], completed=1, total=1)
            current["task"] = bar.add_task(text, total=None)

        def on_event(event: dict[str, Any]) -> None:
            task = current["task"]
            if event.get("event") == "round" and task is not None:
                metrics = event.get("metrics", {})
                auc = f" · AUC {metrics['auc']:.4f}" if "auc" in metrics else ""
                bar.update(task, total=rounds, completed=event["round"], description=f"federated training{auc}")
            elif event.get("event") in ("refused", "dropped"):
                bar.console.print(f"node {event.get('node')} {event['event']}: {event.get('reason')}")

        result = run_demo(home, rounds=rounds, lang=lang, step=step, on_event=on_event)
        if agent:
            result["agent"] = _agent_act(home, step)
        if flywheel:
            result["flywheel"] = _flywheel_act(home, rounds, step, on_event)
        step("done")
    progress_objects = result.pop("_progress")
    if json_out:
        print_json(result)
        return
    _print(result, progress_objects, lang)


def _flywheel_act(home: Path, rounds: int, step: Any, on_event: Any) -> dict[str, Any]:
    from resonance.demo.flywheel import run_flywheel, summary

    def flywheel_step(text: str) -> None:
        step(f"飞轮 flywheel · {text}")

    return summary(run_flywheel(home / "flywheel", rounds=rounds, step=flywheel_step, on_event=on_event))


def _agent_act(home: Path, step: Any) -> dict[str, Any]:
    import time

    from resonance.demo.agent import run_agent
    from resonance.demo.world import space_home

    started = time.perf_counter()
    with space_home(home):
        summary = run_agent(home, f"sqlite:///{home / 'registry.sqlite'}", step=step)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary


def _print(result: dict[str, Any], progress_objects: list[Any], lang: str) -> None:
    from resonance.cli.action import _print_entity

    metric = result["metric"].upper()
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
            for n in result["nodes"]
        ],
    )
    fed = result["federated"]["value"]
    rows = [["联邦 federated (3 nodes, rows never moved)", _f(fed), "1.000"]]
    central = result["centralized"]["value"]
    rows.append(["集中 centralized (demo only: pools the rows)", _f(central), _ratio(central, fed)])
    for org, metrics in result["local"].items():
        rows.append([f"本地 local-only {org}", _f(metrics["value"]), _ratio(metrics["value"], fed)])
    print_table(
        f"模型效果 · {metric} on the same test rows of all three enterprises ({result['rounds']} rounds)",
        ["model", metric, "÷ federated"],
        rows,
    )
    contribution = result.get("contribution") or {}
    if contribution.get("by_org"):
        print_table(
            f"贡献度 · each enterprise's contribution to the {metric} gain of {contribution['gain']:+.4f} "
            f"(Shapley from the round updates: {contribution['evaluations']} models scored at the nodes, 0 retrained)",
            ["org", "Shapley", "share", "leave-one-out"],
            [
                [org, f"{v['shapley']:+.4f}", f"{v['share']:.0%}", f"{v['leave_one_out']:+.4f}"]
                for org, v in sorted(contribution["by_org"].items(), key=lambda kv: -kv[1]["shapley"])
            ],
        )
    job = result["job"]
    console.print(
        f"model {job['model']} registered with lineage · ledger: {result['ledger_events']} events, "
        f"verified = {result['ledger_verified']} · {result['seconds']} s"
    )
    agent = result.get("agent")
    if agent:
        for example in agent["examples"]:
            console.print(f"{example['case']}: {example['text_' + ('zh' if lang == 'zh' else 'en')]}", highlight=False)
        score = agent["score"]["action_accuracy"]
        console.print(
            f"智能体 agent {agent['agent']} (through MCP) on {agent['score']['n_cases']} scenario cases: action "
            f"accuracy {score['value']:.2f} (95% CI {score['low']:.2f}–{score['high']:.2f}) · {agent['seconds']} s"
        )
    cycle = result.get("flywheel")
    if cycle:
        name = cycle.get("metric") or "metric"
        print_table(
            f"飞轮 flywheel · slice found at the evaluator's node: {cycle['slice']} ({cycle['seconds']} s)",
            ["", f"slice {name}", "overall AUC"],
            [
                ["before 改进前", _f(cycle["before"]["slice"]), _f(cycle["before"]["overall"])],
                ["after 改进后 (rows released, retrained)", _f(cycle["after"]["slice"]), _f(cycle["after"]["overall"])],
            ],
        )
    for entity_progress in progress_objects:
        _print_entity(entity_progress, lang)
    console.print(
        f"explore it: RESONANCE_HOME={result['home']} resonance model show mt-failure  ·  resonance ledger verify"
    )


def _f(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "–"


def _ratio(value: Any, reference: Any) -> str:
    if isinstance(value, int | float) and isinstance(reference, int | float) and reference:
        return f"{value / reference:.3f}"
    return "–"
