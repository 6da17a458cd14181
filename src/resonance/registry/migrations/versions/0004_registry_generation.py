"""registry generation counter; finer planner statistics of search terms on PostgreSQL

``registry_generation`` holds one row whose ``value`` every transaction that writes registry data increments
as it commits (``resonance.registry.generation``): the API's caches compare it to notice writes made by other
processes. On PostgreSQL the planner also keeps 1,000 most common values of ``search_terms.term`` (default
100), so that it knows how many rows a frequent term has and merges the postings of a multi-term search
instead of probing the index once per candidate; it changes plans only, never results (SQLite: no-op).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TERM_STATISTICS = 1000


def upgrade() -> None:
    generation = op.create_table(
        "registry_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_generation")),
    )
    op.bulk_insert(generation, [{"id": 1, "value": 0}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE search_terms ALTER COLUMN term SET STATISTICS {TERM_STATISTICS}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_terms ALTER COLUMN term SET STATISTICS -1")
    op.drop_table("registry_generation")
