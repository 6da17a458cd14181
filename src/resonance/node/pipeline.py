"""What the node does with a registered source: profile, quality, sensitivity scan, grade proposal, card, and
the metadata-only payload it publishes. Everything here runs at the node, on the data where it lies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from resonance.errors import ResonanceError
from resonance.node import card as cards
from resonance.node._sensitivity_sample import SENSITIVITY_SAMPLE as SENSITIVITY_SAMPLE
from resonance.node._sensitivity_sample import draw_samples
from resonance.node.profiler import Profile, ProgressCallback, borrowed_or_new, connect, profile
from resonance.node.quality import DeclaredSchema, QualityReport, assess
from resonance.node.sensitivity.detect import ColumnSensitivity, candidate_pattern, scan_counts
from resonance.node.sensitivity.grading import GradeDecision, GradeProposal, Reason, grade
from resonance.node.sources import Source

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
    (``_sensitivity_sample``): the same whatever the order of the rows, so a CSV read by parallel threads, its
    Parquet copy and a database table give the same report. A column with no more non-null values than that is
    taken whole. The rows are drawn from the source's materialized table (``source.relation(con,
    materialize=True)``: on the ``connection`` the profile ran on it is already there, so the file is not read
    again). Each sample comes back as (value, times drawn, may hold an identifier) rows: a repeated value is
    recognised once, and a value that ``candidate_pattern()`` (a superset screen, run by DuckDB) rules out is
    only counted.
    """
    with borrowed_or_new(source, connection, memory_limit) as con, source.reading():
        relation = source.relation(con, materialize=True)
        drawn = draw_samples(con, relation, prof, candidate_pattern())
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
