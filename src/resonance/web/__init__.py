"""The web platform: server-rendered pages (Jinja2 + htmx, plotly charts) served by the space's FastAPI app.

``resonance space serve`` serves them at ``/web/`` beside the REST API (``resonance.api.app`` mounts
``static_files()`` at ``STATIC_PATH`` and includes ``router``). All JavaScript and CSS is bundled under
``static/``: the pages work with no internet. Login is by API token; roles follow ``resonance.permissions``.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

from resonance.web.pages import (
    account,
    conformance,
    contracts,
    datasets,
    industries,
    jobs,
    ledger,
    models,
    notfound,
    overview,
    reports,
    scenarios,
)

STATIC_PATH = "/web/static"


def static_files() -> StaticFiles:
    """The bundled JS/CSS (htmx, plotly.js, the stylesheet), from the installed package."""
    return StaticFiles(packages=[("resonance.web", "static")])


router = APIRouter(include_in_schema=False)


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    """The space's address opens the web platform."""
    return RedirectResponse("/web/", status_code=307)


for _module in (
    account,
    overview,
    industries,
    datasets,
    scenarios,
    models,
    jobs,
    contracts,
    ledger,
    reports,
    conformance,
    notfound,  # last: its catch-all answers every other /web/ address
):
    router.include_router(_module.router)
