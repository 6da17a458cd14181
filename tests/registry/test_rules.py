"""Boundary tests for every rule of data/rules.yaml, on SQLite and PostgreSQL (the ``registry`` fixture)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from resonance.errors import NotFound, ResonanceError
from resonance.registry.models import (
    ActionEntity,
    Agent,
    Case,
    Consortium,
    Dataset,
    Industry,
    KeyCity,
    ModelVersion,
    Organisation,
    Report,
    Scenario,
    Space,
)
from resonance.registry.rules import EntityProgress, RuleStatus, default_rules_path, load_rules, progress

TODAY = date(2026, 6, 1)
DAYS_TO_FINAL = 182  # 2026-06-01 → 2026-11-30
_serial = itertools.count(1)  # unique codes across every Build of a test


class Build:
    """Small factories: every row a rule can count, with only the columns the models require."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._n = _serial
        self.industries = {i.code: i for i in session.scalars(select(Industry))}
        org = session.scalars(select(Organisation).where(Organisation.code == "org-test")).first()
        self.org = org or self._add(Organisation(code="org-test", name_zh="测试企业"))

    def _add(self, row: Any) -> Any:
        self.s.add(row)
        self.s.flush()
        return row

    def code(self, prefix: str) -> str:
        return f"{prefix}-{next(self._n):04d}"

    def entity(
        self,
        code: str = "zj",
        *,
        name_zh: str = "浙江省",
        name_en: str = "Zhejiang",
        kind: str = "province",
        industries: tuple[str, ...] = ("steel", "automobiles", "software"),
        pilot: bool = False,
    ) -> ActionEntity:
        entity = ActionEntity(code=code, name_zh=name_zh, name_en=name_en, kind=kind, has_pilot_zone_or_base=pilot)
        entity.industries = [self.industries[c] for c in industries]
        return self._add(entity)

    def scenario(
        self,
        entity: ActionEntity | None,
        industry: str = "steel",
        *,
        code: str | None = None,
        name_zh: str = "高炉炉温预测",
        reference: bool = False,
    ) -> Scenario:
        return self._add(
            Scenario(
                code=code or self.code("S"),
                name_zh=name_zh,
                industry_id=self.industries[industry].id,
                entity_id=entity.id if entity else None,
                stage="production",
                is_reference_example=reference,
            )
        )

    def dataset(
        self,
        entity: ActionEntity | None,
        industry: str = "steel",
        *,
        kind: str = "common",
        scenario: Scenario | None = None,
        status: str = "registered",
    ) -> Dataset:
        return self._add(
            Dataset(
                code=self.code("D"),
                name_zh="数据集",
                kind=kind,
                industry_id=self.industries[industry].id,
                entity_id=entity.id if entity else None,
                scenario_id=scenario.id if scenario else None,
                owner_org_id=self.org.id,
                status=status,
            )
        )

    def model(
        self,
        entity: ActionEntity,
        industry: str = "steel",
        *,
        kind: str = "industry",
        code: str | None = None,
        version: str = "1",
        name_zh: str = "钢铁大模型",
        name_en: str = "Steel model",
        scenario: Scenario | None = None,
        status: str = "registered",
    ) -> ModelVersion:
        return self._add(
            ModelVersion(
                code=code or self.code("M"),
                version=version,
                name_zh=name_zh,
                name_en=name_en,
                kind=kind,
                industry_id=self.industries[industry].id,
                entity_id=entity.id,
                scenario_id=scenario.id if scenario else None,
                developer_org_id=self.org.id,
                status=status,
            )
        )

    def agent(
        self,
        entity: ActionEntity,
        industry: str = "steel",
        *,
        code: str | None = None,
        scenario: Scenario | None = None,
        status: str = "registered",
    ) -> Agent:
        return self._add(
            Agent(
                code=code or self.code("A"),
                name_zh="排产智能体",
                industry_id=self.industries[industry].id,
                entity_id=entity.id,
                scenario_id=scenario.id if scenario else None,
                org_id=self.org.id,
                status=status,
            )
        )

    def case(
        self,
        entity: ActionEntity,
        *,
        kind: str = "application",
        model: ModelVersion | None = None,
        agent: Agent | None = None,
        status: str = "registered",
    ) -> Case:
        industry_id = (model or agent).industry_id  # type: ignore[union-attr]
        return self._add(
            Case(
                code=self.code("C"),
                name_zh="案例",
                kind=kind,
                industry_id=industry_id,
                entity_id=entity.id,
                model_id=model.id if model else None,
                agent_id=agent.id if agent else None,
                org_id=self.org.id,
                status=status,
            )
        )

    def space(self, entity: ActionEntity) -> Space:
        code = self.code("SP")
        return self._add(
            Space(
                code=code,
                name_zh=f"空间{code}",
                entity_id=entity.id,
                operator_org_id=self.org.id,
                operator_type="neutral_third_party",
            )
        )

    def consortium(self, entity: ActionEntity, industry: str = "steel") -> Consortium:
        code = self.code("CO")
        return self._add(
            Consortium(
                code=code,
                name_zh=f"联合体{code}",
                entity_id=entity.id,
                industry_id=self.industries[industry].id,
                lead_org_id=self.org.id,
            )
        )

    def key_city(self, entity: ActionEntity) -> KeyCity:
        return self._add(KeyCity(entity_id=entity.id, name_zh=f"城市{next(self._n)}"))

    def report(
        self, entity: ActionEntity, kind: str, *, status: str = "submitted", submitted_on: date | None = None
    ) -> Report:
        return self._add(Report(entity_id=entity.id, kind=kind, status=status, submitted_on=submitted_on))


