"""What the node does with a registered source: profile, quality, sensitivity scan, grade proposal, card, and
the metadata-only payload it publishes. Everything here runs at the node, on the data where it lies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from resonance.errors import ResonanceError
from resonance.node import _row_sample
from resonance.node import card as cards
from resonance.node.profiler import Profile, ProgressCallback, borrowed_or_new, connect, profile
from resonance.node.quality import DeclaredSchema, QualityReport, assess
from resonance.node.sensitivity.detect import ColumnSensitivity, candidate_pattern, scan_counts
from resonance.node.sensitivity.grading import GradeDecision, GradeProposal, Reason, grade
from resonance.node.sources import Source, quote_ident

SENSITIVITY_SAMPLE = 10_000
COLUMNS_PER_QUERY = 10  # sensitivity samples fetched by one query (each holds a top-N state of a few MB)
SEED = 42
# the registry fields a node may set on its catalog entry (the owner is always the node's organisation)
REGISTRY_FIELDS = (
    "code",
    "version",
    "name_zh",
    "name_en",
    "description",
    "kind",
    "industry",
    "entity",
    "scenario",
    "category",
    "modality",
    "data_format",
    "licence",
)


@dataclass
class Analysis:
    profile: Profile
    quality: QualityReport
    sensitivity: list[ColumnSensitivity]
    proposal: GradeProposal


def scan_sensitivity(
    source: Source,
    prof: Profile,
    memory_limit: str = "700MB",
    *,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> list[ColumnSensitivity]:
    """Scan every column on a reproducible sample of its non-null values; counts are scaled to the whole column.

    A column's sample is its first ``SENSITIVITY_SAMPLE`` non-null values in the order of the rows' keys
    (``_row_sample``: the hash of the profile's unique column, else of the whole row): the same whatever the
    order of the rows, so a CSV read by parallel threads, its Parquet copy and a database table give the same
    report. A column with no more non-null values than that is taken
    whole. The rows are drawn from the source's materialized table (``source.relation(con, materialize=True)``:
    on the ``connection`` the profile ran on it is already there, so the file is not read again). Each sample
    comes back as (value, times drawn, may hold an identifier) rows: a repeated value is recognised once, and a
    value that ``candidate_pattern()`` (a superset screen, run by DuckDB) rules out is only counted.
    """
    with borrowed_or_new(source, connection, memory_limit) as con, source.reading():
        relation = source.relation(con, materialize=True)
        draws = _SensitivityDraws(con, relation, prof)
        try:
            drawn = draws.all()
        finally:
            draws.drop()
    return [
        scan_counts(
            column.name,
            drawn[column.name],
            seed=SEED,
            population=(prof.rows, prof.rows - column.nulls),
            sampling="row-hash",
        )
        for column in prof.columns
    ]


class _SensitivityDraws:
    """The sensitivity samples of a table's columns, drawn from at most two keyed copies of a few of its rows.

    The rows with the smallest keys hold a column's first ``SENSITIVITY_SAMPLE`` non-null values when about
    1.5 × as many non-null values of it lie under the cutoff: a fraction ``1.5 × SENSITIVITY_SAMPLE / non-null``
    of the rows. Dense columns share one copy of every column of the rows under the largest such fraction up
    to ``SHARED_FRACTION``; sparser columns up to ``COPIED_FRACTION`` get one narrow copy of just those columns;
    the sparsest are drawn from the whole table (a copy of most rows would only cost memory). So is a column
    found short under its copy's cutoff (one chance in very many)."""

    SHARED_FRACTION = 0.05
    COPIED_FRACTION = 0.5

    def __init__(self, con: duckdb.DuckDBPyConnection, relation: str, prof: Profile) -> None:
        self.con, self.relation, self.rows = con, relation, prof.rows
        self.key = _row_sample.row_key(prof.unique_column)
        self.columns = [c.name for c in prof.columns]
        self.tables: dict[str, str] = {}  # column → the keyed copy its sample is drawn from
        wanted = {
            c.name: 1.5 * SENSITIVITY_SAMPLE / (prof.rows - c.nulls)
            for c in prof.columns
            if prof.rows - c.nulls > SENSITIVITY_SAMPLE
        }
        dense = {n: f for n, f in wanted.items() if f <= self.SHARED_FRACTION}
        sparse = {n: f for n, f in wanted.items() if self.SHARED_FRACTION < f <= self.COPIED_FRACTION}
        self.direct = [n for n, f in wanted.items() if f > self.COPIED_FRACTION]
        if dense:
            self._copy("_sensitivity_rows", ["*"], max(dense.values()), dense)
        if sparse:
            self._copy("_sensitivity_sparse", [quote_ident(n) for n in sparse], max(sparse.values()), sparse)

    def _copy(self, table: str, columns: list[str], fraction: float, names: dict[str, float]) -> None:
        sql = _row_sample.keyed_rows_sql(self.relation, columns, fraction, self.key)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}")
        self.tables.update(dict.fromkeys(names, table))

    def all(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every column's sample as (value as text, times drawn, passes the identifier screen) rows, fetched
        ``COLUMNS_PER_QUERY`` columns to a query (one ``UNION ALL`` branch each)."""
        columns = list(self.columns)
        drawn: dict[str, list[tuple[Any, ...]]] = {name: [] for name in columns}
        for start in range(0, len(columns), COLUMNS_PER_QUERY):
            chunk = columns[start : start + COLUMNS_PER_QUERY]
            for index, value, times, candidate in self._grouped([self._branch(name) for name in chunk]):
                drawn[chunk[index]].append((value, times, candidate))
        for name, rows in drawn.items():
            if name in self.tables and sum(times for _, times, _ in rows) < SENSITIVITY_SAMPLE:
                # short under its copy's cutoff: draw it from every row
                keyed = _row_sample.keyed_rows_sql(self.relation, [quote_ident(name)], 1.0, self.key)
                drawn[name] = [row[1:] for row in self._grouped([self._branch(name, f"({keyed})")])]
        return drawn

    def _branch(self, name: str, table: str | None = None) -> str:
        quoted = quote_ident(name)
        if table is None and name in self.direct:
            table = f"({_row_sample.keyed_rows_sql(self.relation, [quoted], 1.0, self.key)})"
        table = table or self.tables.get(name)
        if table is None:  # every non-null value
            return f"SELECT {quoted} AS v FROM {self.relation} WHERE {quoted} IS NOT NULL"
        return (
            f"SELECT {quoted} AS v FROM {table} WHERE {quoted} IS NOT NULL "
            f"ORDER BY {_row_sample.KEY} LIMIT {SENSITIVITY_SAMPLE}"
        )

    def _grouped(self, branches: list[str]) -> list[tuple[Any, ...]]:
        union = " UNION ALL ".join(
            f"(SELECT {i} AS i, CAST(v AS VARCHAR) AS v FROM ({sql}))" for i, sql in enumerate(branches)
        )
        return self.con.execute(
            f"SELECT i, v, count(*), regexp_matches(v, ?) FROM ({union}) GROUP BY i, v",
            [candidate_pattern()],
        ).fetchall()

    def drop(self) -> None:
        for table in set(self.tables.values()):
            self.con.execute(f"DROP TABLE IF EXISTS {table}")


def analyse(
    source: Source,
    *,
    declared: DeclaredSchema | None = None,
    label_column: str | None = None,
    category: str | None = None,
    flags: list[str] | None = None,
    card_completeness: float | None = None,
    k: int = 5,
    progress: ProgressCallback | None = None,
) -> Analysis:
    """Profile, score, scan and propose a grade for one source.

    All three run on one DuckDB connection (2 threads, 700 MB, spilling into the source's work folder): a text
    source is parsed once into a table there, and quality and sensitivity query that table.
    """
    with connect(source) as con:
        prof = profile(source, k=k, progress=progress, connection=con)
        quality = assess(
            source, prof, declared, label_column=label_column, card_completeness=card_completeness, k=k, connection=con
        )
        scans = scan_sensitivity(source, prof, connection=con)
    proposal = grade(scans, category=category, flags=flags or [])
    return Analysis(prof, quality, scans, proposal)


def proposal_from_dict(data: dict[str, Any]) -> GradeProposal:
    return GradeProposal(
        level=_level_key(data["level"]),
        reasons=[Reason(**r) for r in data.get("reasons", [])],
        column_levels=dict(data.get("column_levels", {})),
        rules_version=str(data.get("rules_version", "")),
        category=data.get("category"),
        flags=tuple(data.get("flags", ())),
        individuals=int(data.get("individuals", 0)),
    )


def decision_from_dict(data: dict[str, Any]) -> GradeDecision:
    return GradeDecision(
        level=_level_key(data["level"]),
        proposed_level=_level_key(data["proposed_level"]),
        officer=data["officer"],
        decided_at=dt.datetime.fromisoformat(data["decided_at"]),
        justification=data.get("justification"),
        rules_version=str(data.get("rules_version", "")),
        reasons=[Reason(**r) for r in data.get("reasons", [])],
        column_levels=dict(data.get("column_levels", {})),
    )


def _level_key(value: Any) -> str:
    return value["key"] if isinstance(value, dict) else str(value)


def published_profile(profile_dict: dict[str, Any]) -> dict[str, Any]:
    """The profile as published: suppressed already; the local source name (a file name or a URL) is dropped."""
    return {k: v for k, v in profile_dict.items() if k not in ("source", "fingerprint")}


def publish_payload(
    registry: dict[str, Any],
    *,
    fingerprint: str,
    profile_dict: dict[str, Any],
    quality: dict[str, Any],
    decision: dict[str, Any] | None,
    card: dict[str, Any] | None,
    sensitivity: list[dict[str, Any]],
) -> dict[str, Any]:
    """The whole message a node sends for one dataset: registry fields and aggregates, never a row."""
    if decision is None:
        raise ResonanceError(
            what="the sensitivity grade has not been confirmed by the data-security officer",
            fix="review it with `resonance data grade CODE`, then `resonance data confirm-grade CODE --officer 姓名`",
            code="grade_unconfirmed",
            status=409,
        )
    dataset = {k: registry[k] for k in REGISTRY_FIELDS if registry.get(k) not in (None, "")}
    dataset.update(
        sensitivity=_level_key(decision["level"]),
        row_count=profile_dict.get("rows"),
        column_count=len(profile_dict.get("columns", [])),
        quality_score=quality.get("overall"),
        quality_grade=quality.get("grade"),
    )
    dataset = {k: v for k, v in dataset.items() if v is not None}
    columns = [{"column": s["column"], "flagged_kinds": s["flagged_kinds"], "pii": s["pii"]} for s in sensitivity]
    return {
        "dataset": dataset,
        "fingerprint": fingerprint,
        "profile": published_profile(profile_dict),
        "quality": quality,
        "grading": {**decision, "columns": columns},
        "card": card,
    }


def starter_card(
    registry: dict[str, Any], profile_dict: dict[str, Any], org: str, decision: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A card pre-filled from the registry fields and the profile, for the provider to complete."""
    known: dict[str, Any] = {
        "name": {"zh": registry.get("name_zh", ""), "en": registry.get("name_en", "")},
        "version": str(registry.get("version", "1")),
        "provider": org,
        "owner": org,
        "industry": registry.get("industry", ""),
        "dataset_type": registry.get("kind", ""),
    }
    if registry.get("category"):
        known["data_category"] = registry["category"]
    if registry.get("licence"):
        known["licence"] = registry["licence"]
    if decision is not None:
        known["grading"] = decision
    return cards.template(profile_dict, **known).model_dump(mode="json")
