"""Hand-ins graded by a trainer (issue 18, point 21)

A new table `handins`: the photo or file a learner hands in for a hand-in unit
(`type: handin`), one row per enrolment, unit and round, with the trainer's grade
(waiting, accepted, redo) and feedback. The file is kept in the row, as the scans of
external training records are. Nothing existing changes.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05 12:00:00
"""
from alembic import op
import sqlalchemy as sa

import lms.models.base


revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('counts_from', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_type', sa.String(length=50), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('file_data', sa.LargeBinary(), nullable=False),
    sa.Column('feedback', sa.String(length=2000), nullable=False),
    sa.Column('graded_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('graded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_handins_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_handins_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_handins_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['graded_by_id'], ['users.id'], name=op.f('fk_handins_graded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_handins_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_handins_version_id_course_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handins')),
    sa.UniqueConstraint('enrollment_id', 'unit_id', 'counts_from', name=op.f('uq_handins_enrollment_id_unit_id_counts_from'))
    )
    op.create_index(op.f('ix_handins_company_id'), 'handins', ['company_id'], unique=False)
    op.create_index(op.f('ix_handins_user_id'), 'handins', ['user_id'], unique=False)
    op.create_index('ix_handins_queue', 'handins', ['status', 'company_id', 'submitted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_handins_queue', table_name='handins')
    op.drop_index(op.f('ix_handins_user_id'), table_name='handins')
    op.drop_index(op.f('ix_handins_company_id'), table_name='handins')
    op.drop_table('handins')
