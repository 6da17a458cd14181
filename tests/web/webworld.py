"""The web tests' world: the demo's seeded registry plus what the pages show beyond it.

Beside ``resonance.demo.seed``: a published profile and quality report for ``ai4i-l`` (computed by the real
node pipeline on the bundled data), two contracts (model-co ↔ mill-l, model-co ↔ steel-a), a running job with
two rounds on the ledger, per-round metrics and lineage on the model ``mt-failure``, and one token per role
(plus an expired and a revoked one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance import tokens
from resonance.demo.bundled import ai4i_parts
from resonance.demo.seed import seed
from resonance.ledger import chain
from resonance.node.pipeline import analyse, published_profile
from resonance.node.sources import open_source
from resonance.registry import models as m

ROLES: dict[str, dict[str, str]] = {
    "operator": {},
    "viewer": {},
    "provider": {"org": "mill-l"},
    "other_provider": {"org": "mill-m"},
    "developer": {"org": "model-co"},
    "authority": {"entity": "jiangsu"},
}


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)
    job_id: int = 0
    contract_ids: dict[str, int] = field(default_factory=dict)


@cache
def ai4i_l_analysis(workdir: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(published profile, quality report, fingerprint) of the bundled AI4I type-L part, by the node pipeline."""
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ai4i-l.csv"
    ai4i_parts()["L"].to_csv(path, index=False)
    with open_source(path, workdir=folder) as source:
        result = analyse(source)
    profile = result.profile.as_dict()
    return published_profile(profile), result.quality.as_dict(), profile["fingerprint"]


def _id(session: Session, model: type[m.Base], code: str) -> int:
    return session.scalars(select(model.id).where(model.code == code)).one()


def build(session: Session, workdir: Path) -> World:
    world = World()
    seed(session)
    profile, quality, fingerprint = ai4i_l_analysis(str(workdir))
    ds = session.scalars(select(m.Dataset).where(m.Dataset.code == "ai4i-l")).one()
    ds.profile, ds.quality, ds.fingerprint = profile, quality, fingerprint
    ds.quality_score, ds.quality_grade = quality["overall"], quality["grade"]
    ds.grading = {"level": {"key": "general"}, "officer": "王工", "decided_at": "2026-06-01T08:00:00+00:00"}
    ds.published_at = datetime(2026, 6, 1, 8, tzinfo=UTC)

    steel = session.scalars(select(m.Dataset).where(m.Dataset.code == "steel-common-1")).one()
    for label, dataset, provider in (("mill", ds, "mill-l"), ("steel", steel, "steel-a")):
        contract = m.Contract(
            dataset_id=dataset.id,
            provider_org_id=_id(session, m.Organisation, provider),
            consumer_org_id=_id(session, m.Organisation, "model-co"),
            purpose="JS-MT-01",
            state="FINALIZED" if label == "mill" else "REQUESTED",
            operations=["federatedTrain"],
            max_rounds=100,
            signatures=[{"step": "request", "party": "consumer", "at": "2026-06-02T08:00:00+00:00"}],
            policy={"@type": "Agreement", "permission": [{"action": "federatedTrain"}]},
        )
        session.add(contract)
        session.flush()
        world.contract_ids[label] = contract.id
        chain.append(
            session, kind="contract.requested", subject=f"contract:{contract.id}", payload={}, actor="model-co"
        )

    job = m.Job(
        kind="training",
        name="mt-failure federated",
        submitter_org_id=_id(session, m.Organisation, "model-co"),
        status="running",
        rounds_total=5,
        rounds_done=2,
        spec={"task": {"family": "mlp"}},
    )
    session.add(job)
    session.flush()
    world.job_id = job.id
    for n in (1, 2):
        add_round(session, job.id, n)

    model = session.scalars(select(m.ModelVersion).where(m.ModelVersion.code == "mt-failure")).one()
    model.metrics = {
        "final": {"accuracy": 0.97, "loss": 0.09},
        "rounds": [{"round": n, "metrics": {"accuracy": 0.9 + n / 100, "loss": 0.3 - n / 50}} for n in range(1, 6)],
    }
    model.lineage = {"datasets": [{"code": "ai4i-l", "fingerprint": fingerprint}], "contracts": [1], "rounds": 5}

    for role, binding in ROLES.items():
        _, secret = tokens.create_token(session, f"web {role}", role.replace("other_", ""), **binding)
        world.tokens[role] = secret
    row, secret = tokens.create_token(session, "web expired", "viewer", expires_in_days=1)
    row.expires_at = datetime.now(UTC) - timedelta(days=1)
    world.tokens["expired"] = secret
    row, secret = tokens.create_token(session, "web revoked", "operator")
    row.revoked_at = datetime.now(UTC)
    world.tokens["revoked"] = secret
    session.flush()
    return world


def add_round(session: Session, job_id: int, n: int) -> None:
    """What the space records for one finished round: the job row and a ``job.round`` ledger event."""
    job = session.get(m.Job, job_id)
    assert job is not None
    job.rounds_done = max(job.rounds_done, n)
    chain.append(
        session,
        kind="job.round",
        subject=f"job:{job_id}",
        payload={"round": n, "nodes": ["n1", "n2"], "metrics": {"accuracy": 0.8 + n / 50, "loss": 0.5 - n / 20}},
        actor="space",
    )
