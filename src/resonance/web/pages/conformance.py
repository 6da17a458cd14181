"""The TC609-6-2025-01 map: the 7 functions of the service platform and 5 of the access connector → our modules.

The map is the reports' editable file (``resonance.reports.load_functions``, ``tc609_functions.yaml``), so the
page and the reports' "TC609 对照表" section never disagree; this page adds the web pages that show each
function at work. It is a map, not a claim of conformance (POLICY-NOTES §2).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from resonance.reports import load_functions
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.templating import render

router = page_router()

# the pages of this platform where each function can be seen at work (by the map's function keys)
PAGES: dict[str, tuple[str, ...]] = {
    "identity_management": ("/web/login",),
    "catalog_management": ("/web/datasets", "/web/scenarios", "/web/models"),
    "contract_management": ("/web/contracts",),
    "space_management": ("/web/", "/web/industries", "/web/ledger"),
    "usage_control": ("/web/jobs", "/web/contracts"),
    "data_delivery": ("/web/jobs",),
    "data_resource_management": ("/web/datasets",),
    "data_product_management": ("/web/datasets",),
    "connector_contract_management": ("/web/contracts",),
    "connector_usage_control": ("/web/jobs",),
}


@router.get("/conformance")
def conformance(request: Request, principal: PrincipalDep, lang: LangDep) -> Response:
    return render(request, "conformance.html", tc609=load_functions(), pages=PAGES)
