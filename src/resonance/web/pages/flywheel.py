"""数据飞轮: the recorded 评测诊断 → 数据集定向优化 → 模型能力提升 cycles, each with its slice and before/after.

A cycle holds only what already left the evaluator's node as suppressed aggregates (the slice's condition, its
n, metrics with their intervals), so every signed-in role may see it, as with the leaderboards.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from resonance.api.deps import SessionDep
from resonance.evaluation import flywheel
from resonance.web import charts
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.templating import render

router = page_router()


def _rows(cycle: dict[str, Any]) -> list[dict[str, Any]]:
    """(label, before, after) per metric shown: the slice's own metric, the slice's AUC, overall AUC."""
    target = cycle.get("slice") or {}
    name = target.get("metric") or "auc"
    wanted = [("slice", name), ("slice", "auc"), ("overall", "auc")] if name != "auc" else [("slice", "auc")]
    if name == "auc":
        wanted.append(("overall", "auc"))
    rows = []
    for part, metric in wanted:
        before = ((cycle.get("before") or {}).get(part) or {}).get(metric)
        after = ((cycle.get("after") or {}).get(part) or {}).get(metric)
        rows.append({"part": part, "metric": metric, **flywheel.gain(metric, before, after)})
    return rows


@router.get("/flywheel")
def cycles(request: Request, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    found = []
    for row in reversed(flywheel.list_cycles(session)):
        cycle = flywheel.as_dict(row)
        rows = _rows(cycle)
        found.append({"cycle": cycle, "rows": rows, "chart": charts.before_after(rows, lang)})
    return render(request, "flywheel.html", cycles=found)
