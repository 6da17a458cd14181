"""Inverted index for Chinese and English search, identical on SQLite and PostgreSQL.

Why hand-written: SQLite FTS5 and PostgreSQL tsvector tokenise Chinese differently (neither segments
words), so one portable table of jieba terms plus CJK bigrams gives the same results on both databases.
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from resonance.registry.models.base import Base


class SearchTerm(Base):
    __tablename__ = "search_terms"
    __table_args__ = (Index("ix_search_terms_kind_object", "kind", "object_id"),)

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True)
