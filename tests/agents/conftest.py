"""A small machine-tool space for the agent tests: organisations, scenario JS-MT-01, and a failure model trained
in-process on the bundled AI4I data and published with ``model_store.publish`` (no Flower), ONNX included."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from resonance import tokens
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction
from resonance.settings import get_settings

CARD = Path(__file__).resolve().parents[2] / "src" / "resonance" / "agents" / "data" / "maintenance-card.json"
MODEL = "mt-failure"


def card_data(**facts: Any) -> dict[str, Any]:
    """The bundled example card, with Resonance extension params overridden by ``facts``."""
    data = json.loads(CARD.read_text(encoding="utf-8"))
    data["capabilities"]["extensions"][0]["params"].update(facts)
    return data


@pytest.fixture(scope="session")
def trained() -> dict[str, Any]:
    """An AI4I failure model and its task spec, trained once per run: the logistic preset (the demo's MLP takes
    minutes on a busy two-core machine; the agent only needs a model that ranks risk sensibly)."""
    from resonance.demo.bundled import ai4i_parts
    from resonance.federation.learning import TaskSpec, load_local, preset
    from resonance.federation.learning.baselines import centralized

    spec = TaskSpec(**preset("ai4i-logistic")["task"])
    parts = [load_local(frame, spec, name=f"ai4i-{t}") for t, frame in ai4i_parts().items()]
    outcome = centralized(parts, spec, rounds=5)
    return {"spec": spec, "outcome": outcome, "parts": parts}


@dataclass
class Space:
    registry: Any
    home: Path
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.registry.url

    def token(self, role: str, org: str | None = None) -> str:
        key = f"{role}:{org}"
        if key not in self.secrets:
            with transaction(self.registry.sessions) as session:
                _, secret = tokens.create_token(session, None, role, org=org)
            self.secrets[key] = secret
        return self.secrets[key]

    def env(self) -> dict[str, str]:
        return {"RESONANCE_HOME": str(self.home), "RESONANCE_DATABASE_URL": self.url}


def _add(session: Any, concept: str, payload: dict[str, Any]) -> Any:
    return services.create(session, CONCEPTS[concept], payload, where="test")


def build(registry: Any, trained: dict[str, Any], tmp_path: Path) -> Space:
    from resonance.federation import model_store

    home = get_settings().home
    with transaction(registry.sessions) as session:
        _add(
            session,
            "entities",
            {"code": "js", "name_zh": "江苏省", "kind": "province", "industries": ["machine_tools"]},
        )
        for code, name in [
            ("model-co", "金陵工业智能"),
            ("other-co", "别家智能"),
            ("evaluator", "评测中心"),
            ("mill-l", "苏锡机床"),
        ]:
            _add(session, "organisations", {"code": code, "name_zh": name, "entity": "js"})
        _add(
            session,
            "scenarios",
            {
                "code": "JS-MT-01",
                "name_zh": "机床故障诊断与预测性维护",
                "industry": "machine_tools",
                "entity": "js",
                "stage": "operations_management",
                "lead": "model-co",
            },
        )
        _add(
            session,
            "datasets",
            {
                "code": "ai4i-l",
                "name_zh": "铣削加工记录",
                "kind": "common",
                "industry": "machine_tools",
                "owner": "mill-l",
            },
        )
        spec = trained["spec"]
        job_spec = {
            "consumer": "model-co",
            "model": {"code": MODEL, "name_zh": "机床故障预测", "industry": "machine_tools", "scenario": "JS-MT-01"},
            "task": spec.model_dump(mode="json"),
        }
        # through the registry (so that search indexes it: only its parties and the operator may find it)
        job = _add(session, "jobs", {"kind": "training", "name": "测试作业 test job", "submitter": "model-co"})
        job.status, job.spec = "completed", job_spec
        session.flush()
        out = tmp_path / "job-out"
        out.mkdir()
        outcome = trained["outcome"]
        np.savez(out / "model.npz", *outcome.arrays, **outcome.standardiser.to_arrays())
        model = model_store.publish(
            session,
            space_home=home,
            job=job,
            spec=job_spec,
            result={"final": outcome.metrics},
            out=out,
            lineage={"datasets": [], "rounds": 3},
        )
        assert model.version  # the newest mt-failure
    return Space(registry, home)


@pytest.fixture
def space(sqlite_registry: Any, trained: dict[str, Any], tmp_path: Path) -> Any:
    found = build(sqlite_registry, trained, tmp_path)
    yield found
    shutil.rmtree(found.home / "artifacts" / "models" / MODEL, ignore_errors=True)


@pytest.fixture
def agent_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def any_space(registry: Any, trained: dict[str, Any], tmp_path: Path) -> Any:
    """The same space on SQLite and on PostgreSQL (``registry`` is parametrised over both backends)."""
    found = build(registry, trained, tmp_path)
    yield found
    shutil.rmtree(found.home / "artifacts" / "models" / MODEL, ignore_errors=True)
