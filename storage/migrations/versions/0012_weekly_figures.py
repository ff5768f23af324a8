"""weekly figures: past weeks' active members and income, kept for the report's trend; payments
found by when they were paid (the report reads them by week)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weekly_figures",
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("active_members", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("gross_by_source", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_weekly_figures")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_paid_at"), ["paid_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_paid_at"))
    op.drop_table("weekly_figures")
