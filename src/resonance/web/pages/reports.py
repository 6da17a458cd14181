"""Reports: pick an action entity, a kind (plan / phase / final) and a language, download DOCX, XLSX or Markdown.

The documents are built by ``resonance.reports.build`` (the report package); this page only asks for them.
Who may download follows the policy for the ``reports`` concept: the operator any entity's, an authority its
own entity's.
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.api.deps import SessionDep
from resonance.errors import Forbidden, ResonanceError
from resonance.permissions import Principal, read_clause, require_read
from resonance.registry import models as m
from resonance.registry.concepts import CONCEPTS
from resonance.registry.rules import find_entities
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.templating import render

router = page_router()
KINDS = ("plan", "phase", "final")
FORMATS = {
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "markdown": ("md", "text/markdown; charset=utf-8"),
}


def allowed_entities(session: Session, principal: Principal) -> list[m.ActionEntity]:
    """The entities whose reports the principal may download."""
    require_read(principal, CONCEPTS["reports"])
    stmt = select(m.ActionEntity).order_by(m.ActionEntity.code)
    if principal.role != "operator":
        stmt = stmt.where(m.ActionEntity.id == (principal.entity_id or -1))
    return list(session.scalars(stmt))


def registered_reports(session: Session, principal: Principal) -> list[dict[str, Any]]:
    clause = read_clause(principal, CONCEPTS["reports"])
    stmt = select(m.Report, m.ActionEntity.code).join(m.ActionEntity, m.ActionEntity.id == m.Report.entity_id)
    if clause is not None:
        stmt = stmt.where(clause)
    rows = session.execute(stmt.order_by(m.Report.entity_id, m.Report.kind, m.Report.id).limit(500)).all()
    return [{"report": r, "entity": code} for r, code in rows]


@router.get("/reports")
def reports_page(request: Request, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    entities = allowed_entities(session, principal)
    return render(
        request,
        "reports.html",
        entities=entities,
        kinds=KINDS,
        formats=list(FORMATS),
        reports=registered_reports(session, principal),
    )


def _bad(field: str, value: str, allowed: tuple[str, ...] | list[str]) -> ResonanceError:
    return ResonanceError(
        what=f"{field} {value!r} is not one of {', '.join(allowed)} · 参数取值无效",
        where=f"query parameter {field}",
        fix=f"choose one of: {', '.join(allowed)} · 请从列表中选择",
        code="validation_error",
        status=422,
    )


def builder() -> Any:
    """``resonance.reports.build``; a clear 503 while the report package is not installed."""
    try:
        return importlib.import_module("resonance.reports").build
    except (ImportError, AttributeError):
        raise ResonanceError(
            what="the report builder (resonance.reports.build) is not installed · 报告生成模块尚未安装",
            fix="install a version of resonance that includes the reports package",
            code="reports_unavailable",
            status=503,
        ) from None


@router.get("/reports/download")
def download(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    lang: LangDep,
    entity: Annotated[str, Query(min_length=1, max_length=200)],
    kind: Annotated[str, Query(max_length=20)] = "plan",
    report_lang: Annotated[str, Query(alias="lang", max_length=5)] = "zh",
    format: Annotated[str, Query(max_length=20)] = "docx",
) -> Response:
    if kind not in KINDS:
        raise _bad("kind", kind, KINDS)
    if report_lang not in ("zh", "en"):
        raise _bad("lang", report_lang, ("zh", "en"))
    if format not in FORMATS:
        raise _bad("format", format, list(FORMATS))
    target = find_entities(session, entity)[0]
    if target.id not in {e.id for e in allowed_entities(session, principal)}:
        raise Forbidden(
            f"a {principal.label} cannot download the reports of {target.code} · 无权下载该主体的报告",
            "an authority downloads its own entity's reports; the operator any entity's",
        )
    build = builder()
    suffix, media = FORMATS[format]
    with tempfile.TemporaryDirectory(prefix="resonance-report-") as tmp:
        files = build(session, kind, target.code, report_lang, Path(tmp))
        path: Path = getattr(files, format)
        content = path.read_bytes()
    filename = f"{target.code}-{kind}-{report_lang}.{suffix}"
    return Response(
        content,
        media_type=media,
        headers={
            "Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )
