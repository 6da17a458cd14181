"""``resonance job`` and ``resonance model download`` through the real typer app, on a seeded SQLite registry:
bad input is refused with what, where and how to fix it, and nothing is recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

import resonance.cli.app as cli_app
from resonance.cli._common import console, err_console
from resonance.demo.seed import seed
from resonance.registry import models as m
from resonance.registry.db import make_engine, make_sessionmaker, transaction, upgrade
from resonance.settings import get_settings

runner = CliRunner()

JOB = """
consumer = "model-co"
purpose = "JS-MT-01"
datasets = ["ai4i-l", "ai4i-m"]

[model]
code = "mt-failure"
name_zh = "机床故障预测行业模型"
industry = "machine_tools"

[task]
task = "classification"
target = "Machine failure"
features = ["Air temperature [K]", "Torque [Nm]"]

[training]
rounds = 2
"""


def run(*args: str) -> Any:
    if not any(group.name == "job" for group in cli_app.app.registered_groups):
        cli_app._mount()
    return runner.invoke(cli_app.app, list(args))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("RESONANCE_HOME", str(home))
    monkeypatch.delenv("RESONANCE_DATABASE_URL", raising=False)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    home.mkdir()
    url = f"sqlite:///{home / 'registry.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        seed(session)
    engine.dispose()
    yield home
    get_settings.cache_clear()


def jobs_recorded(home: Path) -> int:
    engine = make_engine(f"sqlite:///{home / 'registry.sqlite'}")
    with make_sessionmaker(engine)() as session:
        count = session.scalar(select(func.count(m.Job.id)))
    engine.dispose()
    return int(count or 0)


def test_submit_refuses_a_gbk_file_and_a_bad_field(home: Path, tmp_path: Path) -> None:
    gbk = tmp_path / "JOB.toml"
    gbk.write_bytes(JOB.encode("gbk"))
    result = run("job", "submit", str(gbk))
    assert result.exit_code == 1 and "not UTF-8" in result.output and "iconv" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(JOB.replace("rounds = 2", "rounds = -3"), encoding="utf-8")
    result = run("job", "submit", str(bad))
    assert result.exit_code == 1 and "training.rounds" in result.output
    assert jobs_recorded(home) == 0


def test_submit_without_contracts_is_refused_whole(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "JOB.toml"
    path.write_text(JOB, encoding="utf-8")
    result = run("job", "submit", str(path))
    assert result.exit_code == 1, result.output
    assert (
        "the job cannot run" in result.output and "ai4i-l" in result.output and "nothing was recorded" in result.output
    )
    assert jobs_recorded(home) == 0


def test_unknown_jobs_and_models_are_named(home: Path) -> None:
    for args in (("job", "status", "999"), ("job", "logs", "999"), ("job", "cancel", "999"), ("job", "run", "999")):
        result = run(*args)
        assert result.exit_code == 1 and "999" in result.output, (args, result.output)
    result = run("model", "download", "no-such-model")
    assert result.exit_code == 1 and "no-such-model" in result.output and "resonance model list" in result.output
    result = run("model", "download", "mt-failure", "--format", "pickle")
    assert result.exit_code == 1 and "npz or onnx" in result.output


def test_a_job_added_by_hand_cannot_run(home: Path) -> None:
    """The registry's generic `job add` records a row; only `job submit` plans (and so checks) a job."""
    added = run("job", "add", "--data", json.dumps({"kind": "training", "submitter": "model-co"}), "--json")
    assert added.exit_code == 0, added.output
    job_id = json.loads(added.output)["id"]
    result = run("job", "run", str(job_id))
    assert result.exit_code == 1 and "no plan" in result.output and "resonance job submit" in result.output


def test_contribution_is_shown_per_provider_and_absent_ones_say_why(home: Path) -> None:
    found = {
        "available": True,
        "method": "shapley_exact_per_round",
        "players": ["node-a", "node-b"],
        "orgs": {"node-a": "mill-l", "node-b": "mill-h"},
        "shapley": {"node-a": 0.03, "node-b": 0.01},
        "leave_one_out": {"node-a": 0.02, "node-b": 0.0},
        "share": {"node-a": 0.75, "node-b": 0.25},
        "gain": 0.04,
        "rounds": 3,
        "evaluations": 12,
        "trainings": 0,
    }
    engine = make_engine(f"sqlite:///{home / 'registry.sqlite'}")
    with transaction(make_sessionmaker(engine)) as session:
        org = session.scalars(select(m.Organisation.id).where(m.Organisation.code == "model-co")).one()
        done = m.Job(kind="training", submitter_org_id=org, status="completed", spec={"contribution": found})
        hidden = {"available": False, "reason": "SecAgg+ hides each node's update"}
        secure = m.Job(kind="training", submitter_org_id=org, status="completed", spec={"contribution": hidden})
        session.add_all([done, secure])
        session.flush()
        ids = done.id, secure.id
    engine.dispose()
    shown = run("job", "contribution", str(ids[0]))
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    first = next(i for i, line in enumerate(lines) if "node-a" in line)
    assert "mill-l" in lines[first] and "+0.0300" in lines[first] and "75%" in lines[first]
    assert first < next(i for i, line in enumerate(lines) if "node-b" in line)  # largest contribution first
    assert "0 retrained" in shown.output
    as_json = json.loads(run("job", "contribution", str(ids[0]), "--json").output)
    assert as_json["shapley"] == found["shapley"] and as_json["status"] == "completed"
    hidden = run("job", "contribution", str(ids[1]))
    assert hidden.exit_code == 0 and "SecAgg+" in hidden.output
    unknown = run("job", "contribution", "999")
    assert unknown.exit_code == 1 and "999" in unknown.output
