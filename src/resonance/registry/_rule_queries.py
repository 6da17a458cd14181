"""The counts behind the action's rules (``data/rules.yaml``): one GROUP BY query per metric, all entities at once.

Each metric returns, per action entity id, the list of items it checks (the entity itself, each selected
industry, each counted scenario, each model, each agent) with the current count. The number of queries does
not grow with the number of scenarios, models or entities.

What counts (the notice, per action entity): a row counts for an entity when its ``entity_id`` is that entity;
industry-level rows only in an industry the entity selected; rows with status ``retired`` never; reference-example
scenarios never. A model is identified by its code, so all versions of one model count once and share cases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from resonance.registry.models import (
    ActionEntity,
    Agent,
    Case,
    Consortium,
    Dataset,
    Industry,
    KeyCity,
    ModelVersion,
    Report,
    Scenario,
    Space,
    entity_industries,
)

RETIRED = "retired"


@dataclass(frozen=True)
class Item:
    """One thing a rule checks, with its current count (``submitted_on`` only for reports)."""

    key: str
    name_zh: str
    name_en: str
    current: int
    submitted_on: date | None = None


Counts = dict[int, list[Item]]


def _in_selected_industry(model: Any) -> ColumnElement[bool]:
    """Join condition: the row's (entity, industry) pair is one the entity selected."""
    return and_(
        entity_industries.c.entity_id == model.entity_id,
        entity_industries.c.industry_id == model.industry_id,
    )


@dataclass(frozen=True)
class _Named:
    id: int
    code: str
    name_zh: str
    name_en: str

    def item(self, current: int) -> Item:
        return Item(self.code, self.name_zh, self.name_en or self.name_zh, current)


class Context:
    """The entities under evaluation and the lists several metrics share (selected industries, scenarios)."""

    def __init__(self, session: Session, entities: list[ActionEntity]) -> None:
        self.session = session
        self.entities = entities
        self.ids = [e.id for e in entities]
        self.selected: dict[int, list[Industry]] = {e.id: list(e.industries) for e in entities}
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], Counts] = {}

    def metric(self, name: str, params: Mapping[str, str]) -> Counts:
        key = (name, tuple(sorted(params.items())))
        if key not in self._cache:
            self._cache[key] = METRICS[name].compute(self, params)
        return self._cache[key]

    @cached_property
    def scenarios(self) -> dict[int, list[_Named]]:
        """Counted scenarios per entity: the entity's own, in a selected industry, not reference examples."""
        stmt = (
            select(Scenario.id, Scenario.entity_id, Scenario.code, Scenario.name_zh, Scenario.name_en)
            .join(entity_industries, _in_selected_industry(Scenario))
            .join(Industry, Industry.id == Scenario.industry_id)
            .where(
                Scenario.entity_id.in_(self.ids),
                Scenario.is_reference_example.is_(False),
                Scenario.status != RETIRED,
            )
            .order_by(Industry.position, Scenario.code)
        )
        out: dict[int, list[_Named]] = {eid: [] for eid in self.ids}
        for sid, eid, code, zh, en in self.session.execute(stmt):
            out[eid].append(_Named(sid, code, zh, en))
        return out

    @cached_property
    def scenario_ids(self) -> dict[int, set[int]]:
        return {eid: {s.id for s in rows} for eid, rows in self.scenarios.items()}

    def per_entity(self, counts: Mapping[int, int]) -> Counts:
        return {e.id: [Item(e.code, e.name_zh, e.name_en or e.name_zh, counts.get(e.id, 0))] for e in self.entities}

    def per_industry(self, model: Any, *where: ColumnElement[bool], distinct: Any = None) -> Counts:
        """Count rows of ``model`` per (entity, selected industry); every selected industry gets an item."""
        counted = func.count(func.distinct(distinct)) if distinct is not None else func.count()
        stmt = (
            select(model.entity_id, model.industry_id, counted)
            .join(entity_industries, _in_selected_industry(model))
            .where(model.entity_id.in_(self.ids), *where)
            .group_by(model.entity_id, model.industry_id)
        )
        counts = {(eid, iid): n for eid, iid, n in self.session.execute(stmt)}
        return {
            eid: [
                Item(ind.code, ind.name_zh, ind.name_en or ind.name_zh, counts.get((eid, ind.id), 0))
                for ind in industries
            ]
            for eid, industries in self.selected.items()
        }

    def per_scenario(self, counts: Mapping[tuple[int, int], int]) -> Counts:
        return {eid: [s.item(counts.get((eid, s.id), 0)) for s in rows] for eid, rows in self.scenarios.items()}

    def grouped(self, stmt: Any) -> dict[tuple[int, Any], int]:
        return {(eid, key): n for eid, key, n in self.session.execute(stmt)}

    def models(self, kind: str, *, with_scenario: bool) -> dict[int, list[_Named]]:
        """Models (by code, newest version's names) of each entity in a selected industry, not retired.

        With ``with_scenario`` only models attached to one of the entity's counted scenarios.
        """
        stmt = (
            select(
                ModelVersion.id,
                ModelVersion.entity_id,
                ModelVersion.code,
                ModelVersion.name_zh,
                ModelVersion.name_en,
                ModelVersion.scenario_id,
            )
            .join(entity_industries, _in_selected_industry(ModelVersion))
            .where(ModelVersion.entity_id.in_(self.ids), ModelVersion.kind == kind, ModelVersion.status != RETIRED)
            .order_by(ModelVersion.code, ModelVersion.id.desc())
        )
        out: dict[int, dict[str, _Named]] = {eid: {} for eid in self.ids}
        for mid, eid, code, zh, en, scenario_id in self.session.execute(stmt):
            if with_scenario and scenario_id not in self.scenario_ids[eid]:
                continue
            out[eid].setdefault(code, _Named(mid, code, zh, en))
        return {eid: list(by_code.values()) for eid, by_code in out.items()}


