"""Controlled vocabularies (``data/vocabularies.yaml``): stable keys with zh and en labels."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from resonance.errors import ResonanceError


@lru_cache
def vocabularies() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("resonance.registry").joinpath("data/vocabularies.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@lru_cache
def industries() -> list[dict[str, str]]:
    text = resources.files("resonance.registry").joinpath("data/industries.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def keys(vocabulary: str) -> list[str]:
    return list(vocabularies()[vocabulary])


def label(vocabulary: str, key: str, lang: str = "zh") -> str:
    entry = vocabularies()[vocabulary].get(key)
    return entry[lang] if entry else key


def normalise(vocabulary: str, value: Any, where: str = "") -> str:
    """Map a key, zh label or en label (any case, surrounding blanks ignored) to the key, or explain."""
    text = str(value).strip() if value is not None else ""
    entries = vocabularies()[vocabulary]
    for key, labels in entries.items():
        if text.lower() in (key.lower(), labels["en"].lower()) or text == labels["zh"]:
            return key
    allowed = ", ".join(f"{k} ({v['zh']})" for k, v in entries.items())
    raise ResonanceError(
        what=f"{text!r} is not a known {vocabulary.replace('_', ' ')}",
        where=where,
        fix=f"use one of: {allowed}",
        code="unknown_value",
        status=422,
    )
