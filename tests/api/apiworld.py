"""Helpers of the API tests: a client wrapper with tokens, valid payloads, and a small two-sided world.

The world has two sides, ``a`` and ``b``: action entity ``ent-a`` / ``ent-b``, organisation ``org-a`` /
``org-b``, a dataset ``ds-a`` / ``ds-b`` owned by that organisation and a model ``mdl-a`` / ``mdl-b``
developed by it. Tokens bound to side ``a`` make side ``a`` "own" and side ``b`` "other".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from resonance import tokens
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction

INDUSTRY = "steel"
_serial = itertools.count(1)


def payload(concept: str, side: str, n: int | None = None) -> dict[str, Any]:
    """A valid create payload for ``concept`` whose org and entity fields all name side ``side``."""
    n = next(_serial) if n is None else n
    ent, org, ds, mdl = f"ent-{side}", f"org-{side}", f"ds-{side}", f"mdl-{side}"
    code = f"{concept[:3]}-{side}-{n}"
    name = f"{concept}{side}{n}号"
    return {
        "industries": {"code": code, "name_zh": f"行业{side}{n}"},  # refused: the 20 industries are fixed
        "entities": {"code": code, "name_zh": f"实体{side}{n}", "kind": "province"},
        "key-cities": {"entity": ent, "name_zh": f"城市{side}{n}"},
        "organisations": {"code": code, "name_zh": f"单位{side}{n}", "entity": ent},
        "spaces": {
            "code": code,
            "name_zh": f"空间{side}{n}",
            "entity": ent,
            "operator": org,
            "operator_type": "neutral_third_party",
        },
        "consortia": {"code": code, "name_zh": name, "entity": ent, "industry": INDUSTRY, "lead": org},
        "scenarios": {
            "code": code,
            "name_zh": name,
            "industry": INDUSTRY,
            "entity": ent,
            "stage": "production",
            "lead": org,
        },
        "datasets": {
            "code": code,
            "name_zh": name,
            "kind": "common",
            "industry": INDUSTRY,
            "entity": ent,
            "owner": org,
        },
        "models": {
            "code": code,
            "name_zh": name,
            "kind": "industry",
            "industry": INDUSTRY,
            "entity": ent,
            "developer": org,
        },
        "agents": {"code": code, "name_zh": name, "industry": INDUSTRY, "entity": ent, "organisation": org},
        "cases": {
            "code": code,
            "name_zh": name,
            "kind": "application",
            "industry": INDUSTRY,
            "entity": ent,
            "model": mdl,
            "organisation": org,
        },
        "contracts": {"dataset": ds, "consumer": org, "purpose": f"训练 {n}"},
        "jobs": {"kind": "training", "name": f"job {n}", "submitter": org},
        "evaluations": {"model": mdl, "dataset": ds, "evaluator": org, "metrics": {"f1": 0.5}},
        "data-demands": {"target": org, "industry": INDUSTRY, "slice_description": f"缺陷切片 {n}"},
        "reports": {"entity": ent, "kind": "plan", "title": f"实施方案 {n}"},
    }[concept]


@dataclass
class Api:
    client: TestClient
    registry: Any
    operator: dict[str, str] = field(default_factory=dict)

    def token(
        self, role: str, org: str | None = None, entity: str | None = None, days: int | None = None
    ) -> dict[str, str]:
        with transaction(self.registry.sessions) as session:
            _, secret = tokens.create_token(session, None, role, org=org, entity=entity, expires_in_days=days)
        return {"Authorization": f"Bearer {secret}"}

    def add(self, concept: str, data: dict[str, Any]) -> dict[str, Any]:
        """Create a row directly through the services (no API, no permissions)."""
        with transaction(self.registry.sessions) as session:
            row = services.create(session, CONCEPTS[concept], data)
            return services.read_one(session, CONCEPTS[concept], row)

    def count(self, concept: str) -> int:
        from sqlalchemy import func, select

        with self.registry.session() as session:
            return session.scalar(select(func.count()).select_from(CONCEPTS[concept].model)) or 0

    def get(self, url: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.get(url, headers=self.operator if headers is None else headers, **kw)

    def post(self, url: str, json: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(url, json=json, headers=self.operator if headers is None else headers)

    def patch(self, url: str, json: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(url, json=json, headers=self.operator if headers is None else headers)

    def delete(self, url: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(url, headers=self.operator if headers is None else headers)


def build_world(api: Api) -> None:
    for side, zh in (("a", "甲"), ("b", "乙")):
        api.add("entities", {"code": f"ent-{side}", "name_zh": f"{zh}省", "kind": "province", "industries": ["steel"]})
        api.add("organisations", {"code": f"org-{side}", "name_zh": f"{zh}钢铁公司", "entity": f"ent-{side}"})
        api.add(
            "datasets",
            {
                "code": f"ds-{side}",
                "name_zh": f"{zh}数据集",
                "kind": "common",
                "industry": INDUSTRY,
                "entity": f"ent-{side}",
                "owner": f"org-{side}",
            },
        )
        api.add(
            "models",
            {
                "code": f"mdl-{side}",
                "name_zh": f"{zh}模型",
                "kind": "industry",
                "industry": INDUSTRY,
                "entity": f"ent-{side}",
                "developer": f"org-{side}",
            },
        )


def error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "what", "where", "fix"} <= set(body["error"]), body
    return body["error"]
