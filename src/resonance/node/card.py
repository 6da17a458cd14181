"""The dataset card (数据集说明书): bilingual, in the four TC609-5 01xx sections, kept as YAML at the node.

Sections: ``basic`` 基本信息 (0101), ``content`` 内容特征 (0102), ``process`` 建设过程 (0103), ``usage`` 应用说明
(0104). ``template`` pre-fills a card from a profile (schema, scale) and leaves the human fields empty;
``completeness`` scores each section 0–100 and lists what is missing; ``render_markdown`` prints the card.
The card never holds data rows: samples are refused (POLICY-NOTES §4: only synthetic or aggregated material
may leave the node, and aggregates belong in ``content.distribution`` / ``content.label_statistics``).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from resonance.errors import Problem, ResonanceError
from resonance.registry.vocabularies import industries, label, normalise

Lang = Literal["zh", "en"]
Day = date  # field types; several models have a field named `date`
LOGICAL_TYPES = ("integer", "float", "text", "date", "datetime", "boolean")
# Vocabularies of the card itself (key -> zh, en); the registry's live in registry/data/vocabularies.yaml.
MODALITIES = {
    "tabular": ("表格", "Tabular"),
    "text": ("文本", "Text"),
    "image": ("图像", "Image"),
    "audio": ("音频", "Audio"),
    "video": ("视频", "Video"),
    "time_series": ("时序", "Time series"),
    "point_cloud": ("点云", "Point cloud"),
    "multimodal": ("多模态", "Multimodal"),
}
STAGES = {
    "pretraining": ("预训练", "Pre-training"),
    "finetuning": ("微调", "Fine-tuning"),
    "evaluation": ("评测", "Evaluation"),
}
ACCESS = {
    "federated_training": ("仅联合训练（数据不出节点）", "Federated training only (data stays at the node)"),
    "evaluation_only": ("仅评测（数据不出节点）", "Evaluation only (data stays at the node)"),
}
BUILD_MODES = {"scenario_driven": ("场景驱动", "Scenario-driven"), "data_driven": ("数据驱动", "Data-driven")}
STEPS = {
    "requirements": ("数据需求", "Data requirements"),
    "planning": ("数据规划", "Data planning"),
    "collection": ("数据采集", "Data collection"),
    "preprocessing": ("数据预处理", "Data preprocessing"),
    "annotation": ("数据标注", "Data annotation"),
    "validation": ("模型验证", "Model validation"),
}
_LOCAL = {"modality": MODALITIES, "stage": STAGES, "access": ACCESS, "build_mode": BUILD_MODES, "step": STEPS}
_REGISTRY = {"dataset_type": "dataset_kind", "data_category": "data_category", "level": "sensitivity_level"}
_NOT_IN_CARD = ("samples", "sample", "examples", "rows", "records", "data")


def _key(value: Any, vocabulary: str) -> str:
    """Normalise a key or a zh/en label of a card vocabulary; ValueError (a pydantic field error) if unknown."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    if vocabulary == "industry":
        for item in industries():
            if text.lower() in (item["code"], item["en"].lower()) or text == item["zh"]:
                return item["code"]
        raise ValueError(
            f"unknown industry {text!r}; use one of: " + "、".join(f"{i['code']} ({i['zh']})" for i in industries())
        )
    if vocabulary in _REGISTRY:
        try:
            return normalise(_REGISTRY[vocabulary], text)
        except ResonanceError as err:
            raise ValueError(f"{err.what}; {err.fix}") from None
    for key, (zh, en) in _LOCAL[vocabulary].items():
        if text.lower() in (key, en.lower()) or text == zh:
            return key
    allowed = ", ".join(f"{k} ({zh})" for k, (zh, _) in _LOCAL[vocabulary].items())
    raise ValueError(f"unknown {vocabulary.replace('_', ' ')} {text!r}; use one of: {allowed}")


def _scalar_text(value: Any) -> Any:
    if isinstance(value, float):  # YAML reads `version: 1.10` as 1.1: refuse rather than lose the digit
        raise ValueError(f'write it as quoted text (e.g. "{value}"): YAML read {value!r} as a number')
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _key_list(value: Any, vocabulary: str) -> list[str]:
    keys = [_key(v, vocabulary) for v in ([value] if isinstance(value, str) else value or [])]
    return list(dict.fromkeys(k for k in keys if k))  # blanks and repeats dropped


