"""Every other address under /web/: a 404 page that says so (the API's handler would answer JSON)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from resonance.errors import ResonanceError
from resonance.web.auth import LangDep
from resonance.web.pages import page_router
from resonance.web.routing import error_page

router = page_router()


@router.api_route("/{rest:path}", methods=["GET", "HEAD", "POST"])
def not_found(request: Request, rest: str, lang: LangDep) -> Response:
    return error_page(
        request,
        ResonanceError(
            what=f"no page at {request.url.path} · 没有这个页面",
            where=request.url.path,
            fix="use the navigation, or start at /web/ · 请从导航或总览页进入",
            code="not_found",
            status=404,
        ),
    )
