"""The counts quality scoring needs from the data itself, each an exact DuckDB query over the source.

Declared-rule violations (type, range, regex, enum, unit, required) for all columns in one wide query; far
outliers per numeric column in one wide query; declared-key duplicates with a GROUP BY (spills to disk);
cross-field checks; and a label-issue estimate on a deterministic sample: cleanlab's
``count.num_label_issues`` (confident learning, Northcutt et al., 2021: the off-diagonal of the confident
joint) over out-of-sample class probabilities, each row's share of votes among its k nearest other rows
on standardised numeric features. The vote runs in DuckDB (``array_distance``), so no row leaves the
connection as a feature vector; only labels and vote shares reach cleanlab.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from resonance.errors import ResonanceError
from resonance.node import _profile_queries as q
from resonance.node._row_sample import KEY, row_key
from resonance.node.sources import quote_ident

if TYPE_CHECKING:
    from resonance.node.profiler import Profile
    from resonance.node.quality import DeclaredSchema

TYPE_ALIASES = {
    "integer": "BIGINT",
    "int": "BIGINT",
    "float": "DOUBLE",
    "double": "DOUBLE",
    "number": "DOUBLE",
    "numeric": "DOUBLE",
    "text": "VARCHAR",
    "string": "VARCHAR",
    "str": "VARCHAR",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
    "bool": "BOOLEAN",
}
EXPRESSIONS_PER_QUERY = 2 * q.COLUMNS_PER_QUERY
RULES = ("type", "min", "max", "regex", "enum", "unit", "required")


@dataclass
class LabelCheck:
    """What the label check found on its sample (or why it did not run)."""

    column: str
    sample_rows: int = 0
    classes: int = 0
    issues: int = 0
    features: list[str] = field(default_factory=list)
    skipped: str | None = None  # why no estimate was made

    @property
    def issue_rate(self) -> float | None:
        return self.issues / self.sample_rows if self.sample_rows and self.skipped is None else None


@dataclass
class Violations:
    """Exact counts behind the conformance, consistency, uniqueness and accuracy scores."""

    rows: int
    checked: dict[str, dict[str, int]] = field(default_factory=dict)  # column → rule → values checked
    failed: dict[str, dict[str, int]] = field(default_factory=dict)  # column → rule → values breaking it
    missing_columns: list[str] = field(default_factory=list)
    unverifiable_units: list[str] = field(default_factory=list)
    key_duplicates: int | None = None  # rows repeating an earlier row's key
    key_nulls: int | None = None  # rows with a missing key part
    check_failures: dict[str, int] = field(default_factory=dict)
    outliers: dict[str, int] = field(default_factory=dict)  # column → far outliers
    outlier_checked: dict[str, int] = field(default_factory=dict)
    label: LabelCheck | None = None


def duckdb_type(declared: str) -> str:
    """The DuckDB type for a declared type name (``integer``, ``float``, ``date``… or a DuckDB name)."""
    return TYPE_ALIASES.get(declared.strip().lower(), declared.strip().upper())


def _numbers(values: list[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _rule_items(name: str, rule: Any, items: q.Items, plan: q.Plan) -> list[str]:
    """Add one declared column's rule counts to ``items``; return rules that cannot be checked."""
    x = quote_ident(name)
    text = f"CAST({x} AS VARCHAR)"
    num = f"TRY_CAST({x} AS DOUBLE)"
    present = f"({x} IS NOT NULL AND trim({text}) <> '')"
    unverifiable = []
    items.add(plan, "checked", f"count_if({present})")
    items.add(plan, "checked_required", "count(*)")
    if rule.type:
        target = duckdb_type(rule.type)
        if target == "BIGINT":
            bad = f"{num} IS NULL OR {num} <> round({num})"
        elif target == "VARCHAR":
            bad = "false"
        else:
            bad = f"TRY_CAST({x} AS {target}) IS NULL"
        items.add(plan, "type", f"count_if({present} AND ({bad}))")
    for side, op in (("min", "<"), ("max", ">")):
        bound = getattr(rule, side)
        if bound is None:
            continue
        if _numbers([bound]):
            items.add(plan, side, f"count_if({num} {op} ?)", float(bound))
        else:
            items.add(plan, side, f"count_if(TRY_CAST({x} AS TIMESTAMP) {op} CAST(? AS TIMESTAMP))", str(bound))
    if rule.regex:
        items.add(plan, "regex", f"count_if({present} AND NOT regexp_full_match({text}, ?))", rule.regex)
    if rule.enum:
        values = list(rule.enum)
        marks = ", ".join("?" for _ in values)
        if _numbers(values):
            items.add(plan, "enum", f"count_if({present} AND {num} NOT IN ({marks}))", *[float(v) for v in values])
        else:
            items.add(plan, "enum", f"count_if({present} AND {text} NOT IN ({marks}))", *[str(v) for v in values])
    if rule.unit:
        if plan.storage.upper() == "VARCHAR" and q.kind_of(plan.inferred) == "text":
            items.add(plan, "unit", f"count_if({present} AND NOT ends_with(trim({text}), ?))", rule.unit)
        else:
            unverifiable.append(name)
    if rule.required:
        items.add(plan, "required", f"count_if(NOT {present})")
    return unverifiable


