"""Chinese and English search over names and descriptions, the same on SQLite and PostgreSQL.

Documents are indexed as a set of terms in ``search_terms``: jieba's search-mode words, the bigrams of
every run of CJK characters, and lower-cased Latin words and numbers. A query matches a row when every
query term is among the row's terms (AND). For a CJK run in the query its bigrams are used, so any
substring of two or more Chinese characters is found even where jieba segments the text differently
("轧钢" is found in "热轧钢板"); a single CJK character matches a word or bigram that starts with it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import jieba
from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.orm import Session

from resonance.registry.models import SearchTerm

jieba.setLogLevel(logging.WARNING)

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[A-Za-z0-9]+(?:[._\-][A-Za-z0-9]+)*")
MAX_TERM = 64


def _bigrams(run: str) -> Iterable[str]:
    return (run[i : i + 2] for i in range(len(run) - 1))


def _latin_words(text: str) -> set[str]:
    words: set[str] = set()
    for match in _LATIN_WORD.finditer(text):
        word = match.group().lower()
        words.add(word)
        words.update(part for part in re.split(r"[._\-]", word) if part)
    return words


def document_terms(*texts: str | None) -> set[str]:
    """Every term a document is findable by."""
    terms: set[str] = set()
    for text in texts:
        if not text:
            continue
        for run in _CJK_RUN.findall(text):
            terms.update(w for w in jieba.cut_for_search(run) if len(w) >= 2)
            terms.update(_bigrams(run))
            if len(run) == 1:
                terms.add(run)
        terms.update(_latin_words(text))
    return {t[:MAX_TERM] for t in terms}


def query_terms(query: str) -> tuple[set[str], set[str]]:
    """(exact terms, single CJK characters to match as prefixes) for a user's query."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    for run in _CJK_RUN.findall(query):
        if len(run) == 1:
            prefixes.add(run)
        else:
            exact.update(_bigrams(run))
    exact.update(_latin_words(query))
    return {t[:MAX_TERM] for t in exact}, prefixes


def reindex(session: Session, kind: str, object_id: int, texts: Iterable[str | None], new: bool = False) -> None:
    """Replace the terms of one row (``new``: the row has none yet, skip the delete)."""
    if not new:
        session.execute(delete(SearchTerm).where(SearchTerm.kind == kind, SearchTerm.object_id == object_id))
    terms = document_terms(*texts)
    if terms:
        session.execute(insert(SearchTerm), [{"kind": kind, "term": t, "object_id": object_id} for t in terms])


def unindex(session: Session, kind: str, object_id: int) -> None:
    session.execute(delete(SearchTerm).where(SearchTerm.kind == kind, SearchTerm.object_id == object_id))


def match_conditions(kind: str, query: str, id_column: ColumnElement[int]) -> list[ColumnElement[bool]] | None:
    """WHERE conditions selecting the rows (``id_column``) that match ``query``; None when it has no term.

    One ``id IN (postings of a term)`` per exact term, and per prefix one ``id IN (postings of the terms that
    start with it)``: a row matches when it has every exact term and, for each prefix, a term starting with
    it. Each condition reads one range of the primary key of ``search_terms``, in object order, so that the
    database can merge them and stop at the end of a page, where grouping all the postings of the query
    (by object, to count its terms) would read and sort every one of them first.
    """
    exact, prefixes = query_terms(query)
    if not exact and not prefixes:
        return None
    terms = [SearchTerm.term == t for t in sorted(exact)] + [SearchTerm.term.like(p + "%") for p in sorted(prefixes)]
    return [id_column.in_(select(SearchTerm.object_id).where(SearchTerm.kind == kind, term)) for term in terms]
