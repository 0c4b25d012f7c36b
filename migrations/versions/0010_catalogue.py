"""catalogue per company

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 22:32:14.892612
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('course_companies',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_course_companies_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_companies_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'company_id', name=op.f('pk_course_companies'))
    )
    with op.batch_alter_table('course_companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_companies_company_id'), ['company_id'], unique=False)

    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('self_enrolment', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shared', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('shared')

    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('self_enrolment')

    with op.batch_alter_table('course_companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_companies_company_id'))

    op.drop_table('course_companies')