@contextmanager
def building(registry: Any) -> Iterator[Build]:
    with registry.session() as session:
        yield Build(session)
        session.commit()


def evaluate(registry: Any, entity: str = "zj", today: date = TODAY, lang: str = "zh") -> EntityProgress:
    with registry.session() as session:
        results = progress(session, entity=entity, today=today, lang=lang)
    assert len(results) == 1
    return results[0]


def rows(result: EntityProgress, rule_id: str) -> list[RuleStatus]:
    return [s for s in result.rules if s.rule_id == rule_id]


def one(result: EntityProgress, rule_id: str, key: str | None = None) -> RuleStatus:
    found = [s for s in rows(result, rule_id) if key is None or s.scope_key == key]
    assert len(found) == 1, [(s.rule_id, s.scope_key) for s in found]
    return found[0]


def by_key(result: EntityProgress, rule_id: str) -> dict[str, int]:
    return {s.scope_key: s.current for s in rows(result, rule_id)}


# -- the rules file -------------------------------------------------------------------------------------------


def test_rules_file_holds_every_quota_and_deadline_of_the_notice() -> None:
    rules = {r.id: r for r in load_rules()}
    expected = {
        "industries_per_province": (">=", 3, "province", "2026-11-30"),
        "industries_per_central_enterprise": (">=", 1, "central_enterprise", "2026-11-30"),
        "common_datasets_per_industry": (">=", 5, "both", "2026-11-30"),
        "industry_models_per_industry": (">=", 1, "both", "2026-11-30"),
        "application_cases_per_industry_model": (">=", 5, "both", "2026-11-30"),
        "scenario_files_per_industry": (">=", 30, "both", "2026-11-30"),
        "specialised_datasets_per_scenario": (">=", 1, "both", "2026-11-30"),
        "specialised_models_or_agents_per_scenario": (">=", 1, "both", "2026-11-30"),
        "landing_cases_per_specialised_model": (">=", 3, "both", "2026-11-30"),
        "landing_cases_per_agent": (">=", 3, "both", "2026-11-30"),
        "spaces_per_province": (">=", 3, "province", "2026-11-30"),
        "spaces_per_central_enterprise": (">=", 1, "central_enterprise", "2026-11-30"),
        "consortia_per_industry": (">=", 1, "both", "2026-11-30"),
        "key_cities_with_pilot_zone": ("<=", 3, "province", "2026-11-30"),
        "key_cities_without_pilot_zone": ("<=", 2, "province", "2026-11-30"),
        "plan_submitted": (">=", 1, "both", "2026-05-30"),
        "phase_report_submitted": (">=", 1, "both", "2026-08-30"),
        "final_report_submitted": (">=", 1, "both", "2026-11-30"),
    }
    assert set(rules) == set(expected)
    for rule_id, (operator, threshold, applies_to, deadline) in expected.items():
        rule = rules[rule_id]
        assert (rule.operator, rule.threshold, rule.applies_to, rule.deadline.isoformat()) == (
            operator,
            threshold,
            applies_to,
            deadline,
        ), rule_id
        assert rule.title.zh and rule.title.en
    assert rules["key_cities_with_pilot_zone"].when == {"has_pilot_zone_or_base": True}
    assert rules["key_cities_without_pilot_zone"].when == {"has_pilot_zone_or_base": False}
    assert {r.task for r in rules.values()} == {"一", "二", "四", "五", "七", None}


