"""One module per page (or group of pages); each exposes ``router``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from resonance.web.routing import WebRoute


def page_router() -> APIRouter:
    """A router of pages under /web whose errors are rendered as pages."""
    return APIRouter(prefix="/web", route_class=WebRoute, include_in_schema=False, default_response_class=HTMLResponse)
