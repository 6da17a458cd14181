"""Training and evaluation jobs: the list a role may see, and a job's live round progress (htmx polling).

The job page polls ``/web/jobs/{id}/progress`` every second while the job is queued or running; the partial
it gets back stops the polling once the job has ended. Per-round metrics come from the job's ``job.round``
events on the ledger (what the SuperLink reported for the global model of each round).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.api.deps import SessionDep
from resonance.permissions import require_read
from resonance.registry import models as m
from resonance.registry.concepts import CONCEPTS
from resonance.registry.reading import read_one
from resonance.web import charts
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.pages._listing import listing, readable_row
from resonance.web.templating import render

router = page_router()
LIVE = ("queued", "running", "starting")
MAX_ROUNDS_SHOWN = 1000


@router.get("/jobs")
def job_list(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    lang: LangDep,
    status: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    require_read(principal, CONCEPTS["jobs"])
    found = listing(session, principal, "jobs", {"status": status}, "", page)
    return render(request, "jobs.html", status=found.error.status if found.error else 200, found=found)


def round_history(session: Session, job_id: int) -> list[dict[str, Any]]:
    events = session.scalars(
        select(m.LedgerEvent.payload)
        .where(m.LedgerEvent.subject == f"job:{job_id}", m.LedgerEvent.kind == "job.round")
        .order_by(m.LedgerEvent.seq)
        .limit(MAX_ROUNDS_SHOWN)
    ).all()
    history = []
    for payload in events:
        data = json.loads(payload)
        history.append({"round": data.get("round"), "metrics": data.get("metrics") or {}, "nodes": data.get("nodes")})
    return history


def _job(session: Session, principal: Any, job_id: str) -> m.Job:
    require_read(principal, CONCEPTS["jobs"])
    return readable_row(session, principal, "jobs", job_id)


def _progress_context(session: Session, job: m.Job, lang: Any) -> dict[str, Any]:
    history = round_history(session, job.id)
    total = job.rounds_total or 0
    return {
        "job": job,
        "live": job.status in LIVE,
        "fraction": min(1.0, job.rounds_done / total) if total else 0.0,
        "history": history,
        "metrics_chart": charts.round_metrics(history, lang),
    }


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: str, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    job = _job(session, principal, job_id)
    found = dict((job.spec or {}).get("contribution") or {})
    return render(
        request,
        "job.html",
        jb=read_one(session, CONCEPTS["jobs"], job),
        contribution=found,
        contribution_order=sorted(found.get("players", []), key=lambda p: -found["shapley"][p]),
        contribution_chart=charts.contribution(found, lang),
        **_progress_context(session, job, lang),
    )


@router.get("/jobs/{job_id}/progress")
def job_progress(
    request: Request, job_id: str, session: SessionDep, principal: PrincipalDep, lang: LangDep
) -> Response:
    job = _job(session, principal, job_id)
    return render(request, "partials/job_progress.html", **_progress_context(session, job, lang))
