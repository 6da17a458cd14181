"""What a federated learning task is: ``TaskSpec``, validated strictly before any node reads a row.

    spec = TaskSpec(task="classification", target="Machine failure", features=[...], family="logistic")
    spec = parse_spec(job_toml["task"], where="job.toml")   # the same, with a ResonanceError naming each field

Categorical features and derived features (issue 5 item 4 and the AI4I failure mechanisms): ``categorical`` names
features that are categories; each is one-hot encoded with ``vocabularies[column]``, which the space builds at
submission from the datasets' published (k-suppressed) top values — metadata, never rows — and carries in the job
plan, so every node encodes the same way. ``derived`` maps a new input's name to an expression over the numeric
features (``expressions``), computed at the node. The model's inputs (``inputs()``) are the numeric features, then
the derived ones, then one indicator per vocabulary entry (``"Type=L"``).

``TaskSpec.model_validate`` raises pydantic's ``ValidationError`` (callers such as the job parser turn each error
into a ``Problem``); ``parse_spec`` does that conversion itself. Unknown keys are refused, so a typo in a job file
(``learning_rte``) is an error, not a silently ignored setting.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from resonance.errors import Problem, ResonanceError
from resonance.federation.learning.expressions import parse_expression

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
    ``local_steps`` (optional, instead of ``local_epochs``) makes every node take exactly that many mini-batch
    steps per round whatever its row count. With equal epochs a node with twice the rows also takes twice the
    steps, and FedAvg's weighting by rows then counts it twice again: the largest node dominates the global model
    (the "objective inconsistency" of Wang et al., NeurIPS 2020, FedNova). Equal steps and weights by rows make
    each node count in proportion to its rows, as in the pooled data.
    ``dp_clip`` and ``dp_noise_multiplier`` come together: both set turns on client-side DP for every update.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)

    task: Literal["classification", "regression"]
    target: str = Field(min_length=1, max_length=200)
    features: list[str] = Field(min_length=1, max_length=2000)
    family: str = "logistic"
    local_epochs: int = Field(default=1, ge=1, le=1000)
    local_steps: int | None = Field(default=None, ge=1, le=1_000_000)
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
    categorical: list[str] = Field(default_factory=list, max_length=50)
    vocabularies: dict[str, list[str]] = Field(default_factory=dict)
    derived: dict[str, str] = Field(default_factory=dict, max_length=50)

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

    @field_validator("vocabularies", mode="before")
    @classmethod
    def _vocabulary_text(cls, value: Any) -> Any:
        """Categories are compared as text (a published top value 1 and a cell "1" are the same category)."""
        if isinstance(value, dict):
            return {k: [category_text(v) for v in vs] if isinstance(vs, list) else vs for k, vs in value.items()}
        return value

    @model_validator(mode="after")
    def _encodings(self) -> TaskSpec:
        unknown = [c for c in self.categorical if c not in self.features]
        if unknown:
            raise ValueError(f"categorical column {unknown[0]!r} is not among the features; list it in features too")
        if len(set(self.categorical)) != len(self.categorical):
            raise ValueError("categorical lists a column twice; list each once")
        for column, vocabulary in self.vocabularies.items():
            if column not in self.categorical:
                raise ValueError(f"vocabularies has {column!r}, which is not a categorical feature")
            if not vocabulary or len(vocabulary) > 1000:
                raise ValueError(f"the vocabulary of {column!r} needs 1 to 1000 categories, has {len(vocabulary)}")
            if len(set(vocabulary)) != len(vocabulary):
                raise ValueError(f"the vocabulary of {column!r} lists a category twice")
        numeric = frozenset(self.numeric_features)
        taken = set(self.features) | {self.target}
        for name, text in self.derived.items():
            if not name.strip() or name in taken:
                raise ValueError(f"derived feature name {name!r} is empty or already a column; choose a new name")
            taken.add(name)
            try:
                parse_expression(text, numeric, where=f"task.derived.{name}")
            except ResonanceError as exc:
                raise ValueError(exc.what) from None
        return self

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

    @property
    def numeric_features(self) -> list[str]:
        """The features that are numbers (all but the categorical ones), in declared order."""
        return [f for f in self.features if f not in self.categorical]

    def inputs(self) -> list[str]:
        """The model's input columns, in order: numeric features, derived features, one indicator per category.

        Raises ResonanceError (``no_vocabulary``) while a categorical feature has no vocabulary yet."""
        missing = [c for c in self.categorical if c not in self.vocabularies]
        if missing:
            raise ResonanceError(
                what=f"categorical feature {missing[0]!r} has no vocabulary",
                where="task.vocabularies",
                fix="submit the job through the space, which builds the vocabulary from the datasets' published top "
                "values, or give task.vocabularies / 分类特征缺少取值表",
                code="no_vocabulary",
                status=422,
            )
        one_hot = [f"{c}={v}" for c in self.categorical for v in self.vocabularies[c]]
        return [*self.numeric_features, *self.derived, *one_hot]

    @property
    def n_inputs(self) -> int:
        """How many columns the model sees (``len(inputs())``)."""
        return len(self.inputs())

    def columns(self) -> list[str]:
        """Every column a node must have: features, target and the split key, each once."""
        extra = [self.target] + ([self.split_key] if self.split_key and self.split_key not in self.features else [])
        return [*self.features, *extra]


def category_text(value: Any) -> str:
    """A category as text: integral floats without ".0" (a CSV cell 1.0 and a published top value 1 agree)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return category_text(value.item())
    return str(value).strip()


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
