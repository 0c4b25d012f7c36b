"""Partial attendance at in-person sessions

A booking's attendance may now be "partial" (partly present), with the minutes present
in `bookings.minutes_present` or a note. Each session says whether partial attendance
completes the unit (`in_person_dates.partial_counts`, off by default, so nothing
recorded so far changes meaning).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN with a constant default: no table is rebuilt on SQLite.
    op.add_column('in_person_dates', sa.Column('partial_counts', sa.Boolean(),
                                               server_default=sa.false(), nullable=False))
    op.add_column('bookings', sa.Column('minutes_present', sa.Integer(), nullable=True))


def downgrade() -> None:
    # Bookings marked "partial" keep that word (a string column without a check); the
    # older code shows it as not recorded and never counts it.
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('minutes_present')
    with op.batch_alter_table('in_person_dates', schema=None) as batch_op:
        batch_op.drop_column('partial_counts')
