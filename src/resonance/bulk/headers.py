"""Column headers → schema fields, per concept (``data/headers.yaml``), and cell values → field values.

A header matches when it equals, ignoring case, blanks, full-/half-width forms and a trailing required
marker, one of the headings configured for a field, the field's own name, or nothing (then it is an unknown
column). Cells arrive as the reader found them (Excel numbers are floats, dates are datetimes, CSV cells are
text); ``HeaderMap.coerce`` turns them into what the create schema expects, leaving anything it cannot
convert unchanged so that the schema reports it with the field's own message.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

from resonance.registry.concepts import CONCEPTS

LIST_SEPARATORS = re.compile(r"\s*[、,;；，\n]+\s*")
_MARKER = re.compile(r"\s*(\*|\((必填|选填|可选|required|optional)\))\s*$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MEMBER = re.compile(
    r"^(?P<org>.+?)\s*[:：]\s*(?P<role>[^:：]+)$"  # organisation:role
    r"|^(?P<org2>.+?)\s*[（(]\s*(?P<role2>[^()（）]+)\s*[)）]$"  # organisation（role）
)
_TRUE = {"是", "有", "y", "yes", "true", "t", "1", "√", "✓", "对"}
_FALSE = {"否", "无", "n", "no", "false", "f", "0", "×", "✗", "不"}
EXCEL_EPOCH = date(1899, 12, 30)

FIXES = {
    "int": "write a whole number without units or separators, e.g. 12000",
    "float": "write a number, e.g. 86.5",
    "bool": "write 是 or 否 (yes / no)",
    "date": "write the date as YYYY-MM-DD, e.g. 2026-05-30",
    "dict": 'write a JSON object, e.g. {"key": "value"}',
    "list": "separate several values with 、 or ;",
    "members": "write members as organisation:role, separated by ; (e.g. baosteel:数据; cisdi:模型)",
}


def normalise_header(text: Any) -> str:
    """The comparison form of a header: NFKC, lower case, single blanks, no required marker."""
    value = unicodedata.normalize("NFKC", str(text)).strip().lower().replace("_", " ")
    value = re.sub(r"\s+", " ", value).lstrip("*").strip()
    return _MARKER.sub("", value).strip()


@dataclass(frozen=True)
class FieldSpec:
    """One importable field: its configured headings, whether the schema requires it, and its value kind."""

    name: str
    headers: tuple[str, ...]
    required: bool
    kind: str  # str | int | float | bool | date | datetime | dict | list | members
    description: str = ""

    @property
    def label(self) -> str:
        """The preferred heading (the first configured one, else the field name)."""
        return self.headers[0] if self.headers else self.name

    def accepted(self) -> str:
        """Every heading that names this field, for error messages."""
        return " / ".join(dict.fromkeys([*self.headers, self.name]))


@dataclass(frozen=True)
class HeaderMap:
    """How one concept's columns are named and converted."""

    concept: str
    fields: dict[str, FieldSpec]
    aliases: dict[str, str]  # normalised heading -> field
    ignored: frozenset[str]
    unique: tuple[tuple[str, ...], ...]

    def field_for(self, header: str) -> str | None:
        """The field a header names, or None when it is unknown."""
        return self.aliases.get(normalise_header(header))

    def is_ignored(self, header: str) -> bool:
        return normalise_header(header) in self.ignored

    def accepted_headers(self) -> str:
        """All accepted headings, grouped by field: ``编码 / 编号 / code; 名称 / … / name_zh; …``."""
        return "; ".join(spec.accepted() for spec in self.fields.values())

    def suggestion(self, header: str) -> str | None:
        """The closest accepted heading to a mistyped one, if any is close."""
        close = difflib.get_close_matches(normalise_header(header), list(self.aliases), n=1, cutoff=0.6)
        if not close:
            return None
        field = self.aliases[close[0]]
        spec = self.fields[field]
        return next((h for h in (*spec.headers, spec.name) if normalise_header(h) == close[0]), spec.label)

    def fix_for(self, field: str | None) -> str:
        """A generic way to correct a bad value of ``field``."""
        spec = self.fields.get(field or "")
        if spec is None:
            return "correct the value"
        if spec.kind in FIXES:
            return FIXES[spec.kind]
        return f"correct the value ({spec.description})" if spec.description else "correct the value"

    def coerce(self, field: str, value: Any) -> Any:
        """Convert a cell to what the schema expects; unconvertible values are returned unchanged."""
        kind = self.fields[field].kind
        if kind == "str":
            return _as_text(value)
        if kind == "int":
            return _as_int(value)
        if kind == "float":
            return _as_float(value)
        if kind == "bool":
            return _as_bool(value)
        if kind == "date":
            return _as_date(value)
        if kind == "dict":
            return _as_dict(value)
        if kind == "list":
            return split_list(value)
        if kind == "members":
            return _as_members(value)
        return value


