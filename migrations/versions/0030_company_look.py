"""A company's own look: logo and accent colour (issue 18, point 18)

`companies.accent_color` ("#rrggbb", checked for contrast by the app) colours the
header bar, buttons and links of the company's people; `companies.logo_digest`
versions the address of the logo, which is kept in `company_logos` (one row per
company, the uploaded PNG, JPEG or WebP). Both empty: Lernwerk's own look, as before.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 12:00:00
"""
from alembic import op
import sqlalchemy as sa

import lms.models.base


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN of nullable columns: no table is rebuilt on SQLite.
    op.add_column('companies', sa.Column('accent_color', sa.String(length=7), nullable=True))
    op.add_column('companies', sa.Column('logo_digest', sa.String(length=16), nullable=True))
    op.create_table(
        'company_logos',
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('media_type', sa.String(length=20), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_company_logos_company_id_companies'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('company_id', name=op.f('pk_company_logos')),
    )


def downgrade() -> None:
    op.drop_table('company_logos')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('logo_digest')
        batch_op.drop_column('accent_color')
