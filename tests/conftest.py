"""Fixtures that build real registries: a fresh SQLite file or a fresh PostgreSQL database per test.

Every test that takes ``registry`` runs twice, once per backend. PostgreSQL must be reachable at
127.0.0.1:5432 (override with RESONANCE_TEST_PG_URL); if it is not, the run fails loudly instead of skipping.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from resonance.registry.db import make_engine, make_sessionmaker, upgrade
from resonance.settings import get_settings

PG_ADMIN_URL = os.environ.get("RESONANCE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
_counter = itertools.count()


@dataclass
class Registry:
    """A migrated registry database for one test."""

    backend: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def session(self) -> Session:
        return self.sessions()


def _pg_conninfo(dbname: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


def _pg_sqlalchemy_url(dbname: str) -> str:
    return _pg_conninfo(dbname).replace("postgresql://", "postgresql+psycopg://", 1)


def _pg_admin() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # fail loudly: registry tests must run on PostgreSQL too
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}\n"
            "Start it with `pg_ctlcluster --skip-systemctl-redirect 15 main start` "
            "or set RESONANCE_TEST_PG_URL.",
            pytrace=False,
        )


@pytest.fixture(scope="session", autouse=True)
def _space_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A space home for the whole run, so that the space key (resonance.ledger) never lands in ~/.resonance."""
    if "RESONANCE_HOME" not in os.environ:
        os.environ["RESONANCE_HOME"] = str(tmp_path_factory.mktemp("space_home"))
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "registry.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"resonance_tmpl_{os.getpid()}"
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    upgrade(_pg_sqlalchemy_url(name))
    yield name
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_sqlite(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "registry.sqlite"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    """A fresh, migrated registry; parametrised over SQLite and PostgreSQL."""
    backend = request.param
    if backend == "sqlite":
        url = _fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
        dbname = None
    else:
        template = request.getfixturevalue("pg_template")
        dbname = f"resonance_t_{os.getpid()}_{next(_counter)}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{template}"')
        url = _pg_sqlalchemy_url(dbname)
    engine = make_engine(url)
    try:
        yield Registry(backend, url, engine, make_sessionmaker(engine))
    finally:
        engine.dispose()
        if dbname:
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture
def sqlite_registry(sqlite_template: Path, tmp_path: Path) -> Iterator[Registry]:
    """SQLite only, for tests about files and the CLI where the backend does not matter."""
    url = _fresh_sqlite(sqlite_template, tmp_path)
    engine = make_engine(url)
    yield Registry("sqlite", url, engine, make_sessionmaker(engine))
    engine.dispose()
