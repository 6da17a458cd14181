"""Login with an API token (kept in an HttpOnly cookie), logout, and the zh/en switch (kept in a cookie)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from resonance import tokens
from resonance.api.deps import SessionDep
from resonance.errors import ResonanceError
from resonance.web.auth import LANG_COOKIE, TOKEN_COOKIE, LangDep
from resonance.web.messages import text
from resonance.web.pages import page_router
from resonance.web.routing import login_page, safe_next

router = page_router()
ONE_YEAR = 365 * 24 * 3600


@router.get("/login")
def login_form(request: Request, lang: LangDep, next: str = "/web/") -> Response:
    return login_page(request, status=200, next_url=next)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    token: Annotated[str, Form(max_length=400)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/web/",
) -> Response:
    if not token.strip():
        return login_page(request, text("token_empty", lang), status=422, next_url=next)
    try:
        tokens.verify(session, token)
    except ResonanceError as exc:
        return login_page(request, exc.what, exc.fix, status=exc.status, next_url=next)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        TOKEN_COOKIE,
        token.strip(),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, lang: LangDep) -> Response:
    response = login_page(request, status=200, next_url="/web/", notice=text("logged_out", lang))
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


@router.get("/lang/{chosen}")
def switch_language(chosen: str, next: str = "/web/") -> Response:
    if chosen not in ("zh", "en"):
        raise ResonanceError(
            what=f"unknown language {chosen!r} · 未知语言",
            where="path",
            fix="use /web/lang/zh or /web/lang/en · 请使用 zh 或 en",
            code="unknown_value",
            status=404,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, chosen, max_age=ONE_YEAR, samesite="lax", path="/")
    return response
