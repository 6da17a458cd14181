"""Seed the demo's example registry: a province and a central enterprise part-way through the action.

The fixed parts come from ``data/example_registry.yaml``; datasets, scenarios, models and cases are built
here because their numbers derive from the bundled AI4I data and from the reference scenario examples.
"""

from __future__ import annotations

from collections import Counter
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.demo.bundled import ai4i_shape_by_type
from resonance.registry import models as m
from resonance.registry import reference_scenarios, services
from resonance.registry.concepts import CONCEPTS

MACHINE_TOOL_SCENARIOS = [
    ("数控机床刀具磨损预测与换刀决策", "Tool-wear prediction and tool-change decisions", "production"),
    ("主轴热误差建模与实时补偿", "Spindle thermal-error modelling and compensation", "production"),
    ("加工过程颤振在线识别与抑制", "Online chatter detection and suppression", "production"),
    ("机床故障诊断与预测性维护", "Machine-tool fault diagnosis and predictive maintenance", "operations_management"),
    ("数控程序工艺参数智能优化", "CNC process-parameter optimisation", "rd_design"),
    ("整机装配精度一致性检测", "Assembly-accuracy consistency inspection", "pilot_verification"),
    ("售后远程运维知识问答", "After-sales remote maintenance Q&A", "marketing_service"),
    ("多品种小批量柔性排产", "Flexible scheduling for high-mix low-volume machining", "operations_management"),
]