Str = Annotated[str, BeforeValidator(_scalar_text)]
Industry = Annotated[str, BeforeValidator(partial(_key, vocabulary="industry"))]
KindKey = Annotated[str, BeforeValidator(partial(_key, vocabulary="dataset_type"))]
CategoryKey = Annotated[str, BeforeValidator(partial(_key, vocabulary="data_category"))]
LevelKey = Annotated[str, BeforeValidator(partial(_key, vocabulary="level"))]
AccessKey = Annotated[str, BeforeValidator(partial(_key, vocabulary="access"))]
ModeKey = Annotated[str, BeforeValidator(partial(_key, vocabulary="build_mode"))]
StepKey = Annotated[str, BeforeValidator(partial(_key, vocabulary="step"))]
Modalities = Annotated[list[str], BeforeValidator(partial(_key_list, vocabulary="modality"))]
Stages = Annotated[list[str], BeforeValidator(partial(_key_list, vocabulary="stage"))]


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


def vocab_label(field_name: str, key: str, lang: Lang = "zh") -> str:
    """The zh/en label of a key used in a card field (industry, dataset_type, modality, access, step, level …)."""
    if not key:
        return ""
    if field_name == "industry":
        return next((i[lang] for i in industries() if i["code"] == key), key)
    if field_name in _REGISTRY:
        return label(_REGISTRY[field_name], key, lang)
    labels = _LOCAL.get(field_name, {}).get(key)
    return labels[0 if lang == "zh" else 1] if labels else key


# --- reading, writing, validating ----------------------------------------------------------------------------------
def parse_card(data: Any, source: str = "card") -> Card:
    """Validate a card given as a mapping; a bad card raises one ResonanceError naming every bad field."""
    if not isinstance(data, Mapping):
        raise ResonanceError(
            "a dataset card is a mapping with the sections basic, content, process and usage",
            where=source,
            fix="start from `template(profile)` and fill in the empty fields",
            code="invalid_card",
            status=422,
        )
    try:
        return Card.model_validate(data)
    except ValidationError as exc:
        problems: list[Problem] = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            what = "unknown field" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
            value = err.get("input")
            value = value if isinstance(value, str | int | float | date) and value != "" else None
            problems.append(Problem(what=what, where=f"{source}, field {loc}" if loc else source, value=value))
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ResonanceError(
            what=f"the dataset card is invalid: {problems[0].what}{more}",
            where=problems[0].where,
            fix="correct the named field(s); `problems` lists each one",
            code="invalid_card",
            status=422,
            problems=problems,
        ) from None


def dump_card(card: Card) -> str:
    """The card as YAML text; every field is written, empty ones included, so a provider sees the blanks."""
    head = "# 数据集说明书 dataset card: basic 基本信息 · content 内容特征 · process 建设过程 · usage 应用说明\n"
    return head + yaml.safe_dump(card.model_dump(mode="json"), allow_unicode=True, sort_keys=False, width=120)


def load_card(path: Path | str) -> Card:
    """Read and validate a UTF-8 YAML card; errors name the file and field (``card.yaml, field basic.licence``)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ResonanceError(
            f"cannot read the dataset card: {exc}", where=str(path), fix="save it as UTF-8 text", code="invalid_card"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ResonanceError(
            f"the dataset card is not valid YAML: {getattr(exc, 'problem', exc)}",
            where=f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path),
            fix="fix the YAML at that line (indentation, quotes, colons)",
            code="invalid_card",
            status=422,
        ) from None
    return parse_card(data, source=str(path))


def save_card(card: Card, path: Path | str) -> Path:
    """Write the card as UTF-8 YAML, atomically (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(dump_card(card))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# --- the profile and the template ----------------------------------------------------------------------------------
_TYPE_PATTERNS = (  # first match wins; names are lower-cased
    (r"^bool", "boolean"),
    (r"^timestamp|^datetime", "datetime"),
    (r"^date", "date"),
    (r"^u?(tiny|small|big|huge)?int(eger)?\d*$|^(long|short|byte|serial|bigserial)$", "integer"),
    (r"float|double|^real|^decimal|^numeric|^number", "float"),
)


def logical_type(type_name: Any) -> str:
    """Map a DuckDB / Arrow / pandas / plain type name to integer, float, text, date, datetime or boolean."""
    name = str(type_name or "").strip().lower()
    if name in LOGICAL_TYPES:
        return name
    return next((logical for pattern, logical in _TYPE_PATTERNS if re.search(pattern, name)), "text")


def profile_schema(profile: Mapping[str, Any]) -> tuple[int | None, list[tuple[str, str]]]:
    """``(rows, [(column name, logical type), …])`` from a profile dict; every other key is ignored."""
    if not isinstance(profile, Mapping):
        raise ResonanceError("a profile is a mapping with `rows` and `columns`", where="profile", code="invalid")
    rows = profile.get("rows", profile.get("row_count"))
    if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 0):
        raise ResonanceError("the row count must be a whole number ≥ 0", where="profile, field rows", code="invalid")
    columns: list[tuple[str, str]] = []
    for i, col in enumerate(profile.get("columns") or []):
        name = col.get("name") if isinstance(col, Mapping) else None
        if not isinstance(name, str) or not name.strip():
            raise ResonanceError("a profiled column has no name", where=f"profile, column #{i + 1}", code="invalid")
        columns.append((name, logical_type(col.get("type") or col.get("logical_type") or col.get("dtype"))))
    return rows, columns


