"""Bearer-token authentication: ``Authorization: Bearer rs_…`` → the request's ``Principal``.

With the read cache on (``resonance.api.cache``), a token verified shortly before (within the cache's staleness
window, and no write since) is not looked up again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from resonance import tokens
from resonance.api.cache import SCOPE_KEY, ReadCache, RequestState
from resonance.api.deps import SessionDep
from resonance.errors import Unauthorized
from resonance.permissions import Principal

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token from `resonance token create` (它以 rs_ 开头), sent as `Authorization: Bearer rs_…`.",
)


def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The principal of the request's token; 401 with the reason when it is missing or refused."""
    if credentials is None:
        if request.headers.get("authorization"):
            raise Unauthorized("the Authorization header is not of the form `Bearer <token>`")
        raise Unauthorized("this endpoint needs an API token and the request has none")
    cache: ReadCache | None = getattr(request.app.state, "read_cache", None)
    state: RequestState | None = request.scope.get(SCOPE_KEY)
    if cache is None or state is None or state.epoch is None:
        return tokens.verify(session, credentials.credentials)
    token_hash = tokens.hash_secret(credentials.credentials.strip())
    if state.principal is not None and state.token_hash == token_hash:
        return state.principal  # the cache middleware has just verified it
    principal = cache.tokens.get(token_hash, state.epoch)
    if principal is None:
        principal, expires_at = tokens.verify_token(session, credentials.credentials)
        cache.tokens.put(token_hash, principal, expires_at, state.epoch)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
