"""The web platform: server-rendered pages (Jinja2 + htmx, plotly charts) served by the space's FastAPI app.

``resonance space serve`` serves them at ``/web/`` beside the REST API (``resonance.api.app`` mounts
``static_files()`` at ``STATIC_PATH`` and includes ``router``). All JavaScript and CSS is bundled under
``static/``: the pages work with no internet. Login is by API token; roles follow ``resonance.permissions``.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from resonance.web.pages import (
    account,
    conformance,
    contracts,
    datasets,
    flywheel,
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
PLOTLY_JS = "vendor/plotly.min.js"


def _plotly_js() -> Path:
    spec = find_spec("plotly")
    assert spec is not None and spec.origin is not None, "plotly is a dependency of resonance-space"
    return Path(spec.origin).parent / "package_data" / "plotly.min.js"


class BundledFiles(StaticFiles):
    """The package's static files; the vendored libraries may be cached by browsers for a day.

    plotly.js (4.8 MB, served from the installed plotly package): without a freshness lifetime a browser
    revalidates it on every page with a chart,
    and a page's scripts are only compiled once from cache when the file is reused as is.
    """

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path == PLOTLY_JS:  # served from the installed plotly package (a dependency), not a copy in our tree
            full = _plotly_js()
            return (str(full), full.stat()) if full.is_file() else ("", None)
        return super().lookup_path(path)

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        path = str(args[0]) if args else ""
        vendored = "/vendor/" in path or path == str(_plotly_js())
        response.headers["Cache-Control"] = "public, max-age=86400" if vendored else "no-cache"
        return response


def static_files() -> StaticFiles:
    """The bundled JS/CSS (htmx, plotly.js, the stylesheet), from the installed package."""
    return BundledFiles(packages=[("resonance.web", "static")])


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
    flywheel,
    jobs,
    contracts,
    ledger,
    reports,
    conformance,
    notfound,  # last: its catch-all answers every other /web/ address
):
    router.include_router(_module.router)