_SECTIONS: dict[str, type[_Model]] = {"basic": Basic, "content": Content, "process": Process, "usage": Usage}


def template(profile: Mapping[str, Any], **known: Any) -> Card:
    """A starter card pre-filled from a profile: scale and the schema table (column names, inferred types).

    ``known`` sets any field of any section by its name (``name=``, ``provider=``, ``industry=``,
    ``scenarios=`` …); ``label_column=`` marks the label column; ``grading=`` takes a grade decision or
    proposal (the object or its ``as_dict()``). Human fields not given stay empty for the provider.
    Nothing from the profile's statistics (top values, ranges) is copied: the card is published.
    """
    rows, columns = profile_schema(profile)
    label_column, grading = known.pop("label_column", None), known.pop("grading", None)
    data: dict[str, dict[str, Any]] = {name: {} for name in _SECTIONS}
    for key, value in known.items():
        section = next((s for s, model in _SECTIONS.items() if key in model.model_fields), None)
        if section is None:
            raise ResonanceError(f"no card field named {key!r}", where=f"template, argument {key}", code="invalid")
        data[section][key] = value
    if label_column is not None and label_column not in [name for name, _ in columns]:
        raise ResonanceError(f"no column {label_column!r} in the profile", where="template, argument label_column")
    data["basic"].setdefault("scale", {"rows": rows, "columns": len(columns)})
    fmt = profile.get("format")
    if isinstance(fmt, str) and re.fullmatch(r"[A-Za-z0-9.+-]{1,20}", fmt):
        data["basic"].setdefault("format", fmt.upper())
    data["content"].setdefault("columns", [{"name": n, "type": t, "label": n == label_column} for n, t in columns])
    if grading is not None:
        found = grading.as_dict() if hasattr(grading, "as_dict") else dict(grading)
        fields = ("level", "status", "officer", "decided_at", "rules_version")
        data["usage"]["classification"] = {k: found[k] for k in fields if found.get(k)}
    card = parse_card(data, source="template")
    if not card.basic.access:  # the space's only two modes; the provider may change it
        card.basic.access = "evaluation_only" if card.basic.dataset_type == "evaluation" else "federated_training"
    return card


