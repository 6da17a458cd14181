"""Reading, writing and starting a card: validate a mapping, YAML in and out (atomic saves), the template.

``template`` pre-fills a card from a profile (scale and the schema table) and leaves the human fields empty;
nothing from the profile's statistics is copied, because the card is published.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from resonance.errors import Problem, ResonanceError
from resonance.node.card._vocab import logical_type
from resonance.node.card.models import Basic, Card, Content, Process, Usage, _Model


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