# -- the metrics --------------------------------------------------------------------------------------------


def _selected_industries(ctx: Context, _params: Mapping[str, str]) -> Counts:
    return ctx.per_entity({eid: len(industries) for eid, industries in ctx.selected.items()})


def _count_per_entity(ctx: Context, model: Any, *where: ColumnElement[bool]) -> Counts:
    stmt = select(model.entity_id, func.count()).where(model.entity_id.in_(ctx.ids), *where).group_by(model.entity_id)
    return ctx.per_entity({eid: n for eid, n in ctx.session.execute(stmt)})


def _spaces(ctx: Context, _params: Mapping[str, str]) -> Counts:
    return _count_per_entity(ctx, Space, Space.status != RETIRED)


def _key_cities(ctx: Context, _params: Mapping[str, str]) -> Counts:
    return _count_per_entity(ctx, KeyCity)


def _reports_submitted(ctx: Context, params: Mapping[str, str]) -> Counts:
    stmt = (
        select(Report.entity_id, func.count(), func.min(Report.submitted_on))
        .where(Report.entity_id.in_(ctx.ids), Report.kind == params["report_kind"], Report.status == "submitted")
        .group_by(Report.entity_id)
    )
    found = {eid: (n, first) for eid, n, first in ctx.session.execute(stmt)}
    out: Counts = {}
    for e in ctx.entities:
        n, first = found.get(e.id, (0, None))
        out[e.id] = [Item(e.code, e.name_zh, e.name_en or e.name_zh, n, first)]
    return out


def _common_datasets(ctx: Context, _params: Mapping[str, str]) -> Counts:
    return ctx.per_industry(Dataset, Dataset.kind == "common", Dataset.status != RETIRED)


def _industry_models(ctx: Context, _params: Mapping[str, str]) -> Counts:
    where = (ModelVersion.kind == "industry", ModelVersion.status != RETIRED)
    return ctx.per_industry(ModelVersion, *where, distinct=ModelVersion.code)


def _scenario_files(ctx: Context, _params: Mapping[str, str]) -> Counts:
    return ctx.per_industry(Scenario, Scenario.is_reference_example.is_(False), Scenario.status != RETIRED)


def _consortia(ctx: Context, _params: Mapping[str, str]) -> Counts:
    return ctx.per_industry(Consortium)


def _specialised_datasets(ctx: Context, _params: Mapping[str, str]) -> Counts:
    stmt = (
        select(Dataset.entity_id, Dataset.scenario_id, func.count())
        .where(
            Dataset.entity_id.in_(ctx.ids),
            Dataset.scenario_id.is_not(None),
            Dataset.kind == "specialised",
            Dataset.status != RETIRED,
        )
        .group_by(Dataset.entity_id, Dataset.scenario_id)
    )
    return ctx.per_scenario(ctx.grouped(stmt))


