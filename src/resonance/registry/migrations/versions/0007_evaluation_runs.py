"""evaluation runs: signed evaluation results, routed data demands and flywheel cycles

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluation_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("node_id", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("model_sha256", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("dataset_fingerprint", sa.String(length=80), server_default="", nullable=False))
        batch_op.add_column(sa.Column("code_version", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("slices", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("document", sa.JSON(), server_default="{}", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_evaluation_results_job_id_jobs"), "jobs", ["job_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_unique_constraint(batch_op.f("uq_evaluation_results_job_id"), ["job_id"])

    with op.batch_alter_table("data_demands", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dataset_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answer_dataset_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("slice", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("answer_note", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_data_demands_dataset_id_datasets"), "datasets", ["dataset_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_data_demands_answer_dataset_id_datasets"),
            "datasets",
            ["answer_dataset_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "flywheel_cycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_code", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("slice", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flywheel_cycles")),
    )


def downgrade() -> None:
    op.drop_table("flywheel_cycles")
    with op.batch_alter_table("data_demands", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_data_demands_answer_dataset_id_datasets"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_data_demands_dataset_id_datasets"), type_="foreignkey")
        for name in ("closed_at", "answered_at", "answer_note", "slice", "answer_dataset_id", "dataset_id"):
            batch_op.drop_column(name)
    with op.batch_alter_table("evaluation_results", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_evaluation_results_job_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_evaluation_results_job_id_jobs"), type_="foreignkey")
        for name in ("document", "slices", "code_version", "dataset_fingerprint", "model_sha256", "node_id", "job_id"):
            batch_op.drop_column(name)
