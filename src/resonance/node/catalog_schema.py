"""The schema of a node's local catalog (SQLite in the node home), kept current by Alembic.

A node is upgraded by installing a newer ``resonance``; its catalog must follow without losing what it holds
(registered sources, grades, cards, contracts, metering). ``ensure_schema`` runs the catalog's migrations
(``catalog_migrations/``) once per catalog and process; the first revision adopts homes made before there
were migrations. A catalog written by a newer ``resonance`` than this one is refused rather than guessed at.
"""

from __future__ import annotations

import threading

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine
from sqlalchemy.exc import DatabaseError

from resonance.errors import ResonanceError
from resonance.registry import db

MIGRATIONS = ("resonance.node", "catalog_migrations")

_current: set[str] = set()  # catalogs already brought to the head revision in this process
_lock = threading.Lock()


def target_metadata() -> list[MetaData]:
    """The tables the node's code expects (the catalog's and the contracts')."""
    from resonance.node import catalog, contracts

    return [catalog.LocalDataset.metadata, contracts.LocalContract.metadata]


def head_revision() -> str:
    return db.head_revision(MIGRATIONS)


def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        return db.current_revision(engine)
    finally:
        engine.dispose()


def ensure_schema(url: str) -> None:
    """Create or upgrade the catalog at ``url`` to this code's schema (once per process)."""
    with _lock:
        if url in _current:
            return
        where = url.removeprefix("sqlite:///")
        try:
            found = current_revision(url)
            config = db.alembic_config(url, MIGRATIONS)
            known = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
            if found is not None and found not in known:
                raise ResonanceError(
                    what=f"the node catalog is at schema revision {found!r}, which this resonance does not know",
                    where=where,
                    fix="it was written by a newer resonance: install that version (pip install -U resonance-space)",
                    code="catalog_too_new",
                    status=409,
                )
            command.upgrade(config, "head")
        except DatabaseError as exc:
            raise ResonanceError(
                what=f"the node catalog cannot be opened: {str(exc.orig).strip()}",
                where=where,
                fix="check that it is the node's catalog.sqlite and not damaged; restore it from a backup if it is",
                code="catalog_unreadable",
                status=500,
            ) from None
        _current.add(url)
