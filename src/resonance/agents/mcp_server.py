"""``resonance agents mcp``: an MCP server (official ``mcp`` package, stdio or streamable HTTP) over the space.

Tools: ``search_catalog`` (the registry's search, ``resonance.registry.search``), ``dataset_card`` (a dataset's
published metadata, never rows), ``model_schema`` and ``predict`` (a registered ModelVersion's ONNX run on
validated inputs, ``resonance.agents.predict``), ``leaderboard`` (``resonance.agents.leaderboard``).

Access needs an API token (``resonance token create``). Over stdio it comes from ``RESONANCE_TOKEN`` and is
checked when the server starts; over HTTP from ``Authorization: Bearer rs_…`` on every request (a request
without a valid one gets 401 before MCP sees it). Each tool call checks the token again (a token revoked
meanwhile stops working) and applies ``resonance.permissions``: search shows only the rows the role may read,
and predictions need a role in ``permissions.MODEL_CALLERS``. A refused or invalid call returns an MCP tool
error whose text is the project's error JSON (``code``, ``what``, ``where``, ``fix``, ``problems``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from resonance import __version__, permissions, tokens
from resonance.errors import ResonanceError, Unauthorized
from resonance.permissions import Principal
from resonance.registry import services
from resonance.registry.concepts import concept
from resonance.registry.db import make_engine, make_sessionmaker, require_current, transaction

TOKEN_ENV = "RESONANCE_TOKEN"
INSTRUCTIONS = (
    "Resonance Space (模数共振空间): search the registry's catalog, read dataset cards (metadata only), run the "
    "space's registered models on your own inputs and read leaderboards. 先用 model_schema 查看模型的输入字段。"
)


class Space:
    """What every tool call needs: the registry's sessions, the space home, and how to find the caller."""

    def __init__(self, sessions: sessionmaker[Session], home: Path, stdio_secret: str | None = None) -> None:
        self.sessions = sessions
        self.home = home
        self.stdio_secret = stdio_secret

    def principal(self, ctx: Context | None) -> Principal:
        """The caller: the bearer token of this HTTP request, else the stdio token; verified now."""
        secret = self.stdio_secret
        request = getattr(ctx.request_context, "request", None) if ctx is not None else None
        if request is not None:
            secret = _bearer(request.headers.get("authorization"))
        if not secret:
            raise Unauthorized(
                what="no API token",
                fix=f"set {TOKEN_ENV} (stdio) or send Authorization: Bearer rs_… (HTTP); `resonance token create`",
            )
        with transaction(self.sessions) as session:
            return tokens.verify(session, secret)

    def call(self, ctx: Context | None, work: Callable[[Session, Principal], Any]) -> Any:
        try:
            principal = self.principal(ctx)
            with transaction(self.sessions) as session:
                return work(session, principal)
        except ResonanceError as exc:
            raise ToolError(json.dumps(exc.as_dict(), ensure_ascii=False, default=str)) from None


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def build(space: Space) -> MCPServer:
    """The MCP server with its tools bound to ``space``."""
    server: MCPServer = MCPServer(
        name="resonance-space", title="模数共振空间 Resonance Space", version=__version__, instructions=INSTRUCTIONS
    )

    @server.tool(description="Search the registry (Chinese or English) among the rows your token may read.")
    def search_catalog(query: str, ctx: Context, limit: int = 10) -> dict[str, Any]:
        def work(session: Session, principal: Principal) -> dict[str, Any]:
            return search(session, principal, query, limit)

        return space.call(ctx, work)

    @server.tool(description="A dataset's published card: metadata, quality and grade only, never rows.")
    def dataset_card(dataset: str, ctx: Context) -> dict[str, Any]:
        return space.call(ctx, lambda session, principal: dataset_metadata(session, principal, dataset))

    @server.tool(description="The inputs (feature names, training means) and output of a registered model version.")
    def model_schema(model: str, ctx: Context) -> dict[str, Any]:
        from resonance.agents import predict

        def work(session: Session, principal: Principal) -> dict[str, Any]:
            permissions.require_read(principal, concept("models"))
            return predict.schema(session, space.home, model).as_dict()

        return space.call(ctx, work)

    @server.tool(
        description="Run a registered model version (CODE or CODE@VERSION) on rows of raw feature values; "
        "returns one prediction per row (probability of failure for classifiers)."
    )
    def predict(model: str, rows: list[dict[str, Any]], ctx: Context) -> dict[str, Any]:
        from resonance.agents import predict as predicting

        def work(session: Session, principal: Principal) -> dict[str, Any]:
            permissions.require_model_caller(principal)
            return predicting.predict(session, space.home, model, rows)

        return space.call(ctx, work)

    @server.tool(description="Leaderboard rows (evaluation results, best first) by industry, scenario and metric.")
    def leaderboard(
        ctx: Context, industry: str | None = None, scenario: str | None = None, metric: str | None = None
    ) -> dict[str, Any]:
        from resonance.agents import leaderboard as boards

        def work(session: Session, principal: Principal) -> dict[str, Any]:
            permissions.require_read(principal, concept("evaluations"))
            return {"rows": boards.rows(session, industry=industry, scenario=scenario, metric=metric)}

        return space.call(ctx, work)

    return server


