"""The dataset catalog (Chinese and English search, filters) and a dataset's page: profile, quality, grading.

The profile and quality report are what the provider's node published (``resonance data publish``):
aggregates with small counts suppressed, never rows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from resonance.api.deps import SessionDep
from resonance.registry import models as m
from resonance.registry.concepts import CONCEPTS
from resonance.registry.reading import read_one
from resonance.web import charts
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.pages._listing import readable_row, search_page
from resonance.web.templating import render

router = page_router()
CONCEPT = CONCEPTS["datasets"]


@router.get("/datasets")
def catalog(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    lang: LangDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    industry: Annotated[str, Query(max_length=80)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    return search_page(
        request,
        session,
        principal,
        "datasets",
        q=q,
        industry=industry,
        page=page,
        facet=("kind", kind, "dataset_kind", "kinds"),
    )


@router.get("/datasets/{key}")
def dataset(request: Request, key: str, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    row: m.Dataset = readable_row(session, principal, "datasets", key)
    profile = row.profile or {}
    quality = row.quality or {}
    return render(
        request,
        "dataset.html",
        ds=read_one(session, CONCEPT, row),
        row=row,
        profile=profile,
        quality=quality,
        grading=row.grading or {},
        quality_chart=charts.quality_dimensions(quality, lang) if quality.get("dimensions") else "",
        histograms=charts.histograms(profile, lang),
        top_values=charts.top_values(profile, lang),
    )
