"""Run a recorded job on the space's SuperLink and keep the registry in step with it, round by round.

The ServerApp writes its progress into the job's folder; this loop applies each new line to the registry
(job row, ledger) and reports it to the caller (a progress bar, a log), then finishes the job: model version,
metering, ledger. ``cancel`` stops the Flower run; the loop then finishes the job as ``cancelled``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from resonance.errors import ResonanceError
from resonance.federation import jobs, runner, superlink

APP_DIR = Path(__file__).parent / "app"
STATUS_EVERY = 5.0  # seconds between asks to the SuperLink (each is a `flwr ls` process)


def run(
    sessions: sessionmaker[Session],
    job_id: int,
    *,
    space_home: Path,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    timeout: float = 3600,
    poll: float = 0.3,
) -> dict[str, Any]:
    """Start the job's Flower run, follow it to its end and record the outcome; returns the job's summary."""
    with sessions() as session, session.begin():
        job = jobs.get(session, job_id)
        if job.status != "queued":
            raise ResonanceError(
                what=f"job {job_id} is {job.status}, only a queued job can be started",
                fix="submit the job again to run it once more",
                code="job_not_queued",
                status=409,
            )
        plan = jobs.plan_of(job)
    superlink.require_running(space_home)
    out = jobs.job_dir(space_home, job_id)
    out.mkdir(parents=True, exist_ok=True)
    # Submitting takes seconds (a `flwr run` process); no transaction stays open over it, since on SQLite a read
    # transaction that another process's write overtakes can no longer write ("database is locked").
    handle = runner.submit(space_home, APP_DIR, {"job": plan.to_json(), "out": str(out)}, name=f"job-{job_id}")
    with sessions() as session, session.begin():
        job = jobs.get(session, job_id)
        if job.status != "queued":  # cancelled while the run was being submitted
            handle.stop()
            return summary(session, job, None)
        jobs.mark_running(session, job, handle.run_id)
    offset = 0
    deadline = time.monotonic() + timeout
    next_status = time.monotonic() + STATUS_EVERY
    try:
        while not (out / "result.json").is_file():
            offset = jobs.follow(sessions, job_id, space_home=space_home, offset=offset, on_event=on_event)
            if time.monotonic() > deadline:
                handle.stop()
                _set_status(sessions, job_id, "cancelled")
                break
            if time.monotonic() > next_status:
                if handle.status().startswith(runner.FINISHED):
                    break  # ended without a result (failed or stopped): finish() records it
                next_status = time.monotonic() + STATUS_EVERY
            time.sleep(poll)
    except KeyboardInterrupt:
        handle.stop()
        _set_status(sessions, job_id, "cancelled")
    jobs.follow(sessions, job_id, space_home=space_home, offset=offset, on_event=on_event)
    with sessions() as session, session.begin():
        job = jobs.get(session, job_id)
        model = jobs.finish(session, job, space_home=space_home)
        return summary(session, job, model)


def cancel(sessions: sessionmaker[Session], job_id: int, *, space_home: Path) -> dict[str, Any]:
    with sessions() as session, session.begin():
        job = jobs.get(session, job_id)
        if job.status in jobs.TERMINAL:
            raise ResonanceError(
                what=f"job {job_id} has already ended ({job.status})", fix="nothing to cancel", code="job_ended"
            )
        run_id = job.spec.get("run_id")
        job.status = "cancelled"
        if run_id:
            runner.attach(space_home, run_id).stop()
        return summary(session, job, None)


def summary(session: Session, job: Any, model: Any) -> dict[str, Any]:
    return {
        "job": job.id,
        "status": job.status,
        "rounds_done": job.rounds_done,
        "rounds_total": job.rounds_total,
        "reason": job.spec.get("reason", ""),
        "final": job.spec.get("final", {}),
        "model": f"{model.code}@{model.version}" if model is not None else None,
    }


def _set_status(sessions: sessionmaker[Session], job_id: int, status: str) -> None:
    with sessions() as session, session.begin():
        jobs.get(session, job_id).status = status
