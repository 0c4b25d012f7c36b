"""quiz attempts by version and unit, for the item statistics

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-24 02:42:00.000000
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The item statistics find a quiz unit's submitted attempts of one version, and
    # their revision (count, ids, last hand-in), from this index alone.
    op.create_index(
        'ix_quiz_attempts_statistics',
        'quiz_attempts',
        ['version_id', 'unit_id', 'status', 'submitted_at'],
    )


def downgrade() -> None:
    op.drop_index('ix_quiz_attempts_statistics', table_name='quiz_attempts')
