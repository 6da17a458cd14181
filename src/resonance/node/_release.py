"""Small-count suppression: what of a column's exact statistics may leave the node.

The rule is one sentence: a value seen fewer than ``k`` times is never published, neither the value nor its
count. Categorical values below ``k`` are dropped from the top-value list (only how many were dropped is
said). Order statistics that are single data values (a minimum, a maximum, a quantile that lands on a rare
value) are generalised instead of dropped: a rare numeric minimum becomes a round number strictly below it
(so it cannot be a data value at all), a rare maximum a round number strictly above it, a rare quantile the
nearest grid point that is not itself a rare value; a rare timestamp becomes the day, month or year that
holds at least ``k`` rows. Histogram bins with fewer than ``k`` values are merged with their neighbours.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

# Timestamp generalisation levels: (DuckDB date_trunc part, label format). "exact" is the value itself.
TIME_LEVELS = (("day", "%Y-%m-%d"), ("month", "%Y-%m"), ("year", "%Y"))


def jsonable(value: Any) -> Any:
    """A JSON-ready form of a DuckDB value: finite floats, ISO dates, strings for everything exotic."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return str(value)


def grid_step(low: float, high: float) -> float:
    """A round step about a twentieth to a two-hundredth of the range (1 for a constant column)."""
    span = abs(high - low)
    if not math.isfinite(span) or span == 0:
        return 1.0 if low == 0 else 10 ** math.floor(math.log10(abs(low)))
    return 10 ** math.floor(math.log10(span / 20))


def _tidy(value: float, step: float) -> float:
    digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return round(value, digits)


def outside_low(value: float, step: float) -> float:
    """The largest grid point strictly below ``value``."""
    return _tidy((math.ceil(value / step) - 1) * step, step)


def outside_high(value: float, step: float) -> float:
    """The smallest grid point strictly above ``value``."""
    return _tidy((math.floor(value / step) + 1) * step, step)


def nearest(value: float, step: float) -> float:
    """The grid point nearest ``value``."""
    return _tidy(round(value / step) * step, step)


def quantile_fallbacks(value: float, step: float) -> list[float]:
    """Stand-ins for a quantile that is a rare data value: the nearest grid point, the half-grid point beside
    it, and the half-integer below (never a value of an integer column)."""
    grid = nearest(value, step)
    half = _tidy(grid + step / 2 if value >= grid else grid - step / 2, step / 2)
    return [grid, half, math.floor(value) + 0.5]


def release_number(value: float | None, seen: int, k: int, fallback: float | None) -> tuple[float | None, bool]:
    """(published value, exact?) for an order statistic seen ``seen`` times; ``fallback`` is its generalisation."""
    if value is None:
        return None, True
    if seen == 0 or seen >= k:
        return jsonable(float(value)), True
    return fallback, False


def release_time(seen: dict[str, int], value: Any, k: int, is_date: bool) -> tuple[str | None, str | None]:
    """(label, precision) for a timestamp extreme: the finest level whose bucket holds at least ``k`` rows."""
    if value is None:
        return None, None
    if seen.get("exact", 0) >= k:
        return jsonable(value), "exact"
    for part, fmt in TIME_LEVELS:
        if is_date and part == "day":
            continue  # a day is the date itself
        if seen.get(part, 0) >= k:
            return value.strftime(fmt), part
    return None, "suppressed"


def merge_bins(edges: list[float], counts: list[int], k: int) -> list[dict[str, Any]]:
    """Merge adjacent bins until each published bin has 0 or at least ``k`` values; totals are preserved."""
    if sum(counts) < k:
        return []
    merged: list[dict[str, Any]] = []
    start, acc = 0, 0
    for index, count in enumerate(counts):
        if acc == 0 and count == 0:
            merged.append({"low": edges[index], "high": edges[index + 1], "count": 0})
            start = index + 1
            continue
        acc += count
        if acc >= k:
            merged.append({"low": edges[start], "high": edges[index + 1], "count": acc})
            start, acc = index + 1, 0
    if acc:  # a short tail joins the last non-empty bin (empty bins after it are absorbed too)
        while merged and merged[-1]["count"] == 0:
            merged.pop()
        last = merged[-1]
        last["high"], last["count"] = edges[-1], last["count"] + acc
    return merged


def release_top(counts: dict[Any, int], k: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """(top values with count >= k, how many distinct values were below k) from an exact value→count map."""
    kept = sorted(((v, c) for v, c in counts.items() if c >= k), key=lambda vc: (-vc[1], str(vc[0])))
    suppressed = sum(1 for c in counts.values() if c < k)
    return [{"value": jsonable(v), "count": c} for v, c in kept[:limit]], suppressed
