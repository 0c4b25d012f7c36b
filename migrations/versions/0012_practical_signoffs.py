"""practical sign-offs

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 23:47:39.364004
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('practical_signoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('counts_from', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ticked', sa.JSON(), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_off_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_off_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_practical_signoffs_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_practical_signoffs_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_practical_signoffs_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signed_off_by_id'], ['users.id'], name=op.f('fk_practical_signoffs_signed_off_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_practical_signoffs_updated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practical_signoffs_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_practical_signoffs_version_id_course_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_signoffs')),
    sa.UniqueConstraint('enrollment_id', 'unit_id', 'counts_from', name=op.f('uq_practical_signoffs_enrollment_id_unit_id_counts_from'))
    )
    with op.batch_alter_table('practical_signoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practical_signoffs_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practical_signoffs_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('practical_signoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practical_signoffs_user_id'))
        batch_op.drop_index(batch_op.f('ix_practical_signoffs_company_id'))

    op.drop_table('practical_signoffs')
