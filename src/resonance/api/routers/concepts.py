"""Generic CRUD routers, one per registry concept, generated from ``CONCEPTS``.

Each router has typed request and response models (the concept's create / update / read schemas) so that
/openapi.json documents every concept precisely. The endpoints are thin: permissions decide, services do.

Order of checks, the same for every concept: 401 (no valid token) → 403 (the role may never do this to this
concept) → 422 (invalid request) → 404 (no such row, or a row the principal may not read) → 403 (the row is
not the principal's, or the write would make it someone else's).
"""

# No `from __future__ import annotations` here: endpoint signatures use classes built at run time, and
# FastAPI must see them as objects, not as names to look up in this module.

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy.orm import Session

from resonance import permissions
from resonance.api._inputs import check_params, check_payload, not_a_number, raise_problems
from resonance.api._times import with_offsets
from resonance.api.auth import PrincipalDep
from resonance.api.deps import SessionDep
from resonance.api.errors import ERROR_RESPONSES, documented
from resonance.errors import NotFound, Problem
from resonance.permissions import CREATE, DELETE, UPDATE, Action, Principal
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS, Concept
from resonance.registry.vocabularies import vocabularies
from resonance.settings import get_settings

PREFIX = "/api/v1"
MAX_PAGE = 1_000_000
MAX_FILTER = 200
_PAGING = ("page", "page_size", "q")


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _snake(name: str) -> str:
    return name.replace("-", "_").replace(" ", "_")


def _filter_description(concept: Concept, name: str) -> str:
    if name in concept.refs:
        ref = concept.refs[name]
        return f"only {concept.name} of this {ref.kind}: its code (or name), or its numeric id"
    if name in concept.vocab:
        vocabulary = concept.vocab[name]
        keys = ", ".join(f"{k} ({v['zh']})" for k, v in vocabularies()[vocabulary].items())
        return f"only {concept.name} with this {name} ({vocabulary}); the key, zh or en label of: {keys}"
    return f"only {concept.name} whose {name} is exactly this value"


def query_model(concept: Concept) -> type[BaseModel]:
    """The list endpoint's query parameters: paging, search (when the concept is searchable), filters."""
    fields: dict[str, Any] = {
        "page": (int, Field(1, ge=1, le=MAX_PAGE, description="page number, from 1")),
        "page_size": (
            int,
            Field(50, ge=1, le=get_settings().page_size_max, description="rows per page"),
        ),
    }
    if concept.search_fields:
        fields["q"] = (
            str | None,
            Field(
                None,
                max_length=MAX_FILTER,
                description=f"search {', '.join(concept.search_fields)}; Chinese and English (搜索: 中文按词与双字)",
            ),
        )
    for name in concept.filters:
        kind: Any = bool | None if name == "is_reference_example" else str | None
        extra = {} if kind is not str | None else {"max_length": MAX_FILTER}
        fields[name] = (kind, Field(None, description=_filter_description(concept, name), **extra))
    config = ConfigDict(extra="forbid")
    return create_model(f"{_pascal(concept.name)}Query", __config__=config, **fields)


def page_model(concept: Concept) -> type[BaseModel]:
    return create_model(
        f"{_pascal(concept.name)}Page",
        items=(list[concept.read], Field(description=f"the {concept.name} of this page")),  # type: ignore[name-defined]
        total=(int, Field(description="rows matching the filters, on all pages")),
        page=(int, ...),
        page_size=(int, ...),
    )


def visible_row(session: Session, principal: Principal, concept: Concept, key: str) -> Any:
    """The row ``key`` names, or 404 when there is none or the principal may not read it."""
    check_params({"key": key}, where="path")
    text = key.strip()
    if not_a_number(text):
        raise NotFound(concept.singular, key)
    row = services.get_row(session, concept, text)
    if not permissions.can_read_row(principal, concept, row):
        raise NotFound(
            concept.singular, key, fix=f"list the {concept.name} you may see with GET {PREFIX}/{concept.name}"
        )
    return row


def _read(session: Session, concept: Concept, row: Any) -> dict[str, Any]:
    return with_offsets(concept.read, services.read_one(session, concept, row))


def _check_filters(concept: Concept, values: dict[str, Any]) -> None:
    check_params(values, where="query")
    raise_problems(
        [
            Problem(what=f"names no {concept.refs[n].kind}", where=f"query.{n}", fix="use a code or an id", value=v)
            for n, v in values.items()
            if n in concept.refs and isinstance(v, str) and not_a_number(v.strip())
        ]
    )