def _example() -> dict[str, list[dict[str, Any]]]:
    text = resources.files("resonance.demo").joinpath("data/example_registry.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _add(session: Session, concept: str, payload: dict[str, Any]) -> Any:
    return services.create(session, CONCEPTS[concept], payload, where=f"demo {concept}")


def seed(session: Session) -> Counter[str]:
    """Insert the example world into an empty registry; returns how many rows of each concept were added."""
    added: Counter[str] = Counter()
    example = _example()
    for concept in ("entities", "organisations", "key-cities", "spaces", "consortia", "reports"):
        for payload in example.get(concept, []):
            _add(session, concept, payload)
            added[concept] += 1

    shapes = ai4i_shape_by_type()
    for product_type, org in (("L", "mill-l"), ("M", "mill-m"), ("H", "mill-h")):
        shape = shapes[product_type]
        _add(
            session,
            "datasets",
            {
                "code": f"ai4i-{product_type.lower()}",
                "name_zh": f"铣削加工过程故障数据集（{product_type}型产品）",
                "name_en": f"Milling process failures, product type {product_type} (AI4I 2020)",
                "description": f"AI4I 2020 中 {product_type} 型产品的 {shape['rows']} 条加工记录："
                f"空气/过程温度、转速、扭矩、刀具磨损与故障标签（其中 {shape['failures']} 条故障）。"
                "数据留在提供方节点，仅登记元数据。",
                "kind": "行业通识",
                "industry": "工业母机",
                "entity": "jiangsu",
                "owner": org,
                "category": "生产运行",
                "data_format": "CSV",
                "licence": "CC BY 4.0",
                "row_count": shape["rows"],
                "column_count": shape["columns"],
                "status": "published",
            },
        )
        added["datasets"] += 1
    for n, (zh, en, about) in enumerate(
        [
            (
                "热轧带钢表面缺陷图谱数据集",
                "Hot-rolled strip surface-defect dataset",
                "轧钢产线热轧带钢表面缺陷图像及标注（示例）",
            ),
            (
                "高炉炉温与炉况时序数据集",
                "Blast-furnace temperature time series",
                "高炉炉温、风量与炉况时序记录（示例）",
            ),
            ("转炉终点碳温数据集", "BOF end-point carbon and temperature", "转炉冶炼终点碳含量与钢水温度（示例）"),
        ],
        start=1,
    ):
        _add(
            session,
            "datasets",
            {
                "code": f"steel-common-{n}",
                "name_zh": zh,
                "name_en": en,
                "description": about,
                "kind": "common",
                "industry": "steel",
                "entity": "jiangsu",
                "owner": "steel-a",
                "category": "production",
                "status": "published",
            },
        )
        added["datasets"] += 1

    scenarios = _machine_tool_scenarios(session)
    added["scenarios"] += len(scenarios)
    for reference in ("REF-steel-01", "REF-steel-02", "REF-steel-03"):  # adopted 参考示例, then edited in place
        reference_scenarios.accept(session, reference, "jiangsu", lead="steel-a")
        added["scenarios"] += 1

    _add(
        session,
        "models",
        {
            "code": "mt-failure",
            "version": "1",
            "name_zh": "工业母机故障预测行业模型",
            "name_en": "Machine-tool failure model",
            "kind": "industry",
            "industry": "工业母机",
            "entity": "jiangsu",
            "developer": "model-co",
            "family": "logistic",
            "status": "published",
        },
    )
    added["models"] += 1
    for n, org in enumerate(["mill-l", "mill-m", "mill-h", "grid-equip"], start=1):
        _add(
            session,
            "cases",
            {
                "code": f"mt-failure-app-{n}",
                "name_zh": f"故障预测模型在{_org_name(session, org)}的应用",
                "kind": "application",
                "industry": "工业母机",
                "entity": "jiangsu",
                "model": "mt-failure",
                "organisation": org,
                "effect": "非计划停机时间下降（示例）",
                "status": "registered",
            },
        )
        added["cases"] += 1

    first = scenarios[0]
    _add(
        session,
        "datasets",
        {
            "code": "tool-wear-specialised",
            "name_zh": "刀具磨损专识数据集",
            "kind": "specialised",
            "industry": "工业母机",
            "entity": "jiangsu",
            "scenario": first.code,
            "owner": "mill-l",
            "status": "published",
        },
    )
    _add(
        session,
        "models",
        {
            "code": "tool-wear-model",
            "name_zh": "刀具磨损预测专用模型",
            "kind": "specialised",
            "industry": "工业母机",
            "entity": "jiangsu",
            "scenario": first.code,
            "developer": "model-co",
        },
    )
    added["datasets"] += 1
    added["models"] += 1
    for n, org in enumerate(["mill-l", "mill-m", "mill-h"], start=1):
        _add(
            session,
            "cases",
            {
                "code": f"tool-wear-landing-{n}",
                "name_zh": f"刀具磨损预测在{_org_name(session, org)}落地",
                "kind": "landing",
                "industry": "工业母机",
                "entity": "jiangsu",
                "scenario": first.code,
                "model": "tool-wear-model",
                "organisation": org,
                "effect": "换刀提前量优化，刀具成本下降（示例）",
            },
        )
        added["cases"] += 1
    return added


def _org_name(session: Session, code: str) -> str:
    return session.scalars(select(m.Organisation.name_zh).where(m.Organisation.code == code)).one()


def _machine_tool_scenarios(session: Session) -> list[m.Scenario]:
    rows = []
    for n, (zh, en, stage) in enumerate(MACHINE_TOOL_SCENARIOS, start=1):
        rows.append(
            _add(
                session,
                "scenarios",
                {
                    "code": f"JS-MT-{n:02d}",
                    "name_zh": zh,
                    "name_en": en,
                    "industry": "工业母机",
                    "entity": "jiangsu",
                    "stage": stage,
                    "tech_form": "specialised_model" if n != 7 else "agent",
                    "tech_form_reason": "需自主规划检索与多步执行" if n == 7 else "预测类任务，专用模型即可",
                    "pain_point": f"{zh}依赖人工经验，难以复制",
                    "target_kpi": "关键指标提升（示例目标）",
                    "data_needs": "多家企业的加工过程与设备状态数据",
                    "lead": "model-co",
                    "status": "landed" if n == 1 else "building",
                    "criteria": {
                        k: {"met": True, "evidence": "示例"}
                        for k in ("potential", "broad_application", "replicable", "ai_suitable")
                    },
                },
            )
        )
    return rows
