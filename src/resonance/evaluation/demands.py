"""Route a diagnosed slice to the providers whose published data profiles cover it (metadata only).

    routes = route(found_slice, [{"dataset": "ai4i-l@1", "owner": "mill-l", "node": "n-1", "profile": {...}}])
    routes[0].estimated_rows, routes[0].wanted

A profile is what ``resonance data publish`` sent (``node.pipeline.published_profile``): ``rows`` and per column
``name``, ``kind``, ``count``, ``min``/``max``, a ``histogram`` of ``{low, high, count}`` bins (small-count bins
merged) and ``top_values`` of ``{value, count}`` (values seen fewer than ``k`` times left out). No row is read:
the share of a dataset inside one predicate is read off its histogram (uniform within a bin) or its top values,
and the shares of a conjunction's predicates are multiplied — an independence assumption, said in the route's
``basis`` — because a profile holds no joint distribution. A value missing from an exact top-value list with
nothing suppressed counts as absent; one that may hide among suppressed values is an upper bound, marked
``uncertain``.

How many examples are wanted: a slice whose error is ``r`` times the average holds ``r`` times its share of
the errors; asking for ``n·(r − 1)`` more examples like it (at least ``minimum``) would bring its share of
training examples up to its share of errors if training and evaluation data are alike. The total is split
among the covering datasets in proportion to their estimated rows in the slice, never more than that estimate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from resonance.errors import ResonanceError
from resonance.evaluation.slices import Predicate, Slice


@dataclass
class Route:
    """One provider's dataset that covers a slice: how many of its rows likely fall in it, how many are wanted."""

    dataset: str
    owner: str
    node: str | None
    estimated_rows: int
    fraction: float
    wanted: int
    uncertain: bool = False
    basis: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "owner": self.owner,
            "node": self.node,
            "estimated_rows": self.estimated_rows,
            "fraction": self.fraction,
            "wanted": self.wanted,
            "uncertain": self.uncertain,
            "basis": [dict(b) for b in self.basis],
        }


def examples_wanted(found: Slice, *, minimum: int = 30) -> int:
    """How many more examples of the slice to ask for: ``n·(error_ratio − 1)``, at least ``minimum``."""
    ratio = found.error_ratio if math.isfinite(found.error_ratio) else 1.0
    return max(int(minimum), math.ceil(round(found.n * max(0.0, ratio - 1.0), 9)))  # 100·(1.1−1) is 10, not 11


def _refuse(what: str, where: str, fix: str) -> ResonanceError:
    return ResonanceError(what=what, where=where, fix=fix, code="invalid_profile")


def _columns(profile: Mapping[str, Any], where: str) -> dict[str, Mapping[str, Any]]:
    columns = profile.get("columns")
    if not isinstance(columns, list):
        raise _refuse("the profile has no list of columns", f"{where}.columns", "pass the published profile as sent")
    out = {}
    for index, column in enumerate(columns):
        if not isinstance(column, Mapping) or not isinstance(column.get("name"), str):
            raise _refuse(f"column {index} has no name", f"{where}.columns[{index}]", "pass the published profile")
        out[column["name"]] = column
    return out


def _overlap(low: float, high: float, a: float, b: float) -> float:
    """The share of [low, high) inside [a, b), with values uniform in [low, high); a point bin counts whole."""
    if high <= low:
        return 1.0 if a <= low < b else 0.0
    return max(0.0, min(high, b) - max(low, a)) / (high - low)


def _range_share(column: Mapping[str, Any], a: float, b: float, where: str) -> tuple[float, str]:
    """(share of the column's non-missing values in [a, b), how it was estimated)."""
    histogram = column.get("histogram") or []
    if histogram:
        total = 0.0
        inside = 0.0
        for index, bin_ in enumerate(histogram):
            try:
                low, high, count = float(bin_["low"]), float(bin_["high"]), float(bin_["count"])
            except (KeyError, TypeError, ValueError) as exc:
                raise _refuse(f"histogram bin {index} is malformed", where, "pass the published profile") from exc
            total += count
            inside += count * _overlap(low, high, a, b)
        return (inside / total if total else 0.0), "histogram"
    low, high = column.get("min"), column.get("max")
    if isinstance(low, int | float) and isinstance(high, int | float):
        return _overlap(float(low), float(high), a, b), "min/max (uniform)"
    return 0.0, "no numeric distribution published"