def count_violations(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    profile: Profile,
    declared: DeclaredSchema | None,
    *,
    iqr_factor: float,
) -> Violations:
    """Count everything the declared schema forbids, plus far outliers, in as few scans as possible."""
    found = Violations(rows=profile.rows)
    plans: list[q.Plan] = []
    items = q.Items()
    by_name = {c.name: c for c in profile.columns}
    for name, rule in declared.columns.items() if declared else []:
        column = by_name.get(name)
        if column is None:
            found.missing_columns.append(name)
            continue
        plan = q.Plan(len(plans), name, column.type, inferred=column.inferred_type)
        plans.append(plan)
        found.unverifiable_units += _rule_items(name, rule, items, plan)
    for column in profile.columns:
        quantiles = column.private.get("quantiles") or {}
        low, high = quantiles.get("p25"), quantiles.get("p75")
        if column.kind != "numeric" or low is None or high is None:
            continue
        spread = iqr_factor * (high - low)
        plan = q.Plan(len(plans), column.name, column.type, inferred=column.inferred_type)
        plan.expr = f"TRY_CAST({quote_ident(column.name)} AS DOUBLE)"
        plans.append(plan)
        items.add(
            plan,
            "outliers",
            f"count_if(isfinite({plan.expr}) AND ({plan.expr} < ? OR {plan.expr} > ?))",
            low - spread,
            high + spread,
        )
        items.add(plan, "outlier_checked", f"count_if(isfinite({plan.expr}))")
    # One scan per chunk of aggregates: a single query over thousands of columns holds every aggregate's state
    # per thread at once (1.25 GB for 10,000 columns, over the node's 1 GB).
    for part in items.split(-(-len(items.exprs) // EXPRESSIONS_PER_QUERY)) if items.exprs else []:
        (row,) = _run(con, part.sql(relation), part.params)
        part.store(row)
    for plan in plans:
        stats = plan.stats
        if "outliers" in stats:
            found.outliers[plan.name] = int(stats["outliers"])
            found.outlier_checked[plan.name] = int(stats["outlier_checked"])
        if "checked" in stats:
            found.checked[plan.name] = {
                r: int(stats["checked_required"] if r == "required" else stats["checked"]) for r in RULES if r in stats
            }
            found.failed[plan.name] = {r: int(stats[r]) for r in RULES if r in stats}
    if declared and declared.key:
        _count_key(con, relation, declared.key, found, by_name)
    for check in declared.checks if declared else []:
        (row,) = _run(con, f"SELECT count_if(NOT coalesce(({check}), true)) FROM {relation}", [], check=check)
        found.check_failures[check] = int(row[0])
    return found


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], check: str | None = None) -> list[tuple]:
    try:
        return con.execute(sql, params).fetchall()
    except duckdb.Error as exc:
        if check is None:
            raise
        raise ResonanceError(
            what=f"the cross-field check could not be evaluated: {str(exc).splitlines()[0]}",
            where=f"declared check {check!r}",
            fix="write it as a DuckDB boolean expression over the column names, e.g. start_time <= end_time",
            code="quality_check",
        ) from None


