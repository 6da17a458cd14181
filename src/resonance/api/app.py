"""The FastAPI application: ``create_app()`` wires the registry database, auth, routers and error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from resonance import __version__, web
from resonance.api import errors
from resonance.api.cache import CacheMiddleware, CacheSettings, ReadCache
from resonance.api.routers import agents, concepts, contracts, evaluation, federation, meta, nodes
from resonance.errors import ResonanceError
from resonance.registry.db import make_engine, make_sessionmaker, require_current
from resonance.settings import get_settings, normalise_database_url

TITLE = "Resonance Space API"
DESCRIPTION = """
**模数共振空间 API** — the registry of the 模数共振 action: industries, action entities, organisations,
spaces, consortia, scenario files, datasets (metadata only), models, agents, cases, contracts, jobs,
evaluations, data demands and reports.

- 认证 / Auth: every endpoint except `/health`, `/docs` and `/openapi.json` needs
  `Authorization: Bearer rs_…`, a token from `resonance token create`. 令牌的角色决定可读写的范围。
- 引用 / References are given by code (or Chinese name), never by internal ids; vocabulary values accept the
  key, the Chinese or the English label (see `/api/v1/vocabularies`).
- 错误 / Errors are `{"error": {"code", "what", "where", "fix", "problems"}}`, with a stable `code`.
"""

TAGS = [{"name": "meta", "description": "health, vocabularies, search · 健康检查、词表、搜索"}]


def create_app(database_url: str | None = None, *, cache: CacheSettings | None = None) -> FastAPI:
    """The API over the registry at ``database_url`` (default: the configured one).

    ``cache``: how GET responses and verified tokens are cached (``resonance.api.cache``); by default from the
    ``RESONANCE_API_CACHE*`` environment variables.

    Refuses (ResonanceError) a database that cannot be reached or whose schema is missing or outdated.
    """
    url = normalise_database_url(database_url) if database_url else get_settings().effective_database_url
    engine = make_engine(url)
    try:
        require_current(engine)
    except OperationalError:
        engine.dispose()
        raise ResonanceError(
            what=f"cannot connect to the registry database ({make_url(url).render_as_string()})",
            fix="check RESONANCE_DATABASE_URL, that the server runs and that the database exists",
            code="database_unreachable",
            status=503,
        ) from None
    except BaseException:
        engine.dispose()
        raise

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version=__version__,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    settings = cache if cache is not None else CacheSettings.from_env()
    app.state.read_cache = ReadCache(engine, app.state.sessions, settings) if settings.enabled else None
    if app.state.read_cache is not None:
        app.add_middleware(CacheMiddleware, cache=app.state.read_cache)
    errors.install(app)
    app.include_router(meta.router)
    app.include_router(nodes.router)
    app.include_router(contracts.router)
    app.include_router(federation.router)
    app.include_router(agents.router)
    app.include_router(evaluation.router)
    for router in concepts.routers():
        app.include_router(router)
    app.mount(web.STATIC_PATH, web.static_files(), name="web-static")  # before the pages: their 404 catch-all
    app.include_router(web.router)
    return app
