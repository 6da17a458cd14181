"""The demo's three machine-tool enterprises as data nodes: each keeps its part of AI4I 2020 in its own node
home, analyses it there (profile, quality, sensitivity, grade), has its officer confirm the grade, enrols with
the space and publishes metadata only. In-process (no HTTP) — the same functions the CLI and API call."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from resonance.demo.bundled import ai4i_rows
from resonance.node import card as cards
from resonance.node import catalog, keys, pipeline
from resonance.node.home import NodeHome
from resonance.node.quality import assess
from resonance.node.sensitivity.grading import confirm
from resonance.node.sources import open_source
from resonance.registry import nodes

ENTERPRISES = (("L", "mill-l"), ("M", "mill-m"), ("H", "mill-h"))
OFFICER = "示例数据安全负责人"


def write_partition(product_type: str, path: Path) -> int:
    """The enterprise's own data: the AI4I rows of one product type, as the CSV its machines would export."""
    rows = [r for r in ai4i_rows() if r["Type"] == product_type]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def run_nodes(session: Session, root: Path, space_url: str = "in-process") -> list[dict[str, Any]]:
    """Enrol, approve, analyse and publish the three enterprises' datasets in-process; one summary per node."""
    summaries = []
    for product_type, org in ENTERPRISES:
        home = NodeHome(root / org)
        config = home.create(org=org, space_url=space_url, name=f"{org} 车间数据节点")
        proof = keys.sign(home.private_key(), f"enrol:{config.node_id}".encode())
        node = nodes.enrol(session, org, home.public_key(), config.name, proof)
        nodes.decide(session, node.id, approve=True, by="demo operator")
        payload, summary = prepare_dataset(home, product_type, org)
        row = nodes.publish_dataset(session, node, payload)
        summaries.append({"node": node.id, **summary, "dataset": f"{row.code}@{row.version}"})
    return summaries


def prepare_dataset(home: NodeHome, product_type: str, org: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the enterprise's engineers do at their node: write the data where it lives, register it in the local
    catalog, analyse it there, have the officer confirm the grade, describe it. Returns the publish payload
    (metadata only) and a summary for the demo's table."""
    data = home.path / "data" / f"ai4i_{product_type}.csv"
    write_partition(product_type, data)
    registry = {
        "code": f"ai4i-{product_type.lower()}",
        "version": "1",
        "kind": "common",
        "industry": "machine_tools",
        "category": "production",
        "licence": "CC BY 4.0",
        "name_zh": f"铣削加工过程故障数据集（{product_type}型产品）",
    }
    return register_local(home, org, data, registry, label_column="Machine failure", describe=_card)


def register_local(
    home: NodeHome,
    org: str,
    data: Path,
    registry: dict[str, Any],
    *,
    label_column: str | None = None,
    describe: Callable[[dict[str, Any], dict[str, Any], str, dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register a file lying at the node in its local catalog, analyse it there, confirm its grade, describe it
    (``describe(registry, profile, org, decision)`` → card; default: the starter card). Returns the publish
    payload (metadata only) and a summary."""
    describe = describe or pipeline.starter_card
    with open_source(data, workdir=home.workdir) as source:
        result = pipeline.analyse(source, label_column=label_column, category=registry.get("category"))
        fingerprint = source.fingerprint()
        decision = confirm(result.proposal, OFFICER).as_dict()
        profile = result.profile.as_dict()
        card = describe(registry, profile, org, decision)
        # the documentation dimension needs the card: score quality again now that the card exists
        quality = assess(
            source,
            result.profile,
            label_column=label_column,
            card_completeness=cards.completeness(cards.parse_card(card)).overall,
        )
    sessions = catalog.open_catalog(home.catalog_url)
    with sessions() as local, local.begin():
        catalog.add(
            local,
            code=registry["code"],
            version=registry["version"],
            location=str(data),
            source_kind="csv",
            fingerprint=fingerprint,
            registry_fields=registry,
            profile=profile,
            quality=quality.as_dict(),
            grade_decision=decision,
            card=card,
            status="published",
        )
    payload = pipeline.publish_payload(
        registry,
        fingerprint=fingerprint,
        profile_dict=profile,
        quality=quality.as_dict(),
        decision=decision,
        card=card,
        sensitivity=[s.as_dict() for s in result.sensitivity],
    )
    summary = {
        "org": org,
        "dataset": f"{registry['code']}@{registry['version']}",
        "rows": result.profile.rows,
        "quality_grade": quality.grade,
        "quality_score": quality.overall,
        "sensitivity": decision["level"]["key"],
        "officer": OFFICER,
    }
    return payload, summary


def _card(registry: dict[str, Any], profile: dict[str, Any], org: str, decision: dict[str, Any]) -> dict[str, Any]:
    """The card an enterprise would write: the starter card plus what its engineers know about the data."""
    card = pipeline.starter_card(registry, profile, org, decision)
    card["basic"].update(
        summary={
            "zh": "数控铣削过程的温度、转速、扭矩、刀具磨损与故障标签，用于故障预测。",
            "en": "Milling process temperatures, speed, torque, tool wear and failure labels.",
        },
        licence="CC BY 4.0",
        format="CSV",
        modality=["tabular"],
        stage=["finetuning"],
        usage_terms={"zh": "仅限联合训练，数据不出域", "en": "federated training only; rows stay at the node"},
        contact={"name": OFFICER, "email": "data-officer@example.com"},
        keywords=["故障预测", "刀具磨损"],
        citation="S. Matzka, AI4I 2020 Predictive Maintenance Dataset, UCI ML Repository, CC BY 4.0",
    )
    card["process"].update(
        collection={"start": "2020-01-01", "end": "2020-12-31"},
        source={
            "zh": "UCI AI4I 2020（仿真生成，模拟真实铣削过程）",
            "en": "UCI AI4I 2020 (synthetic, modelled on milling)",
        },
        generated_data=True,
    )
    card["usage"].update(
        scenarios=["JS-MT-01", "JS-MT-04"], restrictions={"zh": "不得导出原始记录", "en": "no export of raw records"}
    )
    return card
