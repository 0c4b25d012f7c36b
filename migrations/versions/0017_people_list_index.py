"""people list index

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-24 01:11:59.492210
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_users_company_name', 'users', ['company_id', 'display_name', 'id'])


def downgrade() -> None:
    op.drop_index('ix_users_company_name', table_name='users')
