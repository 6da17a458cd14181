"""A training job as a developer writes it: ``JOB.toml``, validated as a whole before anything is recorded.

```toml
name = "铣削加工故障预测（联邦）"
consumer = "model-co"                  # the developer organisation that asks for the job
purpose = "machine-tool-failure"       # the scenario or model code every contract must name
datasets = ["ai4i-l", "ai4i-m", "ai4i-h"]

[model]                                # the ModelVersion the job yields
code = "mt-failure"
name_zh = "机床故障预测行业模型"
industry = "machine_tools"

[task]                                 # what L's TaskSpec takes: task, target, features, family, epochs, …
task = "classification"
target = "Machine failure"
features = ["Air temperature [K]", "Process temperature [K]"]
family = "logistic"

[training]
strategy = "fedavg"                    # fedavg | fedprox (fedprox needs task.proximal_mu > 0)
rounds = 10
min_nodes = 2
secagg = false

[privacy]                              # optional: client-side clipping + Gaussian noise, ε accounted per dataset
noise_multiplier = 1.0
clip = 1.0
delta = 1e-5
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from resonance.errors import Problem, ResonanceError
from resonance.registry.schemas._types import Code, Name, NameEn, Ref, Short

MAX_ROUNDS = 1000


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ModelTarget(_Section):
    code: Code
    version: str | None = Field(default=None, max_length=40, description="default: next free version")
    name_zh: Name
    name_en: NameEn = ""
    kind: Literal["industry", "specialised"] = "industry"
    industry: Ref
    scenario: Ref | None = None


class Training(_Section):
    strategy: Literal["fedavg", "fedprox"] = "fedavg"
    rounds: int = Field(default=10, ge=1, le=MAX_ROUNDS)
    min_nodes: int = Field(default=2, ge=1, le=1000)
    secagg: bool = False
    round_timeout: float = Field(default=120.0, gt=0, le=86_400, description="seconds to wait for a round's replies")


class Privacy(_Section):
    noise_multiplier: float = Field(gt=0, le=100)
    clip: float = Field(default=1.0, gt=0, le=1e6)
    delta: float = Field(default=1e-5, gt=0, lt=1)


class JobSpec(_Section):
    name: Short = ""
    consumer: Ref
    purpose: Ref
    datasets: list[Code] = Field(min_length=1, max_length=200)
    model: ModelTarget
    task: dict[str, Any]
    training: Training = Field(default_factory=Training)
    privacy: Privacy | None = None

    @model_validator(mode="after")
    def _consistent(self) -> JobSpec:
        if len(set(self.datasets)) != len(self.datasets):
            raise ValueError("datasets lists the same dataset twice; name each once")
        if self.training.min_nodes > len(self.datasets):
            raise ValueError(
                f"training.min_nodes is {self.training.min_nodes} but only {len(self.datasets)} datasets take part; "
                "lower min_nodes or add datasets"
            )
        mu = float(self.task.get("proximal_mu", 0.0) or 0.0)
        if self.training.strategy == "fedprox" and mu <= 0:
            raise ValueError("strategy fedprox needs task.proximal_mu > 0 (e.g. 0.01)")
        return self

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def parse_job(data: dict[str, Any], where: str = "JOB.toml") -> JobSpec:
    """Validate a job as a whole; every problem is listed with its TOML location."""
    try:
        spec = JobSpec.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                what=err["msg"].removeprefix("Value error, "),
                where=f"{where}: {'.'.join(str(p) for p in err['loc']) or '(top level)'}",
                fix="see docs/federation.md, 'The job file'",
                value=None if err["type"] == "missing" else _short(err.get("input")),
            )
            for err in exc.errors()
        ]
        raise ResonanceError(
            what=f"the job file has {len(problems)} problem(s): " + "; ".join(str(p) for p in problems),
            where=where,
            fix="correct the listed fields and submit again; nothing was recorded",
            code="invalid_job",
            status=422,
            problems=problems,
        ) from None
    _check_task(spec, where)
    return spec


def load_job(path: Path) -> JobSpec:
    """Read ``JOB.toml`` (UTF-8); a missing, undecodable or malformed file is a clear error."""
    where = str(path)
    if not path.is_file():
        raise ResonanceError(what="the job file does not exist", where=where, fix="give the path of a JOB.toml file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ResonanceError(
            what=f"the job file is not UTF-8 (byte {exc.start} cannot be decoded)",
            where=where,
            fix="save it as UTF-8 (TOML files must be UTF-8; e.g. `iconv -f GBK -t UTF-8`)",
            code="bad_encoding",
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ResonanceError(
            what=f"the job file is not valid TOML: {exc}", where=where, fix="fix the TOML syntax", code="bad_toml"
        ) from None
    return parse_job(data, where=where)


def _check_task(spec: JobSpec, where: str) -> None:
    """The [task] table is the learning layer's TaskSpec: its own parser names each bad field."""
    from resonance.federation.learning.spec import parse_spec

    task = dict(spec.task)
    if spec.privacy is not None:
        task.setdefault("dp_clip", spec.privacy.clip)
        task.setdefault("dp_noise_multiplier", spec.privacy.noise_multiplier)
    try:
        parse_spec(task, where=f"{where}: task")
    except ResonanceError as exc:
        exc.code, exc.fix = "invalid_job", "correct the listed fields and submit again; nothing was recorded"
        raise


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 80 else text[:77] + "..."
