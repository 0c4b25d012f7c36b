"""People search: name, address and personnel number in lower case, kept by the database

On PostgreSQL the people list's index (company, name, id) carries the column too, so a
search reads the index only, not each person's row.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-24 07:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# As lms.models.accounts.SEARCH_TEXT was when this revision was written.
SEARCH_TEXT = "lower(display_name || '\n' || email || '\n' || coalesce(personnel_number, ''))"


def upgrade() -> None:
    # PostgreSQL stores a generated column (the table is written once); SQLite can only
    # add one computed when read, which is what it needs: its search costs little.
    stored = op.get_bind().dialect.name != 'sqlite'
    computed = sa.Computed(SEARCH_TEXT, persisted=True if stored else None)
    op.add_column('users', sa.Column('search_text', sa.Text(), computed, nullable=True))
    if stored:
        op.drop_index('ix_users_company_name', table_name='users')
        op.create_index('ix_users_company_name', 'users', ['company_id', 'display_name', 'id'],
                        postgresql_include=['search_text'])


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_index('ix_users_company_name', table_name='users')
        op.create_index('ix_users_company_name', 'users', ['company_id', 'display_name', 'id'])
    op.drop_column('users', 'search_text')
