"""The editable template files of the reports: outlines, list columns and the TC609 function map.

They live in ``templates/`` beside this module. ``RESONANCE_REPORT_TEMPLATES`` may name a folder whose files
(``outline.yaml``, ``lists.yaml``, ``tc609_functions.yaml``) replace the packaged ones, so an installation can
drop in the official 附件 headings without touching the package. Every file is validated on load; a problem is
refused whole with the file, the entry and the field named.
"""

from __future__ import annotations

import os
import string
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from resonance.errors import Problem, ResonanceError

TEMPLATES_ENV = "RESONANCE_REPORT_TEMPLATES"
KINDS = ("plan", "phase", "final")
TASKS = ("一", "二", "三", "四", "五", "六", "七")
SOURCES = ("datasets", "models", "scenarios", "agents", "spaces", "consortia", "cases")
PLACEHOLDERS = (
    "entity",
    "entity_code",
    "entity_kind",
    "industries",
    "industry_count",
    "today",
    "deadline",
    "checks_met",
    "checks_total",
    "completion_rate",
    "datasets",
    "models",
    "scenarios",
    "agents",
    "spaces",
    "consortia",
    "cases",
    "key_cities",
)
_SHEET_FORBIDDEN = set("[]:*?/\\")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A bilingual text; may hold ``{placeholders}`` (checked against ``PLACEHOLDERS`` when ``checked``)."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


# -- lists.yaml ---------------------------------------------------------------------------------------------


class ListColumn(_Strict):
    field: str
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    width: int | None = Field(default=None, ge=4, le=120)


