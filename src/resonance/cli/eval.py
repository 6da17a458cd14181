"""``resonance eval``: evaluate a registered model at the evaluator's node, on its evaluation dataset.

The space records the evaluation; the evaluator's node agent (``resonance node serve``) fetches the model,
runs it on its own rows and sends back a signed result, which the space verifies before storing it. ``run``
waits for that (with the states as they change) unless ``--detach``.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, print_table, registry_session
from resonance.settings import get_settings

app = typer.Typer(no_args_is_help=True)

STATES = {
    "queued": "recorded; waiting for the evaluator's node / 已登记，等待评测节点领取",
    "running": "the evaluator's node is running the model on its data / 评测节点正在本地数据上运行模型",
    "completed": "signed result received and verified / 已收到并验证签名结果",
    "failed": "failed / 失败",
}


def _sessions() -> Any:
    from resonance.registry.db import make_engine, make_sessionmaker, require_current

    engine = make_engine(get_settings().effective_database_url)
    require_current(engine)
    return make_sessionmaker(engine)


@app.command("run")
@handle_errors
def run(
    model: str = typer.Argument(..., help="the model version: CODE or CODE@VERSION"),
    on: str = typer.Option(..., "--on", help="the evaluation dataset: CODE or CODE@VERSION"),
    evaluator: str | None = typer.Option(None, "--evaluator", help="the evaluator (default: the dataset's owner)"),
    bootstrap: int = typer.Option(200, "--bootstrap", help="bootstrap resamples for the confidence intervals"),
    slice_by: list[str] = typer.Option([], "--slice-by", help="extra column the diagnosis may slice on"),
    timeout: float = typer.Option(600, "--timeout", help="seconds to wait for the node's result"),
    detach: bool = typer.Option(False, "--detach", help="record it and return; the node runs it"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Send MODEL to the evaluator's node and evaluate it there on DATASET; show the signed result."""
    from resonance.evaluation import runs
    from resonance.registry import models as m
    from resonance.registry.db import retry_when_locked
    from resonance.registry.references import resolve

    def record() -> int:
        with registry_session() as session:
            dataset = resolve(session, m.Dataset, on, where="--on")
            owner = evaluator or session.get(m.Organisation, dataset.owner_org_id).code
            job = runs.request(
                session,
                model=model,
                dataset=on,
                evaluator=owner,
                space_home=get_settings().home,
                actor="cli",
                bootstrap=bootstrap,
                slice_by=slice_by,
            )
            return job.id

    job_id = retry_when_locked(record)  # the evaluator's node agent writes the same registry
    if detach:
        print_json({"evaluation": job_id, "status": "queued"}) if json_out else console.print(
            f"evaluation {job_id} recorded; follow it with `resonance eval status {job_id}`"
        )
        return
    say = (lambda _: None) if json_out else (lambda s: console.print(f"evaluation {job_id}: {STATES.get(s, s)}"))
    outcome = runs.wait(_sessions(), job_id, timeout=timeout, on_status=say)
    _show(outcome, json_out)
    if outcome["status"] != "completed":
        raise typer.Exit(1)


@app.command("status")
@handle_errors
def status(evaluation: str = typer.Argument(..., help="the evaluation's id"), json_out: bool = JSON_OPTION) -> None:
    """An evaluation's state and, once completed, its verified result."""
    from resonance.evaluation import runs

    with registry_session() as session:
        _show(runs.as_dict(session, runs.get(session, evaluation)), json_out)


@app.command("list")
@handle_errors
def list_(status: str | None = typer.Option(None, "--status"), json_out: bool = JSON_OPTION) -> None:
    """Every evaluation run, oldest first."""
    from resonance.evaluation import runs

    with registry_session() as session:
        rows = [runs.as_dict(session, job) for job in runs.list_runs(session, status)]
    if json_out:
        print_json(rows)
        return
    print_table(
        "评测 evaluations",
        ["id", "status", "model", "dataset", "evaluator", "result"],
        [[r["id"], r["status"], r["model"], r["dataset"], r["evaluator"], (r["result"] or {}).get("id")] for r in rows],
    )


@app.command("protect")
@handle_errors
def protect(dataset: str = typer.Argument(..., help="the evaluation dataset: CODE@VERSION")) -> None:
    """Attach the evaluation-only usage policy: only `evaluate`, only for the evaluator; never training."""
    from resonance.evaluation import datasets

    with registry_session() as session:
        policy = datasets.protect(session, dataset, actor="cli")
    console.print(f"{policy.target}: only evaluate, only for {policy.assigner} / 仅限评测方评测使用")


def _show(outcome: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(outcome)
        return
    result = outcome.get("result")
    if result is None:
        reason = f" — {outcome['reason']}" if outcome.get("reason") else ""
        console.print(f"evaluation {outcome['id']}: {outcome['status']}{reason}")
        return
    mark = "verified ✓ / 签名已验证" if result["signature_verified"] else "NOT VERIFIED ✗ / 签名未通过验证"
    console.print(
        f"evaluation {outcome['id']}: {result['model']} on {result['dataset']} ({result['rows']} rows) at node "
        f"{result['node']} — signature {mark}"
    )
    console.print(
        f"model sha256 {result['model_sha256'][:16]}…  dataset version {result['dataset_fingerprint'][:24]}…  "
        f"code {result['code_version']}"
    )
    print_table(
        "metrics (95% bootstrap CI) / 指标",
        ["metric", "value", "low", "high"],
        [[k, _f(v.get("value")), _f(v.get("low")), _f(v.get("high"))] for k, v in result["metrics"].items()],
    )
    if result["slices"]:
        print_table(
            "diagnosis: slices where the model does worst / 诊断：模型表现最差的数据切片",
            ["slice", "n", "metric"],
            [[escape(s.get("description", {}).get("en", "")), s.get("n"), _slice_metric(s)] for s in result["slices"]],
        )


def _slice_metric(item: dict[str, Any]) -> str:
    metrics = item.get("metrics") or {}
    return ", ".join(f"{k} {_f(v.get('value'))}" for k, v in list(metrics.items())[:3])


def _f(value: Any) -> str:
    return "" if value is None else f"{value:.4f}"
