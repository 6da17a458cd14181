"""Agents scored on scenario test cases (inputs → expected action), stored so that they appear on leaderboards.

A case file (``data/cases/<SCENARIO>.yaml``) lists readings and the action a maintenance engineer expects.
The score is the action accuracy (the share of cases where the agent proposed the expected action) with its
Wilson 95% interval — a plain proportion, so it is computed here rather than through the model metrics of
``resonance.evaluation`` (which score a model's probabilities against labels, not an agent's decisions).

The score is stored as an ``EvaluationResult`` row like a model's: ``model`` is the model version the agent
called, ``dataset`` the case file registered as an evaluation dataset (metadata only; its fingerprint is the
file's SHA-256, its version changes when the file does), ``metrics`` = ``{"subject": "agent:CODE",
"action_accuracy": {"value", "low", "high"}, "n_cases": N}``; the row is signed with the space key and the
per-case outcomes go to the ledger (``agent.evaluated``). ``document`` holds exactly what was signed (agent,
model and its ONNX hash, case-file version and hash, metrics, code version, time);
``resonance.agents.leaderboard.agent_rows`` ranks the results whose signature verifies.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

import resonance
from resonance.agents.maintenance import ACTIONS, Advice
from resonance.errors import Problem, ResonanceError
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import concept


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=80)
    reading: dict[str, Any]
    expect: str


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: str
    version: int = 1
    cases: list[Case] = Field(min_length=1, max_length=10_000)


@dataclass(frozen=True)
class Cases:
    scenario: str
    cases: list[Case]
    sha256: str
    name: str


def bundled_path(scenario: str) -> Any:
    return resources.files("resonance.agents").joinpath(f"data/cases/{scenario}.yaml")


def load(path: Path | None = None, scenario: str = "JS-MT-01") -> Cases:
    """Read and check a case file (default: the bundled one for ``scenario``); UTF-8 or GBK text."""
    source = Path(path) if path is not None else bundled_path(scenario)
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ResonanceError(
            what=f"the case file is not YAML: {exc}", where=str(source), fix="fix its syntax"
        ) from None
    try:
        parsed = CaseFile.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(what=e["msg"], where=".".join(str(x) for x in e["loc"])) for e in exc.errors()]
        raise ResonanceError(
            what="the case file does not have the expected shape",
            where=str(source),
            fix="scenario, version and cases: [{id, reading, expect}] (see data/cases/JS-MT-01.yaml)",
            code="invalid_cases",
            status=422,
            problems=problems,
        ) from None
    problems = [
        Problem(what=f"unknown action {c.expect!r}", where=f"cases[{i}].expect", fix=f"one of {', '.join(ACTIONS)}")
        for i, c in enumerate(parsed.cases)
        if c.expect not in ACTIONS
    ]
    seen: set[str] = set()
    for i, c in enumerate(parsed.cases):
        if c.id in seen:
            problems.append(Problem(what=f"duplicate case id {c.id!r}", where=f"cases[{i}].id"))
        seen.add(c.id)
    if problems:
        raise ResonanceError(
            what=f"{len(problems)} problem(s) in the case file",
            where=str(source),
            fix="fix the cases listed",
            code="invalid_cases",
            status=422,
            problems=problems,
        )
    return Cases(parsed.scenario, parsed.cases, hashlib.sha256(raw).hexdigest(), getattr(source, "name", "cases"))


def wilson(correct: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a proportion (stays inside [0, 1] and is sensible for small n)."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Score:
    agent: str
    model: str
    outcomes: list[dict[str, Any]]

    @property
    def correct(self) -> int:
        return sum(o["ok"] for o in self.outcomes)

    @property
    def accuracy(self) -> float:
        return self.correct / len(self.outcomes) if self.outcomes else 0.0

    def metrics(self) -> dict[str, Any]:
        low, high = wilson(self.correct, len(self.outcomes))
        return {
            "subject": f"agent:{self.agent}",
            "action_accuracy": {"value": round(self.accuracy, 6), "low": round(low, 6), "high": round(high, 6)},
            "n_cases": len(self.outcomes),
        }


def score(agent: str, cases: Cases, advices: list[Advice]) -> Score:
    """Compare each case's expected action with the agent's."""
    if len(advices) != len(cases.cases):
        raise ResonanceError(what=f"{len(advices)} answers for {len(cases.cases)} cases", where="score")
    outcomes = [
        {"id": c.id, "expect": c.expect, "got": a.action, "ok": a.action == c.expect, "risk": round(a.risk, 6)}
        for c, a in zip(cases.cases, advices, strict=True)
    ]
    return Score(agent, advices[0].model if advices else "", outcomes)


def _cases_dataset(session: Session, cases: Cases, agent: m.Agent, evaluator: m.Organisation) -> m.Dataset:
    code = f"agent-cases-{cases.scenario.lower()}"
    rows = session.scalars(select(m.Dataset).where(m.Dataset.code == code)).all()
    for row in rows:
        if row.fingerprint == cases.sha256:
            return row
    version = str(max((int(r.version) for r in rows if r.version.isdigit()), default=0) + 1)
    industry = session.get(m.Industry, agent.industry_id)
    scenario = session.get(m.Scenario, agent.scenario_id) if agent.scenario_id else None
    row = services.create(
        session,
        concept("datasets"),
        {
            "code": code,
            "version": version,
            "name_zh": f"{cases.scenario} 智能体场景测试用例",
            "name_en": f"{cases.scenario} agent scenario test cases",
            "description": f"{len(cases.cases)} readings → expected maintenance action ({cases.name})",
            "kind": "evaluation",
            "industry": industry.code if industry else agent.industry_id,
            "scenario": scenario.code if scenario else None,
            "owner": evaluator.code,
            "row_count": len(cases.cases),
        },
        where="agent test cases",
    )
    row.fingerprint = cases.sha256
    session.flush()
    return row


def store(session: Session, result: Score, cases: Cases, *, evaluator: str, actor: str = "space") -> m.EvaluationResult:
    """Record the score as a signed ``EvaluationResult`` (+ ledger event); returns the row."""
    from resonance.agents import leaderboard, registration
    from resonance.federation import model_store
    from resonance.ledger import chain
    from resonance.ledger import keys as space_keys
    from resonance.registry.references import resolve

    agent = registration.find(session, result.agent)
    org = resolve(session, m.Organisation, evaluator, where="evaluator")
    model = model_store.find(session, result.model)
    dataset = _cases_dataset(session, cases, agent, org)
    metrics = result.metrics()
    document = {
        "agent": agent.code,
        "model": f"{model.code}@{model.version}",
        "model_sha256": model.lineage.get("artifacts", {}).get("model.onnx", model.artifact_sha256 or ""),
        "dataset": f"{dataset.code}@{dataset.version}",
        "dataset_sha256": cases.sha256,
        "metrics": metrics,
        "code_version": resonance.__version__,
        "evaluated_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    row = m.EvaluationResult(
        model_id=model.id,
        dataset_id=dataset.id,
        evaluator_org_id=org.id,
        metrics=metrics,
        signature=space_keys.sign(leaderboard.signed_message(document)),
        model_sha256=document["model_sha256"],
        dataset_fingerprint=cases.sha256,
        code_version=resonance.__version__,
        document=document,
    )
    session.add(row)
    session.flush()
    chain.append(
        session,
        kind="agent.evaluated",
        subject=f"agent:{agent.code}",
        payload={**document, "evaluation": row.id, "outcomes": result.outcomes},
        actor=actor,
    )
    return row
