"""weekly activity: past weeks' active members, kept for the report's trend

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
        "weekly_activity",
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("active_members", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_weekly_activity")),
    )


def downgrade() -> None:
    op.drop_table("weekly_activity")