def search(session: Session, principal: Principal, query: str, limit: int = 10) -> dict[str, Any]:
    """The first ``limit`` matches per concept among the rows ``principal`` may read (as ``/api/v1/search``)."""
    if not query.strip() or len(query) > 200:
        raise ResonanceError(
            what="the query must have 1 to 200 characters", where="query", fix="give a few words", status=422
        )
    limit = max(1, min(int(limit), 50))
    results = []
    for found in permissions.readable_concepts(principal):
        if not found.search_fields:
            continue
        scope = permissions.read_clause(principal, found)
        page = services.list_page(session, found, {}, query, 1, limit, scope)
        if page.total:
            items = [json.loads(json.dumps(item, default=str)) for item in page.items]
            results.append({"concept": found.name, "zh": found.zh, "total": page.total, "items": items})
    return {"query": query, "results": results}


def dataset_metadata(session: Session, principal: Principal, key: str) -> dict[str, Any]:
    """A dataset's registry fields and published card; refuses what the role may not read."""
    datasets = concept("datasets")
    permissions.require_read(principal, datasets)
    row = services.get_row(session, datasets, key)
    if not permissions.can_read_row(principal, datasets, row):
        from resonance.errors import NotFound

        raise NotFound("dataset", key)
    fields = json.loads(json.dumps(services.read_one(session, datasets, row), default=str))
    # what the node published: the card, the quality report (counts and column names, never values) and the
    # confirmed sensitivity grade; the profile (value distributions) is left to the registry API
    return {**fields, "card": row.card, "quality": row.quality, "grading": row.grading, "fingerprint": row.fingerprint}


def open_space(database_url: str | None = None, home: Path | None = None) -> Space:
    from resonance.settings import get_settings

    settings = get_settings()
    engine = make_engine(database_url or settings.effective_database_url)
    require_current(engine)
    return Space(make_sessionmaker(engine), home or settings.home)


class BearerGate:
    """ASGI wrapper: an HTTP request without a valid bearer token gets 401 JSON before MCP handles it."""

    def __init__(self, app: ASGIApp, space: Space) -> None:
        self.app = app
        self.space = space

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        import anyio.to_thread
        from starlette.responses import JSONResponse

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        secret = _bearer(headers.get("authorization"))
        try:
            if not secret:
                raise Unauthorized(
                    what="no API token", fix="send Authorization: Bearer rs_… (`resonance token create`)"
                )
            await anyio.to_thread.run_sync(self._verify, secret)
        except ResonanceError as exc:
            response = JSONResponse({"error": exc.as_dict()}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _verify(self, secret: str) -> None:
        with transaction(self.space.sessions) as session:
            tokens.verify(session, secret)


def http_app(space: Space) -> ASGIApp:
    """The streamable HTTP app at ``/mcp``, behind the bearer gate."""
    return BearerGate(build(space).streamable_http_app(streamable_http_path="/mcp"), space)


def serve_stdio(space: Space) -> None:
    secret = os.environ.get(TOKEN_ENV, "").strip()
    if not secret:
        raise Unauthorized(what=f"no API token in {TOKEN_ENV}", fix=f"set {TOKEN_ENV}=rs_… (`resonance token create`)")
    with transaction(space.sessions) as session:
        tokens.verify(session, secret)
    space.stdio_secret = secret
    build(space).run("stdio")


def serve_http(space: Space, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(http_app(space), host=host, port=port, log_level="warning")
