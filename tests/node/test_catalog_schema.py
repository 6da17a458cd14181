"""The node catalog's schema: made by its migrations, equal to the models, adopted from pre-migration homes,
and refused when a newer resonance wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect, text

from resonance.errors import ResonanceError
from resonance.node import catalog, catalog_schema, contracts


@pytest.fixture(autouse=True)
def _fresh_process_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_schema, "_current", set())


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_the_migrations_make_exactly_the_tables_the_models_describe(tmp_path: Path) -> None:
    url = _url(tmp_path / "catalog.db")
    catalog_schema.ensure_schema(url)
    engine = create_engine(url)
    expected = MetaData()
    for metadata in catalog_schema.target_metadata():
        for table in metadata.tables.values():
            table.to_metadata(expected)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), expected) == []
    assert catalog_schema.current_revision(url) == catalog_schema.head_revision()
    assert set(inspect(engine).get_table_names()) == {
        "alembic_version",
        "local_datasets",
        "local_contracts",
        "local_contract_usage",
    }


def test_a_home_made_before_migrations_keeps_its_rows(tmp_path: Path) -> None:
    url = _url(tmp_path / "catalog.db")
    engine = create_engine(url)
    catalog.LocalDataset.metadata.create_all(engine)  # how node homes were made: no contracts tables yet
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO local_datasets (code, version, location, source_kind, fingerprint, registry_fields, "
                "status, added_at) VALUES ('mill-l', '1', '/data/l.csv', 'csv', 'sha256:ab', '{}', 'graded', "
                "'2026-11-30 08:00:00')"
            )
        )
    sessions = catalog.open_catalog(url)
    with sessions() as session:
        (row,) = session.query(catalog.LocalDataset).all()
    assert (row.code, row.location, row.status) == ("mill-l", "/data/l.csv", "graded")
    assert catalog_schema.current_revision(url) == catalog_schema.head_revision()
    assert {"local_contracts", "local_contract_usage"} <= set(inspect(engine).get_table_names())


def test_a_catalog_from_a_newer_resonance_is_refused(tmp_path: Path) -> None:
    url = _url(tmp_path / "catalog.db")
    catalog_schema.ensure_schema(url)
    with create_engine(url).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    catalog_schema._current.clear()
    with pytest.raises(ResonanceError) as caught:
        catalog.open_catalog(url)
    assert caught.value.code == "catalog_too_new" and "0099_from_the_future" in caught.value.what
    assert caught.value.where == str(tmp_path / "catalog.db") and "install" in caught.value.fix


def test_a_damaged_catalog_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(ResonanceError) as caught:
        catalog.open_catalog(_url(path))
    assert caught.value.code == "catalog_unreadable" and caught.value.where == str(path)
    assert "backup" in caught.value.fix


def test_the_contracts_share_the_migrated_catalog(tmp_path: Path) -> None:
    from resonance.node.home import NodeHome

    home = NodeHome(tmp_path / "home")
    with contracts._session(home) as session:
        assert session.query(contracts.LocalContract).count() == 0
    assert catalog_schema.current_revision(home.catalog_url) == catalog_schema.head_revision()
