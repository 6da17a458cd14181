"""``resonance <concept> list|show|add|update|delete``: one typer group per registry concept, built from CONCEPTS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml

from resonance.cli._common import console, handle_errors, print_json, print_table, registry_session
from resonance.errors import ResonanceError
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS, Concept

_TABLE_FIELDS = (
    "id",
    "code",
    "version",
    "name_zh",
    "name_en",
    "kind",
    "industry",
    "entity",
    "owner",
    "developer",
    "organisation",
    "stage",
    "state",
    "status",
)


def _columns(concept: Concept) -> list[str]:
    fields = concept.read.model_fields
    return [f for f in _TABLE_FIELDS if f in fields][:8]


def _parse_filters(concept: Concept, named: dict[str, str | None], pairs: list[str]) -> dict[str, Any]:
    filters: dict[str, Any] = {k: v for k, v in named.items() if v is not None}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ResonanceError(what=f"filter {pair!r} is not KEY=VALUE", fix="write e.g. --filter status=published")
        filters[key.strip()] = value.strip()
    unknown = [k for k in filters if k not in concept.filters]
    if unknown:
        raise ResonanceError(
            what=f"{concept.name} cannot be filtered by {', '.join(unknown)}",
            fix=f"filter by one of: {', '.join(concept.filters) or 'nothing'}",
        )
    return filters


def _load_payload(data: str | None, file: Path | None) -> Any:
    if (data is None) == (file is None):
        raise ResonanceError(what="give the fields either with --data JSON or with --file FILE.yaml|json")
    if file is not None:
        if not file.is_file():
            raise ResonanceError(what=f"no file {file}", fix="check the path")
        try:
            return yaml.safe_load(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ResonanceError(what=f"cannot read {file}: {exc}", fix="save it as UTF-8 YAML or JSON") from None
    try:
        return json.loads(data or "")
    except json.JSONDecodeError as exc:
        raise ResonanceError(
            what=f"--data is not valid JSON: {exc}", fix='quote it: --data \'{"code": "x"}\''
        ) from None


def build(concept: Concept, app: typer.Typer | None = None) -> typer.Typer:
    """Add list/show (and add/update/delete where writable) to ``app`` (a new group if None)."""
    app = app or typer.Typer(no_args_is_help=True)

    @app.command("list")
    @handle_errors
    def list_(
        industry: str | None = typer.Option(None, help="industry code or name")
        if "industry" in concept.filters
        else typer.Option(None, hidden=True),
        entity: str | None = typer.Option(None, help="action entity code or name")
        if "entity" in concept.filters
        else typer.Option(None, hidden=True),
        kind: str | None = typer.Option(None, help="kind")
        if "kind" in concept.filters
        else typer.Option(None, hidden=True),
        status: str | None = typer.Option(None, help="status")
        if "status" in concept.filters
        else typer.Option(None, hidden=True),
        filter_: list[str] = typer.Option([], "--filter", help=f"KEY=VALUE; keys: {', '.join(concept.filters)}"),
        q: str | None = typer.Option(None, "--search", "-q", help="search names and descriptions (中文 or English)"),
        page: int = typer.Option(1, min=1),
        page_size: int = typer.Option(50, min=1, max=500),
        json_out: bool = typer.Option(False, "--json", help="print machine-readable JSON"),
    ) -> None:
        filters = _parse_filters(
            concept, {"industry": industry, "entity": entity, "kind": kind, "status": status}, filter_
        )
        with registry_session() as session:
            result = services.list_page(session, concept, filters, q, page, page_size)
        if json_out:
            print_json(result.as_dict())
            return
        cols = _columns(concept)
        print_table(
            f"{concept.zh} {concept.name} — {result.total} in all, page {page}",
            cols,
            [[item.get(c) for c in cols] for item in result.items],
        )

    list_.__doc__ = f"List {concept.name} ({concept.zh}), with filters and search."

    @app.command("show")
    @handle_errors
    def show(
        key: str = typer.Argument(..., help="id, code or code@version"),
        json_out: bool = typer.Option(False, "--json", help="print machine-readable JSON"),
    ) -> None:
        with registry_session() as session:
            item = services.read_one(session, concept, services.get_row(session, concept, key))
        if json_out:
            print_json(item)
            return
        print_table(
            f"{concept.zh} {concept.singular}",
            ["field", "value"],
            [[k, json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v] for k, v in item.items()],
        )

    show.__doc__ = f"Show one {concept.singular} ({concept.zh})."

    if concept.create is None:
        return app

    @app.command("add")
    @handle_errors
    def add(
        data: str | None = typer.Option(None, "--data", help="fields as JSON"),
        file: Path | None = typer.Option(None, "--file", help="fields as a YAML or JSON file"),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        payload = _load_payload(data, file)
        with registry_session() as session:
            item = services.read_one(session, concept, services.create(session, concept, payload))
        print_json(item) if json_out else console.print(f"added {concept.singular} {item.get('code', item['id'])}")

    add.__doc__ = f"Register a {concept.singular} ({concept.zh})."

    @app.command("update")
    @handle_errors
    def update(
        key: str,
        data: str | None = typer.Option(None, "--data", help="changed fields as JSON"),
        file: Path | None = typer.Option(None, "--file"),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        payload = _load_payload(data, file)
        with registry_session() as session:
            row = services.update(session, concept, services.get_row(session, concept, key), payload)
            item = services.read_one(session, concept, row)
        print_json(item) if json_out else console.print(f"updated {concept.singular} {key}")

    update.__doc__ = f"Change fields of a {concept.singular}."

    @app.command("delete")
    @handle_errors
    def delete(key: str, yes: bool = typer.Option(False, "--yes", help="do not ask")) -> None:
        if not yes:
            typer.confirm(f"delete {concept.singular} {key}?", abort=True)
        with registry_session() as session:
            services.delete(session, concept, services.get_row(session, concept, key))
        console.print(f"deleted {concept.singular} {key}")

    delete.__doc__ = f"Delete a {concept.singular} (refused while other rows reference it)."
    return app


def concept_groups(existing: dict[str, typer.Typer]) -> list[tuple[str, typer.Typer, str]]:
    """One (name, app, help) per concept; concepts whose group already exists get their commands added to it."""
    out = []
    for concept in CONCEPTS.values():
        group = concept.cli
        if group in existing:
            build(concept, existing[group])
            continue
        verbs = "list, show, add, update, delete" if concept.create else "list, show"
        out.append((group, build(concept), f"{concept.zh} {concept.name}: {verbs}"))
    return out