def _share(column: Mapping[str, Any], predicate: Predicate, rows: int, where: str) -> tuple[float, bool, str]:
    """(share of the dataset's rows that satisfy ``predicate``, is it only an upper bound, basis)."""
    _, op, value = predicate
    present = 1.0 - float(column.get("null_ratio") or 0.0)
    if op == "==":
        for item in column.get("top_values") or []:
            if isinstance(item, Mapping) and item.get("value") == value:
                return float(item.get("count", 0)) / rows if rows else 0.0, False, "top values"
        hidden = bool(column.get("suppressed_values")) or not column.get("top_values_exact", True)
        return 0.0, hidden, "not among the published top values"
    if column.get("kind") not in (None, "numeric"):
        return 0.0, False, f"column is {column.get('kind')}, not numeric"
    if op == "<":
        a, b = -math.inf, float(value)
    elif op == ">=":
        a, b = float(value), math.inf
    elif op == "between":
        a, b = float(value[0]), float(value[1])
    else:
        raise _refuse(f"unknown predicate operator {op!r}", where, "route slices found by find_slices")
    share, basis = _range_share(column, a, b, where)
    return share * present, False, basis


def route(found: Slice, profiles: Sequence[Mapping[str, Any]], *, minimum: int = 30) -> list[Route]:
    """The datasets whose published profiles cover every predicate of ``found``, most rows in the slice first.

    Each item of ``profiles``: ``{"dataset": "code@version", "owner": org, "node": node id (optional),
    "profile": the published profile}`` (``code`` and ``version`` may stand for ``dataset``). A dataset that
    lacks a column of the slice, or whose estimate is under one row, is not routed to. ``minimum``: the least
    number of examples asked for in all (see ``examples_wanted``)."""
    if not isinstance(found, Slice):
        raise _refuse(f"expected a Slice, got {type(found).__name__}", "slice", "pass a result of find_slices")
    candidates: list[Route] = []
    seen: set[str] = set()
    for index, item in enumerate(profiles):
        where = f"profiles[{index}]"
        if not isinstance(item, Mapping):
            raise _refuse("each profile entry must be an object", where, "pass {dataset, owner, profile}")
        dataset = item.get("dataset") or (f"{item['code']}@{item.get('version') or '1'}" if item.get("code") else None)
        profile = item.get("profile")
        if not dataset or not isinstance(profile, Mapping):
            raise _refuse("a profile entry needs a dataset and a profile", where, "pass {dataset, owner, profile}")
        if dataset in seen:
            raise _refuse(f"dataset {dataset} is listed twice", where, "list each dataset version once")
        seen.add(dataset)
        rows = profile.get("rows")
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise _refuse("the profile's rows must be a whole number", f"{where}.profile.rows", "pass the profile")
        columns = _columns(profile, f"{where}.profile")
        fraction, uncertain, basis = 1.0, False, []
        for predicate in found.predicates:
            column = columns.get(predicate[0])
            if column is None:
                fraction = 0.0
                basis.append({"column": predicate[0], "share": 0.0, "basis": "column not in the profile"})
                break
            share, bound, how = _share(column, predicate, rows, f"{where}.profile.columns.{predicate[0]}")
            fraction *= share
            uncertain |= bound
            basis.append({"column": predicate[0], "share": round(share, 6), "basis": how})
        estimate = round(rows * fraction)
        if estimate < 1:
            continue
        candidates.append(
            Route(
                dataset=str(dataset),
                owner=str(item.get("owner") or ""),
                node=item.get("node"),
                estimated_rows=estimate,
                fraction=round(fraction, 6),
                wanted=0,
                uncertain=uncertain or len(found.predicates) > 1,
                basis=basis,
            )
        )
    candidates.sort(key=lambda r: (-r.estimated_rows, r.dataset))
    _split(candidates, examples_wanted(found, minimum=minimum))
    return candidates


def _split(routes: list[Route], total: int) -> None:
    """Share ``total`` by estimated rows (largest remainders), none above its own estimate."""
    left = total
    open_routes = list(routes)
    while left > 0 and open_routes:
        weight = sum(r.estimated_rows for r in open_routes)
        shares = [left * r.estimated_rows / weight for r in open_routes]
        given = [min(math.floor(s), r.estimated_rows - r.wanted) for s, r in zip(shares, open_routes, strict=True)]
        order = sorted(range(len(open_routes)), key=lambda i: -(shares[i] - math.floor(shares[i])))
        remainder = left - sum(given)
        for i in order:
            if remainder <= 0:
                break
            if open_routes[i].wanted + given[i] < open_routes[i].estimated_rows:
                given[i] += 1
                remainder -= 1
        for r, g in zip(open_routes, given, strict=True):
            r.wanted += g
        spent = sum(given)
        if spent == 0:
            break
        left -= spent
        open_routes = [r for r in open_routes if r.wanted < r.estimated_rows]
