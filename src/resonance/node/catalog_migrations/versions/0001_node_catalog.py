"""The node catalog as it was before migrations: registered datasets, local contracts and their metering.

Node homes made before this revision had these tables from ``create_all`` (the contracts tables only once a
contract was synced), so each table is created only where it is missing; such a home is then at this revision.

Revision ID: 0001_node_catalog
Revises:
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_node_catalog"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "local_datasets" not in existing:
        op.create_table(
            "local_datasets",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("code", sa.String(80), nullable=False),
            sa.Column("version", sa.String(40), nullable=False),
            sa.Column("location", sa.Text(), nullable=False),
            sa.Column("table", sa.String(200), nullable=True),
            sa.Column("source_kind", sa.String(20), nullable=False),
            sa.Column("fingerprint", sa.String(80), nullable=False),
            sa.Column("registry_fields", sa.JSON(), nullable=False),
            sa.Column("profile", sa.JSON(), nullable=True),
            sa.Column("quality", sa.JSON(), nullable=True),
            sa.Column("sensitivity", sa.JSON(), nullable=True),
            sa.Column("grade_proposal", sa.JSON(), nullable=True),
            sa.Column("grade_decision", sa.JSON(), nullable=True),
            sa.Column("card", sa.JSON(), nullable=True),
            sa.Column("filing", sa.JSON(), nullable=True),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("published_sha256", sa.String(64), nullable=True),
            sa.UniqueConstraint("code", "version"),
        )
    if "local_contracts" not in existing:
        op.create_table(
            "local_contracts",
            sa.Column("contract_id", sa.String(40), primary_key=True),
            sa.Column("terms", sa.JSON(), nullable=False),
            sa.Column("signature", sa.String(100), nullable=False),
            sa.Column("state", sa.String(20), nullable=False),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("revoke_reason", sa.Text(), nullable=False),
            sa.Column("revoke_reported", sa.Boolean(), nullable=False),
            sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        )
    if "local_contract_usage" not in existing:
        op.create_table(
            "local_contract_usage",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("contract_id", sa.String(40), nullable=False),
            sa.Column("job_id", sa.String(80), nullable=False),
            sa.Column("round_number", sa.Integer(), nullable=False),
            sa.Column("samples", sa.Integer(), nullable=False),
            sa.Column("seconds", sa.Float(), nullable=False),
            sa.Column("epsilon", sa.Float(), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("contract_id", "job_id", "round_number"),
        )
        op.create_index("ix_local_contract_usage_contract_id", "local_contract_usage", ["contract_id"])


def downgrade() -> None:
    op.drop_table("local_contract_usage")
    op.drop_table("local_contracts")
    op.drop_table("local_datasets")
