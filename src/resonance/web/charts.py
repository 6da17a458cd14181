"""Chart builders: plotly.js figures (data + layout) from published aggregates, drawn by the bundled plotly.js.

Why the figures are written as plain plotly.js JSON instead of with ``plotly.graph_objects``: building and
validating a figure with plotly's Python API cost about 170 ms per chart here (3.5 s for the first one, which
loads the templates), and a dataset page has up to 18 charts; the JSON below is exactly what the Python API
would have emitted for these simple bar and line charts, and it renders in well under a millisecond. The page
loads ``/web/static/vendor/plotly.min.js`` once, so nothing comes from a CDN.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from markupsafe import Markup

from resonance.web.messages import Lang, text

CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
MAX_HISTOGRAMS = 12
MAX_TOP = 6
HEIGHT = 260
_ids = itertools.count(1)


def _layout(height: int = HEIGHT, **axes: Any) -> dict[str, Any]:
    return {
        "margin": {"l": 52, "r": 16, "t": 16, "b": 52},
        "height": height,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif", "size": 12},
        **axes,
    }


def _axis(title: str, **more: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "gridcolor": "#e3e7ed", "zeroline": False, **more}


def to_html(data: list[dict[str, Any]], layout: dict[str, Any]) -> Markup:
    """A div and the script that draws the figure in it with the page's plotly.js."""
    div_id = f"chart-{next(_ids)}"
    spec = json.dumps([data, layout, CONFIG], ensure_ascii=False, allow_nan=False).replace("</", "<\\/")
    return Markup(
        f'<div id="{div_id}" class="plotly-chart"></div>'
        f'<script>(function(){{var s={spec};Plotly.newPlot("{div_id}",s[0],s[1],s[2]);}})();</script>'
    )


def quality_dimensions(quality: dict[str, Any], lang: Lang) -> Markup:
    """A bar per quality dimension (0–100); dimensions not assessed are named on the axis with no bar."""
    names, scores = [], []
    for d in quality.get("dimensions", []):
        shown = (d.get("name_zh") if lang == "zh" else d.get("name_en")) or d.get("key", "?")
        score = d.get("score")
        names.append(shown if score is not None else f"{shown} ({text('not_assessed', lang)})")
        scores.append(score)
    bar = {
        "type": "bar",
        "x": names,
        "y": [s or 0 for s in scores],
        "text": [s if s is not None else "—" for s in scores],
        "textposition": "auto",
        "marker": {"color": "#0b5cad"},
    }
    return to_html([bar], _layout(yaxis=_axis(text("quality", lang), range=[0, 100])))


def histograms(profile: dict[str, Any], lang: Lang) -> list[tuple[str, Markup]]:
    """(column, chart) for the numeric columns with a published histogram, at most ``MAX_HISTOGRAMS``."""
    out = []
    for column in profile.get("columns", []):
        bins = column.get("histogram") or []
        if column.get("kind") != "numeric" or not bins:
            continue
        bar = {
            "type": "bar",
            "x": [(b["low"] + b["high"]) / 2 for b in bins],
            "y": [b["count"] for b in bins],
            "width": [max(b["high"] - b["low"], 1e-12) for b in bins],
            "marker": {"color": "#0b5cad"},
            "name": column["name"],
        }
        layout = _layout(xaxis=_axis(column["name"]), yaxis=_axis(text("rows", lang)), bargap=0.02)
        out.append((column["name"], to_html([bar], layout)))
        if len(out) >= MAX_HISTOGRAMS:
            break
    return out


def top_values(profile: dict[str, Any], lang: Lang) -> list[tuple[str, Markup]]:
    """(column, chart) of the most frequent values of text columns (only values seen at least k times)."""
    out = []
    for column in profile.get("columns", []):
        values = column.get("top_values") or []
        if column.get("kind") == "numeric" or not values:
            continue
        bar = {
            "type": "bar",
            "x": [str(v["value"]) for v in values],
            "y": [v["count"] for v in values],
            "marker": {"color": "#1b7a3a"},
        }
        layout = _layout(xaxis=_axis(column["name"], type="category"), yaxis=_axis(text("rows", lang)))
        out.append((column["name"], to_html([bar], layout)))
        if len(out) >= MAX_TOP:
            break
    return out


def round_metrics(rounds: list[dict[str, Any]], lang: Lang) -> Markup | str:
    """One line per numeric metric over the rounds (``[{"round": n, "metrics": {...}}, …]``); "" when none."""
    series: dict[str, tuple[list[int], list[float]]] = {}
    for entry in rounds:
        number = entry.get("round")
        for name, value in (entry.get("metrics") or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool) and isinstance(number, int):
                if value != value or value in (float("inf"), float("-inf")):  # NaN / inf: not drawable
                    continue
                xs, ys = series.setdefault(name, ([], []))
                xs.append(number)
                ys.append(float(value))
    if not series:
        return ""
    lines = [
        {"type": "scatter", "mode": "lines+markers", "x": xs, "y": ys, "name": name}
        for name, (xs, ys) in sorted(series.items())
    ]
    layout = _layout(320, xaxis=_axis(text("round", lang), dtick=1), yaxis=_axis(text("value", lang)))
    return to_html(lines, layout)


def contribution(found: dict[str, Any], lang: Lang) -> Markup | str:
    """Shapley and leave-one-out per provider as grouped bars (``job_contribution.estimate``); "" when absent."""
    if not found.get("available"):
        return ""
    players = sorted(found["players"], key=lambda p: -found["shapley"][p])
    names = [found["orgs"].get(p) or p for p in players]
    bars = [
        {"type": "bar", "x": names, "y": [found["shapley"][p] for p in players], "name": "Shapley"},
        {"type": "bar", "x": names, "y": [found["leave_one_out"][p] for p in players], "name": text("loo", lang)},
    ]
    layout = _layout(300, xaxis=_axis(text("provider", lang)), yaxis=_axis(text("contribution_gain", lang)))
    layout["barmode"] = "group"
    return to_html(bars, layout)


def before_after(rows: list[dict[str, Any]], lang: Lang) -> Markup | str:
    """Grouped bars, before and after, per metric of a flywheel cycle, with the 95% intervals as error bars."""
    labels, sides = [], {"before": ([], [], []), "after": ([], [], [])}
    for row in rows:
        label = f"{text('part_' + row['part'], lang)} {row['metric']}"
        labels.append(label)
        for side, (ys, plus, minus) in sides.items():
            value = row.get(side) or {}
            v, low, high = value.get("value"), value.get("low"), value.get("high")
            ys.append(v)
            plus.append(high - v if v is not None and high is not None else 0)
            minus.append(v - low if v is not None and low is not None else 0)
    if not any(v is not None for ys, _, _ in sides.values() for v in ys):
        return ""
    bars = [
        {
            "type": "bar",
            "name": text(side, lang),
            "x": labels,
            "y": ys,
            "error_y": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus},
        }
        for side, (ys, plus, minus) in sides.items()
    ]
    layout = _layout(300, barmode="group", yaxis=_axis(text("value", lang), range=[0, 1.05]))
    return to_html(bars, layout)
