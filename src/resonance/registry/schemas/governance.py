"""Contracts, jobs, evaluation results, data demands and reports (registry rows; behaviour comes later)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from resonance.registry.schemas._types import Description, Input, JsonDict, Output, Ref, Short, SmallCount, Timestamp


class ContractCreate(Input):
    dataset: Ref
    consumer: Ref
    purpose: Description = ""
    expires_at: Timestamp | None = None
    policy: JsonDict = Field(default_factory=dict)


class ContractUpdate(Input):
    purpose: Description | None = None
    expires_at: Timestamp | None = None
    policy: JsonDict | None = None


class ContractRead(Output):
    """A 数字合约 with the fields of POLICY-NOTES §2; negotiate it with the /contracts/{id}/{step} endpoints."""

    id: int
    dataset: str
    provider: str
    consumer: str
    purpose: str
    purpose_kind: str = Field(default="", description="scenario | model: what the purpose names")
    state: str
    expires_at: datetime | None
    policy: dict[str, Any]
    dataset_fingerprint: str = Field(default="", description="the dataset version hash the contract binds")
    operations: list[str] = Field(default_factory=list, description="federatedTrain, evaluate")
    compute_node: str = Field(default="", description="the provider's node: the only compute location")
    max_rounds: int | None = None
    epsilon_budget: float | None = None
    min_nodes: int = 1
    output_restrictions: list[str] = Field(default_factory=list)
    signatures: list[dict[str, Any]] = Field(default_factory=list, description="one space-signed record per step")
    reason: str = Field(default="", description="why it was terminated")
    created_at: datetime
    updated_at: datetime


class JobCreate(Input):
    kind: str = Field(pattern=r"^(training|evaluation)$")
    name: Short = ""
    submitter: Ref
    rounds_total: SmallCount = 0
    spec: JsonDict = Field(default_factory=dict)


class JobUpdate(Input):
    name: Short | None = None
    spec: JsonDict | None = None


class JobRead(Output):
    id: int
    kind: str
    name: str
    submitter: str
    status: str
    rounds_total: int
    rounds_done: int
    spec: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class EvaluationCreate(Input):
    model: Ref
    dataset: Ref
    evaluator: Ref
    metrics: JsonDict = Field(default_factory=dict)
    signature: str = Field(default="", max_length=200)


class EvaluationRead(Output):
    id: int
    model: str
    dataset: str
    evaluator: str
    metrics: dict[str, Any]
    signature: str
    created_at: datetime
    updated_at: datetime


class EvaluationUpdate(Input):
    metrics: JsonDict | None = None


class DemandCreate(Input):
    evaluation: Ref | None = None
    target: Ref
    industry: Ref
    slice_description: Description = ""
    examples_wanted: SmallCount = 0
    status: str = Field(default="open", pattern=r"^(open|answered|closed)$")


class DemandUpdate(Input):
    slice_description: Description | None = None
    examples_wanted: SmallCount | None = None
    status: str | None = Field(default=None, pattern=r"^(open|answered|closed)$")


class DemandRead(Output):
    id: int
    evaluation: str | None
    target: str
    industry: str
    slice_description: str
    examples_wanted: int
    status: str
    created_at: datetime
    updated_at: datetime


class ReportCreate(Input):
    entity: Ref
    kind: str = Field(max_length=40, description="plan | phase | final")
    title: Short = ""
    lang: str = Field(default="zh", pattern=r"^(zh|en)$")
    status: str = Field(default="draft", max_length=40)
    submitted_on: date | None = None
    description: Description = ""


class ReportUpdate(Input):
    title: Short | None = None
    lang: str | None = Field(default=None, pattern=r"^(zh|en)$")
    status: str | None = Field(default=None, max_length=40)
    submitted_on: date | None = None
    description: Description | None = None


class ReportRead(Output):
    id: int
    entity: str
    kind: str
    title: str
    lang: str
    status: str
    submitted_on: date | None
    file_sha256: str | None
    description: str
    created_at: datetime
    updated_at: datetime
