"""The dataset card (数据集说明书): bilingual, in the four TC609-5 01xx sections, kept as YAML at the node.

Sections: ``basic`` 基本信息 (0101), ``content`` 内容特征 (0102), ``process`` 建设过程 (0103), ``usage`` 应用说明
(0104). ``template`` pre-fills a card from a profile (schema, scale) and leaves the human fields empty;
``completeness`` scores each section 0–100 and lists what is missing; ``render_markdown`` prints the card.
The card never holds data rows: samples are refused (POLICY-NOTES §4: only synthetic or aggregated material
may leave the node, and aggregates belong in ``content.distribution`` / ``content.label_statistics``).

Modules: ``models`` (the section models and ``Card``), ``io`` (parse, YAML load/dump/save, profile, template),
``markdown`` (rendering); internals ``_vocab`` (field vocabularies and types) and ``_completeness`` (scoring).
Import from this package: ``from resonance.node.card import Card, template``.
"""

from __future__ import annotations

from resonance.node.card._completeness import SECTIONS, CardCompleteness, Missing, SectionScore, completeness
from resonance.node.card._vocab import (
    ACCESS,
    BUILD_MODES,
    LOGICAL_TYPES,
    MODALITIES,
    STAGES,
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
    vocab_label,
)
from resonance.node.card.io import dump_card, load_card, parse_card, profile_schema, save_card, template
from resonance.node.card.markdown import render_markdown
from resonance.node.card.models import (
    Basic,
    Card,
    Classification,
    Column,
    Contact,
    Content,
    Evaluation,
    LabelStat,
    Period,
    Process,
    Review,
    Scale,
    Step,
    Text,
    Usage,
    VersionEntry,
)

__all__ = [
    "ACCESS",
    "BUILD_MODES",
    "LOGICAL_TYPES",
    "MODALITIES",
    "SECTIONS",
    "STAGES",
    "STEPS",
    "AccessKey",
    "Basic",
    "Card",
    "CardCompleteness",
    "CategoryKey",
    "Classification",
    "Column",
    "Contact",
    "Content",
    "Day",
    "Evaluation",
    "Industry",
    "KindKey",
    "LabelStat",
    "Lang",
    "LevelKey",
    "Missing",
    "Modalities",
    "ModeKey",
    "Period",
    "Process",
    "Review",
    "Scale",
    "SectionScore",
    "Stages",
    "Step",
    "StepKey",
    "Str",
    "Text",
    "Usage",
    "VersionEntry",
    "completeness",
    "dump_card",
    "load_card",
    "logical_type",
    "parse_card",
    "profile_schema",
    "render_markdown",
    "save_card",
    "template",
    "vocab_label",
]
