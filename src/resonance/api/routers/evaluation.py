"""Evaluation over HTTP: request a run at the evaluator's node, follow it, leaderboards, data demands.

- ``POST /api/v1/evaluation-runs`` (an evaluator token of the dataset's owner, or the operator) records a run;
  the evaluator's node fetches it with its signed requests (``/api/v1/nodes/{id}/evaluations/…``).
- ``GET /api/v1/evaluation-runs[/{id}]``: the operator sees every run; others the runs they requested or of
  models their organisation developed.
- ``GET /api/v1/leaderboards``: any token; only verified, signed results are ranked.
- ``POST /api/v1/evaluation-runs/{id}/demands`` routes the result's slices (its evaluator, or the operator);
  ``GET /api/v1/demands[/{id}]`` (providers see those addressed to them; evaluators and the operator all);
  ``POST /api/v1/demands/{id}/answer`` (a provider token of the target organisation).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from resonance.agents import leaderboard  # the models' boards, then the agents' (scenario test cases)
from resonance.api.auth import PrincipalDep
from resonance.api.deps import SessionDep
from resonance.api.errors import ERROR_RESPONSES
from resonance.errors import Forbidden, NotFound
from resonance.evaluation import data_demands, runs
from resonance.registry import models as m
from resonance.registry.references import resolve
from resonance.settings import get_settings

router = APIRouter(prefix="/api/v1", tags=["evaluation"], responses=ERROR_RESPONSES)


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str = Field(min_length=1, max_length=120, description="model version: CODE or CODE@VERSION")
    dataset: str = Field(min_length=1, max_length=120, description="evaluation dataset: CODE@VERSION")
    bootstrap: int = Field(default=runs.DEFAULT_BOOTSTRAP, ge=10, le=10_000)
    slice_by: list[str] = Field(default_factory=list, max_length=20)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str = Field(min_length=1, max_length=120, description="your new dataset version: CODE@VERSION")
    note: str = Field(default="", max_length=2000)


@router.post("/evaluation-runs", status_code=201, summary="Evaluate a model at the evaluator's node")
def request_run(body: RunRequest, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """评测：模型发送到评测机构节点，在其本地数据上运行，结果由节点签名。"""
    dataset = resolve(session, m.Dataset, body.dataset, where="dataset")
    if principal.role == "operator":
        evaluator = session.get(m.Organisation, dataset.owner_org_id).code
    elif principal.role == "evaluator" and principal.org_code:
        evaluator = principal.org_code
    else:
        raise Forbidden(f"a {principal.label} cannot request evaluations",
                        fix="use an evaluator token of the evaluation dataset's owner")  # fmt: skip
    job = runs.request(
        session,
        model=body.model,
        dataset=body.dataset,
        evaluator=evaluator,
        space_home=get_settings().home,
        actor=principal.label,
        bootstrap=body.bootstrap,
        slice_by=body.slice_by,
    )
    return runs.as_dict(session, job)


def _visible_run(session: Any, principal: Any, job: m.Job) -> bool:
    if principal.role == "operator":
        return True
    if principal.org_id is None:
        return False
    if job.submitter_org_id == principal.org_id:
        return True
    try:
        from resonance.federation import model_store

        return model_store.find(session, job.spec.get("model", "")).developer_org_id == principal.org_id
    except NotFound:
        return False


@router.get("/evaluation-runs", summary="Evaluation runs you may see")
def list_runs(principal: PrincipalDep, session: SessionDep, status: str | None = None) -> list[dict[str, Any]]:
    return [runs.as_dict(session, j) for j in runs.list_runs(session, status) if _visible_run(session, principal, j)]


@router.get("/evaluation-runs/{run_id}", summary="One evaluation run and its verified result")
def get_run(run_id: str, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    job = runs.get(session, run_id)
    if not _visible_run(session, principal, job):
        raise NotFound("evaluation", run_id)
    return runs.as_dict(session, job)


@router.post("/evaluation-runs/{run_id}/demands", status_code=201, summary="Route a result's slices as demands")
def route_demands(run_id: str, principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    job = runs.get(session, run_id)
    if principal.role != "operator" and not (
        principal.role == "evaluator" and principal.org_id == job.submitter_org_id
    ):
        raise Forbidden(f"a {principal.label} cannot route this evaluation's demands",
                        fix="use the evaluator's token, or the operator's")  # fmt: skip
    result = runs.result_of(session, job)
    if result is None:
        raise NotFound("evaluation result", run_id, fix="wait until the evaluation completed")
    made = data_demands.route_result(session, result.id, actor=principal.label)
    return [data_demands.as_dict(session, d) for d in made]


@router.get("/leaderboards", summary="Leaderboards: ranked signed results, ties by confidence intervals")
def leaderboards(
    principal: PrincipalDep,
    session: SessionDep,
    industry: str | None = None,
    scenario: str | None = None,
    metric: str | None = None,
) -> list[dict[str, Any]]:
    """评测榜单：按评测数据集与指标排名，置信区间重叠者并列；附模型哈希、数据集版本哈希与代码版本。"""
    return leaderboard.rows(session, industry=industry, scenario=scenario, metric=metric)


def _demand_reader(principal: Any) -> str | None:
    """None: every demand; else the organisation code whose demands the principal reads."""
    if principal.role in ("operator", "evaluator"):
        return None
    if principal.role == "provider" and principal.org_code:
        return principal.org_code
    raise Forbidden(
        f"a {principal.label} cannot read data demands",
        fix="providers read the demands addressed to them; evaluators and the operator read all",
    )


@router.get("/demands", summary="Data demands (providers: those addressed to them)")
def list_demands(principal: PrincipalDep, session: SessionDep, status: str | None = None) -> list[dict[str, Any]]:
    target = _demand_reader(principal)
    return [data_demands.as_dict(session, d) for d in data_demands.list_demands(session, target=target, status=status)]


@router.get("/demands/{demand_id}", summary="One data demand")
def get_demand(demand_id: str, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    target = _demand_reader(principal)
    demand = data_demands.get(session, demand_id)
    if target is not None and demand.target_org_id != principal.org_id:
        raise NotFound("data demand", demand_id)
    return data_demands.as_dict(session, demand)


@router.post("/demands/{demand_id}/answer", summary="Answer a demand with a new dataset version (its provider)")
def answer_demand(demand_id: str, body: Answer, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    if principal.role != "provider" or not principal.org_code:
        raise Forbidden(f"a {principal.label} cannot answer data demands", fix="use a provider token of the target")
    demand = data_demands.get(session, demand_id)
    if demand.target_org_id != principal.org_id:
        raise NotFound("data demand", demand_id)
    answered = data_demands.answer(
        session, demand.id, dataset=body.dataset, org=principal.org_code, actor=principal.label, note=body.note
    )
    return data_demands.as_dict(session, answered)
