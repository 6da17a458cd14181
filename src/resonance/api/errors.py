"""Error handlers: every error leaves the API as ``{"error": {"code", "what", "where", "fix", "problems"?}}``.

- ``ResonanceError`` → its own status and stable code;
- request validation (body, query, path) → 422 ``validation_error`` with one problem per field;
- HTTP errors of the framework (unknown route 404, wrong method 405) → the same shape;
- anything unexpected → 500 ``internal_error`` with a generic message; the details go to the log only.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from resonance.errors import Problem, ResonanceError

log = logging.getLogger("resonance.api")


class ProblemOut(BaseModel):
    what: str
    where: str = ""
    fix: str = ""
    value: Any = None


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, machine-readable: not_found, forbidden, validation_error, …")
    what: str = Field(description="what was wrong")
    where: str = Field(description="the field, parameter or row concerned")
    fix: str = Field(description="what to do about it")
    problems: list[ProblemOut] | None = Field(default=None, description="every problem, when there are several")


class ErrorBody(BaseModel):
    """The body of every error response · 所有错误响应的格式."""

    error: ErrorDetail


def documented(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Documented on every API route, so that /openapi.json shows the error shape actually returned.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: documented("no token, or a token that is unknown, revoked or expired"),
    403: documented("the token's role may not do this, or the row belongs to someone else"),
    422: documented("invalid parameters or body: every problem with where and fix"),
}

_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
_SCHEMA_FIX = "correct the fields listed; every request and response is described at /docs and /openapi.json"


def error_body(code: str, what: str, where: str = "", fix: str = "", problems: list[Problem] | None = None) -> dict:
    err = ResonanceError(what=what, where=where, fix=fix, code=code, problems=problems or [])
    return {"error": err.as_dict()}


async def _resonance(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ResonanceError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse({"error": exc.as_dict()}, status_code=exc.status, headers=headers)


def _where(loc: tuple[Any, ...]) -> str:
    if not loc:
        return ""
    head, *rest = (str(part) for part in loc)
    return f"{head}.{'.'.join(rest)}" if rest else head


def _short(value: Any) -> Any:
    if isinstance(value, dict | list | tuple | bytes):
        return None
    if isinstance(value, str) and len(value) > 80:
        return value[:77] + "…"
    return value


def validation_problems(exc: RequestValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        kind = err.get("type", "")
        fix = {"missing": "add this field", "extra_forbidden": "remove it, or check its spelling"}.get(kind, "")
        value = None if kind in ("missing", "json_invalid") else _short(err.get("input"))
        problems.append(
            Problem(what=str(err.get("msg", "invalid")), where=_where(err.get("loc", ())), fix=fix, value=value)
        )
    return problems


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = validation_problems(exc) or [Problem(what="the request is invalid")]
    first = problems[0]
    body = error_body(
        "validation_error",
        f"{len(problems)} invalid field(s): {first.what}",
        where=first.where,
        fix=_SCHEMA_FIX,
        problems=problems,
    )
    return JSONResponse(body, status_code=422)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    if exc.status_code == 404:
        what, fix = f"no endpoint at {request.url.path}", "see /docs for the endpoints of this API"
    elif exc.status_code == 405:
        allowed = _allowed_methods(request)
        what = f"{request.method} is not allowed on {request.url.path}"
        fix = f"use one of: {', '.join(allowed)}" if allowed else "see /docs"
        exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)} if allowed else exc.headers
    elif exc.status_code == 400:  # FastAPI cannot decode the body (e.g. bytes that are not UTF-8)
        what = f"the request body could not be read: {exc.detail}"
        fix = "send a JSON object encoded in UTF-8, with `Content-Type: application/json`; see /docs"
    else:
        what, fix = str(exc.detail), ""
    return JSONResponse(error_body(code, what, request.url.path, fix), status_code=exc.status_code, headers=exc.headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method the API documents at this path (Starlette's Allow header names only one route's)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        regex, _, _ = compile_path(template)
        if regex.match(request.url.path):
            methods.update(method.upper() for method in operations)
    return sorted(methods)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    body = error_body(
        "internal_error",
        "an unexpected error occurred; nothing was changed",
        where=f"{request.method} {request.url.path}",
        fix="retry later; if it persists, report it to the space's operator with the time of the request",
    )
    return JSONResponse(body, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ResonanceError, _resonance)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
