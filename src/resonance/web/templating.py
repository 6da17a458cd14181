"""Rendering pages: one Jinja2 environment over the package's templates, and the context every page gets.

Every page receives ``lang``, ``t`` (the catalogue bound to that language), ``label`` (vocabulary labels),
the principal and the navigation it may see. A request sent by htmx (``HX-Request``) for a page that has a
partial gets only the partial.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from resonance.permissions import Principal
from resonance.registry.vocabularies import industries as industry_list
from resonance.registry.vocabularies import label as vocab_label
from resonance.registry.vocabularies import vocabularies
from resonance.web.auth import may_read, may_read_ledger
from resonance.web.messages import Lang, status_text, text

PREFIX = "/web"

_env = Environment(
    loader=PackageLoader("resonance.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

# (path, catalogue key, who sees it: None = every signed-in principal)
NAV: tuple[tuple[str, str, str | None], ...] = (
    ("/", "overview", None),
    ("/industries", "industries", None),
    ("/datasets", "datasets", None),
    ("/scenarios", "scenarios", None),
    ("/models", "models", None),
    ("/leaderboards", "leaderboards", None),
    ("/flywheel", "flywheel", None),
    ("/jobs", "jobs", "jobs"),
    ("/contracts", "contracts", "contracts"),
    ("/ledger", "ledger", "ledger"),
    ("/reports", "reports", "reports"),
    ("/conformance", "conformance", None),
)


def nav_items(principal: Principal | None, path: str) -> list[dict[str, Any]]:
    """The navigation links the principal may follow (none before login), the current one marked."""
    if principal is None:
        return []
    items = []
    for suffix, key, needs in NAV:
        if needs == "ledger" and not may_read_ledger(principal):
            continue
        if needs not in (None, "ledger") and not may_read(principal, needs):
            continue
        href = PREFIX + suffix
        current = path == href or path == href + "/" if suffix == "/" else path.startswith(href)
        items.append({"href": href, "key": key, "current": current})
    return items


def _label(lang: Lang):  # type: ignore[no-untyped-def]
    def label(vocabulary: str, key: Any) -> str:
        """The label of a vocabulary key in the page's language; ``industry`` labels the 20 industries."""
        if key is None or key == "":
            return "—"
        if vocabulary == "industry":
            found = next((i for i in industry_list() if i["code"] == key), None)
            return found[lang] if found else str(key)
        if vocabulary not in vocabularies():
            return str(key)
        return vocab_label(vocabulary, str(key), lang)

    return label


def _name(lang: Lang):  # type: ignore[no-untyped-def]
    def name(row: Any) -> str:
        get = row.get if isinstance(row, dict) else lambda k, d=None: getattr(row, k, d)
        zh, en = get("name_zh", "") or "", get("name_en", "") or ""
        return (en or zh) if lang == "en" else (zh or en)

    return name


def number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if abs(value) < 1e12 else f"{value:.3g}"
    return str(value)


def when(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:19].replace("T", " ")


def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


_env.filters.update(number=number, when=when, pretty_json=pretty_json)


def query(base: str, params: dict[str, Any], **changes: Any) -> str:
    """``base`` with the non-empty ``params`` (updated by ``changes``) as its query string."""
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v not in (None, "")}
    return f"{base}?{urlencode(kept)}" if kept else base


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the common context; ``partial`` (a template) is sent alone to htmx requests."""
    lang: Lang = getattr(request.state, "lang", "zh")
    principal: Principal | None = getattr(request.state, "principal", None)
    partial = context.pop("partial", None)
    if partial and request.headers.get("hx-request") == "true" and not request.headers.get("hx-boosted"):
        template = partial
    path = request.url.path
    here = path + (f"?{request.url.query}" if request.url.query else "")
    values = {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "other": "en" if lang == "zh" else "zh",
        "t": lambda key, **kw: text(key, lang, **kw),
        "status_label": lambda prefix, value: status_text(prefix, str(value), lang),
        "label": _label(lang),
        "name": _name(lang),
        "principal": principal,
        "nav": nav_items(principal, path),
        "here": here,
        "prefix": PREFIX,
        "query": query,
        **context,
    }
    html = _env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
