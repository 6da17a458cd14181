"""The registry generation (resonance.registry.generation): bumped once by every committed registry write, not
by housekeeping, rollbacks or search terms alone, and only at the outermost commit; SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text, update

from resonance import tokens
from resonance.registry import generation, search, services
from resonance.registry import models as m
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction

ORG = {"code": "mill", "name_zh": "苏锡精密机床有限公司"}


def value(registry: Any) -> int:
    with registry.engine.connect() as connection:
        found = generation.read(connection)
    assert found is not None
    return found


def test_a_committed_write_bumps_the_generation_once(registry: Any) -> None:
    before, local = value(registry), generation.local_writes()
    with transaction(registry.sessions) as s:
        services.create(s, CONCEPTS["organisations"], ORG)
        services.create(
            s,
            CONCEPTS["datasets"],
            {"code": "d", "name_zh": "数据", "kind": "common", "industry": "steel", "owner": "mill"},
        )
    assert value(registry) == before + 1
    assert generation.local_writes() != local


def test_reads_rollbacks_and_search_terms_alone_do_not_bump_it(registry: Any) -> None:
    with transaction(registry.sessions) as s:
        org = services.create(s, CONCEPTS["organisations"], ORG)
    before, local = value(registry), generation.local_writes()
    with transaction(registry.sessions) as s:
        services.list_page(s, CONCEPTS["organisations"], q="精密")
        search.reindex(s, "organisations", org.id, ["苏锡精密机床有限公司"])
    s = registry.session()
    services.update(
        s, CONCEPTS["organisations"], services.get_row(s, CONCEPTS["organisations"], "mill"), {"name_en": "x"}
    )
    s.rollback()
    s.close()
    assert (value(registry), generation.local_writes()) == (before, local)


def test_using_a_token_does_not_bump_it_and_revoking_one_does(registry: Any) -> None:
    with transaction(registry.sessions) as s:
        _, secret = tokens.create_token(s, "t", "viewer")
    before = value(registry)
    with transaction(registry.sessions) as s:
        tokens.verify(s, secret)  # sets last_used_at
        assert s.scalars(select(m.ApiToken)).one().last_used_at is not None
    assert value(registry) == before
    with transaction(registry.sessions) as s:
        tokens.revoke(s, secret.split("_")[1])
    assert value(registry) == before + 1


def test_statements_that_change_registry_rows_bump_it(registry: Any) -> None:
    before = value(registry)
    with transaction(registry.sessions) as s:
        s.execute(update(m.Scenario).where(m.Scenario.id == -1).values(status="planned"))
    with transaction(registry.sessions) as s:
        s.execute(text("UPDATE scenarios SET status = 'planned' WHERE id = -1"))
    assert value(registry) == before + 2


def test_the_row_is_updated_at_the_outermost_commit_only(registry: Any) -> None:
    """Savepoints (one per row in imports) must not lock the generation row for the whole transaction."""
    before = value(registry)
    with transaction(registry.sessions) as s:
        for n in range(3):
            services.create(s, CONCEPTS["organisations"], {"code": f"o{n}", "name_zh": f"单位{n}"})  # savepoints
        if registry.backend == "postgresql":  # another transaction may bump it meanwhile: no lock is held
            with registry.engine.connect() as other:
                other.execute(text("SET lock_timeout = '2s'"))
                other.execute(
                    update(generation.registry_generation).values(value=generation.registry_generation.c.value + 1)
                )
                other.commit()
            before += 1
        assert value(registry) == before
    assert value(registry) == before + 1
