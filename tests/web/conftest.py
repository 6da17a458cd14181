"""Fixtures of the web tests: one seeded SQLite registry per module and a TestClient over the space's app."""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webworld import World, build

from resonance.api.app import create_app
from resonance.registry.db import make_engine, make_sessionmaker, transaction


@dataclass
class Site:
    """A seeded registry, its world and a client of the app serving it."""

    url: str
    world: World
    client: TestClient
    sessions: object

    def login(self, role: str) -> TestClient:
        """The client signed in with ``role``'s token through the login form (expired/revoked: cookie only)."""
        self.client.cookies.clear()
        if role in ("expired", "revoked"):
            self.client.cookies.set("rs_web_token", self.world.tokens[role], domain="testserver.local")
            return self.client
        response = self.client.post("/web/login", data={"token": self.world.tokens[role], "next": "/web/"})
        assert response.status_code == 303, response.text
        return self.client


def text(response: object) -> str:
    """A response's HTML with entities decoded (quotes in messages are escaped as &#39;)."""
    return html.unescape(response.text)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def seeded_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    folder = tmp_path_factory.mktemp("web")
    path = folder / "registry.sqlite"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        world = build(session, folder / "node")
    engine.dispose()
    yield url, world


@pytest.fixture(scope="module")
def site(seeded_url: tuple[str, World]) -> Iterator[Site]:
    url, world = seeded_url
    app = create_app(url)
    with TestClient(app, follow_redirects=False) as client:
        yield Site(url, world, client, app.state.sessions)
