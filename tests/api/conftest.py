"""Fixtures of the API tests: a real API over a real registry (SQLite and PostgreSQL); see apiworld.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from apiworld import Api, build_world
from fastapi.testclient import TestClient

from resonance.api.app import create_app


@pytest.fixture
def api(registry: Any) -> Iterator[Api]:
    with TestClient(create_app(registry.url)) as client:
        result = Api(client, registry)
        result.operator = result.token("operator")
        yield result


@pytest.fixture
def world(api: Api) -> Api:
    build_world(api)
    return api
