"""SQLAlchemy models of every registry concept (ARCHITECTURE.md, "Core concepts")."""

from resonance.registry.models.action import ActionEntity, Industry, KeyCity, entity_industries
from resonance.registry.models.assets import Agent, Case, Dataset, ModelVersion
from resonance.registry.models.auth import ApiToken
from resonance.registry.models.base import Base
from resonance.registry.models.governance import (
    Contract,
    DataDemand,
    DatasetPolicy,
    EvaluationResult,
    FlywheelCycle,
    Job,
    Report,
)
from resonance.registry.models.ledger import EpsilonSpending, LedgerEvent, LedgerHead, Metering
from resonance.registry.models.nodes import Node
from resonance.registry.models.parties import (
    Consortium,
    ConsortiumMember,
    Organisation,
    OrganisationRole,
    Space,
    SpaceMember,
    space_industries,
)
from resonance.registry.models.scenarios import Scenario
from resonance.registry.models.search import SearchTerm

__all__ = [
    "ActionEntity",
    "Agent",
    "ApiToken",
    "Base",
    "Case",
    "Consortium",
    "ConsortiumMember",
    "Contract",
    "DataDemand",
    "Dataset",
    "DatasetPolicy",
    "EpsilonSpending",
    "EvaluationResult",
    "FlywheelCycle",
    "Industry",
    "Job",
    "KeyCity",
    "LedgerEvent",
    "LedgerHead",
    "Metering",
    "ModelVersion",
    "Node",
    "Organisation",
    "OrganisationRole",
    "Report",
    "Scenario",
    "SearchTerm",
    "Space",
    "SpaceMember",
    "entity_industries",
    "space_industries",
]
