"""Fixtures of the report tests: the world of ``_world.py`` in a fresh SQLite registry, and reports built once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _world import TODAY, build_world

from resonance.registry.db import transaction


@pytest.fixture
def world(sqlite_registry: Any) -> Any:
    with transaction(sqlite_registry.sessions) as session:
        build_world(session)
    return sqlite_registry


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "reports"


@pytest.fixture(scope="session")
def built(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The world's phase summary in Chinese and plan in English, built once for the tests that only read them."""
    import shutil
    from types import SimpleNamespace

    from resonance.registry.db import make_engine, make_sessionmaker
    from resonance.reports import build

    folder = tmp_path_factory.mktemp("built")
    shutil.copyfile(sqlite_template, folder / "registry.sqlite")
    engine = make_engine(f"sqlite:///{folder / 'registry.sqlite'}")
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        build_world(session)
    with transaction(sessions) as session:
        phase = build(session, "phase", "zj", "zh", folder / "out", today=TODAY)
        plan = build(session, "plan", "浙江省", "en", folder / "out", today=TODAY)
    yield SimpleNamespace(phase=phase, plan=plan, sessions=sessions, folder=folder)
    engine.dispose()
