"""The 参考示例 (reference scenario examples) seeded by migration 0002, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
from collections import Counter
from importlib import resources
from types import ModuleType

import pytest
import yaml
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from resonance.registry import reference_scenarios, services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.models import Industry, Scenario, SearchTerm
from resonance.registry.vocabularies import industries, keys

# The industries POLICY-NOTES §6 gives worked examples for, plus 工业母机: seeded more richly.
RICH_INDUSTRIES = ("steel", "petrochemicals", "automobiles", "power_equipment", "machine_tools")
MIN_PER_INDUSTRY = 6
MIN_PER_RICH_INDUSTRY = 8


def _yaml_entries() -> list[dict]:
    text = resources.files("resonance.registry").joinpath("data/reference_scenarios.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _migration_0002() -> ModuleType:
    path = resources.files("resonance.registry").joinpath("migrations/versions/0002_reference_scenarios.py")
    spec = importlib.util.spec_from_file_location("migration_0002_reference_scenarios", str(path))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference_rows(registry) -> list[Scenario]:
    with registry.session() as s:
        return list(s.scalars(select(Scenario).where(Scenario.is_reference_example.is_(True))))


# ── database level (both backends) ──────────────────────────────────────────────────────────────


def test_every_industry_has_at_least_six_reference_examples(registry):
    with registry.session() as s:
        counts = dict(
            s.execute(
                select(Industry.code, func.count(Scenario.id))
                .join(
                    Scenario,
                    (Scenario.industry_id == Industry.id) & Scenario.is_reference_example.is_(True),
                    isouter=True,
                )
                .group_by(Industry.code)
            ).all()
        )
    assert set(counts) == {i["code"] for i in industries()}
    thin = {code: n for code, n in counts.items() if n < MIN_PER_INDUSTRY}
    assert not thin, f"industries with fewer than {MIN_PER_INDUSTRY} reference examples: {thin}"
    for code in RICH_INDUSTRIES:
        assert counts[code] >= MIN_PER_RICH_INDUSTRY, code


def test_reference_rows_are_flagged_unowned_planned_templates(registry):
    rows = _reference_rows(registry)
    assert len(rows) == len(_yaml_entries())
    with registry.session() as s:
        assert s.scalar(select(func.count()).select_from(Scenario)) == len(rows)  # nothing else is seeded
    for row in rows:
        assert row.is_reference_example is True
        assert row.entity_id is None, row.code
        assert row.lead_org_id is None, row.code
        assert row.status == "planned", row.code
        assert row.created_at is not None and row.updated_at is not None


def test_reference_rows_use_vocabulary_keys_and_unique_codes(registry):
    rows = _reference_rows(registry)
    stages, tech_forms, statuses = set(keys("process_stage")), set(keys("tech_form")), set(keys("scenario_status"))
    for row in rows:
        assert row.stage in stages, (row.code, row.stage)
        assert row.tech_form in tech_forms, (row.code, row.tech_form)
        assert row.status in statuses, (row.code, row.status)
    duplicates = [code for code, n in Counter(r.code for r in rows).items() if n > 1]
    assert not duplicates
    with registry.session() as s:
        industry_codes = dict(s.execute(select(Industry.id, Industry.code)).all())
    for row in rows:
        assert row.code.startswith(f"REF-{industry_codes[row.industry_id]}-"), row.code


def test_reference_rows_have_content_and_all_four_criteria(registry):
    criteria_keys = set(keys("scenario_criterion"))
    for row in _reference_rows(registry):
        for field in ("name_zh", "name_en", "guide_code", "pain_point", "baseline_kpi", "target_kpi", "data_needs"):
            assert getattr(row, field).strip(), (row.code, field)
        assert set(row.criteria) == criteria_keys, row.code
        for key, value in row.criteria.items():
            assert value["met"] is True, (row.code, key)
            assert value["evidence"].strip(), (row.code, key)


def test_downgrade_removes_only_reference_rows_and_upgrade_restores_them(registry):
    migration = _migration_0002()
    expected = len(_yaml_entries())
    with registry.session() as s:
        industry_id = s.scalar(select(Industry.id).where(Industry.code == "steel"))
        s.add(Scenario(code="USER-steel-01", name_zh="用户场景", industry_id=industry_id, stage="production"))
        s.commit()

    def run(step) -> None:
        with registry.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            step()

    run(migration.downgrade)
    assert _reference_rows(registry) == []
    with registry.session() as s:
        assert s.scalars(select(Scenario.code)).all() == ["USER-steel-01"]
        assert s.scalar(select(func.count()).select_from(SearchTerm).where(SearchTerm.kind == "scenarios")) == 0
    run(migration.upgrade)
    assert len(_reference_rows(registry)) == expected
    assert "REF-steel-01" in _search(registry, "高炉炉温")


def _search(registry, q: str, **filters) -> list[str]:
    with registry.session() as s:
        page = services.list_page(s, CONCEPTS["scenarios"], filters, q=q, page_size=500)
    return [item["code"] for item in page.items]


def test_reference_examples_are_found_by_search(registry):
    assert "REF-steel-01" in _search(registry, "高炉炉温")
    assert "REF-steel-03" in _search(registry, "表面缺陷", industry="steel", is_reference_example="true")
    assert "REF-automobiles-03" in _search(registry, "焊点")
    assert "REF-cybersecurity-02" in _search(registry, "REF-cybersecurity-02")


# ── file level ───────────────────────────────────────────────────────────────────────────────────


def test_agent_examples_explain_why_they_need_an_agent():
    entries = _yaml_entries()
    agents = [e for e in entries if e["tech_form"] == "agent"]
    assert agents, "expected some 特色智能体 examples"
    assert len(agents) < len(entries) / 2, "agent is for scenarios that need autonomous planning and execution"
    for entry in agents:
        reason = str(entry.get("tech_form_reason") or "").strip()
        assert reason, entry["code"]
        assert "自主" in reason or "规划" in reason, entry["code"]


def test_every_entry_has_the_documented_fields_and_example_wording():
    fields = {
        "code",
        "industry",
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
        "criteria",
        "tech_form",
        "tech_form_reason",
        "description",
    }
    for entry in _yaml_entries():
        assert set(entry) == fields, entry.get("code")
        assert len(entry["guide_code"]) <= 40, entry["code"]  # scenarios.guide_code is VARCHAR(40)
        # numbers are examples, never claims about achieved results
        assert entry["baseline_kpi"].startswith("基线示例"), entry["code"]
        assert entry["target_kpi"].startswith("目标示例"), entry["code"]


def test_file_is_marked_as_illustrative_reference_examples():
    text = resources.files("resonance.registry").joinpath("data/reference_scenarios.yaml").read_text("utf-8")
    header = text.split("\n- ", 1)[0]
    for marker in ("参考示例", "NOT AN OFFICIAL LIST", "POLICY-NOTES.md §6", "seeds/004"):
        assert marker in header, marker


@pytest.mark.parametrize("bad", [{"industry": "nowhere"}, {"stage": "moon"}, {"tech_form": "robot"}])
def test_migration_rejects_unknown_industry_stage_or_tech_form(bad):
    migration = _migration_0002()
    entry = {**_yaml_entries()[0], **bad}
    with pytest.raises(ValueError, match="REF-steel-01"):
        migration._row(entry, {"steel": 1}, None)


def test_every_seeded_example_can_be_accepted_through_the_service_layer(registry):
    codes = [e["code"] for e in _yaml_entries()]
    with registry.session() as s:
        services.create(s, CONCEPTS["entities"], {"code": "js", "name_zh": "江苏省", "kind": "province"})
        for code in codes:
            reference_scenarios.accept(s, code, "js")
        s.commit()
        own = s.scalars(select(Scenario.code).where(Scenario.is_reference_example.is_(False))).all()
    assert sorted(own) == sorted(f"js-{code.removeprefix('REF-')}" for code in codes)