def _specialised_models_or_agents(ctx: Context, _params: Mapping[str, str]) -> Counts:
    models = ctx.grouped(
        select(ModelVersion.entity_id, ModelVersion.scenario_id, func.count(func.distinct(ModelVersion.code)))
        .where(
            ModelVersion.entity_id.in_(ctx.ids),
            ModelVersion.scenario_id.is_not(None),
            ModelVersion.kind == "specialised",
            ModelVersion.status != RETIRED,
        )
        .group_by(ModelVersion.entity_id, ModelVersion.scenario_id)
    )
    agents = ctx.grouped(
        select(Agent.entity_id, Agent.scenario_id, func.count())
        .where(Agent.entity_id.in_(ctx.ids), Agent.scenario_id.is_not(None), Agent.status != RETIRED)
        .group_by(Agent.entity_id, Agent.scenario_id)
    )
    return ctx.per_scenario({k: models.get(k, 0) + agents.get(k, 0) for k in models.keys() | agents.keys()})


def _cases_per_model(ctx: Context, model_kind: str, case_kind: str, *, with_scenario: bool) -> Counts:
    """Cases of one kind per model code; cases of any version of the model count for the model."""
    counts = ctx.grouped(
        select(Case.entity_id, ModelVersion.code, func.count(Case.id))
        .join(ModelVersion, ModelVersion.id == Case.model_id)
        .where(
            Case.entity_id.in_(ctx.ids),
            Case.kind == case_kind,
            Case.status != RETIRED,
            ModelVersion.kind == model_kind,
        )
        .group_by(Case.entity_id, ModelVersion.code)
    )
    models = ctx.models(model_kind, with_scenario=with_scenario)
    return {eid: [m.item(counts.get((eid, m.code), 0)) for m in rows] for eid, rows in models.items()}


def _application_cases(ctx: Context, _params: Mapping[str, str]) -> Counts:
    return _cases_per_model(ctx, "industry", "application", with_scenario=False)


def _model_landing_cases(ctx: Context, _params: Mapping[str, str]) -> Counts:
    return _cases_per_model(ctx, "specialised", "landing", with_scenario=True)


def _agent_landing_cases(ctx: Context, _params: Mapping[str, str]) -> Counts:
    counts = ctx.grouped(
        select(Case.entity_id, Case.agent_id, func.count())
        .where(Case.entity_id.in_(ctx.ids), Case.agent_id.is_not(None), Case.kind == "landing", Case.status != RETIRED)
        .group_by(Case.entity_id, Case.agent_id)
    )
    stmt = (
        select(Agent.id, Agent.entity_id, Agent.code, Agent.name_zh, Agent.name_en, Agent.scenario_id)
        .join(entity_industries, _in_selected_industry(Agent))
        .where(Agent.entity_id.in_(ctx.ids), Agent.status != RETIRED)
        .order_by(Agent.code)
    )
    out: Counts = {eid: [] for eid in ctx.ids}
    for aid, eid, code, zh, en, scenario_id in ctx.session.execute(stmt):
        if scenario_id in ctx.scenario_ids[eid]:
            out[eid].append(_Named(aid, code, zh, en).item(counts.get((eid, aid), 0)))
    return out


@dataclass(frozen=True)
class Metric:
    scope: str
    compute: Callable[[Context, Mapping[str, str]], Counts]
    params: tuple[str, ...] = ()


METRICS: dict[str, Metric] = {
    "selected_industries": Metric("entity", _selected_industries),
    "spaces": Metric("entity", _spaces),
    "key_cities": Metric("entity", _key_cities),
    "reports_submitted": Metric("entity", _reports_submitted, ("report_kind",)),
    "common_datasets": Metric("industry", _common_datasets),
    "industry_models": Metric("industry", _industry_models),
    "scenario_files": Metric("industry", _scenario_files),
    "consortia": Metric("industry", _consortia),
    "specialised_datasets": Metric("scenario", _specialised_datasets),
    "specialised_models_or_agents": Metric("scenario", _specialised_models_or_agents),
    "application_cases": Metric("model", _application_cases),
    "model_landing_cases": Metric("model", _model_landing_cases),
    "agent_landing_cases": Metric("agent", _agent_landing_cases),
}
