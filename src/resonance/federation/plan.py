"""What the space tells every node about a job: the plan travels as one JSON string in Flower's run config.

It holds no paths and no rows: which dataset (code and version) each node contributes under which contract,
the task, the rounds and the privacy settings. Each node finds its own entry by its node id.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from resonance.errors import ResonanceError


@dataclass(frozen=True)
class Assignment:
    """One node's part in a job: its dataset and the contract that allows the use."""

    dataset: str
    version: str
    contract: str
    org: str


@dataclass(frozen=True)
class JobPlan:
    job_id: str
    consumer: str
    purpose: str
    rounds: int
    min_nodes: int
    task: dict[str, Any]
    participants: dict[str, Assignment]  # node id -> assignment
    operation: str = "federatedTrain"
    secagg: bool = False
    round_timeout: float = 120.0
    noise_multiplier: float | None = None
    clip: float | None = None
    delta: float = 1e-5
    epsilon: float | None = None  # ε per dataset this job will spend if it runs every round
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> JobPlan:
        try:
            data = json.loads(text)
            data["participants"] = {node: Assignment(**a) for node, a in data["participants"].items()}
            return cls(**data)
        except (ValueError, TypeError, KeyError) as exc:
            raise ResonanceError(
                what=f"the job plan sent by the space cannot be read: {exc}",
                where="run config 'job'",
                fix="the space and the node run different versions of resonance; upgrade both",
                code="bad_plan",
            ) from None
