"""The demo's agent act: after the federated model is registered, a scenario agent uses it through MCP.

``run_agent(home, database_url)`` works on a demo space (``resonance demo`` builds one; the world's registry
and home): model-co registers its predictive-maintenance agent with a signed A2A card (its Ed25519 key in
model-co's home, ``<home>/orgs/model-co/agents/…``), the space's MCP server starts as its own process
(streamable HTTP on 127.0.0.1), the agent diagnoses example readings by calling the federated model through
a real MCP client session, and it is scored on the scenario's test cases; the score is stored as a signed
evaluation result, so it shows on the leaderboard. Every process it starts is stopped before it returns.
Call it with this process's settings pointed at the space home (``demo.world.space_home(home)``): the ledger
events and the result are signed with that space's key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

AGENT = "mt-maintenance"
DEVELOPER = "model-co"
EVALUATOR = "evaluator"
EXAMPLES = ("worn-tool", "poor-heat-dissipation", "overstrain-2", "nominal-mid-life")


def card(model: str) -> dict[str, Any]:
    """The bundled maintenance card, naming the model version the agent uses."""
    text = resources.files("resonance.agents").joinpath("data/maintenance-card.json").read_text("utf-8")
    data = json.loads(text)
    data["capabilities"]["extensions"][0]["params"]["models"] = [model]
    return data


def run_agent(
    home: Path,
    database_url: str,
    *,
    model: str = "mt-failure",
    evaluator: str = EVALUATOR,
    step: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Register, serve, diagnose, score; returns a JSON-able summary (see the module docstring)."""
    from sqlalchemy import select

    from resonance import tokens
    from resonance.agents import _process, cards, keys, leaderboard, maintenance, registration, scoring
    from resonance.federation import model_store
    from resonance.registry import models as m
    from resonance.registry.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        with transaction(sessions) as session:
            found = model_store.find(session, model)
            version = f"{found.code}@{found.version}"
            _, secret = tokens.create_token(session, "demo agent", "developer", org=DEVELOPER)
        step(f"{DEVELOPER}: signs its agent's A2A card (Ed25519) and registers it for {version}")
        key = keys.ensure_key(keys.default_key_path(AGENT, home / "orgs" / DEVELOPER))
        signed = cards.sign(card(version), key)
        with transaction(sessions) as session:
            principal = tokens.verify(session, secret)
            existing = session.scalars(select(m.Agent).where(m.Agent.code == AGENT)).first()
            row = (
                registration.update(session, principal, AGENT, signed)
                if existing is not None
                else registration.register(session, principal, signed)
            )
            view = registration.view(session, row)
        step("the space's MCP server starts (streamable HTTP); the agent calls the federated model through it")
        server = _process.start_http(home, database_url)
        try:
            cases = scoring.load(scenario="JS-MT-01")
            readings = [c.reading for c in cases.cases]
            connect = maintenance.http_connection(server.url, secret)
            advices = maintenance.run_sync(connect, version, readings)
        finally:
            server.stop()
        result = scoring.score(AGENT, cases, advices)
        step(f"scenario test cases: {result.correct}/{len(cases.cases)} actions as expected; stored for leaderboards")
        with transaction(sessions) as session:
            stored = scoring.store(session, result, cases, evaluator=evaluator, actor=f"demo ({DEVELOPER})")
            board = [
                r
                for r in leaderboard.rows(session, metric="action_accuracy")
                if r.get("evaluation") == stored.id or r.get("subject") == f"agent:{AGENT}"
            ]
        examples = [
            {"case": c.id, "reading": c.reading, **a.as_dict()}
            for c, a in zip(cases.cases, advices, strict=True)
            if c.id in EXAMPLES
        ]
        return {
            "agent": AGENT,
            "kid": view["kid"],
            "model": version,
            "examples": examples,
            "score": result.metrics(),
            "outcomes": result.outcomes,
            "evaluation": stored.id,
            "leaderboard": board,
        }
    finally:
        engine.dispose()