def split_list(value: Any) -> Any:
    """``"数据企业、模型企业; 应用企业"`` → three values; a list (YAML) is kept, blanks dropped."""
    if isinstance(value, list):
        return [_as_text(v) for v in value if v is not None and str(v).strip()]
    if isinstance(value, str):
        return [part for part in LIST_SEPARATORS.split(value.strip()) if part]
    return [_as_text(value)]


def _as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
            return int(float(text)) if "." in text else int(text)
    return value


def _as_float(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", ""))
        except ValueError:
            return value
    return value


def _as_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value


def _as_date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20_000 < value < 80_000:
        return EXCEL_EPOCH + timedelta(days=int(value))  # a date cell formatted as a number
    if isinstance(value, str):
        match = _DATE.match(value.strip())
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                return value
    return value


def _as_dict(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _as_members(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    members = []
    for item in split_list(value):
        match = _MEMBER.match(str(item))
        if match is None:
            members.append({"organisation": item, "role": ""})
        else:
            org = match.group("org") or match.group("org2")
            role = match.group("role") or match.group("role2")
            members.append({"organisation": org.strip(), "role": role.strip()})
    return members


def value_kind(annotation: Any) -> str:
    """The coercion kind of a schema field annotation (Optional and Annotated unwrapped)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return value_kind(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return value_kind(args[0]) if args else "str"
    if origin is list:
        inner = get_args(annotation)[0] if get_args(annotation) else str
        return "members" if isinstance(inner, type) and issubclass(inner, BaseModel) else "list"
    if origin is dict:
        return "dict"
    for kind_type, kind in ((bool, "bool"), (int, "int"), (float, "float"), (datetime, "datetime"), (date, "date")):
        if annotation is kind_type:
            return kind
    return "str"


@lru_cache
def _config() -> dict[str, Any]:
    text = resources.files("resonance.bulk").joinpath("data/headers.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def importable() -> list[str]:
    """The concepts the importer accepts (those with a section in headers.yaml and a create schema)."""
    return [name for name in _config()["concepts"] if CONCEPTS[name].create is not None]


@lru_cache
def header_map(concept: str) -> HeaderMap:
    """The header map of one concept; raises ValueError when the configuration gives a heading to two fields."""
    config = _config()
    schema = CONCEPTS[concept].create
    if schema is None or concept not in config["concepts"]:
        raise ValueError(f"{concept} cannot be imported")
    configured = {**config["common"], **(config["concepts"][concept] or {})}
    fields: dict[str, FieldSpec] = {}
    aliases: dict[str, str] = {}
    for name, info in schema.model_fields.items():
        headers = tuple(str(h) for h in configured.get(name) or ())
        kind = value_kind(info.annotation)
        fields[name] = FieldSpec(name, headers, info.is_required(), kind, info.description or "")
        for heading in (*headers, name):
            key = normalise_header(heading)
            if aliases.get(key, name) != name:
                raise ValueError(f"headers.yaml: {concept}: heading {heading!r} names both {aliases[key]} and {name}")
            aliases[key] = name
    unique_config = config["unique"].get(concept, config["unique"]["default"])
    unique = tuple(tuple(combo) for combo in unique_config if all(f in fields for f in combo))
    ignored = frozenset(normalise_header(h) for h in config.get("ignored", []))
    return HeaderMap(concept, fields, aliases, ignored, unique)
