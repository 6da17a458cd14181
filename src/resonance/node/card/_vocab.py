"""The card's field vocabularies and field types: keys with zh/en labels, the validators that normalise them.

The card's own vocabularies live here (modality, stage, access, build mode, step); the registry's (dataset type,
data category, sensitivity level, industry) are read from ``registry/data/vocabularies.yaml``. A value may be
given as its key or its zh or en label and is stored as the key; an unknown value is a pydantic field error.
"""

from __future__ import annotations

import re
from datetime import date
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from resonance.errors import ResonanceError
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
