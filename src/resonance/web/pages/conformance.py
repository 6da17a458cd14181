"""The TC609-6-2025-01 map: the 7 functions of the service platform and 5 of the access connector → our modules.

The map is data (``data/tc609.yaml``) so that it can be corrected without code; it is a map, not a claim of
conformance (POLICY-NOTES §2).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from fastapi import Request
from fastapi.responses import Response

from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.templating import render

router = page_router()


@cache
def tc609_map() -> dict[str, Any]:
    text = resources.files("resonance.web").joinpath("data/tc609.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@router.get("/conformance")
def conformance(request: Request, principal: PrincipalDep, lang: LangDep) -> Response:
    return render(request, "conformance.html", tc609=tc609_map())
