"""Members, their platform identities, link codes and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["members.id"], name=op.f("fk_members_merged_into_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    op.create_table(
        "platform_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_user_id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_platform_identities_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_identities")),
        sa.UniqueConstraint(
            "platform",
            "platform_user_id",
            name=op.f("uq_platform_identities_platform_platform_user_id"),
        ),
    )
    op.create_index(op.f("ix_platform_identities_member_id"), "platform_identities", ["member_id"])
    op.create_index(op.f("ix_platform_identities_username"), "platform_identities", ["username"])
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_link_codes_member_id_members")
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_link_codes")),
    )
    op.create_index(op.f("ix_link_codes_member_id"), "link_codes", ["member_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_member_id", sa.Integer(), nullable=True),
        sa.Column("subject_member_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_member_id"], ["members.id"], name=op.f("fk_audit_log_actor_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["subject_member_id"],
            ["members.id"],
            name=op.f("fk_audit_log_subject_member_id_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_subject_member_id"), "audit_log", ["subject_member_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("link_codes")
    op.drop_table("platform_identities")
    op.drop_table("members")
