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
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personnel_number', sa.String(length=50), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_company_id_personnel_number'), ['company_id', 'personnel_number'])


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_company_id_personnel_number'), type_='unique')
        batch_op.drop_column('personnel_number')
