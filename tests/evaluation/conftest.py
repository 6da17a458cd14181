"""Fixtures of the evaluation tests: the evaluation world of ``evalworld.py`` with the space home it uses."""

from __future__ import annotations

import pytest

from _evalworld import EvalWorld, build
from resonance.settings import get_settings


@pytest.fixture
def eval_world(registry, tmp_path, monkeypatch) -> EvalWorld:
    """The world on SQLite and PostgreSQL; the process's space home is the world's (artifacts, space key)."""
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "space"))
    get_settings.cache_clear()
    world = build(registry, tmp_path)
    yield world
    get_settings.cache_clear()
