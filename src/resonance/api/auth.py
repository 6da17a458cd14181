"""Bearer-token authentication: ``Authorization: Bearer rs_…`` → the request's ``Principal``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from resonance import tokens
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
    return tokens.verify(session, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(current_principal)]
