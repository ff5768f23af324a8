"""mrr changes: what each membership brings in each month, as it changes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The memberships paid before this revision, with the monthly amount of their payment: a row
# when each started and, for those that ended since, a row of 0 when it ended. Why one ended
# was not kept, so those count as voluntary; payments made before 0010 kept no interval and
# are left out.
_MONTHLY = (
    "CASE p.interval WHEN 'month' THEN p.amount_minor "
    "ELSE CAST(ROUND(p.amount_minor / 12.0) AS BIGINT) END"
)
_PAID = (
    "FROM memberships m JOIN payments p ON p.id = m.payment_id "
    "WHERE m.source = 'payment' AND m.status != 'trialing' AND p.interval IN ('month', 'year')"
)


def upgrade() -> None:
    op.create_table(
        "mrr_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("monthly_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_mrr_changes_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_mrr_changes_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mrr_changes")),
    )
    with op.batch_alter_table("mrr_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mrr_changes_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mrr_changes_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mrr_changes_membership_id"), ["membership_id"], unique=False
        )
    columns = "(member_id, membership_id, at, monthly_minor, currency, reason)"
    op.execute(
        f"INSERT INTO mrr_changes {columns} "
        f"SELECT m.member_id, m.id, m.started_at, {_MONTHLY}, p.currency, 'paid' {_PAID}"
    )
    op.execute(
        f"INSERT INTO mrr_changes {columns} "
        f"SELECT m.member_id, m.id, m.updated_at, 0, p.currency, 'voluntary' {_PAID} "
        "AND m.status IN ('expired', 'revoked', 'switched')"
    )


def downgrade() -> None:
    with op.batch_alter_table("mrr_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mrr_changes_membership_id"))
        batch_op.drop_index(batch_op.f("ix_mrr_changes_member_id"))
        batch_op.drop_index(batch_op.f("ix_mrr_changes_at"))
    op.drop_table("mrr_changes")