def _count_key(con: duckdb.DuckDBPyConnection, relation: str, key: list[str], found: Violations, by_name: dict) -> None:
    missing = [k for k in key if k not in by_name]
    if missing:
        found.missing_columns += [k for k in missing if k not in found.missing_columns]
        found.key_duplicates, found.key_nulls = 0, found.rows
        return
    parts = [quote_ident(k) for k in key]
    null = " OR ".join(f"{p} IS NULL" for p in parts)
    ((nulls,),) = _run(con, f"SELECT count_if({null}) FROM {relation}", [])
    ((duplicates,),) = _run(
        con,
        f"SELECT coalesce(sum(c) - count(*), 0) FROM (SELECT count(*) AS c FROM {relation} "
        f"WHERE NOT ({null}) GROUP BY {', '.join(parts)} HAVING count(*) > 1)",
        [],
    )
    found.key_nulls, found.key_duplicates = int(nulls), int(duplicates)


def label_check(
    con: duckdb.DuckDBPyConnection, relation: str, profile: Profile, label: str, rules: dict[str, Any]
) -> LabelCheck:
    """Estimate the share of mislabelled rows (confident learning over a kNN vote on a deterministic sample)."""
    result = LabelCheck(column=label)
    try:
        column = profile.column(label)
    except KeyError:
        result.skipped = f"no column {label!r} in the data"
        return result
    distinct = column.distinct_approx or 0
    if column.kind not in ("text", "boolean", "numeric") or not 2 <= distinct <= rules["label_max_classes"]:
        result.skipped = (
            f"the label column has {distinct} distinct values; the check needs 2..{rules['label_max_classes']} classes"
        )
        return result
    features = [c for c in profile.columns if _feature(c, label, profile.rows)][: q.COLUMNS_PER_QUERY]
    if not features:
        result.skipped = "no numeric feature columns to compare rows by"
        return result
    n = int(rules["label_sample_rows"])
    scaled = ", ".join(
        f"coalesce((TRY_CAST({quote_ident(c.name)} AS DOUBLE) - {float(c.mean)!r}) / {float(c.std)!r}, 0)"
        for c in features
    )
    lab = quote_ident(label)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _label_sample AS SELECT row_number() OVER () AS id, y, f FROM ("
        f"SELECT CAST({lab} AS VARCHAR) AS y, [{scaled}]::DOUBLE[{len(features)}] AS f FROM ("
        f"SELECT {row_key(profile.unique_column)} AS {KEY}, * FROM {relation}) WHERE {lab} IS NOT NULL "
        f"ORDER BY {KEY} LIMIT {n})"
    )
    neighbours = int(rules["label_neighbours"])
    rows = con.execute(
        "SELECT any_value(a.y), min_by(b.y, array_distance(a.f, b.f), ?) FROM _label_sample a "
        "JOIN _label_sample b ON a.id <> b.id GROUP BY a.id",
        [neighbours],
    ).fetchall()
    con.execute("DROP TABLE _label_sample")
    result.features = [c.name for c in features]
    labels = sorted({y for y, _ in rows})
    if len(labels) < 2 or len(rows) < 2 * neighbours:
        result.skipped = "too few labelled rows or classes in the sample"
        return result
    result.sample_rows, result.classes = len(rows), len(labels)
    result.issues = confident_issues([(y, Counter(near)) for y, near in rows], labels)
    return result


def _feature(column: Any, label: str, rows: int) -> bool:
    """Numeric, varying, and not a row identifier (an integer column with a distinct value per row)."""
    if column.kind != "numeric" or column.name == label or not column.std or column.mean is None:
        return False
    integer = column.inferred_type.upper() in ("BIGINT", "INTEGER", "HUGEINT", "UBIGINT", "UINTEGER")
    return not (integer and (column.distinct_approx or 0) >= 0.95 * rows)


def confident_issues(votes: list[tuple[str, Counter]], labels: list[str]) -> int:
    """cleanlab's estimate of the mislabelled rows: the off-diagonal of the confident joint of ``votes``.

    ``votes``: each row's given label and the labels of its nearest other rows (out-of-sample by construction).
    """
    import numpy as np
    from cleanlab.count import num_label_issues

    index = {c: i for i, c in enumerate(labels)}
    given = np.array([index[y] for y, _ in votes])
    shares = np.zeros((len(votes), len(labels)))
    for row, (_, counter) in enumerate(votes):
        total = sum(counter.values()) or 1
        for c, n in counter.items():
            shares[row, index[c]] = n / total
    return int(num_label_issues(labels=given, pred_probs=shares, estimation_method="off_diagonal"))
