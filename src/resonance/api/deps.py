"""Request-scoped dependencies: one database session (one transaction) per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from resonance.registry.db import transaction


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back on any error.

    Used with ``scope="function"`` so that the commit happens before the response is sent: a failing
    commit becomes an error response, never a success reply for something that was not written.
    """
    with transaction(request.app.state.sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
