"""The API's read cache (resonance.api.cache): hits, invalidation by writes of this and of other processes,
revoked tokens, visibility, and turning it off; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from apiworld import Api, build_world, payload
from fastapi.testclient import TestClient

from resonance import tokens
from resonance.api.app import create_app
from resonance.api.cache import CacheMiddleware, CacheSettings, ReadCache
from resonance.registry.db import transaction

RESONANCE = Path(sys.executable).with_name("resonance")
DATASETS = "/api/v1/datasets"


@contextmanager
def serving(registry: Any, staleness_ms: float, operator: dict[str, str] | None = None) -> Iterator[Api]:
    """An API over ``registry`` with this staleness window; a new operator token and world unless given one."""
    app = create_app(registry.url, cache=CacheSettings(staleness_ms=staleness_ms))
    with TestClient(app) as client:
        api = Api(client, registry)
        if operator is None:
            api.operator = api.token("operator")
            build_world(api)
        else:
            api.operator = operator
        yield api


@pytest.fixture
def cached(registry: Any) -> Iterator[Api]:
    """A world whose API reads the generation of other processes at most every 60 s (so staleness shows)."""
    with serving(registry, 60_000) as api:
        yield api


@pytest.fixture
def fresh(registry: Any) -> Iterator[Api]:
    """A world whose API reads the generation before every cached request (staleness window 0)."""
    with serving(registry, 0) as api:
        yield api


def cache_of(api: Api) -> ReadCache:
    cache = api.client.app.state.read_cache  # type: ignore[attr-defined]
    assert cache is not None
    return cache


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


def cli(registry: Any, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process: its writes reach the API only through the database."""
    env = {**os.environ, "RESONANCE_DATABASE_URL": registry.url, "RESONANCE_HOME": str(tmp_path / "cli")}
    done = subprocess.run([str(RESONANCE), *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def test_a_repeated_read_is_a_hit_and_equal_to_the_first(cached: Api) -> None:
    stats = cache_of(cached).stats
    first = cached.get(DATASETS, params={"page_size": 1, "kind": "common"})
    hits = stats.hits
    again = cached.get(DATASETS, params={"kind": "common", "page_size": 1})  # same parameters, another order
    assert stats.hits == hits + 1
    assert again.content == first.content and again.headers["content-type"] == first.headers["content-type"]
    one = cached.get(DATASETS + "/ds-a")
    assert cached.get(DATASETS + "/ds-a").content == one.content and stats.hits == hits + 2


def test_a_write_through_the_api_is_read_at_once(cached: Api) -> None:
    assert codes(cached.get(DATASETS)) == ["ds-a", "ds-b"]
    created = cached.post(DATASETS, payload("datasets", "a", 1))
    assert created.status_code == 201, created.text
    assert codes(cached.get(DATASETS)) == ["ds-a", "ds-b", "dat-a-1"]
    assert cached.patch(DATASETS + "/dat-a-1", {"name_zh": "改名"}).status_code == 200
    assert cached.get(DATASETS + "/dat-a-1").json()["name_zh"] == "改名"
    assert cached.delete(DATASETS + "/dat-a-1").status_code == 204
    assert codes(cached.get(DATASETS)) == ["ds-a", "ds-b"]


def test_a_write_through_another_session_of_this_process_is_read_at_once(cached: Api) -> None:
    assert codes(cached.get(DATASETS)) == ["ds-a", "ds-b"]
    assert cached.get("/api/v1/search", params={"q": "缓存"}).json()["results"] == []
    cached.add("datasets", {**payload("datasets", "b", 2), "name_zh": "缓存测试数据集"})  # the test's own engine
    assert codes(cached.get(DATASETS)) == ["ds-a", "ds-b", "dat-b-2"]
    found = cached.get("/api/v1/search", params={"q": "缓存"}).json()["results"]
    assert [(hit["concept"], hit["total"]) for hit in found] == [("datasets", 1)]


def test_a_write_of_another_process_is_read_after_the_staleness_window(registry: Any, tmp_path: Path) -> None:
    with serving(registry, 60_000) as api:  # the other process's write stays unseen for 60 s
        assert codes(api.get(DATASETS)) == ["ds-a", "ds-b"]
        cli(registry, tmp_path, "dataset", "add", "--data", json.dumps(payload("datasets", "a", 3)))
        assert codes(api.get(DATASETS)) == ["ds-a", "ds-b"]
        operator = api.operator
    with serving(registry, 300, operator) as api:
        assert codes(api.get(DATASETS)) == ["ds-a", "ds-b", "dat-a-3"]
        cli(registry, tmp_path, "dataset", "delete", "dat-a-3", "--yes")
        time.sleep(0.35)
        assert codes(api.get(DATASETS)) == ["ds-a", "ds-b"]


def test_a_token_revoked_by_another_process_stops_working(fresh: Api, tmp_path: Path) -> None:
    headers = fresh.token("viewer")
    assert fresh.get(DATASETS, headers=headers).status_code == 200
    assert fresh.get(DATASETS, headers=headers).status_code == 200  # cached page, cached token
    listed = json.loads(cli(fresh.registry, tmp_path, "token", "list", "--json").stdout)
    cli(fresh.registry, tmp_path, "token", "revoke", str(max(t["id"] for t in listed if t["role"] == "viewer")))
    refused = fresh.get(DATASETS, headers=headers)
    assert refused.status_code == 401 and "was revoked at" in refused.json()["error"]["what"]
    assert fresh.get(DATASETS).status_code == 200  # the operator's token still works


def test_a_token_revoked_in_this_process_stops_working_at_once(cached: Api) -> None:
    headers = cached.token("viewer")
    assert cached.get(DATASETS, headers=headers).status_code == 200
    assert cached.get(DATASETS, headers=headers).status_code == 200
    with transaction(cached.registry.sessions) as session:
        prefix = headers["Authorization"].split("_")[1]
        tokens.revoke(session, prefix)
    assert cached.get(DATASETS, headers=headers).status_code == 401


def test_tokens_of_different_visibility_never_share_a_page(cached: Api) -> None:
    cached.add("contracts", {"dataset": "ds-a", "consumer": "org-b"})  # provider org-a, consumer org-b
    cached.add("contracts", {"dataset": "ds-b", "consumer": "org-b"})  # provider org-b, consumer org-b
    a, a2, b = (cached.token("provider", org=org) for org in ("org-a", "org-a", "org-b"))
    viewer = cached.token("viewer")
    url = "/api/v1/contracts"
    everyone = cached.get(url).json()["total"]
    assert (everyone, cached.get(url, headers=a).json()["total"], cached.get(url, headers=b).json()["total"]) == (
        2,
        1,
        2,
    )
    assert cached.get(url, headers=viewer).status_code == 403  # never the operator's page
    # two tokens of the same role and organisation see the same rows, and share the page
    stats = cache_of(cached).stats
    hits = stats.hits
    assert cached.get(url, headers=a2).json()["total"] == 1
    assert stats.hits == hits + 1
    first, second = (item["id"] for item in cached.get(url).json()["items"])
    assert cached.get(f"{url}/{first}", headers=a).status_code == 200
    assert cached.get(f"{url}/{second}").status_code == 200  # cached for the operator …
    assert cached.get(f"{url}/{second}", headers=a).status_code == 404  # … only


def test_repeated_parameters_keep_their_order_in_the_key(cached: Api) -> None:
    assert codes(cached.get(DATASETS + "?owner=org-a&owner=org-b")) == ["ds-b"]  # the last value counts
    assert codes(cached.get(DATASETS + "?owner=org-b&owner=org-a")) == ["ds-a"]


def test_errors_are_not_cached(cached: Api) -> None:
    assert cached.get(DATASETS + "/nothing").status_code == 404
    cached.add("datasets", {**payload("datasets", "a", 4), "code": "nothing"})
    assert cached.get(DATASETS + "/nothing").status_code == 200


def test_the_cache_can_be_turned_off(registry: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_API_CACHE", "0")
    app = create_app(registry.url)
    assert app.state.read_cache is None
    assert not any(m.cls is CacheMiddleware for m in app.user_middleware)
    with TestClient(app) as client:
        api = Api(client, registry)
        api.operator = api.token("operator")
        build_world(api)
        assert codes(api.get(DATASETS)) == ["ds-a", "ds-b"]
        cli(registry, tmp_path, "dataset", "add", "--data", json.dumps(payload("datasets", "b", 5)))
        assert codes(api.get(DATASETS)) == ["ds-a", "ds-b", "dat-b-5"]  # no window: read at once


def test_settings_come_from_the_environment() -> None:
    assert CacheSettings.from_env({}) == CacheSettings()
    settings = CacheSettings.from_env(
        {
            "RESONANCE_API_CACHE": "off",
            "RESONANCE_API_CACHE_STALENESS_MS": "0",
            "RESONANCE_API_CACHE_ENTRIES": "10",
            "RESONANCE_API_CACHE_MB": "1",
        }
    )
    assert settings == CacheSettings(enabled=False, staleness_ms=0, max_entries=10, max_bytes=2**20)
