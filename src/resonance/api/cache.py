"""A per-process cache of GET responses and of verified tokens, dropped whenever the registry may have changed.

What is cached
    The bytes of every 200 response of ``GET /api/v1/<concept>[/<key>]``, ``/api/v1/search`` and
    ``/api/v1/vocabularies``, keyed by the caller's visibility (the token's role and the organisation or action
    entity it is bound to, never the secret), the path and the query parameters (in a canonical order that
    keeps the order of repeated ones, which decides their value). Two tokens with the same role and binding
    see the same rows, so they share entries; tokens that see different rows never do. A hit is answered
    here, before routing, validation and the database: a dictionary look-up and a copy of bytes.
    Verified tokens are kept by the SHA-256 of their secret for at most the staleness window, with the
    moment they expire; a hit skips the token query.

When it is dropped
    The registry generation (``resonance.registry.generation``) is bumped by every committed write. Writes
    made in this process, by any session, empty the cache before the next request. Writes of other
    processes (the CLI, an import, another worker) are noticed by reading the generation from the database,
    at most once per staleness window (``RESONANCE_API_CACHE_STALENESS_MS``, default 250 ms): a request that
    starts later than that after such a write commits (plus the time of that one query) sees it. That
    includes revoking a token in another process: the token keeps working for at most that long.

Settings (environment)
    ``RESONANCE_API_CACHE=0`` turns the cache off; ``RESONANCE_API_CACHE_STALENESS_MS`` (0: read the generation
    before every cached GET), ``RESONANCE_API_CACHE_ENTRIES`` (2,000) and ``RESONANCE_API_CACHE_MB`` (64) bound it.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import TypeVar
from urllib.parse import parse_qsl

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resonance import tokens
from resonance.permissions import Principal
from resonance.registry import generation
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction

SCOPE_KEY = "resonance.cache"  # the ASGI scope entry holding the request's RequestState
PREFIX = "/api/v1/"
CACHED_SEGMENTS = frozenset({*CONCEPTS, "search", "vocabularies"})  # not nodes: their reads change on heartbeats

K = TypeVar("K")
T = TypeVar("T")
PageKey = tuple[str, int | None, int | None, str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class CacheSettings:
    """How the API caches reads; ``from_env`` reads ``RESONANCE_API_CACHE*``."""

    enabled: bool = True
    staleness_ms: float = 250.0
    max_entries: int = 2_000
    max_bytes: int = 64 * 2**20

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> CacheSettings:
        flag = environ.get("RESONANCE_API_CACHE", "1").strip().lower()
        return cls(
            enabled=flag not in ("0", "false", "no", "off"),
            staleness_ms=float(environ.get("RESONANCE_API_CACHE_STALENESS_MS", cls.staleness_ms)),
            max_entries=int(environ.get("RESONANCE_API_CACHE_ENTRIES", cls.max_entries)),
            max_bytes=int(float(environ.get("RESONANCE_API_CACHE_MB", cls.max_bytes / 2**20)) * 2**20),
        )


@dataclass
class RequestState:
    """What the middleware learnt about one request, for the auth dependency (``epoch`` None: do not cache)."""

    epoch: int | None = None
    token_hash: str | None = None
    principal: Principal | None = None


class GenerationWatch:
    """The cache's view of the registry generation, as an ``epoch`` that changes whenever a write may have
    happened; every change calls ``on_change``. Used from the event loop only."""

    def __init__(self, engine: Engine, staleness_s: float, on_change: Callable[[], None]) -> None:
        self.epoch = 0
        self._engine = engine
        self._staleness = staleness_s
        self._on_change = on_change
        self._local = generation.local_writes()
        self._seen: int | None = None
        self._known = False  # False until the database answered, and after it failed to
        self._checked_at = -math.inf
        self._polling: asyncio.Future[None] | None = None

    def local(self) -> int:
        """The epoch, after noticing this process's writes (no database query)."""
        local = generation.local_writes()
        if local != self._local:
            self._local = local
            self._advance()
        return self.epoch

    async def current(self) -> int | None:
        """The epoch, after also reading the database's generation if the last read is older than the window;
        None when the generation cannot be read (then nothing may be served from or put into the cache)."""
        self.local()
        if time.monotonic() - self._checked_at >= self._staleness:
            poll = self._polling
            if poll is None or poll.done() or poll.get_loop() is not asyncio.get_running_loop():
                poll = self._polling = asyncio.ensure_future(self._poll())
            await asyncio.shield(poll)  # concurrent requests share one query
        return self.epoch if self._known else None

    async def _poll(self) -> None:
        started = time.monotonic()
        try:
            value = await anyio.to_thread.run_sync(self._read)
        except Exception:  # the database is unreachable or refuses: the request goes to the app, which says so
            value = None
        if value is None:
            self._known = False
            self._advance()
            return
        if value != self._seen:
            self._seen = value
            self._advance()
        self._known = True
        self._checked_at = started

    def _read(self) -> int | None:
        with self._engine.connect() as connection:
            return generation.read(connection)

    def _advance(self) -> None:
        self.epoch += 1
        self._on_change()