# --- completeness (参照 TC609-5 0101–0104 说明文档完整性) ----------------------------------------------------------
SECTIONS = {
    "basic": ("0101", "基本信息", "Basic information"),
    "content": ("0102", "内容特征", "Content characteristics"),
    "process": ("0103", "建设过程", "Construction process"),
    "usage": ("0104", "应用说明", "Application notes"),
}
# (card field, zh, en, weight): 2 = required, 1 = recommended. The same table labels the Markdown rows.
_FIELDS: tuple[tuple[str, str, str, int], ...] = (
    ("basic.name", "名称", "name", 2),
    ("basic.name_bilingual", "中英文名称", "name in zh and en", 1),
    ("basic.summary", "简介", "summary", 2),
    ("basic.version", "版本", "version", 2),
    ("basic.provider", "提供方", "provider", 2),
    ("basic.owner", "权属方", "owner", 1),
    ("basic.industry", "行业", "industry", 2),
    ("basic.dataset_type", "数据集类型", "dataset type", 2),
    ("basic.data_category", "数据类别", "data category", 1),
    ("basic.modality", "模态", "modality", 2),
    ("basic.stage", "模型阶段", "model stage", 2),
    ("basic.scale", "规模", "scale", 2),
    ("basic.format", "格式", "format", 2),
    ("basic.licence", "许可", "licence", 2),
    ("basic.usage_terms", "使用条款", "usage terms", 1),
    ("basic.access", "访问方式", "access method", 2),
    ("basic.contact", "联系人", "contact", 2),
    ("basic.keywords", "关键词", "keywords", 1),
    ("basic.citation", "引用方式", "citation", 1),
    ("content.columns", "字段表", "schema table", 2),
    ("content.column_types", "字段类型", "column types", 2),
    ("content.column_descriptions", "字段说明", "column descriptions", 2),
    ("content.column_units", "数值字段单位", "units of numeric columns", 1),
    ("content.label_definitions", "标签定义", "label definition", 2),
    ("content.label_statistics", "标签统计", "label statistics", 1),
    ("content.distribution", "分布说明", "distribution", 1),
    ("content.limitations", "局限性", "limitations", 2),
    ("content.known_issues", "已知问题", "known issues", 1),
    ("process.collection", "采集时间范围", "collection period", 2),
    ("process.source", "数据来源", "source", 2),
    ("process.source_details", "来源详情", "source details", 1),
    ("process.build_mode", "建设模式", "build mode", 1),
    ("process.generated_data", "合成数据标识", "synthetic-data indicator", 1),
    *((f"process.steps.{k}", f"建设步骤·{zh}", f"build step: {en.lower()}", 1) for k, (zh, en) in STEPS.items()),
    ("process.annotation_spec", "标注规范", "annotation specification", 2),
    ("process.reviews", "质检/复核记录", "QA / review records", 1),
    ("process.versions", "版本历史", "version history", 1),
    ("usage.scenarios", "适用场景", "applicable scenarios", 2),
    ("usage.restrictions", "使用限制", "usage restrictions", 2),
    ("usage.classification", "分类分级结果", "classification and grading result", 2),
    ("usage.grade_confirmed", "分级经数据安全负责人确认", "grade confirmed by the data-security officer", 1),
    ("usage.models", "已训练模型", "trained models", 1),
    ("usage.evaluations", "评测结果", "evaluation results", 1),
)
_NUMERIC = ("integer", "float")
_CHECKS: dict[str, Callable[[Card], bool]] = {
    "basic.name_bilingual": lambda c: bool(c.basic.name.zh and c.basic.name.en),
    "content.column_types": lambda c: all(x.type for x in c.content.columns),
    "content.column_descriptions": lambda c: all(x.description.filled() for x in c.content.columns),
    "content.column_units": lambda c: all(x.unit for x in c.content.columns if x.type in _NUMERIC),
    "content.label_definitions": lambda c: all(x.label_definition.filled() for x in c.label_columns()),
    "usage.grade_confirmed": lambda c: c.usage.classification.status == "confirmed",
    **{f"process.steps.{k}": (lambda c, k=k: bool((s := c.process.step(k)) and s.documented())) for k in STEPS},
}
_APPLIES: dict[str, Callable[[Card], bool]] = {
    "content.column_units": lambda c: any(x.type in _NUMERIC for x in c.content.columns),
    "content.label_definitions": lambda c: bool(c.label_columns()),
    "content.label_statistics": lambda c: bool(c.label_columns()),
    "process.annotation_spec": lambda c: bool(c.label_columns()),
}
# Steps every dataset has are required; annotation is required once a label column exists.
_REQUIRED_IF: dict[str, Callable[[Card], bool]] = {
    "process.steps.collection": lambda c: True,
    "process.steps.preprocessing": lambda c: True,
    "process.steps.annotation": lambda c: bool(c.label_columns()),
}


def _resolve(card: Card, path: str) -> Any:
    value: Any = card
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _filled(value: Any) -> bool:
    if isinstance(value, Text):
        return value.filled()
    if isinstance(value, Scale):
        return value.rows is not None
    if isinstance(value, Contact):
        return bool(value.name and (value.email or value.phone))
    if isinstance(value, Period):
        return bool(value.start and value.end)
    if isinstance(value, Classification):
        return bool(value.level)
    return value is not None and (isinstance(value, bool) or bool(value))


