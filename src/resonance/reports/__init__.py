"""Plan / phase / final reports of an action entity (实施方案, 阶段总结报告, 总结报告): DOCX, XLSX lists, Markdown.

``build(session, kind, entity_code, lang, out_dir) -> ReportFiles`` is the one entry point (the CLI's
``resonance report`` and the web platform's download page both call it). Outlines, list columns and the
TC609-6-2025-01 function map are editable YAML files in ``templates/`` (``templates.load_functions()`` reads
the map for other callers).
"""

from resonance.reports.service import LANGS, build
from resonance.reports.templates import KINDS, load_functions
from resonance.reports.types import ReportFiles

__all__ = ["KINDS", "LANGS", "ReportFiles", "build", "load_functions"]
