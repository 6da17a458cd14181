"""One descriptor per registry concept: its model, schemas, references, vocabularies, search and access facts.

The API routers, the CLI and the bulk importer are all generated from this table, so a concept is
described once and behaves the same through every door.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from resonance.registry import models as m
from resonance.registry.schemas import action, assets, governance, parties, scenarios


@dataclass(frozen=True)
class Ref:
    """A schema field that names another row; stored as the foreign-key ``column``."""

    column: str
    target: type[m.Base]
    kind: str


@dataclass(frozen=True)
class Concept:
    name: str  # plural, URL segment: "datasets"
    singular: str  # "dataset"
    zh: str
    model: type[m.Base]
    create: type[BaseModel] | None
    update: type[BaseModel] | None
    read: type[BaseModel]
    refs: dict[str, Ref] = field(default_factory=dict)
    vocab: dict[str, str] = field(default_factory=dict)  # field -> vocabulary
    search_fields: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()  # fields usable as ?field=value
    owner: str | None = None  # schema field naming the owning organisation
    entity_scoped: bool = False  # has entity_id: authorities see their own
    public: bool = True  # viewers may read
    lookup: tuple[str, ...] = ("code",)
    versioned: bool = False  # code@version
    write_hook: Callable[[Session, Any, dict[str, Any], str], None] | None = None
    read_hook: Callable[[Any], dict[str, Any]] | None = None
    create_defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def cli(self) -> str:
        """The CLI group people type: ``resonance dataset list``."""
        return CLI_GROUPS[self.name]


# CLI group name per concept: singular, as people say it
CLI_GROUPS = {
    "industries": "industry",
    "entities": "entity",
    "key-cities": "key-city",
    "organisations": "org",
    "spaces": "space",
    "consortia": "consortium",
    "scenarios": "scenario",
    "datasets": "dataset",
    "models": "model",
    "agents": "agent",
    "cases": "case",
    "contracts": "contract",
    "jobs": "job",
    "evaluations": "evaluation",
    "data-demands": "demand",
    "reports": "report",
}


INDUSTRY = Ref("industry_id", m.Industry, "industry")
ENTITY = Ref("entity_id", m.ActionEntity, "action entity")
SCENARIO = Ref("scenario_id", m.Scenario, "scenario")


def _org(column: str) -> Ref:
    return Ref(column, m.Organisation, "organisation")


# --- collection fields (many-to-many and child rows) -------------------------------------------------


def _industries_hook(session: Session, obj: Any, data: dict[str, Any], where: str) -> None:
    from resonance.registry.services import collect, resolve

    if data.get("industries") is not None:
        with collect() as found:
            for i, value in enumerate(data["industries"]):
                found.attempt(
                    lambda v=value, i=i: resolve(session, m.Industry, v, where=_at(where, f"industries[{i}]"))
                )
        obj.industries = list({ind.id: ind for ind in found.results}.values())


def _members_hook(member_model: type[m.Base], vocabulary: str, fk: str):  # type: ignore[no-untyped-def]
    def hook(session: Session, obj: Any, data: dict[str, Any], where: str) -> None:
        from resonance.registry.services import collect, resolve
        from resonance.registry.vocabularies import normalise

        if data.get("members") is None:
            return
        with collect() as found:
            for i, member in enumerate(data["members"]):
                at = _at(where, f"members[{i}]")
                found.attempt(
                    lambda mb=member, at=at: resolve(
                        session, m.Organisation, mb["organisation"], where=f"{at}.organisation"
                    )
                )
                found.attempt(lambda mb=member, at=at: normalise(vocabulary, mb["role"], where=f"{at}.role"))
        pairs = zip(found.results[::2], found.results[1::2], strict=True)
        unique = {(org.id, role): member_model(organisation_id=org.id, role=role) for org, role in pairs}
        obj.members = list(unique.values())

    return hook


def _space_hook(session: Session, obj: Any, data: dict[str, Any], where: str) -> None:
    from resonance.registry.services import collect

    with collect() as steps:
        steps.attempt(lambda: _industries_hook(session, obj, data, where))
        steps.attempt(lambda: _members_hook(m.SpaceMember, "space_member_role", "space_id")(session, obj, data, where))


def _org_roles_hook(session: Session, obj: Any, data: dict[str, Any], where: str) -> None:
    from resonance.registry.services import collect
    from resonance.registry.vocabularies import normalise

    if data.get("roles") is None:
        return
    with collect() as found:
        for i, role in enumerate(data["roles"]):
            found.attempt(lambda r=role, i=i: normalise("organisation_role", r, where=_at(where, f"roles[{i}]")))
    obj.roles = [m.OrganisationRole(role=r) for r in sorted(set(found.results))]


def _contract_hook(session: Session, obj: Any, data: dict[str, Any], where: str) -> None:
    # once offered, a contract's terms change only through negotiation (resonance.policy.contracts)
    if obj.state not in (None, "REQUESTED"):
        from resonance.errors import Conflict

        raise Conflict(
            what=f"contract {obj.id} is {obj.state}; its terms can no longer be edited",
            where=where,
            fix="terminate it (`resonance contract terminate`) and request a new one",
        )


def _agent_hook(session: Session, obj: Any, data: dict[str, Any], where: str) -> None:
    # an agent registered with a signed A2A card: what the card states changes only with a new signed card
    # (resonance.agents.registration.update passes where="card"); its status (e.g. retired) stays editable
    changed = sorted(set(data) - {"status"})
    if obj.card and where != "card" and changed:
        from resonance.errors import Conflict

        raise Conflict(
            what=f"agent {obj.code} is registered with a signed A2A card; {', '.join(changed)} come from that card",
            where=where or "agent",
            fix=f"change them in the card and send it signed by the agent's key: `resonance agents update {obj.code}"
            f" card.json` (PUT /api/v1/agents/{obj.code}/card); only status can be changed here",
        )


def _at(where: str, field: str) -> str:
    return f"{where}, field {field}" if where else f"field {field}"


def _codes_of(items: list[Any]) -> list[str]:
    return [i.code for i in items]


def _members_of(obj: Any) -> list[dict[str, Any]]:
    return [{"organisation": mb.organisation.code, "role": mb.role} for mb in obj.members]


def _entity_read(obj: m.ActionEntity) -> dict[str, Any]:
    return {"industries": _codes_of(obj.industries)}


def _space_read(obj: m.Space) -> dict[str, Any]:
    return {"industries": _codes_of(obj.industries), "members": _members_of(obj)}


def _consortium_read(obj: m.Consortium) -> dict[str, Any]:
    return {"members": _members_of(obj)}


def _org_read(obj: m.Organisation) -> dict[str, Any]:
    return {"roles": obj.role_names}


CONCEPTS: dict[str, Concept] = {
    c.name: c
    for c in [
        Concept(
            "industries",
            "industry",
            "行业",
            m.Industry,
            None,
            None,
            action.IndustryRead,
            search_fields=("name_zh", "name_en", "code"),
            lookup=("code", "name_zh", "name_en"),
        ),
        Concept(
            "entities",
            "entity",
            "行动主体",
            m.ActionEntity,
            action.EntityCreate,
            action.EntityUpdate,
            action.EntityRead,
            vocab={"kind": "entity_kind"},
            search_fields=("name_zh", "name_en", "description"),
            filters=("kind",),
            lookup=("code", "name_zh"),
            write_hook=_industries_hook,
            read_hook=_entity_read,
        ),
        Concept(
            "key-cities",
            "key city",
            "重点城市",
            m.KeyCity,
            action.KeyCityCreate,
            action.KeyCityUpdate,
            action.KeyCityRead,
            refs={"entity": ENTITY},
            filters=("entity",),
            entity_scoped=True,
            lookup=(),
        ),
        Concept(
            "organisations",
            "organisation",
            "单位",
            m.Organisation,
            parties.OrganisationCreate,
            parties.OrganisationUpdate,
            parties.OrganisationRead,
            refs={"entity": ENTITY},
            search_fields=("name_zh", "name_en", "description", "code"),
            filters=("entity",),
            entity_scoped=True,
            lookup=("code", "name_zh", "uscc"),
            write_hook=_org_roles_hook,
            read_hook=_org_read,
        ),
        Concept(
            "spaces",
            "space",
            "模数共振空间",
            m.Space,
            parties.SpaceCreate,
            parties.SpaceUpdate,
            parties.SpaceRead,
            refs={"entity": ENTITY, "operator": _org("operator_org_id")},
            vocab={"operator_type": "space_operator_type", "status": "space_status"},
            search_fields=("name_zh", "name_en", "description"),
            filters=("entity", "status"),
            owner="operator",
            entity_scoped=True,
            lookup=("code", "name_zh"),
            write_hook=_space_hook,
            read_hook=_space_read,
        ),
        Concept(
            "consortia",
            "consortium",
            "创新联合体",
            m.Consortium,
            parties.ConsortiumCreate,
            parties.ConsortiumUpdate,
            parties.ConsortiumRead,
            refs={"entity": ENTITY, "industry": INDUSTRY, "lead": _org("lead_org_id")},
            search_fields=("name_zh", "name_en", "description"),
            filters=("entity", "industry"),
            owner="lead",
            entity_scoped=True,
            lookup=("code",),
            write_hook=_members_hook(m.ConsortiumMember, "consortium_member_role", "consortium_id"),
            read_hook=_consortium_read,
        ),
        Concept(
            "scenarios",
            "scenario",
            "场景档案",
            m.Scenario,
            scenarios.ScenarioCreate,
            scenarios.ScenarioUpdate,
            scenarios.ScenarioRead,
            refs={"industry": INDUSTRY, "entity": ENTITY, "lead": _org("lead_org_id")},
            vocab={"stage": "process_stage", "tech_form": "tech_form", "status": "scenario_status"},
            search_fields=("name_zh", "name_en", "pain_point", "description", "code"),
            filters=("industry", "entity", "stage", "status", "is_reference_example"),
            owner="lead",
            entity_scoped=True,
            lookup=("code",),
        ),
        Concept(
            "datasets",
            "dataset",
            "数据集",
            m.Dataset,
            assets.DatasetCreate,
            assets.DatasetUpdate,
            assets.DatasetRead,
            refs={"industry": INDUSTRY, "entity": ENTITY, "scenario": SCENARIO, "owner": _org("owner_org_id")},
            vocab={
                "kind": "dataset_kind",
                "category": "data_category",
                "sensitivity": "sensitivity_level",
                "status": "asset_status",
            },
            search_fields=("name_zh", "name_en", "description", "code"),
            filters=("industry", "entity", "kind", "status", "owner", "scenario", "sensitivity"),
            owner="owner",
            entity_scoped=True,
            versioned=True,
        ),
        Concept(
            "models",
            "model",
            "模型",
            m.ModelVersion,
            assets.ModelCreate,
            assets.ModelUpdate,
            assets.ModelRead,
            refs={"industry": INDUSTRY, "entity": ENTITY, "scenario": SCENARIO, "developer": _org("developer_org_id")},
            vocab={"kind": "model_kind", "status": "asset_status"},
            search_fields=("name_zh", "name_en", "description", "code"),
            filters=("industry", "entity", "kind", "status", "developer", "scenario"),
            owner="developer",
            entity_scoped=True,
            versioned=True,
        ),
        Concept(
            "agents",
            "agent",
            "智能体",
            m.Agent,
            assets.AgentCreate,
            assets.AgentUpdate,
            assets.AgentRead,
            refs={"industry": INDUSTRY, "entity": ENTITY, "scenario": SCENARIO, "organisation": _org("org_id")},
            vocab={"status": "asset_status"},
            search_fields=("name_zh", "name_en", "description", "code"),
            filters=("industry", "entity", "status", "organisation", "scenario"),
            owner="organisation",
            entity_scoped=True,
            write_hook=_agent_hook,
        ),
        Concept(
            "cases",
            "case",
            "案例",
            m.Case,
            assets.CaseCreate,
            assets.CaseUpdate,
            assets.CaseRead,
            refs={
                "industry": INDUSTRY,
                "entity": ENTITY,
                "scenario": SCENARIO,
                "model": Ref("model_id", m.ModelVersion, "model"),
                "agent": Ref("agent_id", m.Agent, "agent"),
                "organisation": _org("org_id"),
            },
            vocab={"kind": "case_kind", "status": "asset_status"},
            search_fields=("name_zh", "name_en", "description", "effect", "code"),
            filters=("industry", "entity", "kind", "status", "organisation", "scenario", "model", "agent"),
            owner="organisation",
            entity_scoped=True,
        ),
        Concept(
            "contracts",
            "contract",
            "数字合约",
            m.Contract,
            governance.ContractCreate,
            governance.ContractUpdate,
            governance.ContractRead,
            refs={
                "dataset": Ref("dataset_id", m.Dataset, "dataset"),
                "consumer": _org("consumer_org_id"),
                "provider": _org("provider_org_id"),
            },
            filters=("dataset", "consumer", "provider", "state"),
            owner="consumer",
            public=False,
            lookup=(),
            write_hook=_contract_hook,
        ),
        Concept(
            "jobs",
            "job",
            "任务",
            m.Job,
            governance.JobCreate,
            governance.JobUpdate,
            governance.JobRead,
            refs={"submitter": _org("submitter_org_id")},
            filters=("kind", "status", "submitter"),
            owner="submitter",
            public=False,
            lookup=(),
        ),
        Concept(
            "evaluations",
            "evaluation",
            "评测结果",
            m.EvaluationResult,
            governance.EvaluationCreate,
            governance.EvaluationUpdate,
            governance.EvaluationRead,
            refs={
                "model": Ref("model_id", m.ModelVersion, "model"),
                "dataset": Ref("dataset_id", m.Dataset, "dataset"),
                "evaluator": _org("evaluator_org_id"),
            },
            filters=("model", "dataset", "evaluator"),
            owner="evaluator",
            lookup=(),
        ),
        Concept(
            "data-demands",
            "data demand",
            "数据需求",
            m.DataDemand,
            governance.DemandCreate,
            governance.DemandUpdate,
            governance.DemandRead,
            refs={
                "evaluation": Ref("evaluation_id", m.EvaluationResult, "evaluation"),
                "target": _org("target_org_id"),
                "industry": INDUSTRY,
            },
            filters=("target", "industry", "status"),
            owner="target",
            public=False,
            lookup=(),
        ),
        Concept(
            "reports",
            "report",
            "报告",
            m.Report,
            governance.ReportCreate,
            governance.ReportUpdate,
            governance.ReportRead,
            refs={"entity": ENTITY},
            vocab={"kind": "report_kind", "status": "report_status"},
            filters=("entity", "kind", "status"),
            entity_scoped=True,
            public=False,
            lookup=(),
        ),
    ]
}


def concept(name: str) -> Concept:
    from resonance.errors import NotFound

    try:
        return CONCEPTS[name]
    except KeyError:
        raise NotFound("concept", name, fix=f"use one of: {', '.join(CONCEPTS)}") from None