@dataclass(frozen=True)
class Missing:
    """One unfilled item: its section, the card field, zh and en names, and whether it is required."""

    section: str
    field: str
    zh: str
    en: str
    required: bool

    def text(self, lang: Lang = "zh") -> str:
        """``应用说明：适用场景 缺失（必填）`` / ``Application notes: applicable scenarios missing (required)``."""
        _, zh, en = SECTIONS[self.section]
        if lang == "zh":
            return f"{zh}：{self.zh} 缺失（{'必填' if self.required else '建议'}）"
        return f"{en}: {self.en} missing ({'required' if self.required else 'recommended'})"


@dataclass(frozen=True)
class SectionScore:
    """A section's score 0–100: required items weigh 2, recommended 1; items that do not apply are left out."""

    key: str
    code: str
    zh: str
    en: str
    score: float
    missing: list[Missing] = field(default_factory=list)


@dataclass(frozen=True)
class CardCompleteness:
    """Completeness of the four sections and ``overall`` (0..1, the mean of the section scores / 100)."""

    sections: list[SectionScore]
    overall: float

    @property
    def missing(self) -> list[Missing]:
        return [m for s in self.sections for m in s.missing]

    def missing_text(self, lang: Lang = "zh") -> list[str]:
        """Each missing item as one line in ``lang``, required items of a section first."""
        return [m.text(lang) for m in self.missing]

    def as_dict(self) -> dict[str, Any]:
        sections = [{"key": s.key, "code": s.code, "zh": s.zh, "en": s.en, "score": s.score} for s in self.sections]
        missing = {"zh": self.missing_text("zh"), "en": self.missing_text("en")}
        return {"overall": self.overall, "sections": sections, "missing": missing}


def completeness(card: Card) -> CardCompleteness:
    """Score each section (codes 0101..0104) by its filled required and recommended fields, and list the gaps."""
    sections: list[SectionScore] = []
    for key, (code, zh, en) in SECTIONS.items():
        got = total = 0
        missing: list[Missing] = []
        for path, item_zh, item_en, weight in _FIELDS:
            if path.split(".")[0] != key or not _APPLIES.get(path, lambda c: True)(card):
                continue
            if path in _REQUIRED_IF:
                weight = 2 if _REQUIRED_IF[path](card) else 1
            total += weight
            if _CHECKS[path](card) if path in _CHECKS else _filled(_resolve(card, path)):
                got += weight
            else:
                missing.append(Missing(key, path, item_zh, item_en, weight == 2))
        missing.sort(key=lambda m: not m.required)
        sections.append(SectionScore(key, code, zh, en, round(100 * got / total, 1) if total else 100.0, missing))
    return CardCompleteness(sections, round(sum(s.score for s in sections) / 400, 3))


