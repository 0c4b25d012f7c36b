"""Notifications in the app and per-company reminder settings (issue 18, point 19)

`notices`: what the app tells a person (kind and facts, worded when shown), kept 90
days; `users.notices_revision` versions the header's cached count of unread notices;
the companies' reminder settings (which reminders `lms reminders` sends, and how many
days before the due date), defaulting to what the command always did.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

_COMPANY_SETTINGS = (
    ("remind_due_soon", sa.Boolean(), sa.true()),
    ("remind_due_soon_days", sa.Integer(), "7"),
    ("remind_overdue", sa.Boolean(), sa.true()),
    ("remind_expiry", sa.Boolean(), sa.true()),
    ("remind_digest", sa.Boolean(), sa.true()),
)


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"],
            name=op.f("fk_notices_company_id_companies"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index(op.f("ix_notices_company_id"), "notices", ["company_id"])
    op.create_index(op.f("ix_notices_created_at"), "notices", ["created_at"])
    op.create_index("ix_notices_user_created", "notices", ["user_id", "created_at"])
    op.create_index(
        "ix_notices_unread",
        "notices",
        ["user_id"],
        sqlite_where=sa.text("read_at IS NULL"),
        postgresql_where=sa.text("read_at IS NULL"),
    )
    # Plain ADD COLUMN on both databases: no table is rebuilt (users has a stored
    # column on PostgreSQL that a SQLite batch copy would have to step around).
    op.add_column(
        "users", sa.Column("notices_revision", sa.Integer(), server_default="0", nullable=False)
    )
    for name, type_, default in _COMPANY_SETTINGS:
        op.add_column(
            "companies", sa.Column(name, type_, server_default=default, nullable=False)
        )


def downgrade() -> None:
    for name, _type, _default in reversed(_COMPANY_SETTINGS):
        op.drop_column("companies", name)
    op.drop_column("users", "notices_revision")
    op.drop_index("ix_notices_unread", table_name="notices")
    op.drop_index("ix_notices_user_created", table_name="notices")
    op.drop_index(op.f("ix_notices_created_at"), table_name="notices")
    op.drop_index(op.f("ix_notices_company_id"), table_name="notices")
    op.drop_table("notices")
