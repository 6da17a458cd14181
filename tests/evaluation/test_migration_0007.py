"""Migration 0007 (signed evaluation results, routed demands, flywheel cycles) down and up, on SQLite and
PostgreSQL, keeping the rows it does not own."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import inspect, select

import resonance.registry.migrations.versions as versions
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS


def _migration():
    path = Path(versions.__path__[0]) / "0007_evaluation_runs.py"
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_0007_goes_down_and_up_and_keeps_the_rows(registry):
    migration = _migration()
    assert (migration.revision, migration.down_revision) == ("0007", "0006")

    def run(step) -> None:
        with registry.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            step()

    def columns(table: str) -> set[str]:
        return {c["name"] for c in inspect(registry.engine).get_columns(table)}

    added = {"job_id", "node_id", "model_sha256", "dataset_fingerprint", "code_version", "slices", "document"}
    assert added <= columns("evaluation_results")
    assert {"dataset_id", "answer_dataset_id", "slice", "answered_at", "closed_at"} <= columns("data_demands")
    with registry.session() as s:
        services.create(s, CONCEPTS["organisations"], {"code": "ev", "name_zh": "评测机构"})
        s.add(m.FlywheelCycle(model_code="mt", status="completed", slice={"condition": "x"}, before={}, after={},
                              steps={}))  # fmt: skip
        s.commit()
    run(migration.downgrade)
    assert not added & columns("evaluation_results")
    assert "flywheel_cycles" not in inspect(registry.engine).get_table_names()
    run(migration.upgrade)
    assert added <= columns("evaluation_results") and "slice" in columns("data_demands")
    with registry.session() as s:
        assert s.scalars(select(m.Organisation.code).where(m.Organisation.code == "ev")).one() == "ev"
        assert s.scalars(select(m.FlywheelCycle)).all() == []  # the table came back empty
