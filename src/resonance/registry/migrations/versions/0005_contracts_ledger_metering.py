"""contracts (数字合约 fields), dataset usage policies, the 存证 ledger, ε spending and metering

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
    ]


def upgrade() -> None:
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose_kind", sa.String(length=20), server_default="", nullable=False))
        batch_op.add_column(sa.Column("dataset_fingerprint", sa.String(length=80), server_default="", nullable=False))
        batch_op.add_column(sa.Column("operations", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("compute_node", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("max_rounds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("epsilon_budget", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("min_nodes", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("output_restrictions", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("signatures", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("reason", sa.Text(), server_default="", nullable=False))

    op.create_table(
        "dataset_policies",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_dataset_policies_dataset_id_datasets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("dataset_id", name=op.f("pk_dataset_policies")),
    )

    op.create_table(
        "ledger_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("node_id", sa.String(length=40), nullable=True),
        sa.Column("node_signature", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_ledger_events_hash")),
    )
    with op.batch_alter_table("ledger_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_events_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_events_subject"), ["subject"], unique=False)

    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "", "signature": ""}])

    op.create_table(
        "epsilon_spending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("job_ref", sa.String(length=80), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_epsilon_spending_contract_id_contracts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_epsilon_spending_dataset_id_datasets"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epsilon_spending")),
        sa.UniqueConstraint("dataset_id", "job_ref", name=op.f("uq_epsilon_spending_dataset_id_job_ref")),
    )
    with op.batch_alter_table("epsilon_spending", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_epsilon_spending_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_epsilon_spending_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_epsilon_spending_job_ref"), ["job_ref"], unique=False)

    op.create_table(
        "metering",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_ref", sa.String(length=80), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("provider_org_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("node_id", sa.String(length=40), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("samples", sa.BigInteger(), nullable=False),
        sa.Column("compute_seconds", sa.Float(), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_metering_contract_id_contracts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_metering_dataset_id_datasets"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["provider_org_id"],
            ["organisations.id"],
            name=op.f("fk_metering_provider_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metering")),
        sa.UniqueConstraint("job_ref", "dataset_id", name=op.f("uq_metering_job_ref_dataset_id")),
    )
    with op.batch_alter_table("metering", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metering_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_metering_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_metering_job_ref"), ["job_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_metering_provider_org_id"), ["provider_org_id"], unique=False)


def downgrade() -> None:
    op.drop_table("metering")
    op.drop_table("epsilon_spending")
    op.drop_table("ledger_head")
    op.drop_table("ledger_events")
    op.drop_table("dataset_policies")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        for name in (
            "reason",
            "signatures",
            "output_restrictions",
            "min_nodes",
            "epsilon_budget",
            "max_rounds",
            "compute_node",
            "operations",
            "dataset_fingerprint",
            "purpose_kind",
        ):
            batch_op.drop_column(name)
