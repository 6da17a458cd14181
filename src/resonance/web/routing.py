"""The pages' route class: errors become HTML pages (the API's handlers answer JSON), a missing login the form.

- ``LoginRequired`` → a redirect to the login page (no token), or the login form, 401, with the reason the
  token was refused;
- ``ResonanceError`` → an error page with its status and its what / where / fix (404 for unknown ids);
- invalid query or path parameters → a 422 page naming each bad parameter;
- anything unexpected → a 500 page with a generic message (the details go to the log only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from resonance.api.errors import validation_problems
from resonance.errors import ResonanceError
from resonance.web.auth import TOKEN_COOKIE, LoginRequired, page_lang
from resonance.web.templating import render

log = logging.getLogger("resonance.web")


def login_page(
    request: Request, reason: str = "", fix: str = "", status: int = 401, next_url: str = "", notice: str = ""
) -> Response:
    """The login form; ``reason`` / ``fix``: why the token was refused (the cookie is then dropped)."""
    page_lang(request)
    request.state.principal = None
    target = next_url or request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = render(
        request, "login.html", status=status, reason=reason, fix=fix, notice=notice, next_url=safe_next(target)
    )
    if reason:  # a refused token: forget it
        response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


def needs_login(request: Request, exc: LoginRequired) -> Response:
    """A browser asking for a page without a token goes to the login page (and comes back after); a refused
    token, a form or an htmx request gets the login form itself, 401, with the reason."""
    if exc.reason or request.method != "GET" or request.headers.get("hx-request") == "true":
        return login_page(request, exc.reason, exc.fix)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/web/login?{urlencode({'next': safe_next(target)})}", status_code=303)


def error_page(request: Request, error: ResonanceError) -> Response:
    page_lang(request)
    return render(request, "error.html", status=error.status, error=error)


def safe_next(target: str) -> str:
    """A place to return to after login or a language switch: a page of this platform, never another site."""
    if not target.startswith("/web") or target.startswith("//") or "\\" in target or "\n" in target:
        return "/web/"
    if target.startswith(("/web/login", "/web/logout", "/web/lang")):
        return "/web/"
    return target


def refuse_nul(request: Request) -> None:
    """A NUL character in the address is refused before any query (PostgreSQL cannot take it in a string)."""
    values = [("path", str(v)) for v in request.path_params.values()]
    values += [(f"query parameter {k}", v) for k, v in request.query_params.multi_items()]
    for where, value in values:
        if "\x00" in value:
            raise ResonanceError(
                what="the address contains a NUL character · 地址中含有 NUL 字符",
                where=where,
                fix="remove it from the address",
                code="validation_error",
                status=422,
            )


class WebRoute(APIRoute):
    """An APIRoute whose errors are rendered as pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                refuse_nul(request)
                return await handler(request)
            except LoginRequired as exc:
                return needs_login(request, exc)
            except ResonanceError as exc:
                return error_page(request, exc)
            except RequestValidationError as exc:
                problems = validation_problems(exc)
                first = problems[0] if problems else None
                error = ResonanceError(
                    what=first.what if first else "the request is invalid",
                    where=first.where if first else "",
                    fix="correct the address (its query parameters) and try again",
                    code="validation_error",
                    status=422,
                    problems=problems,
                )
                return error_page(request, error)
            except Exception:  # an HTML page, like the API's JSON one: nothing of the cause is shown
                log.exception("unexpected error on %s %s", request.method, request.url.path)
                error = ResonanceError(
                    what="an unexpected error occurred; nothing was changed · 发生意外错误，未做任何更改",
                    where=f"{request.method} {request.url.path}",
                    fix="retry later; if it persists, tell the space's operator the time of the request",
                    code="internal_error",
                    status=500,
                )
                return error_page(request, error)

        return page_handler
