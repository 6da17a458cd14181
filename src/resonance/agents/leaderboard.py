"""Leaderboard rows for the MCP server and the demo: the models' boards plus the agents' boards.

Models: ``resonance.evaluation.leaderboard.rows`` (EVALNODE's), which ranks only results signed at an
evaluator's node. Agents are scored by the space on scenario test cases (``resonance.agents.scoring``), so
their results carry the space's signature instead; ``agent_rows`` ranks those whose signature verifies, in
the same row shape (a board per case-file version × metric, ranks judged by the confidence intervals with
``resonance.evaluation.metrics.compare``), with ``subject = "agent:CODE"`` and ``agent`` added.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.registry import models as m
from resonance.registry.references import display_key, resolve

AGENT_METRICS = ("action_accuracy",)


def rows(
    session: Session, industry: str | None = None, scenario: str | None = None, metric: str | None = None
) -> list[dict[str, Any]]:
    """The models' rows, then the agents' rows (only when ``metric`` is unset or an agent metric)."""
    from resonance.evaluation import leaderboard as boards

    found = list(boards.rows(session, industry=industry, scenario=scenario, metric=metric))
    if metric is None or metric in AGENT_METRICS:
        found.extend(agent_rows(session, industry=industry, scenario=scenario, metric=metric))
    return found


def signed_message(document: dict[str, Any]) -> bytes:
    """The bytes the space signs for an agent's result (``scoring.store``) and ``agent_rows`` verifies."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def verified(result: m.EvaluationResult) -> bool:
    """An agent result counts when the space's signature verifies over its document and the metrics match it."""
    from resonance.ledger import keys as space_keys
    from resonance.node import keys as node_keys

    document = result.document or {}
    if not result.signature or document.get("metrics") != result.metrics:
        return False
    return node_keys.verify(space_keys.space_public_key(), signed_message(document), result.signature)


def agent_rows(
    session: Session, industry: str | None = None, scenario: str | None = None, metric: str | None = None
) -> list[dict[str, Any]]:
    from resonance.evaluation import leaderboard as boards_of_models

    industry_id = resolve(session, m.Industry, industry, where="industry").id if industry else None
    scenario_id = resolve(session, m.Scenario, scenario, where="scenario").id if scenario else None
    results = session.scalars(
        select(m.EvaluationResult).where(m.EvaluationResult.job_id.is_(None)).order_by(m.EvaluationResult.id)
    ).all()
    latest: dict[tuple[str, int], m.EvaluationResult] = {}
    for result in results:
        subject = (result.metrics or {}).get("subject", "")
        if isinstance(subject, str) and subject.startswith("agent:") and verified(result):
            latest[(subject, result.dataset_id)] = result  # the newest result per agent and case file
    boards: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for (subject, _), result in latest.items():
        dataset = session.get(m.Dataset, result.dataset_id)
        model = session.get(m.ModelVersion, result.model_id)
        agent = session.scalars(select(m.Agent).where(m.Agent.code == subject.removeprefix("agent:"))).first()
        if dataset is None or model is None or agent is None:
            continue
        scenario_of = agent.scenario_id or dataset.scenario_id
        if (industry_id is not None and dataset.industry_id != industry_id) or (
            scenario_id is not None and scenario_of != scenario_id
        ):
            continue
        for name in AGENT_METRICS:
            value = result.metrics.get(name)
            if (metric and name != metric) or not isinstance(value, dict):
                continue
            evaluator = session.get(m.Organisation, result.evaluator_org_id)
            entry = {
                "industry": _code(session, m.Industry, dataset.industry_id),
                "scenario": _code(session, m.Scenario, scenario_of),
                "dataset": display_key(dataset),
                "dataset_fingerprint": result.dataset_fingerprint,
                "metric": name,
                "higher_is_better": True,
                "subject": subject,
                "agent": agent.code,
                "model": display_key(model),
                "model_sha256": result.model_sha256,
                "developer": _code(session, m.Organisation, agent.org_id),
                "value": value.get("value"),
                "low": value.get("low"),
                "high": value.get("high"),
                "rows": result.metrics.get("n_cases"),
                "evaluator": evaluator.code if evaluator else None,
                "evaluation": result.id,
                "job": None,
                "code_version": result.code_version,
                "evaluated_at": (result.document or {}).get("evaluated_at"),
                "signature_verified": True,
            }
            boards.setdefault((entry["dataset"], name), []).append(entry)
    out: list[dict[str, Any]] = []
    for (dataset_key, name), entries in boards.items():
        boards_of_models.rank(entries, name, key="agent")
        for entry in entries:
            entry["board"] = f"{dataset_key} · {name}"
        out.extend(entries)
    out.sort(key=lambda r: (r["dataset"], r["metric"], r["rank"], -(r["value"] or 0), r["agent"]))
    return out


def _code(session: Session, model: type[m.Base], row_id: int | None) -> str | None:
    row = session.get(model, row_id) if row_id is not None else None
    return getattr(row, "code", None) if row is not None else None
