"""reference scenario examples (参考示例) for the 20 industries

Data migration: inserts the rows of ``data/reference_scenarios.yaml`` into ``scenarios`` as templates
(is_reference_example = true, no entity, no lead organisation, status "planned"). They count toward no quota.
The rows bypass the service layer, so their search terms are written here too (as ``services`` would).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import sqlalchemy as sa
import yaml
from alembic import op

from resonance.registry.search import document_terms
from resonance.registry.vocabularies import keys

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCE_FILE = "data/reference_scenarios.yaml"
# as CONCEPTS["scenarios"] in resonance/registry/concepts.py at the time of writing
SEARCH_KIND = "scenarios"
SEARCH_FIELDS = ("name_zh", "name_en", "pain_point", "description", "code")

industry_table = sa.table("industries", sa.column("id", sa.Integer), sa.column("code", sa.String))

scenario_table = sa.table(
    "scenarios",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name_zh", sa.String),
    sa.column("name_en", sa.String),
    sa.column("industry_id", sa.Integer),
    sa.column("entity_id", sa.Integer),
    sa.column("stage", sa.String),
    sa.column("guide_code", sa.String),
    sa.column("pain_point", sa.Text),
    sa.column("baseline_kpi", sa.Text),
    sa.column("target_kpi", sa.Text),
    sa.column("expected_value", sa.Text),
    sa.column("data_needs", sa.Text),
    sa.column("replicability", sa.Text),
    sa.column("criteria", sa.JSON),
    sa.column("tech_form", sa.String),
    sa.column("tech_form_reason", sa.Text),
    sa.column("lead_org_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("is_reference_example", sa.Boolean),
    sa.column("description", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)

search_term_table = sa.table(
    "search_terms", sa.column("kind", sa.String), sa.column("term", sa.String), sa.column("object_id", sa.Integer)
)

TEXT_FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "stage",
    "guide_code",
    "pain_point",
    "baseline_kpi",
    "target_kpi",
    "expected_value",
    "data_needs",
    "replicability",
    "tech_form",
    "tech_form_reason",
    "description",
)


def load_reference_scenarios() -> list[dict[str, Any]]:
    """The 参考示例 as written in the package's YAML file (a list of mappings)."""
    text = resources.files("resonance.registry").joinpath(REFERENCE_FILE).read_text("utf-8")
    return yaml.safe_load(text)


def _row(item: dict[str, Any], industry_ids: dict[str, int], now: datetime) -> dict[str, Any]:
    where = f"{REFERENCE_FILE}: {item.get('code', '?')}"
    if item.get("industry") not in industry_ids:
        raise ValueError(f"{where}: unknown industry {item.get('industry')!r}")
    if item.get("stage") not in keys("process_stage"):
        raise ValueError(f"{where}: unknown process_stage {item.get('stage')!r}")
    if item.get("tech_form") not in keys("tech_form"):
        raise ValueError(f"{where}: unknown tech_form {item.get('tech_form')!r}")
    criteria = item.get("criteria") or {}
    missing = [k for k in keys("scenario_criterion") if k not in criteria]
    if missing:
        raise ValueError(f"{where}: criteria {missing} missing")
    row: dict[str, Any] = {field: str(item.get(field) or "").strip() for field in TEXT_FIELDS}
    row.update(
        industry_id=industry_ids[item["industry"]],
        entity_id=None,
        lead_org_id=None,
        status="planned",
        is_reference_example=True,
        criteria={
            k: {"met": bool(criteria[k].get("met")), "evidence": str(criteria[k].get("evidence", "")).strip()}
            for k in keys("scenario_criterion")
        },
        created_at=now,
        updated_at=now,
    )
    return row


def upgrade() -> None:
    bind = op.get_bind()
    industry_ids = {code: id_ for id_, code in bind.execute(sa.select(industry_table.c.id, industry_table.c.code))}
    now = datetime.now(UTC)
    rows = [_row(item, industry_ids, now) for item in load_reference_scenarios()]
    op.bulk_insert(scenario_table, rows)
    columns = [scenario_table.c[f] for f in SEARCH_FIELDS]
    codes = [row["code"] for row in rows]
    found = bind.execute(sa.select(scenario_table.c.id, *columns).where(scenario_table.c.code.in_(codes))).all()
    terms = [
        {"kind": SEARCH_KIND, "term": term, "object_id": row[0]}
        for row in found
        for term in sorted(document_terms(*row[1:]))
    ]
    if terms:
        op.bulk_insert(search_term_table, terms)


def downgrade() -> None:
    op.execute(
        search_term_table.delete().where(
            search_term_table.c.kind == SEARCH_KIND,
            search_term_table.c.object_id.in_(
                sa.select(scenario_table.c.id).where(scenario_table.c.is_reference_example == sa.true())
            ),
        )
    )
    op.execute(scenario_table.delete().where(scenario_table.c.is_reference_example == sa.true()))
