"""Endpoints about the API itself and across concepts: health, vocabularies, search."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from resonance import __version__, permissions
from resonance.api._inputs import check_params
from resonance.api._times import with_offsets
from resonance.api.auth import PrincipalDep
from resonance.api.deps import SessionDep
from resonance.api.errors import ERROR_RESPONSES, ErrorBody
from resonance.errors import ResonanceError
from resonance.registry import services
from resonance.registry.vocabularies import vocabularies

router = APIRouter()


class Health(BaseModel):
    status: str = Field(description="ok when the registry database answers")
    version: str


class VocabularyEntry(BaseModel):
    key: str = Field(description="the stable key used by the API, the CLI and files")
    zh: str
    en: str


class SearchHits(BaseModel):
    concept: str = Field(description="the concept's URL segment, e.g. datasets")
    zh: str
    total: int
    items: list[dict[str, Any]]


class SearchResults(BaseModel):
    query: str
    results: list[SearchHits] = Field(description="the concepts with at least one match, in registry order")


@router.get(
    "/health",
    tags=["meta"],
    response_model=Health,
    summary="Liveness and database check · 健康检查",
    responses={503: {"model": ErrorBody, "description": "the registry database does not answer"}},
)
def health(request: Request) -> dict[str, str]:
    """Needs no token. 503 when the registry database does not answer."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise ResonanceError(
            what="the registry database does not answer",
            fix="check that the database server runs and RESONANCE_DATABASE_URL points at it",
            code="database_unreachable",
            status=503,
        ) from None
    return {"status": "ok", "version": __version__}


@router.get(
    "/api/v1/vocabularies",
    tags=["meta"],
    responses=ERROR_RESPONSES,
    response_model=dict[str, list[VocabularyEntry]],
    summary="Controlled vocabularies with zh and en labels · 受控词表",
)
def list_vocabularies(principal: PrincipalDep) -> dict[str, list[dict[str, str]]]:
    """Every vocabulary: its keys (what the API stores and returns) with Chinese and English labels."""
    return {
        name: [{"key": key, "zh": labels["zh"], "en": labels["en"]} for key, labels in entries.items()]
        for name, entries in vocabularies().items()
    }


@router.get(
    "/api/v1/search",
    tags=["meta"],
    responses=ERROR_RESPONSES,
    response_model=SearchResults,
    summary="Search every concept the token may read · 全局搜索",
)
def search_all(
    q: Annotated[str, Query(min_length=1, max_length=200, description="words to find; Chinese or English")],
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=50, description="items shown per concept")] = 10,
) -> dict[str, Any]:
    """The first ``limit`` matches of each searchable concept, among the rows the token may read."""
    check_params({"q": q})
    results = []
    for concept in permissions.readable_concepts(principal):
        if not concept.search_fields:
            continue
        scope = permissions.read_clause(principal, concept)
        page = services.list_page(session, concept, {}, q, 1, limit, scope)
        if page.total:
            items = [with_offsets(concept.read, item) for item in page.items]
            results.append({"concept": concept.name, "zh": concept.zh, "total": page.total, "items": items})
    return {"query": q, "results": results}
