"""The flywheel page: the recorded cycles with their slice, before/after with intervals, verdict and chart."""

from __future__ import annotations

import re

from conftest import Site, text
from resonance.registry import models as m
from resonance.registry.db import transaction


def _metric(value: float, low: float, high: float) -> dict[str, float]:
    return {"value": value, "low": low, "high": high}


def test_no_cycles_then_one_cycle_with_before_and_after(site: Site) -> None:
    client = site.login("viewer")  # a cycle holds only suppressed aggregates: every role sees it
    client.cookies.set("rs_lang", "en")
    empty = client.get("/web/flywheel")
    assert empty.status_code == 200 and 'id="no-cycles"' in empty.text
    assert 'href="/web/flywheel"' in empty.text  # in the navigation

    with transaction(site.sessions) as session:  # type: ignore[arg-type]
        row = m.FlywheelCycle(
            model_code="ai4i-fed",
            status="completed",
            slice={"condition": "Rotational speed < 1400 ∧ Tool wear [min] ≥ 170", "metric": "recall", "n": 81},
            before={
                "slice": {"recall": _metric(0.091, 0.0, 0.231), "auc": _metric(0.826, 0.7, 0.9)},
                "overall": {"auc": _metric(0.960, 0.95, 0.97)},
            },
            after={
                "slice": {"recall": _metric(0.318, 0.25, 0.5), "auc": _metric(0.854, 0.8, 0.92)},
                "overall": {"auc": _metric(0.957, 0.946, 0.968)},
            },
            steps={"train_job": 3, "retrain_job": 7, "demands": [1, 2]},
            seconds=412.5,
        )
        session.add(row)
        session.flush()
        cycle_id = row.id

    page = client.get("/web/flywheel")
    body = text(page)
    assert page.status_code == 200 and 'id="no-cycles"' not in page.text
    assert f"Cycle {cycle_id} · ai4i-fed · completed" in body
    assert "Rotational speed < 1400 ∧ Tool wear [min] ≥ 170 (n = 81)" in body
    cells = [re.sub(r"<[^>]+>", " ", r) for r in page.text.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]]
    assert "0.091 [0.000, 0.231]" in cells[0] and "0.318 [0.250, 0.500]" in cells[0] and "better" in cells[0]
    assert "overall auc" in cells[-1] and "tie (intervals overlap)" in cells[-1]
    assert 'class="plotly-chart"' in page.text and "/web/static/vendor/plotly.min.js" in page.text
    assert "3 → 7" in body

    client.cookies.set("rs_lang", "zh")
    assert "数据飞轮" in client.get("/web/flywheel").text