class ListSpec(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    sheet: Text
    source: Literal["datasets", "models", "scenarios", "agents", "spaces", "consortia", "cases"]
    where: dict[Literal["kind", "status"], list[str]] = Field(default_factory=dict)
    columns: list[ListColumn] = Field(min_length=1)
    docx: list[str] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ListSpec:
        from resonance.reports.lists import FIELDS  # the fields each source offers

        known = FIELDS[self.source]
        for column in self.columns:
            if column.field not in known:
                raise ValueError(f"field columns: unknown field {column.field!r} for {self.source}; use {known}")
        fields = [c.field for c in self.columns]
        if len(set(fields)) != len(fields):
            raise ValueError("field columns: a field appears twice")
        for name in self.docx or []:
            if name not in fields:
                raise ValueError(f"field docx: {name!r} is not one of this list's columns")
        for lang in ("zh", "en"):
            sheet = self.sheet.get(lang)
            if len(sheet) > 31 or _SHEET_FORBIDDEN & set(sheet):
                raise ValueError(f"field sheet.{lang}: at most 31 characters, none of []:*?/\\")
        return self

    def docx_columns(self) -> list[ListColumn]:
        if self.docx is None:
            return list(self.columns)
        by_field = {c.field: c for c in self.columns}
        return [by_field[name] for name in self.docx]


class ListsFile(_Strict):
    version: Literal[1]
    evidence_link: str = ""
    docx_limit: int = Field(default=300, ge=1)  # rows per list in the DOCX and Markdown; the XLSX has them all
    lists: list[ListSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ListsFile:
        keys = [spec.key for spec in self.lists]
        if len(set(keys)) != len(keys):
            raise ValueError("field lists: two lists share a key")
        for lang in ("zh", "en"):
            sheets = [spec.sheet.get(lang) for spec in self.lists]
            if len(set(sheets)) != len(sheets):
                raise ValueError(f"field lists: two lists share the {lang} sheet name")
        _check_placeholders(self.evidence_link, ("subject", "seq"), "field evidence_link")
        return self

    def get(self, key: str) -> ListSpec:
        for spec in self.lists:
            if spec.key == key:
                return spec
        raise KeyError(key)


# -- outline.yaml -------------------------------------------------------------------------------------------


class Block(_Strict):
    """One of: ``text``, ``bullets``, ``generate`` (+ ``task``) or ``list``."""

    text: Text | None = None
    bullets: list[Text] | None = None
    generate: str | None = None
    task: Literal["一", "二", "三", "四", "五", "六", "七"] | None = None
    list_: str | None = Field(default=None, alias="list")  # `list` would shadow the builtin in annotations

    @model_validator(mode="after")
    def _one(self) -> Block:
        given = [name for name in ("text", "bullets", "generate", "list_") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("a block has exactly one of text, bullets, generate, list")
        if self.task is not None and self.generate is None:
            raise ValueError("field task: only with generate")
        return self


class Section(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    level: int = Field(ge=1, le=3)
    title: Text
    applies_to: Literal["province", "central_enterprise"] | None = None
    blocks: list[Block] = Field(default_factory=list)


class KindOutline(_Strict):
    title: Text
    subtitle: Text | None = None
    sections: list[Section] = Field(min_length=1)


class TaskSpec(_Strict):
    """One of the seven key tasks: its title, 实施路径 and 预期成果 (used by the plan)."""

    title: Text
    path: Text
    outcome: Text


class Outline(_Strict):
    version: Literal[1]
    tasks: dict[Literal["一", "二", "三", "四", "五", "六", "七"], TaskSpec]
    kinds: dict[Literal["plan", "phase", "final"], KindOutline]

    @model_validator(mode="after")
    def _complete(self) -> Outline:
        if set(self.tasks) != set(TASKS):
            raise ValueError(f"field tasks: name all seven tasks {', '.join(TASKS)}")
        if set(self.kinds) != set(KINDS):
            raise ValueError(f"field kinds: give all three of {', '.join(KINDS)}")
        return self


# -- tc609_functions.yaml -----------------------------------------------------------------------------------


class Function(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    required: bool = True
    status: Literal["implemented", "partial", "not_applicable"]
    modules: list[str] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)
    api: list[str] = Field(default_factory=list)
    how: Text


class FunctionGroup(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    ours: Text
    functions: list[Function] = Field(min_length=1)


class Standard(_Strict):
    code: str = Field(min_length=1)
    title: Text


class FunctionMap(_Strict):
    version: Literal[1]
    standard: Standard
    statuses: dict[Literal["implemented", "partial", "not_applicable"], Text]
    groups: list[FunctionGroup] = Field(min_length=1)


# -- loading ------------------------------------------------------------------------------------------------


def template_path(name: str) -> Path:
    """The file in use: the one in ``$RESONANCE_REPORT_TEMPLATES`` when present there, else the packaged one."""
    override = os.environ.get(TEMPLATES_ENV)
    if override and (Path(override) / name).is_file():
        return Path(override) / name
    return Path(str(resources.files("resonance.reports").joinpath(f"templates/{name}")))


def _check_placeholders(template: str, allowed: tuple[str, ...], where: str) -> None:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    for name in names:
        if name not in allowed:
            raise ValueError(f"{where}: unknown placeholder {{{name}}}; use {', '.join(allowed)}")


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present: ~10x faster


def _read(name: str) -> tuple[Path, Any]:
    path = template_path(name)
    try:
        return path, yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a safe loader
    except (OSError, UnicodeDecodeError) as exc:
        raise _invalid(path, [Problem(what=f"cannot read it: {exc}", where="file")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        raise _invalid(path, [Problem(what=f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where)]) from None


def _invalid(path: Path, problems: list[Problem]) -> ResonanceError:
    first = problems[0]
    return ResonanceError(
        what=f"报告模板文件有误 / the report template file is malformed: {first.where}: {first.what}",
        where=str(path),
        fix="correct the named entry and field (the header of the file lists the fields)",
        code="invalid_template",
        status=500,
        problems=problems,
    )


_cache: dict[tuple[str, str], tuple[float, int, Any]] = {}


def _validate(model: type[BaseModel], name: str) -> Any:
    """The validated file, cached until its path, modification time or size changes (edits are picked up)."""
    path = template_path(name)
    try:
        stat = path.stat()
        key = (name, str(path))
        cached = _cache.get(key)
        if cached is not None and cached[:2] == (stat.st_mtime, stat.st_size):
            return cached[2]
    except OSError:
        stat = None
    path, data = _read(name)
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(part) for part in err["loc"])
            problems.append(Problem(what=err["msg"].removeprefix("Value error, "), where=loc or "top level"))
        raise _invalid(path, problems) from None
    if stat is not None:
        _cache[(name, str(path))] = (stat.st_mtime, stat.st_size, result)
    return result


def _check_outline_texts(outline: Outline, lists: ListsFile) -> None:
    from resonance.reports.generators import GENERATORS  # the content builders outline.yaml may name

    problems: list[Problem] = []

    def check(text: Text | None, where: str) -> None:
        for lang in ("zh", "en"):
            if text is None:
                continue
            try:
                _check_placeholders(text.get(lang), PLACEHOLDERS, f"{where}.{lang}")
            except ValueError as exc:
                problems.append(Problem(what=str(exc), where=where))

    for kind, spec in outline.kinds.items():
        check(spec.title, f"kinds.{kind}.title")
        check(spec.subtitle, f"kinds.{kind}.subtitle")
        for section in spec.sections:
            here = f"kinds.{kind}.sections.{section.id}"
            for n, block in enumerate(section.blocks):
                where = f"{here}.blocks.{n}"
                check(block.text, where)
                for item in block.bullets or []:
                    check(item, where)
                if block.generate is not None and block.generate not in GENERATORS:
                    problems.append(
                        Problem(what=f"unknown generator {block.generate!r}; use {', '.join(GENERATORS)}", where=where)
                    )
                elif block.generate is not None and GENERATORS[block.generate].needs_task != (block.task is not None):
                    need = "needs" if GENERATORS[block.generate].needs_task else "takes no"
                    problems.append(Problem(what=f"generator {block.generate!r} {need} `task`", where=where))
                if block.list_ is not None and block.list_ not in {spec.key for spec in lists.lists}:
                    problems.append(Problem(what=f"unknown list {block.list_!r} (not in lists.yaml)", where=where))
    if problems:
        raise _invalid(template_path("outline.yaml"), problems)


def load_lists() -> ListsFile:
    result: ListsFile = _validate(ListsFile, "lists.yaml")
    return result


def load_outline(lists: ListsFile | None = None) -> Outline:
    """The outline, its placeholders, generators and list keys checked (against ``lists`` or lists.yaml)."""
    outline: Outline = _validate(Outline, "outline.yaml")
    _check_outline_texts(outline, lists or load_lists())
    return outline


def load_functions() -> FunctionMap:
    """The TC609-6-2025-01 function map (also for the web platform's page)."""
    result: FunctionMap = _validate(FunctionMap, "tc609_functions.yaml")
    return result
