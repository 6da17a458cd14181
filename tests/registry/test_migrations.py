from sqlalchemy import func, select

from resonance.registry.db import current_revision, head_revision
from resonance.registry.models import Industry


def test_migration_seeds_the_twenty_industries_in_the_notice_order(registry):
    assert current_revision(registry.engine) == head_revision()
    with registry.session() as s:
        names = s.scalars(select(Industry.name_zh).order_by(Industry.position)).all()
        assert s.scalar(select(func.count()).select_from(Industry)) == 20
    assert names[0] == "钢铁"
    assert names[4] == "工业母机"
    assert names[13] == "历史经典"
    assert names[-1] == "网络安全"


def _migration_0006():
    import importlib.util
    from pathlib import Path

    import resonance.registry.migrations.versions as versions

    path = Path(versions.__path__[0]) / "0006_node_flower_key.py"
    spec = importlib.util.spec_from_file_location("migration_0006", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_0006_adds_the_nullable_supernode_key_column_and_removes_it_on_downgrade(registry):
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import inspect, text

    migration = _migration_0006()
    assert (migration.revision, migration.down_revision) == ("0006", "0005")

    def run(step) -> None:
        with registry.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            step()

    def columns() -> dict[str, bool]:
        return {c["name"]: c["nullable"] for c in inspect(registry.engine).get_columns("nodes")}

    assert columns()["flower_public_key"] is True
    from resonance.registry import models as m
    from resonance.registry import services
    from resonance.registry.concepts import CONCEPTS

    with registry.session() as s:
        org = services.create(s, CONCEPTS["organisations"], {"code": "mill", "name_zh": "机床厂"})
        key = "ecdsa-sha2-nistp384 AAAA"
        s.add(m.Node(id="node-000000000001", org_id=org.id, public_key="k", flower_public_key=key))
        s.commit()
    run(migration.downgrade)
    assert "flower_public_key" not in columns()
    run(migration.upgrade)
    assert columns()["flower_public_key"] is True
    with registry.engine.connect() as conn:
        assert conn.execute(text("SELECT id, flower_public_key FROM nodes")).all() == [("node-000000000001", None)]
