"""Card completeness (参照 TC609-5 0101–0104 说明文档完整性): each section scored 0–100, and what is missing.

``_FIELDS`` lists every item with its zh/en name and weight; the Markdown rendering labels its rows from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from resonance.node.card._vocab import STEPS, Lang
from resonance.node.card.models import Card, Classification, Contact, Period, Scale, Text

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
