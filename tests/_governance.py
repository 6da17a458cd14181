"""A small governance world for the policy, ledger and contract tests: one provider with a dataset served by a
node, two consumers, a scenario and a model of the same industry."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction

INDUSTRY = "steel"
NODE_ID = "node-aaaaaaaaaaaa"
FINGERPRINT = "sha256:" + "ab" * 32


def build(registry: Any, node_id: str = NODE_ID, fingerprint: str = FINGERPRINT) -> None:
    with transaction(registry.sessions) as session:
        add(session, "entities", {"code": "ent-g", "name_zh": "治理省", "kind": "province", "industries": [INDUSTRY]})
        for code, zh in (("prov-a", "甲钢铁"), ("cons-a", "乙模型"), ("cons-b", "丙模型")):
            add(session, "organisations", {"code": code, "name_zh": zh, "entity": "ent-g"})
        add(
            session,
            "scenarios",
            {"code": "sc-1", "name_zh": "轧机故障预测", "industry": INDUSTRY, "entity": "ent-g", "stage": "production"},
        )
        add(
            session,
            "scenarios",
            {"code": "sc-2", "name_zh": "能耗优化", "industry": INDUSTRY, "entity": "ent-g", "stage": "production"},
        )
        add(
            session,
            "models",
            {"code": "mdl-1", "name_zh": "钢铁模型", "kind": "industry", "industry": INDUSTRY, "developer": "cons-a"},
        )
        ds = add(
            session,
            "datasets",
            {"code": "ds-1", "name_zh": "轧机数据", "kind": "common", "industry": INDUSTRY, "owner": "prov-a"},
        )
        ds.node_id, ds.fingerprint = node_id, fingerprint
        add(
            session,
            "datasets",
            {"code": "ds-2", "name_zh": "无节点数据", "kind": "common", "industry": INDUSTRY, "owner": "prov-a"},
        )


def add(session: Session, concept: str, data: dict[str, Any]) -> Any:
    row = services.create(session, CONCEPTS[concept], data)
    session.flush()
    return row


def dataset(session: Session, code: str = "ds-1") -> m.Dataset:
    from sqlalchemy import select

    return session.scalars(select(m.Dataset).where(m.Dataset.code == code)).one()
