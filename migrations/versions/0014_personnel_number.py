"""personnel number

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 00:22:22.480549
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE UNIQUE INDEX: no table is rebuilt on SQLite.
    op.add_column('users', sa.Column('personnel_number', sa.String(length=50), nullable=True))
    op.create_index(
        'ix_users_company_personnel_number', 'users', ['company_id', 'personnel_number'],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index('ix_users_company_personnel_number', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('personnel_number')