def build_router(concept: Concept) -> APIRouter:
    """The router of one concept: list and get, plus create, update and delete unless it is a fixed list."""
    router = APIRouter(prefix=f"{PREFIX}/{concept.name}", tags=[concept.name], responses=ERROR_RESPONSES)
    Read = concept.read
    Query_ = query_model(concept)
    Page = page_model(concept)
    one, many = _snake(concept.singular), _snake(concept.name)
    key_help = "numeric id" + (f", or {' / '.join(concept.lookup)}" if concept.lookup else "")
    key_help += ", or code@version" if concept.versioned else ""
    Key = Annotated[str, Path(min_length=1, max_length=MAX_FILTER, description=key_help)]

    def can_read(principal: PrincipalDep) -> None:
        permissions.require_read(principal, concept)

    def can(action: Action):  # type: ignore[no-untyped-def]
        def check(principal: PrincipalDep) -> None:
            permissions.require_write(principal, concept, action)

        return check

    @router.get(
        "",
        response_model=Page,
        operation_id=f"list_{many}",
        summary=f"List {concept.name} · 列出{concept.zh}",
        dependencies=[Depends(can_read)],
    )
    def list_rows(params: Annotated[Query_, Query()], session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
        values = params.model_dump()
        paging = {k: values.pop(k, None) for k in _PAGING}
        _check_filters(concept, {**values, "q": paging["q"]})
        scope = permissions.read_clause(principal, concept)
        page = services.list_page(session, concept, values, paging["q"], paging["page"], paging["page_size"], scope)
        page.items = [with_offsets(Read, item) for item in page.items]
        return page.as_dict()

    @router.get(
        "/{key}",
        response_model=Read,
        operation_id=f"get_{one}",
        summary=f"Read one {concept.singular} · 查看{concept.zh}",
        dependencies=[Depends(can_read)],
        responses={404: documented("no such row, or not one the token may read")},
    )
    def get_one(key: Key, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
        return _read(session, concept, visible_row(session, principal, concept, key))

    if concept.create is None or concept.update is None:
        return router
    Create, Update = concept.create, concept.update

    @router.post(
        "",
        status_code=201,
        response_model=Read,
        operation_id=f"create_{one}",
        summary=f"Register a {concept.singular} · 登记{concept.zh}",
        dependencies=[Depends(can(CREATE))],
        responses={409: documented("a row with the same code or name exists")},
    )
    def create_one(
        payload: Annotated[Create, Body()], response: Response, session: SessionDep, principal: PrincipalDep
    ) -> dict[str, Any]:
        data = payload.model_dump(exclude_unset=True)
        data = check_payload(concept, data)
        row = services.create(session, concept, data)
        permissions.check_row(session, principal, concept, CREATE, row)
        response.headers["Location"] = f"{PREFIX}/{concept.name}/{row.id}"
        return _read(session, concept, row)

    @router.patch(
        "/{key}",
        response_model=Read,
        operation_id=f"update_{one}",
        summary=f"Change a {concept.singular} · 修改{concept.zh}",
        dependencies=[Depends(can(UPDATE))],
        responses={404: documented("no such row, or not one the token may read")},
    )
    def update_one(
        key: Key, payload: Annotated[Update, Body()], session: SessionDep, principal: PrincipalDep
    ) -> dict[str, Any]:
        row = visible_row(session, principal, concept, key)
        permissions.check_row(session, principal, concept, UPDATE, row)
        data = payload.model_dump(exclude_unset=True)
        data = check_payload(concept, data)
        services.update(session, concept, row, data)
        permissions.check_row(session, principal, concept, UPDATE, row)
        return _read(session, concept, row)

    @router.delete(
        "/{key}",
        status_code=204,
        response_class=Response,
        operation_id=f"delete_{one}",
        summary=f"Delete a {concept.singular} · 删除{concept.zh}",
        dependencies=[Depends(can(DELETE))],
        responses={
            404: documented("no such row, or not one the token may read"),
            409: documented("other rows still reference it"),
        },
    )
    def delete_one(key: Key, session: SessionDep, principal: PrincipalDep) -> Response:
        row = visible_row(session, principal, concept, key)
        permissions.check_row(session, principal, concept, DELETE, row)
        services.delete(session, concept, row)
        return Response(status_code=204)

    return router


@cache
def routers() -> tuple[APIRouter, ...]:
    """The routers of every concept; built once, since they hold no state of a particular app."""
    return tuple(build_router(concept) for concept in CONCEPTS.values())
