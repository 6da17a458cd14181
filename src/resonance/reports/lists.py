"""The rows of the 成果清单 (achievement lists) of one action entity, with their ledger evidence.

``rows(session, entity, lang)`` reads every source once (datasets, models, scenarios, agents, spaces, consortia,
cases of the entity, retired rows left out) and returns, per source, plain rows: ``fields`` (the values the
columns of ``templates/lists.yaml`` may name, already in the report's language), ``keys`` (stable kind and
status keys, for the lists' ``where`` filters) and the ledger ``evidence``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.registry import models as m
from resonance.registry.vocabularies import label
from resonance.reports.evidence import Evidence, lookup
from resonance.reports.templates import ListSpec

_EVIDENCE = ("evidence", "evidence_seq", "evidence_hash", "evidence_link")
_COMMON = ("code", "name", "industry", "lead", "participants", "status", *_EVIDENCE)
FIELDS: dict[str, tuple[str, ...]] = {
    "datasets": (*_COMMON, "kind", "version", "scenario", "size", "quality", "sensitivity", "node"),
    "models": (*_COMMON, "kind", "version", "family", "scenario", "cases"),
    "scenarios": (*_COMMON, "stage", "tech_form", "pain_point", "target_kpi", "datasets", "solutions"),
    "agents": (*_COMMON, "scenario", "cases", "endpoint"),
    "spaces": (*_COMMON, "operator_type", "url"),
    "consortia": _COMMON,
    "cases": (*_COMMON, "kind", "target", "effect", "go_live_on", "scenario"),
}
RETIRED = "retired"
_LIVE_CONTRACT = ("AGREED", "VERIFIED", "FINALIZED")


@dataclass
class Row:
    subject: str
    fields: dict[str, Any]
    keys: dict[str, str] = field(default_factory=dict)
    evidence: Evidence | None = None


def _name(row: Any, lang: str) -> str:
    return (row.name_en or row.name_zh) if lang == "en" else row.name_zh


def _join(names: list[str], lang: str) -> str:
    unique = list(dict.fromkeys(n for n in names if n))
    return ("、" if lang == "zh" else ", ").join(unique)


class _Reader:
    """Lookups shared by the sources: organisations, industries and scenarios by id, for one language."""

    def __init__(self, session: Session, entity: m.ActionEntity, lang: str) -> None:
        self.session, self.entity, self.lang = session, entity, lang
        self.orgs = {o.id: o for o in session.scalars(select(m.Organisation))}
        self.org_codes = {o.code: o for o in self.orgs.values()}
        self.industries = {i.id: i for i in session.scalars(select(m.Industry))}
        self.scenarios = {s.id: s for s in session.scalars(select(m.Scenario).where(m.Scenario.entity_id == entity.id))}

    def org(self, org_id: int | None) -> str:
        org = self.orgs.get(org_id) if org_id is not None else None
        return _name(org, self.lang) if org else ""

    def industry(self, industry_id: int | None) -> str:
        row = self.industries.get(industry_id) if industry_id is not None else None
        return _name(row, self.lang) if row else ""

    def scenario(self, scenario_id: int | None) -> str:
        row = self.scenarios.get(scenario_id) if scenario_id is not None else None
        return f"{row.code} {_name(row, self.lang)}" if row else ""

    def label(self, vocabulary: str, key: str | None) -> str:
        return label(vocabulary, key, self.lang) if key else ""

    def mine(self, model: Any) -> list[Any]:
        stmt = select(model).where(model.entity_id == self.entity.id)
        if hasattr(model, "status") and model is not m.Space:
            stmt = stmt.where(model.status != RETIRED)
        if model is m.Scenario:
            stmt = stmt.where(m.Scenario.is_reference_example.is_(False))
        return list(self.session.scalars(stmt.order_by(model.code)))


def _datasets(r: _Reader) -> list[Row]:
    datasets = r.mine(m.Dataset)
    consumers: dict[int, list[str]] = defaultdict(list)
    ids = [d.id for d in datasets]
    if ids:
        stmt = select(m.Contract.dataset_id, m.Contract.consumer_org_id).where(
            m.Contract.dataset_id.in_(ids), m.Contract.state.in_(_LIVE_CONTRACT)
        )
        for dataset_id, org_id in r.session.execute(stmt):
            consumers[dataset_id].append(r.org(org_id))
    out = []
    for d in datasets:
        size = ""
        if d.row_count is not None:
            size = f"{d.row_count:,} 行" if r.lang == "zh" else f"{d.row_count:,} rows"
            if d.column_count is not None:
                size += f" × {d.column_count} 列" if r.lang == "zh" else f" × {d.column_count} columns"
        quality = ""
        if d.quality_grade or d.quality_score is not None:
            score = f"{d.quality_score:.1f}" if d.quality_score is not None else ""
            quality = f"{d.quality_grade or ''} {score}".strip()
        fields = {
            "code": d.code,
            "name": _name(d, r.lang),
            "industry": r.industry(d.industry_id),
            "lead": r.org(d.owner_org_id),
            "participants": _join(consumers[d.id], r.lang),
            "status": r.label("asset_status", d.status),
            "kind": r.label("dataset_kind", d.kind),
            "version": d.version,
            "scenario": r.scenario(d.scenario_id),
            "size": size,
            "quality": quality,
            "sensitivity": r.label("sensitivity_level", d.sensitivity),
            "node": d.node_id or "",
        }
        out.append(Row(f"dataset:{d.code}@{d.version}", fields, {"kind": d.kind, "status": d.status}))
    return out


def _case_counts(session: Session, column: Any, ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    if ids:
        stmt = select(column).where(column.in_(ids), m.Case.status != RETIRED)
        for (target,) in session.execute(stmt):
            counts[target] += 1
    return counts


def _models(r: _Reader) -> list[Row]:
    models = r.mine(m.ModelVersion)
    # the rules count a model by its code (all versions together); so do the lists' case counts
    ids_by_code: dict[str, list[int]] = defaultdict(list)
    for model in models:
        ids_by_code[model.code].append(model.id)
    per_id = _case_counts(r.session, m.Case.model_id, [model.id for model in models])
    out = []
    for model in models:
        providers = [
            r.org(r.org_codes[d["org"]].id) if d.get("org") in r.org_codes else str(d.get("org", ""))
            for d in (model.lineage or {}).get("datasets", [])
            if isinstance(d, dict)
        ]
        fields = {
            "code": model.code,
            "name": _name(model, r.lang),
            "industry": r.industry(model.industry_id),
            "lead": r.org(model.developer_org_id),
            "participants": _join(providers, r.lang),
            "status": r.label("asset_status", model.status),
            "kind": r.label("model_kind", model.kind),
            "version": model.version,
            "family": model.family,
            "scenario": r.scenario(model.scenario_id),
            "cases": sum(per_id[i] for i in ids_by_code[model.code]),
        }
        out.append(Row(f"model:{model.code}@{model.version}", fields, {"kind": model.kind, "status": model.status}))
    return out


def _scenarios(r: _Reader) -> list[Row]:
    scenarios = r.mine(m.Scenario)
    datasets: dict[int, int] = defaultdict(int)
    solutions: dict[int, int] = defaultdict(int)
    involved: dict[int, list[str]] = defaultdict(list)
    ids = [s.id for s in scenarios]
    if ids:
        stmt = select(m.Dataset.scenario_id, m.Dataset.owner_org_id).where(
            m.Dataset.scenario_id.in_(ids), m.Dataset.kind == "specialised", m.Dataset.status != RETIRED
        )
        for scenario_id, org_id in r.session.execute(stmt):
            datasets[scenario_id] += 1
            involved[scenario_id].append(r.org(org_id))
        stmt = select(m.ModelVersion.scenario_id, m.ModelVersion.code, m.ModelVersion.developer_org_id).where(
            m.ModelVersion.scenario_id.in_(ids), m.ModelVersion.kind == "specialised", m.ModelVersion.status != RETIRED
        )
        codes: dict[int, set[str]] = defaultdict(set)
        for scenario_id, code, org_id in r.session.execute(stmt):
            codes[scenario_id].add(code)
            involved[scenario_id].append(r.org(org_id))
        for scenario_id, found in codes.items():
            solutions[scenario_id] += len(found)
        stmt = select(m.Agent.scenario_id, m.Agent.org_id).where(
            m.Agent.scenario_id.in_(ids), m.Agent.status != RETIRED
        )
        for scenario_id, org_id in r.session.execute(stmt):
            solutions[scenario_id] += 1
            involved[scenario_id].append(r.org(org_id))
    out = []
    for s in scenarios:
        lead = r.org(s.lead_org_id)
        fields = {
            "code": s.code,
            "name": _name(s, r.lang),
            "industry": r.industry(s.industry_id),
            "lead": lead,
            "participants": _join([n for n in involved[s.id] if n != lead], r.lang),
            "status": r.label("scenario_status", s.status),
            "stage": r.label("process_stage", s.stage),
            "tech_form": r.label("tech_form", s.tech_form),
            "pain_point": s.pain_point,
            "target_kpi": s.target_kpi,
            "datasets": datasets[s.id],
            "solutions": solutions[s.id],
        }
        out.append(Row(f"scenario:{s.code}", fields, {"kind": s.tech_form, "status": s.status}))
    return out


def _agents(r: _Reader) -> list[Row]:
    agents = r.mine(m.Agent)
    counts = _case_counts(r.session, m.Case.agent_id, [a.id for a in agents])
    appliers: dict[int, list[str]] = defaultdict(list)
    if agents:
        stmt = select(m.Case.agent_id, m.Case.org_id).where(
            m.Case.agent_id.in_([a.id for a in agents]), m.Case.status != RETIRED
        )
        for agent_id, org_id in r.session.execute(stmt):
            appliers[agent_id].append(r.org(org_id))
    out = []
    for a in agents:
        fields = {
            "code": a.code,
            "name": _name(a, r.lang),
            "industry": r.industry(a.industry_id),
            "lead": r.org(a.org_id),
            "participants": _join(appliers[a.id], r.lang),
            "status": r.label("asset_status", a.status),
            "scenario": r.scenario(a.scenario_id),
            "cases": counts[a.id],
            "endpoint": a.endpoint,
        }
        out.append(Row(f"agent:{a.code}", fields, {"kind": "agent", "status": a.status}))
    return out


def _members(r: _Reader, members: list[Any], vocabulary: str, skip: int | None = None) -> str:
    by_org: dict[int, list[str]] = defaultdict(list)
    for member in members:
        if member.organisation_id != skip:
            by_org[member.organisation_id].append(r.label(vocabulary, member.role))
    sep = "；" if r.lang == "zh" else "; "
    roles_sep = "、" if r.lang == "zh" else ", "
    opening, closing = ("（", "）") if r.lang == "zh" else (" (", ")")
    return sep.join(f"{r.org(org)}{opening}{roles_sep.join(roles)}{closing}" for org, roles in by_org.items())


def _spaces(r: _Reader) -> list[Row]:
    out = []
    for s in r.mine(m.Space):
        fields = {
            "code": s.code,
            "name": _name(s, r.lang),
            "industry": _join([_name(i, r.lang) for i in s.industries], r.lang),
            "lead": r.org(s.operator_org_id),
            "participants": _members(r, s.members, "space_member_role", skip=s.operator_org_id),
            "status": r.label("space_status", s.status),
            "operator_type": r.label("space_operator_type", s.operator_type),
            "url": s.url,
        }
        out.append(Row(f"space:{s.code}", fields, {"kind": s.operator_type, "status": s.status}))
    return out


def _consortia(r: _Reader) -> list[Row]:
    out = []
    for c in r.mine(m.Consortium):
        fields = {
            "code": c.code,
            "name": _name(c, r.lang),
            "industry": r.industry(c.industry_id),
            "lead": r.org(c.lead_org_id),
            "participants": _members(r, c.members, "consortium_member_role"),
            "status": "已组建" if r.lang == "zh" else "Formed",
        }
        out.append(Row(f"consortium:{c.code}", fields, {"kind": "consortium", "status": "formed"}))
    return out


def _cases(r: _Reader) -> list[Row]:
    cases = r.mine(m.Case)
    models = {
        mv.id: mv for mv in r.session.scalars(select(m.ModelVersion).where(m.ModelVersion.entity_id == r.entity.id))
    }
    agents = {a.id: a for a in r.session.scalars(select(m.Agent).where(m.Agent.entity_id == r.entity.id))}
    missing_models = {c.model_id for c in cases if c.model_id and c.model_id not in models}
    if missing_models:  # a case of this entity may apply another entity's model
        models.update(
            {mv.id: mv for mv in r.session.scalars(select(m.ModelVersion).where(m.ModelVersion.id.in_(missing_models)))}
        )
    missing_agents = {c.agent_id for c in cases if c.agent_id and c.agent_id not in agents}
    if missing_agents:
        agents.update({a.id: a for a in r.session.scalars(select(m.Agent).where(m.Agent.id.in_(missing_agents)))})
    out = []
    for c in cases:
        target, maker = "", None
        if c.model_id in models:
            model = models[c.model_id]
            target, maker = f"{_name(model, r.lang)} {model.version}", model.developer_org_id
        elif c.agent_id in agents:
            agent = agents[c.agent_id]
            target, maker = _name(agent, r.lang), agent.org_id
        fields = {
            "code": c.code,
            "name": _name(c, r.lang),
            "industry": r.industry(c.industry_id),
            "lead": r.org(c.org_id),
            "participants": r.org(maker) if maker != c.org_id else "",
            "status": r.label("asset_status", c.status),
            "kind": r.label("case_kind", c.kind),
            "target": target,
            "effect": c.effect,
            "go_live_on": c.go_live_on.isoformat() if c.go_live_on else "",
            "scenario": r.scenario(c.scenario_id),
        }
        out.append(Row(f"case:{c.code}", fields, {"kind": c.kind, "status": c.status}))
    return out


_BUILDERS = {
    "datasets": _datasets,
    "models": _models,
    "scenarios": _scenarios,
    "agents": _agents,
    "spaces": _spaces,
    "consortia": _consortia,
    "cases": _cases,
}


def rows(session: Session, entity: m.ActionEntity, lang: str, evidence_link: str = "") -> dict[str, list[Row]]:
    """Every source's rows for ``entity`` in ``lang``, each with its ledger evidence filled in."""
    reader = _Reader(session, entity, lang)
    out = {source: build(reader) for source, build in _BUILDERS.items()}
    found = lookup(session, (row.subject for source in out.values() for row in source))
    for source in out.values():
        for row in source:
            ev = found[row.subject]
            row.evidence = ev
            row.fields.update(
                evidence=ev.line(lang),
                evidence_seq=ev.seq if ev.count else "",
                evidence_hash=ev.hash,
                evidence_link=ev.link(evidence_link),
            )
    return out


def select_rows(spec: ListSpec, source_rows: list[Row]) -> list[Row]:
    """The rows of one list: its source's rows passing its ``where`` filter."""
    return [row for row in source_rows if all(row.keys.get(key) in allowed for key, allowed in spec.where.items())]
