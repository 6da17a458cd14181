"""What a federated learning task is: ``TaskSpec``, validated strictly before any node reads a row.

    spec = TaskSpec(task="classification", target="Machine failure", features=[...], family="logistic")
    spec = parse_spec(job_toml["task"], where="job.toml")   # the same, with a ResonanceError naming each field

``TaskSpec.model_validate`` raises pydantic's ``ValidationError`` (callers such as the job parser turn each error
into a ``Problem``); ``parse_spec`` does that conversion itself. Unknown keys are refused, so a typo in a job file
(``learning_rte``) is an error, not a silently ignored setting.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from resonance.errors import Problem, ResonanceError

FAMILIES: dict[str, tuple[str, ...]] = {
    "logistic": ("classification",),
    "linear": ("regression",),
    "mlp": ("classification", "regression"),
}
"""Each model family and the tasks it can learn."""


class TaskSpec(BaseModel):
    """One learning task: what to predict from which columns, with which model family and training settings.

    ``split_key`` (optional) names a column whose value decides the train/test split, so that all rows of one
    unit (an engine, a machine) land on the same side; without it each row is split on its position.
    ``dp_clip`` and ``dp_noise_multiplier`` come together: both set turns on client-side DP for every update.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)

    task: Literal["classification", "regression"]
    target: str = Field(min_length=1, max_length=200)
    features: list[str] = Field(min_length=1, max_length=2000)
    family: str = "logistic"
    local_epochs: int = Field(default=1, ge=1, le=1000)
    learning_rate: float = Field(default=0.01, gt=0, le=10)
    batch_size: int = Field(default=64, ge=1, le=1_000_000)
    proximal_mu: float = Field(default=0.0, ge=0, le=1000)
    hidden: list[int] = Field(default_factory=lambda: [32], max_length=8)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    dp_clip: float | None = Field(default=None, gt=0)
    dp_noise_multiplier: float | None = Field(default=None, ge=0)
    test_fraction: float = Field(default=0.2, gt=0, lt=1)
    split_key: str | None = Field(default=None, min_length=1, max_length=200)
    class_weight: Literal["none", "balanced"] = "none"

    @field_validator("family")
    @classmethod
    def _known_family(cls, value: str) -> str:
        if value not in FAMILIES:
            raise ValueError(f"unknown model family {value!r}; use one of {', '.join(FAMILIES)}")
        return value

    @field_validator("features")
    @classmethod
    def _distinct_features(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value]
        if any(not name for name in names):
            raise ValueError("a feature name is empty; give each feature column's exact header")
        seen: set[str] = set()
        repeated = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
        if repeated:
            raise ValueError(f"feature {repeated[0]!r} is listed twice; list each column once")
        return names

    @field_validator("hidden")
    @classmethod
    def _layer_sizes(cls, value: list[int]) -> list[int]:
        if any(size < 1 or size > 4096 for size in value):
            raise ValueError("each hidden layer needs 1 to 4096 units")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TaskSpec:
        if self.target in self.features:
            raise ValueError(f"the target {self.target!r} is also a feature; remove it from the features")
        if self.split_key is not None and self.split_key == self.target:
            raise ValueError("split_key cannot be the target; name a unit or id column")
        if self.task not in FAMILIES[self.family]:
            allowed = [f for f, tasks in FAMILIES.items() if self.task in tasks]
            raise ValueError(f"family {self.family!r} cannot learn a {self.task} task; use {' or '.join(allowed)}")
        if (self.dp_clip is None) != (self.dp_noise_multiplier is None):
            raise ValueError("set dp_clip and dp_noise_multiplier together (or neither)")
        if self.class_weight == "balanced" and self.task != "classification":
            raise ValueError("class_weight 'balanced' only applies to classification")
        return self

    @property
    def private(self) -> bool:
        """True when every update is clipped and noised before it leaves the node."""
        return self.dp_clip is not None and self.dp_noise_multiplier is not None

    def columns(self) -> list[str]:
        """Every column a node must have: features, target and the split key, each once."""
        extra = [self.target] + ([self.split_key] if self.split_key and self.split_key not in self.features else [])
        return [*self.features, *extra]


def parse_spec(data: Any, where: str = "task") -> TaskSpec:
    """Validate ``data`` (a dict, e.g. a job file's ``[task]`` table) into a TaskSpec.

    Raises ``ResonanceError`` (code ``invalid_task``) listing one ``Problem`` per bad field.
    """
    if isinstance(data, TaskSpec):
        return data
    if not isinstance(data, dict):
        raise ResonanceError(
            what=f"a task must be a table of fields, got {type(data).__name__}",
            where=where,
            fix="give task, target, features and family as key = value pairs",
            code="invalid_task",
            status=422,
        )
    try:
        return TaskSpec.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                what=err["msg"].removeprefix("Value error, "),
                where=f"{where}.{'.'.join(str(p) for p in err['loc'])}" if err["loc"] else where,
                value=err.get("input") if isinstance(err.get("input"), str | int | float) else None,
                fix="see docs/learning.md for the task fields",
            )
            for err in exc.errors()
        ]
        raise ResonanceError(
            what=f"the task has {len(problems)} problem(s): " + "; ".join(str(p) for p in problems),
            where=where,
            fix="correct the listed fields; 任务定义有误，请按提示修改",
            code="invalid_task",
            status=422,
            problems=problems,
        ) from None