def _write_rules(tmp_path: Path, mutate: Any) -> Path:
    data = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))
    mutate(data["rules"])
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _rule(rules: list[dict[str, Any]], rule_id: str) -> dict[str, Any]:
    return next(r for r in rules if r["id"] == rule_id)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda rs: _rule(rs, "common_datasets_per_industry").update(threshold="five"),
            "rule 'common_datasets_per_industry', field threshold",
        ),
        (
            lambda rs: _rule(rs, "scenario_files_per_industry").update(metric="scenarios_total"),
            "rule 'scenario_files_per_industry', field metric: unknown metric 'scenarios_total'",
        ),
        (
            lambda rs: _rule(rs, "consortia_per_industry").update(scope="entity"),
            "rule 'consortia_per_industry': field scope: metric 'consortia' counts per 'industry', not 'entity'",
        ),
        (
            lambda rs: _rule(rs, "spaces_per_province").update(operator="=="),
            "rule 'spaces_per_province', field operator",
        ),
        (
            lambda rs: _rule(rs, "plan_submitted").update(deadline="May 30"),
            "rule 'plan_submitted', field deadline",
        ),
        (
            lambda rs: _rule(rs, "plan_submitted")["messages"]["en"].pop("late"),
            "rule 'plan_submitted': field messages.en.late: required for a report rule",
        ),
        (
            lambda rs: _rule(rs, "industry_models_per_industry")["messages"]["zh"].update(unmet="{scope} 缺 {lacking}"),
            "rule 'industry_models_per_industry': field messages.zh.unmet: unknown placeholder {lacking}",
        ),
        (
            lambda rs: _rule(rs, "landing_cases_per_agent").pop("applies_to"),
            "rule 'landing_cases_per_agent', field applies_to",
        ),
        (
            lambda rs: _rule(rs, "key_cities_with_pilot_zone").update(when={"is_capital": True}),
            "rule 'key_cities_with_pilot_zone', field when.is_capital",
        ),
        (lambda rs: rs.append(dict(rs[0])), "rule 'industries_per_province', field id: duplicate rule id"),
    ],
)
def test_malformed_rules_file_names_the_rule_and_the_field(tmp_path: Path, mutate: Any, expected: str) -> None:
    path = _write_rules(tmp_path, mutate)
    with pytest.raises(ResonanceError) as info:
        load_rules(path)
    assert info.value.code == "invalid_rules"
    assert info.value.where == str(path)
    assert expected in info.value.what
    assert any(expected.split(":")[0].split(",")[0] in p.where for p in info.value.problems)


