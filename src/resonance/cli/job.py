"""``resonance job``: submit a federated training job, follow it live, read its record, cancel it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from resonance.cli._common import JSON_OPTION, console, handle_errors, print_json, print_table, registry_session
from resonance.settings import get_settings

app = typer.Typer(no_args_is_help=True)


def _sessions() -> Any:
    from resonance.registry.db import make_engine, make_sessionmaker, require_current

    engine = make_engine(get_settings().effective_database_url)
    require_current(engine)
    return make_sessionmaker(engine)


@app.command("submit")
@handle_errors
def submit(
    job_file: Path = typer.Argument(..., help="the job file (JOB.toml); see docs/federation.md"),
    detach: bool = typer.Option(False, "--detach", help="return at once; the job runs in the background"),
    json_out: bool = JSON_OPTION,
) -> None:
    """Check the job against contracts and budgets, record it, and run it (live round progress)."""
    from resonance.federation import jobs
    from resonance.federation.jobspec import load_job

    spec = load_job(job_file)
    with registry_session() as session:
        job, plan = jobs.submit(session, spec, actor="cli")
        job_id = job.id
    if not json_out:
        console.print(f"job {job_id} recorded: {len(plan.participants)} node(s), {plan.rounds} round(s)")
    if detach:
        log = jobs.job_dir(get_settings().home, job_id)
        log.mkdir(parents=True, exist_ok=True)
        with (log / "runner.log").open("ab") as handle:
            subprocess.Popen(
                [str(Path(sys.executable).with_name("resonance")), "job", "run", str(job_id)],
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if json_out:
            print_json({"job": job_id, "status": "queued", "detached": True})
        else:
            console.print(f"running in the background; follow it with `resonance job status {job_id}`")
        return
    _run(job_id, json_out)


@app.command("run")
@handle_errors
def run_cmd(job_id: int = typer.Argument(...), json_out: bool = JSON_OPTION) -> None:
    """Run a queued job (what `submit --detach` starts in the background)."""
    _run(job_id, json_out)


def _run(job_id: int, json_out: bool) -> None:
    from resonance.federation import execution

    sessions = _sessions()
    with registry_session() as session:
        from resonance.federation import jobs

        total = jobs.get(session, job_id).rounds_total
    progress = Progress(
        TextColumn("[bold]job {task.fields[job]}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=json_out,
    )

    with progress:
        task = progress.add_task("starting", total=total, job=job_id)

        def on_event(event: dict[str, Any]) -> None:
            if event.get("event") == "round":
                metrics = ", ".join(f"{k} {v:.4f}" for k, v in list(event.get("metrics", {}).items())[:3])
                progress.update(task, completed=event["round"], description=metrics)
            elif event.get("event") in ("refused", "dropped"):
                progress.console.print(f"node {event.get('node')} {event['event']}: {event.get('reason')}")
            elif event.get("event") == "admitted":
                progress.update(task, description=f"{len(event.get('nodes', []))} node(s) admitted")

        result = execution.run(sessions, job_id, space_home=get_settings().home, on_event=on_event)
    if json_out:
        print_json(result)
        return
    console.print(f"job {job_id}: {result['status']} after {result['rounds_done']}/{result['rounds_total']} rounds")
    if result["reason"]:
        console.print(f"reason: {result['reason']}")
    if result["model"]:
        console.print(f"model {result['model']}: {json.dumps(result['final'], ensure_ascii=False)}")


@app.command("status")
@handle_errors
def status(job_id: int = typer.Argument(...), json_out: bool = JSON_OPTION) -> None:
    """Where a job stands: status, rounds done, the last metrics, refusals."""
    from resonance.federation import jobs

    with registry_session() as session:
        job = jobs.get(session, job_id)
        out = {
            "job": job.id,
            "name": job.name,
            "status": job.status,
            "rounds_done": job.rounds_done,
            "rounds_total": job.rounds_total,
            "reason": job.spec.get("reason", ""),
            "final": job.spec.get("final", {}),
            "run_id": job.spec.get("run_id"),
        }
    if json_out:
        print_json(out)
        return
    print_table(f"job {job_id}", ["field", "value"], [[k, v] for k, v in out.items()])


@app.command("contribution")
@handle_errors
def contribution(job_id: int = typer.Argument(...), json_out: bool = JSON_OPTION) -> None:
    """Each provider's contribution to a finished job: Shapley and leave-one-out from the round updates."""
    from resonance.federation import jobs

    with registry_session() as session:
        job = jobs.get(session, job_id)
        found = dict(job.spec.get("contribution") or {})
        status = job.status
    if json_out:
        print_json({"job": job_id, "status": status, **found})
        return
    if not found.get("available"):
        reason = found.get("reason") or (
            "the job has not finished yet" if status in ("queued", "running") else "the job recorded none"
        )
        console.print(f"job {job_id}: no contribution estimate — {reason}", highlight=False, markup=False)
        return
    rows = [
        [
            node,
            found["orgs"].get(node, ""),
            f"{found['shapley'][node]:+.4f}",
            f"{found['share'][node]:.0%}",
            f"{found['leave_one_out'][node]:+.4f}",
        ]
        for node in sorted(found["players"], key=lambda p: -found["shapley"][p])
    ]
    print_table(
        f"job {job_id} · {found['method']} · gain {found['gain']:+.4f} over {found['rounds']} round(s)"
        f" · {found['evaluations']} models scored, 0 retrained",
        ["node", "provider", "Shapley", "share", "leave-one-out"],
        rows,
    )


@app.command("logs")
@handle_errors
def logs(job_id: int = typer.Argument(...), json_out: bool = JSON_OPTION) -> None:
    """The job's event record (admissions, rounds with metrics, refusals, drop-outs, end)."""
    from resonance.federation import jobs

    with registry_session() as session:
        jobs.get(session, job_id)
    path = jobs.job_dir(get_settings().home, job_id) / "progress.jsonl"
    events = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.is_file() else []
    if json_out:
        print_json(events)
        return
    for event in events:
        console.print(json.dumps(event, ensure_ascii=False), highlight=False)


@app.command("cancel")
@handle_errors
def cancel(job_id: int = typer.Argument(...), json_out: bool = JSON_OPTION) -> None:
    """Stop a running job; nodes stop at once and the job ends as cancelled."""
    from resonance.federation import execution

    result = execution.cancel(_sessions(), job_id, space_home=get_settings().home)
    if json_out:
        print_json(result)
    else:
        console.print(f"job {job_id} cancelled")
