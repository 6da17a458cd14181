"""Shared by the list pages: one page of a concept's rows as the caller may see them, and filter choices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.errors import ResonanceError
from resonance.permissions import Principal, read_clause
from resonance.registry import models as m
from resonance.registry.concepts import CONCEPTS
from resonance.registry.reading import Page, list_page
from resonance.registry.vocabularies import keys

PAGE_SIZE = 25
MAX_QUERY = 200


@dataclass
class Listing:
    """What a list page shows: the rows, the filters as given, and the error that refused them, if any."""

    page: Page
    params: dict[str, Any]
    error: ResonanceError | None = None
    choices: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.page.total // self.page.page_size))


def industry_choices(session: Session) -> list[tuple[str, str, str]]:
    rows = session.execute(
        select(m.Industry.code, m.Industry.name_zh, m.Industry.name_en).order_by(m.Industry.position)
    )
    return [(code, zh, en) for code, zh, en in rows]


def vocab_choices(vocabulary: str) -> list[tuple[str, str, str]]:
    from resonance.registry.vocabularies import vocabularies

    entries = vocabularies()[vocabulary]
    return [(key, entries[key]["zh"], entries[key]["en"]) for key in keys(vocabulary)]


def listing(
    session: Session,
    principal: Principal,
    concept_name: str,
    filters: dict[str, Any],
    q: str,
    page: int,
    page_size: int = PAGE_SIZE,
) -> Listing:
    """One page of rows; a bad filter or search is reported on the page (``error``), not as an error page."""
    concept = CONCEPTS[concept_name]
    params = {**filters, "q": q, "page": page}
    try:
        if len(q) > MAX_QUERY:
            raise ResonanceError(
                what=f"the search is {len(q)} characters long · 搜索词过长",
                where="q",
                fix=f"use at most {MAX_QUERY} characters · 请缩短到 {MAX_QUERY} 个字符以内",
                code="bad_query",
                status=422,
            )
        scope = read_clause(principal, concept)
        found = list_page(session, concept, filters, q or None, page, page_size, scope=scope)
    except ResonanceError as exc:
        return Listing(Page([], 0, page, page_size), params, exc)
    return Listing(found, params)


def readable_row(session: Session, principal: Principal, concept_name: str, key: str) -> Any:
    """The row ``key`` names (code, code@version or id); NotFound also when the principal may not read it,
    so that its existence does not leak (as the API does)."""
    from resonance.errors import NotFound
    from resonance.permissions import can_read_row
    from resonance.registry.reading import get_row

    concept = CONCEPTS[concept_name]
    row = get_row(session, concept, key)
    if not can_read_row(principal, concept, row):
        raise NotFound(concept.singular, key, fix=f"list the {concept.name} you may see at /web/{concept.name}")
    return row


def search_page(
    request: Any,
    session: Session,
    principal: Principal,
    concept_name: str,
    *,
    q: str,
    industry: str,
    facet: tuple[str, str, str, str],
    page: int,
) -> Any:
    """A searchable list page (datasets, models, scenarios): ``facet`` = (filter, value, vocabulary, choices name).

    The whole page, or only its results (``partials/<singular>_results.html``) when htmx asks for them."""
    from resonance.web.templating import render

    name, value, vocabulary, choices = facet
    found = listing(session, principal, concept_name, {"industry": industry, name: value}, q.strip(), page)
    singular = concept_name.removesuffix("s")
    return render(
        request,
        f"{concept_name}.html",
        partial=f"partials/{singular}_results.html",
        status=found.error.status if found.error else 200,
        found=found,
        industries=industry_choices(session),
        **{choices: vocab_choices(vocabulary)},
    )
