"""Who is looking at a page: the API token kept in an HttpOnly cookie, verified on every request.

The web platform uses the same tokens and the same role policy (``resonance.permissions``) as the REST API:
the login form only moves the token from the user's hands into a cookie the page scripts cannot read.
A page that needs a principal and has none (or a refused one) answers with the login form itself (401),
saying why, so that nothing of the page is shown.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from resonance import tokens
from resonance.api.deps import SessionDep
from resonance.errors import ResonanceError
from resonance.permissions import LEDGER_READERS, Principal, read_rule
from resonance.registry.concepts import CONCEPTS
from resonance.web.messages import LANGS, Lang

TOKEN_COOKIE = "rs_web_token"
LANG_COOKIE = "rs_lang"
COOKIE_PATH = "/"


class LoginRequired(Exception):
    """Raised by the principal dependency; the page router answers with the login form (401)."""

    def __init__(self, reason: str = "", fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


def page_lang(request: Request) -> Lang:
    """The language chosen with the zh/en switch (cookie), Chinese by default."""
    chosen = request.cookies.get(LANG_COOKIE, "zh")
    lang: Lang = "en" if chosen == "en" else "zh"
    request.state.lang = lang
    return lang


def page_principal(request: Request, session: SessionDep) -> Principal:
    """The principal of the token in the cookie; LoginRequired when there is none or it is refused."""
    secret = request.cookies.get(TOKEN_COOKIE, "")
    if not secret.strip():
        raise LoginRequired()
    try:
        principal = tokens.verify(session, secret)
    except ResonanceError as exc:  # unknown, revoked or expired: say which, and ask for another
        raise LoginRequired(exc.what, exc.fix) from None
    request.state.principal = principal
    return principal


LangDep = Annotated[Lang, Depends(page_lang)]
PrincipalDep = Annotated[Principal, Depends(page_principal)]


def may_read(principal: Principal, concept_name: str) -> bool:
    """Whether the principal may read any row of the concept (what the navigation and pages show)."""
    return read_rule(principal, CONCEPTS[concept_name]) is not None


def may_read_ledger(principal: Principal) -> bool:
    return principal.role in LEDGER_READERS


def is_lang(value: str) -> bool:
    return value in LANGS
