"""certificates

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 20:11:55.841657
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('valid_until', lms.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', lms.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_completions_code'), ['code'])



def downgrade() -> None:
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_completions_code'), type_='unique')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('valid_until')
        batch_op.drop_column('code')

