"""``build``: one plan / phase / final report of one action entity, as DOCX + XLSX + Markdown (+ chart PNGs).

Everything is checked before anything is written (kind, language, templates, entity, output folder); the
files are made in a temporary folder inside ``out_dir`` and moved into place only when all of them exist, so
a failure leaves no half-written report. A ``Report`` row (draft) records the DOCX's SHA-256; the caller's
transaction commits it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.errors import ResonanceError
from resonance.registry import models as m
from resonance.registry.rules import find_entities
from resonance.registry.vocabularies import label
from resonance.reports.compose import Context, compose
from resonance.reports.facts import gather
from resonance.reports.render_docx import write_docx
from resonance.reports.render_markdown import write_markdown
from resonance.reports.render_xlsx import write_xlsx
from resonance.reports.templates import KINDS, load_functions, load_lists, load_outline
from resonance.reports.types import ReportFiles

LANGS = ("zh", "en")


def _check_choice(value: object, allowed: tuple[str, ...], what_zh: str, what_en: str, option: str) -> str:
    if isinstance(value, str) and value.strip().lower() in allowed:
        return value.strip().lower()
    raise ResonanceError(
        what=f"未知的{what_zh} / unknown {what_en} {value!r}",
        where=option,
        fix=f"use one of: {', '.join(allowed)}",
        code="unknown_value",
        status=422,
    )


def _writable(out_dir: Path) -> Path:
    out = Path(out_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ResonanceError(
            what=f"输出目录不可写 / cannot write to the output folder: {exc.strerror or exc}",
            where=str(out),
            fix="choose a folder you may write to with --out DIR",
            code="unwritable",
            status=500,
        ) from None
    return out


def file_stem(entity_code: str, kind: str, lang: str) -> str:
    """A file-name stem from the entity code; a code with nothing file-safe in it gets a short hash, so that two
    such entities never share files."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", entity_code).strip("._")
    if not safe:
        safe = "entity-" + hashlib.sha256(entity_code.encode("utf-8")).hexdigest()[:8]
    return f"{safe}-{kind}-{lang}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _record(
    session: Session, entity: m.ActionEntity, kind: str, lang: str, title: str, files: dict[str, Path]
) -> m.Report:
    """Update this entity's draft report of that kind and language, or add one; a submitted row is never touched."""
    row = session.scalars(
        select(m.Report)
        .where(
            m.Report.entity_id == entity.id, m.Report.kind == kind, m.Report.lang == lang, m.Report.status == "draft"
        )
        .order_by(m.Report.id.desc())
    ).first()
    if row is None:
        row = m.Report(entity_id=entity.id, kind=kind, lang=lang, status="draft")
        session.add(row)
    row.title = title[:300]
    row.file_sha256 = sha256_of(files["docx"])
    row.description = "generated: " + ", ".join(path.name for path in files.values())
    session.flush()
    return row


def build(
    session: Session,
    kind: str,
    entity_code: str,
    lang: str,
    out_dir: Path,
    *,
    today: date | None = None,
) -> ReportFiles:
    """Produce the ``kind`` report (plan | phase | final) of the action entity ``entity_code`` (code or Chinese
    name) in ``lang`` (zh | en) under ``out_dir``: ``<code>-<kind>-<lang>.docx/.xlsx/.md`` and the charts in
    ``<code>-<kind>-<lang>-charts/``. Existing files of the same name are replaced. ``today`` fixes the date the
    progress is evaluated at (default: today). Raises ResonanceError on a bad kind, language, entity, template
    or output folder, before writing anything.
    """
    kind = _check_choice(kind, KINDS, "报告类型", "report kind", "kind")
    lang = _check_choice(lang, LANGS, "语言", "language", "lang")
    lists_file = load_lists()
    outline, functions = load_outline(lists_file), load_functions()
    if not isinstance(entity_code, str) or not entity_code.strip():
        raise ResonanceError(
            what="没有指定行动主体 / no action entity given", where="entity", fix="pass --entity CODE", code="invalid"
        )
    [entity] = find_entities(session, entity_code)
    out = _writable(out_dir)
    stem = file_stem(entity.code, kind, lang)
    final = {"docx": out / f"{stem}.docx", "xlsx": out / f"{stem}.xlsx", "markdown": out / f"{stem}.md"}
    chart_dir = out / f"{stem}-charts"
    with tempfile.TemporaryDirectory(dir=out, prefix=f".{stem}-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "charts").mkdir()
        facts = gather(session, entity, kind, lang, today or date.today(), lists_file.evidence_link)
        document = compose(Context(facts, outline, lists_file, functions, tmp / "charts"))
        write_docx(document, tmp / final["docx"].name)
        write_xlsx(document, tmp / final["xlsx"].name)
        write_markdown(document, tmp / final["markdown"].name, chart_dir.name)
        if chart_dir.exists():
            shutil.rmtree(chart_dir)
        os.replace(tmp / "charts", chart_dir)
        for path in final.values():
            os.replace(tmp / path.name, path)
    charts = tuple(chart_dir / chart.path.name for chart in document.charts())
    title = document.title or label("report_kind", kind, lang)
    row = _record(session, entity, kind, lang, title, final)
    return ReportFiles(
        docx=final["docx"],
        xlsx=final["xlsx"],
        markdown=final["markdown"],
        charts=tuple(dict.fromkeys(charts)),
        report_id=row.id,
        sha256=row.file_sha256 or "",
    )
