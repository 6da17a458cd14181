"""``resonance eval`` end to end with real processes: the space API, the evaluator's node agent (`resonance node
serve`) which runs the model on its own rows, and the CLI which records the evaluation and shows the verified
result. Also: the CLI's refusals."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from _evalworld import EVAL_DATASET, build, make_model
from _server import RESONANCE, running_space
from resonance.ledger import chain


def cli(*args: str, home: Path, db: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESONANCE_HOME": str(home), "RESONANCE_DATABASE_URL": db}
    env.pop("RESONANCE_NODE_HOME", None)
    return subprocess.run([str(RESONANCE), *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_eval_run_goes_to_the_evaluators_node_and_shows_the_verified_result(sqlite_registry, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "space"))
    from resonance.settings import get_settings

    get_settings.cache_clear()
    world = build(sqlite_registry, tmp_path)
    sha = make_model(world, "mt-a")
    db = sqlite_registry.url
    with running_space(db, world.space_home, timeout=240) as base:
        config = world.node_home.load()
        config.space_url = base
        world.node_home.save(config)
        log = (tmp_path / "node-serve.log").open("wb")
        agent = subprocess.Popen(
            [str(RESONANCE), "node", "serve", "--home", str(world.node_home.path), "--interval", "1",
             "--no-federation"],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "RESONANCE_HOME": str(world.space_home)},
        )  # fmt: skip
        try:
            done = cli("eval", "run", "mt-a", "--on", EVAL_DATASET, "--json", "--bootstrap", "100",
                       home=world.space_home, db=db)  # fmt: skip
            assert done.returncode == 0, done.stderr
            outcome = json.loads(done.stdout)
            shown = cli("eval", "status", str(outcome["id"]), home=world.space_home, db=db)
        finally:
            agent.terminate()
            agent.wait(timeout=30)
    result = outcome["result"]
    assert outcome["status"] == "completed" and result["signature_verified"] is True
    assert result["model_sha256"] == sha and result["node"] == world.node_id and result["rows"] == 800
    auc = result["metrics"]["auc"]
    assert 0.5 < auc["value"] <= 1 and auc["low"] <= auc["value"] <= auc["high"]
    assert {"f1", "recall_at_precision", "recall"} <= set(result["metrics"])
    assert result["slices"], "the diagnosis found no slice"
    for found in result["slices"]:
        assert found["n"] >= 30 and found["description"]["en"] and found["description"]["zh"]
        assert found["error_ratio"] > 1
    assert "verified" in shown.stdout and "auc" in shown.stdout
    node_log = (tmp_path / "node-serve.log").read_text(errors="replace")
    assert "signed result sent" in node_log
    with world.sessions() as s:
        assert [e.kind for e in chain.events(s, kind="evaluation.")] == ["evaluation.requested", "evaluation.result"]
        assert chain.verify(s).ok
    # what left the node is aggregates: no row of the evaluation data appears in the stored result
    stored = json.dumps(result)
    assert "UDI" not in stored and "Product ID" not in stored


def test_eval_run_refusals_are_one_clear_line(sqlite_registry, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "space"))
    from resonance.settings import get_settings

    get_settings.cache_clear()
    world = build(sqlite_registry, tmp_path)
    make_model(world, "mt-a", rows=600, rounds=1)
    db = sqlite_registry.url
    unknown = cli("eval", "run", "nope", "--on", EVAL_DATASET, home=world.space_home, db=db)
    assert unknown.returncode == 1 and "nope" in unknown.stderr and "Traceback" not in unknown.stderr
    other = cli("eval", "run", "mt-a", "--on", EVAL_DATASET, "--evaluator", "eval-b", home=world.space_home, db=db)
    assert other.returncode == 1 and "not the evaluator" in other.stderr
    waited = time.monotonic()
    timed = cli("eval", "run", "mt-a", "--on", EVAL_DATASET, "--timeout", "1", home=world.space_home, db=db)
    assert timed.returncode == 1 and "node serve" in timed.stderr
    assert time.monotonic() - waited < 120
    listed = json.loads(cli("eval", "list", "--json", home=world.space_home, db=db).stdout)
    assert [(r["model"], r["status"]) for r in listed] == [("mt-a@1", "queued")]
