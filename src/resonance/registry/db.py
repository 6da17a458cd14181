"""Engines, sessions and schema upgrades (Alembic) for the registry, on SQLite or PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from resonance.errors import ResonanceError

T = TypeVar("T")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # let SQLAlchemy, not pysqlite, emit BEGIN, so that SAVEPOINTs work (SQLAlchemy's documented recipe)
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def retry_when_locked(work: Callable[[], T], *, attempts: int = 5, pause: float = 0.5) -> T:
    """Run ``work`` (which opens and commits its own transaction) again when SQLite says "database is locked".

    In WAL mode a transaction that read first and writes later cannot wait for another process's write to finish:
    SQLite refuses the upgrade at once, whatever the busy timeout. The work rolled back whole, so running it
    again is safe. Used where a command writes a shared registry while node agents write it too."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OperationalError as exc:
            if "database is locked" not in str(exc) or attempt == attempts:
                raise
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")


REGISTRY_MIGRATIONS = ("resonance.registry", "migrations")


def alembic_config(url: str, migrations: tuple[str, str] = REGISTRY_MIGRATIONS) -> Config:
    """Alembic's configuration for the database at ``url`` and the migrations in (package, folder)."""
    package, folder = migrations
    config = Config()
    config.set_main_option("script_location", str(resources.files(package).joinpath(folder)))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision(migrations: tuple[str, str] = REGISTRY_MIGRATIONS) -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://", migrations))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str) -> tuple[str | None, str]:
    """Create or upgrade the registry schema to the newest revision; returns (before, after)."""
    engine = make_engine(url)
    try:
        before = current_revision(engine)
    except OperationalError as exc:
        raise ResonanceError(
            what=f"cannot connect to the registry database ({make_url(url).render_as_string()})",
            fix="check RESONANCE_DATABASE_URL, that the server runs and that the database exists",
            code="database_unreachable",
            status=503,
        ) from exc
    finally:
        engine.dispose()
    command.upgrade(alembic_config(url), "head")
    return before, head_revision()


def require_current(engine: Engine) -> None:
    """Refuse to work on a database whose schema is missing or older than this code."""
    current = current_revision(engine)
    if current != head_revision():
        state = "has no registry schema" if current is None else f"is at schema revision {current}"
        raise ResonanceError(
            what=f"the registry database {state}; this version needs {head_revision()}",
            fix="run `resonance space init` to create or upgrade it",
            code="schema_outdated",
            status=503,
        )
