"""A job with categorical and derived features, submitted at the space (no processes): the vocabulary comes
from the published profiles and travels in the plan; a column nobody published is refused, nothing recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from resonance.demo.bundled import AI4I_FEATURES
from resonance.demo.nodes import run_nodes
from resonance.demo.seed import seed
from resonance.errors import ResonanceError
from resonance.federation import jobs
from resonance.federation.jobspec import parse_job
from resonance.federation.participant import task_spec
from resonance.policy import contracts
from resonance.registry import models as m
from resonance.registry.db import make_engine, make_sessionmaker, transaction, upgrade


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("space")
    url = f"sqlite:///{home / 'registry.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    made = make_sessionmaker(engine)
    with transaction(made) as session:
        seed(session)
        summaries = run_nodes(session, home / "nodes")
        for summary in summaries:
            contract = contracts.request(
                session,
                dataset=summary["dataset"],
                consumer="model-co",
                purpose="JS-MT-01",
                actor="test",
                max_rounds=100,
                min_nodes=2,
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
            for step, party in (("offer", "provider"), ("accept", "consumer"), ("agree", "provider"),
                                ("verify", "consumer"), ("finalize", "provider")):  # fmt: skip
                contracts.transition(session, contract.id, step, party=party, actor="test")
    yield made
    engine.dispose()


def _job(task_extra: dict) -> dict:
    return {
        "consumer": "model-co",
        "purpose": "JS-MT-01",
        "datasets": ["ai4i-l", "ai4i-m", "ai4i-h"],
        "model": {"code": "mt-failure", "name_zh": "机床故障预测行业模型", "industry": "machine_tools"},
        "task": {"task": "classification", "target": "Machine failure", "family": "logistic", **task_extra},
        "training": {"rounds": 2},
    }


def test_the_plan_carries_the_vocabulary_built_from_published_top_values(sessions):
    spec = parse_job(
        _job({"features": ["Type", *AI4I_FEATURES], "categorical": ["Type"],
              "derived": {"power": '"Torque [Nm]" * "Rotational speed [rpm]" * pi / 30'}})
    )  # fmt: skip
    with transaction(sessions) as session:
        job, plan = jobs.submit(session, spec, actor="test")
        recorded = job.spec["plan"]["task"]
    assert "vocabularies" not in spec.task  # the job file did not give one: the space built it
    assert sorted(plan.task["vocabularies"]["Type"]) == ["H", "L", "M"]
    assert plan.task["vocabularies"]["Type"][0] == "L"  # most frequent first (6000 L rows)
    assert recorded["vocabularies"] == plan.task["vocabularies"]
    node_spec = task_spec(plan)  # what every node decodes from the plan
    assert node_spec.inputs()[-4:] == ["power", "Type=L", "Type=M", "Type=H"] and node_spec.n_inputs == 9


def test_a_categorical_column_nobody_published_is_refused_whole(sessions):
    with transaction(sessions) as session:
        before = session.scalar(select(func.count(m.Job.id)))
    spec = parse_job(_job({"features": ["Product ID", *AI4I_FEATURES], "categorical": ["Product ID"]}))
    with pytest.raises(ResonanceError) as caught, transaction(sessions) as session:
        jobs.submit(session, spec, actor="test")
    assert caught.value.code in ("no_vocabulary", "missing_column")
    with transaction(sessions) as session:
        assert session.scalar(select(func.count(m.Job.id))) == before


def test_a_bad_derived_feature_is_refused_at_parse(sessions):
    with pytest.raises(ResonanceError, match="column 'Type' is not one of the job's numeric features") as caught:
        parse_job(_job({"features": ["Type", *AI4I_FEATURES], "categorical": ["Type"], "derived": {"x": '"Type"'}}))
    assert caught.value.code == "invalid_job"