@dataclass(frozen=True)
class _Token:
    principal: Principal
    expires_at: datetime | None
    epoch: int
    stored_at: float


class TokenCache:
    """Verified principals by secret hash, for at most ``ttl_s`` and only within one epoch (thread-safe)."""

    def __init__(self, ttl_s: float, max_entries: int) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._entries: OrderedDict[str, _Token] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token_hash: str, epoch: int) -> Principal | None:
        found = self._entries.get(token_hash)
        if found is None or found.epoch != epoch or time.monotonic() - found.stored_at >= self._ttl:
            return None
        if found.expires_at is not None and found.expires_at <= datetime.now(UTC):
            return None
        return found.principal

    def put(self, token_hash: str, principal: Principal, expires_at: datetime | None, epoch: int) -> None:
        with self._lock:
            self._entries[token_hash] = _Token(principal, expires_at, epoch, time.monotonic())
            self._entries.move_to_end(token_hash)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class CachedResponse:
    epoch: int
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200


class PageCache:
    """Least recently used responses, bounded by count and by bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[PageKey, CachedResponse] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: PageKey, epoch: int) -> CachedResponse | None:
        found = self._entries.get(key)
        if found is None or found.epoch != epoch:
            return None
        self._entries.move_to_end(key)
        return found

    def put(self, key: PageKey, response: CachedResponse) -> None:
        if response.size > self.max_bytes // 8:  # one huge page must not push out everything else
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._entries[key] = response
        self.bytes += response.size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            self.bytes -= self._entries.popitem(last=False)[1].size

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0


@dataclass
class Stats:
    hits: int = 0
    misses: int = 0
    stored: int = 0


class ReadCache:
    """Everything one app caches: pages, tokens, and the generation that invalidates both."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session], settings: CacheSettings) -> None:
        staleness = settings.staleness_ms / 1000
        self.settings = settings
        self.sessions = sessions
        self.stats = Stats()
        self.pages = PageCache(settings.max_entries, settings.max_bytes)
        self.tokens = TokenCache(staleness, 10 * settings.max_entries)
        self.watch = GenerationWatch(engine, staleness, self.clear)
        self._verifying: dict[tuple[str, int], asyncio.Future[Principal | None]] = {}
        self._filling: dict[tuple[PageKey, int], asyncio.Future[CachedResponse | None]] = {}

    def clear(self) -> None:
        self.pages.clear()
        self.tokens.clear()

    async def principal(self, secret: str, token_hash: str, epoch: int) -> Principal | None:
        """The principal of ``secret``: from the token cache, or verified (one query for concurrent requests)."""
        found = self.tokens.get(token_hash, epoch)
        if found is not None:
            return found
        running = self._verifying.get((token_hash, epoch))
        if running is not None and running.get_loop() is asyncio.get_running_loop():
            return await asyncio.shield(running)
        return await _shared(self._verifying, (token_hash, epoch), lambda: self._verify(secret, token_hash, epoch))

    async def _verify(self, secret: str, token_hash: str, epoch: int) -> Principal | None:
        verified = await anyio.to_thread.run_sync(self._verify_in_thread, secret)
        if verified is None:
            return None
        self.tokens.put(token_hash, verified[0], verified[1], epoch)
        return verified[0]

    def _verify_in_thread(self, secret: str) -> tuple[Principal, datetime | None] | None:
        try:
            with transaction(self.sessions) as session:
                return tokens.verify_token(session, secret)
        except Exception:  # refused (Unauthorized) or failed: the app answers the request, with the reason
            return None

    async def respond(self, key: PageKey, epoch: int, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer from the cache, or from the app (storing its 200 response); concurrent misses of the same
        page in the same epoch wait for the first one instead of computing it again."""
        hit = self.pages.get(key, epoch)
        if hit is None:
            leader = self._filling.get((key, epoch))
            if leader is not None and leader.get_loop() is asyncio.get_running_loop():
                hit = await asyncio.shield(leader)
        if hit is not None:
            self.stats.hits += 1
            await send({"type": "http.response.start", "status": hit.status, "headers": hit.headers})
            await send({"type": "http.response.body", "body": hit.body})
            return
        self.stats.misses += 1
        await _shared(self._filling, (key, epoch), lambda: self._fill(key, epoch, app, scope, receive, send))

    async def _fill(
        self, key: PageKey, epoch: int, app: ASGIApp, scope: Scope, receive: Receive, send: Send
    ) -> CachedResponse | None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await app(scope, receive, capture)
        if start.get("status") != 200:
            return None
        response = CachedResponse(epoch, 200, list(start.get("headers", [])), b"".join(chunks))
        if epoch == self.watch.epoch:  # else a write was noticed meanwhile: serve it once, keep nothing
            self.pages.put(key, response)
            self.stats.stored += 1
        return response


async def _shared(
    running: dict[K, asyncio.Future[T | None]], key: K, run: Callable[[], Awaitable[T | None]]
) -> T | None:
    """``await run()``, published in ``running[key]`` while it runs so that concurrent callers for the same key
    await its result (None if it failed or was cancelled) instead of running it again."""
    future: asyncio.Future[T | None] = asyncio.get_running_loop().create_future()
    running[key] = future
    result: T | None = None
    try:
        result = await run()
        return result
    finally:
        future.set_result(result)
        if running.get(key) is future:
            del running[key]


class CacheMiddleware:
    """The ASGI middleware that answers cached GETs and tells the auth dependency what it already verified."""

    def __init__(self, app: ASGIApp, cache: ReadCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cache = self.cache
        state = RequestState()
        scope[SCOPE_KEY] = state
        path: str = scope["path"]
        if scope["method"] != "GET" or not _cached_path(path):
            state.epoch = cache.watch.local()
            await self.app(scope, receive, send)
            return
        epoch = await cache.watch.current()
        secret = bearer_secret(scope["headers"])
        if epoch is None or secret is None:
            await self.app(scope, receive, send)
            return
        state.epoch = epoch
        state.token_hash = tokens.hash_secret(secret)
        state.principal = await cache.principal(secret, state.token_hash, epoch)
        if state.principal is None:  # refused: the app says why
            await self.app(scope, receive, send)
            return
        p = state.principal
        key: PageKey = (p.role, p.org_id, p.entity_id, path, _canonical_query(scope["query_string"]))
        await cache.respond(key, epoch, self.app, scope, receive, send)


def _cached_path(path: str) -> bool:
    return path.startswith(PREFIX) and path[len(PREFIX) :].split("/", 1)[0] in CACHED_SEGMENTS


def bearer_secret(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The secret of the first Authorization header, parsed as FastAPI's HTTPBearer does; None if none."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, secret = value.decode("latin-1").partition(" ")
            secret = secret.strip()
            return secret if scheme.lower() == "bearer" and secret else None
    return None


def _canonical_query(query_string: bytes) -> tuple[tuple[str, str], ...]:
    """The parameters as Starlette decodes them, sorted by name; a stable sort keeps repeated names in order."""
    return tuple(sorted(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True), key=itemgetter(0)))