def test_rules_file_that_is_not_yaml_points_at_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nrules:\n  - id: x\n    title: {zh: a\n", encoding="utf-8")
    with pytest.raises(ResonanceError) as info:
        load_rules(path)
    assert "not valid YAML" in info.value.what
    assert "line " in info.value.what


# -- task 一 ------------------------------------------------------------------------------------------------


def test_industries_per_province_boundary(registry: Any) -> None:
    with building(registry) as b:
        b.entity(industries=("steel", "automobiles"))
    status = one(evaluate(registry), "industries_per_province")
    assert (status.current, status.required, status.met, status.missing, status.state) == (2, 3, False, 1, "unmet")
    assert status.scope == "entity" and status.scope_key == "zj"
    assert status.message == "浙江省：已选定重点行业 2/3 个，还需选定 1 个"
    assert status.deadline == date(2026, 11, 30) and status.days_left == DAYS_TO_FINAL
    assert one(evaluate(registry, lang="en"), "industries_per_province").message == (
        "Zhejiang: 2 of 3 key industries selected — select 1 more"
    )

    with registry.session() as s:
        entity = s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one()
        entity.industries.append(s.scalars(select(Industry).where(Industry.code == "software")).one())
        s.commit()
    status = one(evaluate(registry), "industries_per_province")
    assert (status.current, status.met, status.missing, status.state) == (3, True, 0, "met")
    assert rows(evaluate(registry), "industries_per_central_enterprise") == []


def test_central_enterprise_needs_one_industry_one_space_and_gets_no_key_city_rule(registry: Any) -> None:
    with building(registry) as b:
        ce = b.entity("sinosteel", name_zh="中国宝武", name_en="Baowu", kind="central_enterprise", industries=())
        for _ in range(4):
            b.key_city(ce)  # even with cities registered, task 7 is for provinces only
    result = evaluate(registry, "sinosteel")
    status = one(result, "industries_per_central_enterprise")
    assert (status.current, status.required, status.missing, status.met) == (0, 1, 1, False)
    assert status.message == "中国宝武：已选定重点行业 0/1 个，还需选定 1 个"
    space = one(result, "spaces_per_central_enterprise")
    assert (space.current, space.required, space.missing) == (0, 1, 1)
    ids = {s.rule_id for s in result.rules}
    assert not ids & {
        "industries_per_province",
        "spaces_per_province",
        "key_cities_with_pilot_zone",
        "key_cities_without_pilot_zone",
    }

    with building(registry) as b:
        ce = b.s.scalars(select(ActionEntity).where(ActionEntity.code == "sinosteel")).one()
        ce.industries = [b.industries["steel"]]
        b.space(ce)
    result = evaluate(registry, "中国宝武")  # by zh name
    assert one(result, "industries_per_central_enterprise").met
    assert one(result, "spaces_per_central_enterprise").met
    assert [s.scope_key for s in rows(result, "common_datasets_per_industry")] == ["steel"]


def test_common_datasets_per_industry_boundary_and_what_does_not_count(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        js = b.entity("js", name_zh="江苏省", name_en="Jiangsu", industries=("steel",))
        for _ in range(4):
            b.dataset(zj, "steel")
        b.dataset(zj, "steel", status="retired")
        b.dataset(zj, "steel", kind="specialised")
        b.dataset(zj, "steel", kind="general")
        b.dataset(js, "steel")  # another entity's
        b.dataset(None, "steel")  # no entity
        b.dataset(zj, "petrochemicals")  # an industry zj did not select
        b.dataset(zj, "automobiles")
    result = evaluate(registry)
    assert by_key(result, "common_datasets_per_industry") == {"steel": 4, "automobiles": 1, "software": 0}
    steel = one(result, "common_datasets_per_industry", "steel")
    assert (steel.required, steel.met, steel.missing, steel.state) == (5, False, 1, "unmet")
    assert steel.scope == "industry" and steel.scope_name == "钢铁"
    assert steel.message == "钢铁：行业通识数据集 4/5 个，还需 1 个"
    assert one(result, "common_datasets_per_industry", "software").missing == 5
    en = one(evaluate(registry, lang="en"), "common_datasets_per_industry", "steel")
    assert en.message == "Steel: 4 of 5 common datasets — add 1"
    assert en.scope_name == "Steel"

    with building(registry) as b:
        b.dataset(b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one(), "steel")
    steel = one(evaluate(registry, lang="en"), "common_datasets_per_industry", "steel")
    assert (steel.current, steel.met, steel.missing, steel.state) == (5, True, 0, "met")
    assert steel.message == "Steel: 5 of 5 common datasets — met"
    assert one(evaluate(registry, "js"), "common_datasets_per_industry", "steel").current == 1


def test_industry_models_per_industry_boundary_counts_a_model_once_across_versions(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        js = b.entity("js", name_zh="江苏省", industries=("steel",))
        b.model(zj, "steel", status="retired")
        b.model(zj, "steel", kind="specialised")
        b.model(js, "steel")
        b.model(zj, "petrochemicals")
    status = one(evaluate(registry), "industry_models_per_industry", "steel")
    assert (status.current, status.required, status.missing, status.met) == (0, 1, 1, False)
    assert status.message == "钢铁：行业模型 0/1 个，还需 1 个"

    with building(registry) as b:
        zj = b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one()
        b.model(zj, "steel", code="STEEL-LM", version="1")
        b.model(zj, "steel", code="STEEL-LM", version="2")
    status = one(evaluate(registry), "industry_models_per_industry", "steel")
    assert (status.current, status.met, status.missing) == (1, True, 0)


def test_application_cases_per_industry_model_boundary(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        js = b.entity("js", name_zh="江苏省", industries=("steel",))
        v1 = b.model(zj, code="STEEL-LM", version="1")
        v2 = b.model(zj, code="STEEL-LM", version="2")
        for _ in range(3):
            b.case(zj, model=v1)
        b.case(zj, model=v2)  # cases of any version count for the model
        b.case(zj, model=v1, kind="landing")
        b.case(zj, model=v1, status="retired")
        b.case(js, model=v1)  # recorded by another entity
        b.model(zj, code="OLD-LM", status="retired")
        b.model(zj, "petrochemicals", code="CHEM-LM")  # unselected industry: not checked
    result = evaluate(registry)
    status = one(result, "application_cases_per_industry_model")
    assert status.scope == "model" and status.scope_key == "STEEL-LM"
    assert (status.current, status.required, status.missing, status.met) == (4, 5, 1, False)
    assert status.message == "STEEL-LM 钢铁大模型：应用案例 4/5 个，还需 1 个"
    assert one(evaluate(registry, lang="en"), "application_cases_per_industry_model").message == (
        "STEEL-LM Steel model: 4 of 5 application cases — add 1"
    )

    with building(registry) as b:
        zj = b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one()
        b.case(zj, model=b.s.get(ModelVersion, v2.id))
    status = one(evaluate(registry), "application_cases_per_industry_model")
    assert (status.current, status.met, status.missing) == (5, True, 0)


# -- task 二 ------------------------------------------------------------------------------------------------


def test_scenario_files_per_industry_boundary_ignores_reference_examples(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        js = b.entity("js", name_zh="江苏省", industries=("steel",))
        for _ in range(29):
            b.scenario(zj, "steel")
        b.scenario(zj, "steel", reference=True)
        b.scenario(None, "steel", reference=True)
        b.scenario(js, "steel")
        b.scenario(zj, "petrochemicals")
    status = one(evaluate(registry), "scenario_files_per_industry", "steel")
    assert (status.current, status.required, status.missing, status.met) == (29, 30, 1, False)
    assert status.message == "钢铁：高价值场景档案 29/30 个，还需 1 个"

    with building(registry) as b:
        b.scenario(b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one(), "steel")
    status = one(evaluate(registry), "scenario_files_per_industry", "steel")
    assert (status.current, status.met, status.missing) == (30, True, 0)


def test_specialised_datasets_per_scenario_boundary(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        js = b.entity("js", name_zh="江苏省", industries=("steel",))
        s1 = b.scenario(zj, code="S1", name_zh="高炉炉温预测")
        s2 = b.scenario(zj, code="S2", name_zh="表面缺陷检测")
        ref = b.scenario(zj, code="REF", reference=True)
        b.dataset(zj, kind="specialised", scenario=s1)
        b.dataset(zj, kind="common", scenario=s2)
        b.dataset(zj, kind="specialised", scenario=s2, status="retired")
        b.dataset(js, kind="specialised", scenario=s2)
        b.dataset(zj, kind="specialised", scenario=ref)
    result = evaluate(registry)
    assert by_key(result, "specialised_datasets_per_scenario") == {"S1": 1, "S2": 0}  # no row for the reference
    s2_status = one(result, "specialised_datasets_per_scenario", "S2")
    assert (s2_status.required, s2_status.missing, s2_status.met) == (1, 1, False)
    assert s2_status.scope == "scenario"
    assert s2_status.message == "S2 表面缺陷检测：行业专识数据集 0/1 个，还需 1 个"

    with building(registry) as b:
        zj = b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one()
        b.dataset(zj, kind="specialised", scenario=b.s.get(Scenario, s2.id))
    assert all(s.met for s in rows(evaluate(registry), "specialised_datasets_per_scenario"))


def test_specialised_models_or_agents_per_scenario_boundary(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        s1 = b.scenario(zj, code="S1")
        s2 = b.scenario(zj, code="S2")
        s3 = b.scenario(zj, code="S3")
        b.model(zj, kind="specialised", code="SM1", version="1", scenario=s1)
        b.model(zj, kind="specialised", code="SM1", version="2", scenario=s1)
        b.agent(zj, scenario=s2)
        b.model(zj, kind="industry", scenario=s3)  # an industry model does not serve the scenario quota
        b.agent(zj, scenario=s3, status="retired")
        b.model(zj, kind="specialised", scenario=s3, status="retired")
    result = evaluate(registry)
    assert by_key(result, "specialised_models_or_agents_per_scenario") == {"S1": 1, "S2": 1, "S3": 0}
    s3_status = one(result, "specialised_models_or_agents_per_scenario", "S3")
    assert (s3_status.missing, s3_status.met) == (1, False)
    assert s3_status.message.endswith("专用模型/特色智能体 0/1 个，还需 1 个")

    with building(registry) as b:
        zj = b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one()
        b.model(zj, kind="specialised", scenario=b.s.get(Scenario, s3.id))
    assert all(s.met for s in rows(evaluate(registry), "specialised_models_or_agents_per_scenario"))


def test_landing_cases_per_specialised_model_boundary(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        s1 = b.scenario(zj, code="S1")
        ref = b.scenario(zj, code="REF", reference=True)
        sm = b.model(zj, kind="specialised", code="SM1", name_zh="炉温模型", scenario=s1)
        b.model(zj, kind="specialised", code="NO-SCENARIO")
        b.model(zj, kind="specialised", code="ON-REF", scenario=ref)
        b.case(zj, kind="landing", model=sm)
        b.case(zj, kind="landing", model=sm)
        b.case(zj, kind="application", model=sm)
        b.case(zj, kind="landing", model=sm, status="retired")
    result = evaluate(registry)
    status = one(result, "landing_cases_per_specialised_model")  # only models serving a counted scenario
    assert status.scope_key == "SM1"
    assert (status.current, status.required, status.missing, status.met) == (2, 3, 1, False)
    assert status.message == "SM1 炉温模型：落地案例 2/3 个，还需 1 个"

    with building(registry) as b:
        zj = b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one()
        b.case(zj, kind="landing", model=b.s.get(ModelVersion, sm.id))
    status = one(evaluate(registry), "landing_cases_per_specialised_model")
    assert (status.current, status.met, status.missing) == (3, True, 0)


def test_landing_cases_per_agent_boundary(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        js = b.entity("js", name_zh="江苏省", industries=("steel",))
        s1 = b.scenario(zj, code="S1")
        agent = b.agent(zj, code="AG1", scenario=s1)
        b.agent(zj, code="AG-NO-SCENARIO")
        b.case(zj, kind="landing", agent=agent)
        b.case(zj, kind="landing", agent=agent)
        b.case(js, kind="landing", agent=agent)
    status = one(evaluate(registry), "landing_cases_per_agent")
    assert status.scope == "agent" and status.scope_key == "AG1"
    assert (status.current, status.required, status.missing, status.met) == (2, 3, 1, False)
    assert status.message == "AG1 排产智能体：落地案例 2/3 个，还需 1 个"

    with building(registry) as b:
        zj = b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one()
        b.case(zj, kind="landing", agent=b.s.get(Agent, agent.id))
    status = one(evaluate(registry), "landing_cases_per_agent")
    assert (status.current, status.met, status.missing) == (3, True, 0)


# -- tasks 四, 五, 七 ---------------------------------------------------------------------------------------


def test_spaces_per_province_boundary(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        js = b.entity("js", name_zh="江苏省")
        b.space(zj)
        b.space(zj)
        b.space(js)
    status = one(evaluate(registry), "spaces_per_province")
    assert (status.current, status.required, status.missing, status.met) == (2, 3, 1, False)
    assert status.message == "浙江省：模数共振空间 2/3 个，还需 1 个"
    with building(registry) as b:
        b.space(b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one())
    status = one(evaluate(registry), "spaces_per_province")
    assert (status.current, status.met, status.missing) == (3, True, 0)
    assert rows(evaluate(registry), "spaces_per_central_enterprise") == []


def test_consortia_per_selected_industry_boundary(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        b.consortium(zj, "automobiles")
        b.consortium(zj, "petrochemicals")  # not selected: no row, no credit
    result = evaluate(registry)
    assert by_key(result, "consortia_per_industry") == {"steel": 0, "automobiles": 1, "software": 0}
    steel = one(result, "consortia_per_industry", "steel")
    assert (steel.required, steel.missing, steel.met) == (1, 1, False)
    assert steel.message == "钢铁：创新联合体 0/1 个，还需 1 个"
    with building(registry) as b:
        zj = b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one()
        b.consortium(zj, "steel")
        b.consortium(zj, "software")
    assert all(s.met for s in rows(evaluate(registry), "consortia_per_industry"))


def test_key_city_cap_is_two_or_three_by_the_pilot_zone_flag(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity(pilot=False)
        b.key_city(zj)
        b.key_city(zj)
    result = evaluate(registry)
    assert rows(result, "key_cities_with_pilot_zone") == []
    status = one(result, "key_cities_without_pilot_zone")
    assert (status.operator, status.current, status.required, status.met, status.missing) == ("<=", 2, 2, True, 0)

    with building(registry) as b:
        b.key_city(b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one())
    status = one(evaluate(registry), "key_cities_without_pilot_zone")
    assert (status.current, status.met, status.missing, status.state) == (3, False, 1, "unmet")
    assert status.message == "浙江省：重点城市 3 个，超过上限 2 个，需减少 1 个"
    assert one(evaluate(registry, lang="en"), "key_cities_without_pilot_zone").message == (
        "Zhejiang: 3 key cities, above the cap of 2 — remove 1"
    )

    with registry.session() as s:
        s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one().has_pilot_zone_or_base = True
        s.commit()
    result = evaluate(registry)
    assert rows(result, "key_cities_without_pilot_zone") == []
    status = one(result, "key_cities_with_pilot_zone")
    assert (status.current, status.required, status.met, status.missing) == (3, 3, True, 0)

    with building(registry) as b:
        b.key_city(b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one())
    status = one(evaluate(registry), "key_cities_with_pilot_zone")
    assert (status.current, status.met, status.missing) == (4, False, 1)


# -- deadlines ----------------------------------------------------------------------------------------------


def test_report_deadlines_met_overdue_and_pending(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        b.report(zj, "plan", submitted_on=date(2026, 5, 20))
        b.report(zj, "plan", submitted_on=date(2026, 6, 10))  # a resubmission: the first one counts
        b.report(zj, "phase", status="draft")
        b.report(zj, "final", submitted_on=date(2026, 11, 2), status="draft")
    result = evaluate(registry, today=date(2026, 9, 5))
    plan = one(result, "plan_submitted")
    assert (plan.met, plan.state, plan.late, plan.missing) == (True, "met", False, 0)
    assert plan.submitted_on == date(2026, 5, 20)
    assert plan.days_left == -98
    assert plan.message == "实施方案已于 2026-05-20 报送（截止 2026-05-30）"

    phase = one(result, "phase_report_submitted")
    assert (phase.met, phase.state, phase.late, phase.missing, phase.current) == (False, "overdue", False, 1, 0)
    assert phase.submitted_on is None
    assert phase.days_left == -6
    assert phase.message == "阶段总结报告尚未报送，已逾期 6 天（截止 2026-08-30）"

    final = one(result, "final_report_submitted")
    assert (final.met, final.state, final.days_left) == (False, "unmet", 86)
    assert one(evaluate(registry, today=date(2026, 9, 5), lang="en"), "final_report_submitted").message == (
        "final summary report not submitted — due 2026-11-30, 86 days left"
    )


def test_report_submitted_after_the_deadline_is_late(registry: Any) -> None:
    with building(registry) as b:
        zj = b.entity()
        b.report(zj, "plan", submitted_on=date(2026, 6, 2))
        b.report(zj, "phase", submitted_on=date(2026, 8, 30))  # on the day: in time
    result = evaluate(registry, today=date(2026, 9, 1))
    plan = one(result, "plan_submitted")
    assert (plan.current, plan.met, plan.state, plan.late, plan.missing) == (1, False, "late", True, 0)
    assert plan.submitted_on == date(2026, 6, 2)
    assert plan.message == "实施方案于 2026-06-02 报送，逾期 3 天（截止 2026-05-30）"
    phase = one(result, "phase_report_submitted")
    assert (phase.met, phase.state, phase.late) == (True, "met", False)
    assert one(evaluate(registry, today=date(2026, 9, 1), lang="en"), "plan_submitted").message == (
        "implementation plan submitted on 2026-06-02, 3 days late (due 2026-05-30)"
    )


def test_quota_rows_are_overdue_after_the_final_deadline(registry: Any) -> None:
    with building(registry) as b:
        b.entity()
    status = one(evaluate(registry, today=date(2026, 12, 3)), "spaces_per_province")
    assert (status.state, status.days_left, status.met) == ("overdue", -3, False)


# -- entities, summary, JSON, efficiency ----------------------------------------------------------------------


def test_unknown_entity_is_not_found(registry: Any) -> None:
    with building(registry) as b:
        b.entity()
    with registry.session() as s, pytest.raises(NotFound) as info:
        progress(s, entity="atlantis", today=TODAY)
    assert info.value.code == "not_found"
    assert "action entity" in info.value.what and "atlantis" in info.value.what
    assert "zj" in info.value.fix


def test_all_entities_in_code_order_with_a_summary(registry: Any) -> None:
    with building(registry) as b:
        b.entity()
        b.entity("js", name_zh="江苏省", name_en="Jiangsu", pilot=True)
    with registry.session() as s:
        results = progress(s, today=TODAY)
    assert [r.code for r in results] == ["js", "zj"]
    zj = results[1]
    assert zj.industries == ["steel", "automobiles", "software"]
    # industries(1) + common(3) + models(3) + scenarios(3) + spaces(1) + consortia(3) + key cities(1) + reports(3)
    assert zj.summary() == {
        "checks_total": 18,
        "checks_met": 2,
        "completion_rate": 0.1111,
        "rules_total": 10,
        "rules_met": 2,
        "overdue": 1,  # the plan was due 2026-05-30
    }
    assert one(zj, "plan_submitted").state == "overdue"
    assert [s.rule_id for s in results[0].rules if s.rule_id.startswith("key_cities")] == ["key_cities_with_pilot_zone"]


def test_as_dict_has_stable_keys(registry: Any) -> None:
    with building(registry) as b:
        b.entity()
    data = evaluate(registry, lang="en").as_dict()
    assert list(data) == ["entity", "today", "summary", "rules"]
    assert data["entity"] == {
        "code": "zj",
        "name_zh": "浙江省",
        "name_en": "Zhejiang",
        "kind": "province",
        "has_pilot_zone_or_base": False,
        "industries": ["steel", "automobiles", "software"],
    }
    assert data["today"] == "2026-06-01"
    first = data["rules"][0]
    assert list(first) == [
        "rule_id",
        "task",
        "title",
        "scope",
        "scope_key",
        "scope_name",
        "operator",
        "required",
        "current",
        "met",
        "missing",
        "state",
        "message",
        "deadline",
        "days_left",
        "submitted_on",
        "late",
    ]
    assert first["rule_id"] == "industries_per_province"
    assert first["title"] == {
        "zh": "省级地区选定重点行业不少于3个",
        "en": "A province selects at least 3 key industries",
    }
    assert first["deadline"] == "2026-11-30" and first["late"] is None
    plan = next(r for r in data["rules"] if r["rule_id"] == "plan_submitted")
    assert plan["late"] is False and plan["submitted_on"] is None and plan["days_left"] == -2


def test_query_count_does_not_grow_with_scenarios(registry: Any) -> None:
    def count_queries() -> int:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        event.listen(registry.engine, "before_cursor_execute", record)
        try:
            evaluate(registry)
        finally:
            event.remove(registry.engine, "before_cursor_execute", record)
        return len(statements)

    def add_scenarios(n: int) -> None:
        with building(registry) as b:
            zj = b.s.scalars(select(ActionEntity).where(ActionEntity.code == "zj")).one()
            for _ in range(n):
                scenario = b.scenario(zj)
                b.dataset(zj, kind="specialised", scenario=scenario)
                model = b.model(zj, kind="specialised", scenario=scenario)
                agent = b.agent(zj, scenario=scenario)
                b.case(zj, kind="landing", model=model)
                b.case(zj, kind="landing", agent=agent)

    with building(registry) as b:
        b.entity()
    add_scenarios(1)
    few = count_queries()
    add_scenarios(40)
    assert count_queries() == few
    result = evaluate(registry)
    assert len(rows(result, "specialised_datasets_per_scenario")) == 41
    assert all(s.current == 1 for s in rows(result, "landing_cases_per_agent"))
