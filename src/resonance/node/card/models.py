"""The card's sections as pydantic models: ``basic`` 基本信息 (0101), ``content`` 内容特征 (0102),
``process`` 建设过程 (0103), ``usage`` 应用说明 (0104), and the whole ``Card``.

Every model forbids unknown fields; ``content`` refuses data rows (samples never leave the node).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from resonance.node.card._vocab import (
    STEPS,
    AccessKey,
    CategoryKey,
    Day,
    Industry,
    KindKey,
    Lang,
    LevelKey,
    Modalities,
    ModeKey,
    Stages,
    StepKey,
    Str,
    logical_type,
)

_NOT_IN_CARD = ("samples", "sample", "examples", "rows", "records", "data")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=True)


class Text(_Model):
    """Bilingual text. In YAML a plain string is accepted: Chinese text goes to ``zh``, other text to ``en``."""

    zh: str = ""
    en: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return {"zh" if re.search(r"[\u4e00-\u9fff]", str(value)) else "en": str(value)}
        return value

    def filled(self) -> bool:
        return bool(self.zh or self.en)

    def get(self, lang: Lang) -> str:
        """The text in ``lang``, falling back to the other language."""
        return (self.zh or self.en) if lang == "zh" else (self.en or self.zh)


def _text() -> Any:
    return Field(default_factory=Text)


# --- 基本信息 0101 -------------------------------------------------------------------------------------------------
class Scale(_Model):
    rows: int | None = Field(default=None, ge=0)
    columns: int | None = Field(default=None, ge=0)


class Contact(_Model):
    name: Str = ""
    email: Str = ""
    phone: Str = ""


class Basic(_Model):
    """基本信息: what the dataset is, who provides it, how it may be accessed."""

    name: Text = _text()
    summary: Text = _text()
    version: Str = ""
    provider: Str = ""
    owner: Str = ""
    industry: Industry = ""
    dataset_type: KindKey = ""
    data_category: CategoryKey = ""
    modality: Modalities = Field(default_factory=list)
    stage: Stages = Field(default_factory=list)
    scale: Scale = Field(default_factory=Scale)
    format: Str = ""
    licence: Str = ""
    usage_terms: Text = _text()
    access: AccessKey = ""
    contact: Contact = Field(default_factory=Contact)
    keywords: list[Str] = Field(default_factory=list)
    citation: Str = ""


# --- 内容特征 0102 -------------------------------------------------------------------------------------------------
class Column(_Model):
    """One row of the schema table; a label column (``label: true``) carries its definition."""

    name: Str = Field(min_length=1)
    type: Annotated[str, BeforeValidator(lambda v: logical_type(v) if v else "")] = ""
    unit: Str = ""
    description: Text = _text()
    label: bool = False
    label_definition: Text = _text()


class LabelStat(_Model):
    """Aggregate count of one label class (never a row)."""

    value: Str = Field(min_length=1)
    count: int | None = Field(default=None, ge=0)
    share: float | None = Field(default=None, ge=0, le=1)


class Content(_Model):
    """内容特征: the schema table, aggregate distributions, label statistics, limitations, known issues."""

    columns: list[Column] = Field(default_factory=list)
    distribution: Text = _text()
    label_statistics: list[LabelStat] = Field(default_factory=list)
    limitations: Text = _text()
    known_issues: list[Text] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _no_rows(cls, value: Any) -> Any:
        for key in _NOT_IN_CARD:
            if isinstance(value, Mapping) and key in value:
                raise ValueError(
                    f"`{key}` is not part of the dataset card: data rows never leave the node; describe the "
                    "data in aggregate under `distribution` and `label_statistics` instead"
                )
        return value

    @field_validator("columns")
    @classmethod
    def _unique(cls, columns: list[Column]) -> list[Column]:
        names = [c.name for c in columns]
        if dup := next((n for n in names if names.count(n) > 1), None):
            raise ValueError(f"column {dup!r} appears twice in the schema table")
        return columns


# --- 建设过程 0103 -------------------------------------------------------------------------------------------------
class Period(_Model):
    start: Day | None = None
    end: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        return self


class Step(_Model):
    """One of the six build steps 数据需求→数据规划→数据采集→数据预处理→数据标注→模型验证."""

    step: StepKey = Field(min_length=1)
    start: Day | None = None
    end: Day | None = None
    tools: list[Str] = Field(default_factory=list)
    notes: Text = _text()

    def documented(self) -> bool:
        return bool(self.start or self.end or self.tools or self.notes.filled())


class Review(_Model):
    """A QA (质检) or review (复核) record."""

    date: Day | None = None
    reviewer: Str = ""
    kind: Literal["qa", "review"] = "qa"
    result: Text = _text()


class VersionEntry(_Model):
    version: Str = Field(min_length=1)
    date: Day | None = None
    changes: Text = _text()


class Process(_Model):
    """建设过程: collection period and source, the six steps, annotation spec, QA records, version history."""

    collection: Period = Field(default_factory=Period)
    source: Text = _text()
    source_details: Text = _text()
    build_mode: ModeKey = ""
    generated_data: bool | None = None
    steps: list[Step] = Field(default_factory=list)
    annotation_spec: Text = _text()
    reviews: list[Review] = Field(default_factory=list)
    versions: list[VersionEntry] = Field(default_factory=list)

    @field_validator("steps")
    @classmethod
    def _unique(cls, steps: list[Step]) -> list[Step]:
        names = [s.step for s in steps]
        if dup := next((n for n in names if names.count(n) > 1), None):
            raise ValueError(f"step {dup!r} ({STEPS[dup][0]}) appears twice; merge the entries")
        return sorted(steps, key=lambda s: list(STEPS).index(s.step))

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps if s.step == key), None)


# --- 应用说明 0104 -------------------------------------------------------------------------------------------------
class Evaluation(_Model):
    model: Str = Field(min_length=1)
    metric: Str = ""
    value: float | None = None
    evaluator: Str = ""
    date: Day | None = None


class Classification(_Model):
    """分类分级结果: the GB/T 43697 level and whether a data-security officer confirmed it."""

    level: Annotated[LevelKey, BeforeValidator(lambda v: v.get("key") if isinstance(v, Mapping) else v)] = ""
    status: Literal["", "proposed", "confirmed"] = ""
    officer: Str = ""
    decided_at: Annotated[Day | None, BeforeValidator(lambda v: v[:10] if isinstance(v, str) else v)] = None
    rules_version: Str = ""


class Usage(_Model):
    """应用说明: scenarios, trained models, evaluation results, restrictions, classification and grading."""

    scenarios: list[Str] = Field(default_factory=list)
    models: list[Str] = Field(default_factory=list)
    evaluations: list[Evaluation] = Field(default_factory=list)
    restrictions: Text = _text()
    classification: Classification = Field(default_factory=Classification)


class Card(_Model):
    """The whole 数据集说明书."""

    basic: Basic = Field(default_factory=Basic)
    content: Content = Field(default_factory=Content)
    process: Process = Field(default_factory=Process)
    usage: Usage = Field(default_factory=Usage)

    def title(self, lang: Lang = "zh") -> str:
        return self.basic.name.get(lang)

    def label_columns(self) -> list[Column]:
        return [c for c in self.content.columns if c.label]