# --- markdown --------------------------------------------------------------------------------------------------------
_TYPES_ZH = {
    "integer": "整数",
    "float": "浮点数",
    "text": "文本",
    "date": "日期",
    "datetime": "日期时间",
    "boolean": "布尔",
}
_TABLES = {"content.columns", "content.label_statistics", "process.reviews", "process.versions", "usage.evaluations"}


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>").strip() or "—"


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    head = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return [*head, *("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows), ""]


def _span(start: Day | None, end: Day | None) -> str:
    return f"{start or '…'} – {end or '…'}" if start or end else ""


def _show(value: Any, name: str, lang: Lang) -> str:
    """A card value as display text in ``lang`` (vocabulary keys shown by their labels)."""
    zh = lang == "zh"
    if isinstance(value, Text):
        return value.get(lang)
    if isinstance(value, Scale):
        if value.rows is None:
            return ""
        return (
            f"{value.rows:,} 行 × {value.columns or 0} 列"
            if zh
            else f"{value.rows:,} rows × {value.columns or 0} columns"
        )
    if isinstance(value, Contact):
        return ", ".join(x for x in (value.name, value.email, value.phone) if x)
    if isinstance(value, Period):
        return _span(value.start, value.end)
    if isinstance(value, Classification):
        if not value.level:
            return ""
        status = {
            "proposed": "（建议级别，待确认）" if zh else " (proposed, unconfirmed)",
            "confirmed": f"（{value.officer} 确认）" if zh else f" (confirmed by {value.officer})",
        }.get(value.status, "")
        return vocab_label("level", value.level, lang) + status
    if isinstance(value, bool) or value is None:
        return {True: "是" if zh else "yes", False: "否" if zh else "no", None: ""}[value]
    if isinstance(value, list):
        return ("、" if zh else ", ").join(_show(v, name, lang) for v in value)
    return vocab_label(name, str(value), lang) if name in ("industry", *_REGISTRY, *_LOCAL) else str(value)


def render_markdown(card: Card, lang: Lang = "zh") -> str:
    """The card as Markdown in ``lang``; headings keep the zh section names (基本信息 …) in both languages."""
    zh = lang == "zh"
    kv = ["项目", "内容"] if zh else ["Item", "Value"]
    lines = [
        f"# {'数据集说明书' if zh else 'Dataset card'}: {card.title(lang) or ('（未命名）' if zh else '(unnamed)')}",
        "",
    ]
    for key, (code, section_zh, section_en) in SECTIONS.items():
        lines += [f"## {code} {section_zh}" if zh else f"## {code} {section_en} ({section_zh})", ""]
        rows = []
        for path, item_zh, item_en, _ in _FIELDS:
            if path.split(".")[0] == key and path not in _CHECKS and path not in _TABLES:
                label_ = item_zh if zh else item_en[0].upper() + item_en[1:]
                rows.append([label_, _show(_resolve(card, path), path.rsplit(".", 1)[-1], lang)])
        if key == "content":
            rows.append(
                [
                    "样例" if zh else "Samples",
                    "不随说明书发布：原始数据不出节点" if zh else "not published: rows never leave the node",
                ]
            )
        tables = _section_tables(card, key, lang)  # the schema table leads 内容特征; elsewhere tables follow
        lines += [*tables, *_table(kv, rows)] if key == "content" else [*_table(kv, rows), *tables]
    score = completeness(card)
    rows = [[f"{s.code} {s.zh if zh else s.en}", f"{s.score:g}"] for s in score.sections]
    lines += [f"## {'说明书完整度' if zh else 'Card completeness'}", ""]
    lines += _table(
        ["部分", "得分"] if zh else ["Section", "Score"], [*rows, ["总体" if zh else "Overall", f"{score.overall:.0%}"]]
    )
    lines += [f"- {m}" for m in score.missing_text(lang)]
    return "\n".join(lines).rstrip() + "\n"


def _section_tables(card: Card, key: str, lang: Lang) -> list[str]:
    zh, out = lang == "zh", []

    def add(title_zh: str, title_en: str, headers: str, rows: list[list[Any]]) -> None:
        if rows:
            out.extend(
                [
                    f"### {title_zh if zh else title_en}",
                    "",
                    *_table(headers.split("/")[0 if zh else 1].split(","), rows),
                ]
            )

    if key == "content":
        add(
            "字段表",
            "Schema",
            "字段,类型,单位,说明,标签定义/Column,Type,Unit,Description,Label definition",
            [
                [
                    x.name,
                    _TYPES_ZH.get(x.type, x.type) if zh else x.type,
                    x.unit,
                    x.description.get(lang),
                    x.label_definition.get(lang) or (("标签列" if zh else "label column") if x.label else ""),
                ]
                for x in card.content.columns
            ],
        )
        add(
            "标签统计",
            "Label statistics",
            "标签值,数量,占比/Label,Count,Share",
            [[s.value, s.count, "" if s.share is None else f"{s.share:.1%}"] for s in card.content.label_statistics],
        )
    elif key == "process":
        add(
            "建设步骤",
            "Build steps",
            "步骤,起止,工具,说明/Step,Dates,Tools,Notes",
            [
                [
                    vocab_label("step", k, lang),
                    *((_span(s.start, s.end), ", ".join(s.tools), s.notes.get(lang)) if s else ("",) * 3),
                ]
                for k, s in ((k, card.process.step(k)) for k in STEPS)
            ],
        )
        add(
            "质检/复核记录",
            "QA and review records",
            "日期,类型,人员,结论/Date,Kind,Reviewer,Result",
            [
                [
                    r.date,
                    {"qa": "质检" if zh else "QA", "review": "复核" if zh else "review"}[r.kind],
                    r.reviewer,
                    r.result.get(lang),
                ]
                for r in card.process.reviews
            ],
        )
        add(
            "版本历史",
            "Version history",
            "版本,日期,变更/Version,Date,Changes",
            [[v.version, v.date, v.changes.get(lang)] for v in card.process.versions],
        )
    elif key == "usage":
        add(
            "评测结果",
            "Evaluation results",
            "模型,指标,结果,评测机构,日期/Model,Metric,Value,Evaluator,Date",
            [[e.model, e.metric, e.value, e.evaluator, e.date] for e in card.usage.evaluations],
        )
    return out
