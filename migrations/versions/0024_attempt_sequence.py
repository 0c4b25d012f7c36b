"""Quiz attempts: a sequence number raised by every save, and pages kept when a session ended

`sequence` is raised by every save of a page and by the hand-in: a save from a page
shown before the latest save (another window, an old tab) is refused instead of
overwriting the newer answers. `kept_pages` holds what a learner sent from a quiz page
after their session had ended, until they log in again (by page number: the fields
entered and the sequence the page was shown with).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 03:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN with a constant default: no table is rebuilt on SQLite.
    op.add_column('quiz_attempts', sa.Column('sequence', sa.Integer(), server_default='0',
                                             nullable=False))
    op.add_column('quiz_attempts', sa.Column('kept_pages', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_column('kept_pages')
        batch_op.drop_column('sequence')
