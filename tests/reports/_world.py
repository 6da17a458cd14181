"""A small action world for the report tests: a province part-way through the action (two industries, every
kind of list row, a key city, one ledger event) and a central enterprise with nothing registered."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.ledger import chain
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS

TODAY = date(2026, 8, 20)
EVIDENCED = "dataset:zj-common-0@1"  # the one list row with a ledger event


def _add(session: Session, concept: str, data: dict[str, Any]) -> Any:
    row = services.create(session, CONCEPTS[concept], data)
    session.flush()
    return row


def build_world(session: Session) -> None:
    _add(
        session,
        "entities",
        {
            "code": "zj",
            "name_zh": "浙江省",
            "name_en": "Zhejiang",
            "kind": "province",
            "industries": ["钢铁", "工业母机"],
            "description": "钢铁与工业母机产业基础雄厚",
        },
    )
    _add(
        session,
        "entities",
        {"code": "empty-ce", "name_zh": "空白集团", "name_en": "Empty Group", "kind": "central_enterprise"},
    )
    _add(session, "key-cities", {"entity": "zj", "name_zh": "宁波市", "name_en": "Ningbo"})
    orgs = (
        ("zj-op", "浙江空间运营中心", "Zhejiang Space Operator", ["第三方中立机构"]),
        ("zj-steel", "甬钢集团", "Yong Steel", ["数据企业"]),
        ("zj-model", "之江模型公司", "Zhijiang Models", ["模型企业"]),
        ("zj-eval", "浙江评测中心", "Zhejiang Evaluation Centre", ["专业评测机构"]),
        ("zj-app", "宁波机床厂", "Ningbo Machine Works", ["应用企业"]),
    )
    for code, zh, en, roles in orgs:
        _add(session, "organisations", {"code": code, "name_zh": zh, "name_en": en, "entity": "zj", "roles": roles})
    for n, name in enumerate(("轧钢过程数据集", "高炉炉况数据集")):
        _add(
            session,
            "datasets",
            {
                "code": f"zj-common-{n}",
                "name_zh": name,
                "name_en": f"Steel common dataset {n}",
                "kind": "common",
                "industry": "steel",
                "entity": "zj",
                "owner": "zj-steel",
                "row_count": 1000 + n,
                "column_count": 12,
                "status": "published",
            },
        )
    _add(
        session,
        "scenarios",
        {
            "code": "ZJ-ST-01",
            "name_zh": "带钢表面缺陷检测",
            "name_en": "Strip surface defects",
            "industry": "steel",
            "entity": "zj",
            "stage": "production",
            "lead": "zj-steel",
        },
    )
    _add(
        session,
        "datasets",
        {
            "code": "zj-spec-0",
            "name_zh": "缺陷图谱专识数据集",
            "kind": "specialised",
            "industry": "steel",
            "entity": "zj",
            "owner": "zj-steel",
            "scenario": "ZJ-ST-01",
        },
    )
    _add(
        session,
        "datasets",
        {
            "code": "zj-eval-0",
            "name_zh": "钢铁评测数据集",
            "kind": "evaluation",
            "industry": "steel",
            "entity": "zj",
            "owner": "zj-eval",
        },
    )
    _add(
        session,
        "models",
        {
            "code": "zj-steel-model",
            "name_zh": "钢铁行业模型",
            "name_en": "Steel industry model",
            "kind": "industry",
            "industry": "steel",
            "entity": "zj",
            "developer": "zj-model",
        },
    )
    for n in range(2):
        _add(
            session,
            "cases",
            {
                "code": f"zj-case-{n}",
                "name_zh": f"钢铁模型应用案例{n}",
                "name_en": f"Steel model case {n}",
                "kind": "application",
                "industry": "steel",
                "entity": "zj",
                "model": "zj-steel-model",
                "organisation": "zj-app",
                "effect": "缺陷漏检率下降30%" if n == 0 else "",
                "go_live_on": "2026-07-01",
            },
        )
    _add(
        session,
        "spaces",
        {
            "code": "zj-space",
            "name_zh": "浙江钢铁模数共振空间",
            "entity": "zj",
            "operator": "zj-op",
            "operator_type": "第三方中立机构",
            "industries": ["钢铁"],
            "members": [
                {"organisation": "zj-op", "role": "operator"},
                {"organisation": "zj-steel", "role": "provider"},
            ],
        },
    )
    _add(
        session,
        "consortia",
        {
            "code": "zj-consortium",
            "name_zh": "浙江钢铁创新联合体",
            "entity": "zj",
            "industry": "钢铁",
            "lead": "zj-model",
            "members": [
                {"organisation": "zj-steel", "role": "data"},
                {"organisation": "zj-app", "role": "application"},
            ],
        },
    )
    entity = session.scalars(select(m.ActionEntity).where(m.ActionEntity.code == "zj")).one()
    steel = session.scalars(select(m.Industry).where(m.Industry.code == "steel")).one()
    org = session.scalars(select(m.Organisation).where(m.Organisation.code == "zj-model")).one()
    session.add(
        m.Agent(code="zj-agent", name_zh="排产智能体", industry_id=steel.id, entity_id=entity.id, org_id=org.id)
    )
    chain.append(session, kind="dataset.published", subject=EVIDENCED, payload={"rows": 1000}, actor="test")
