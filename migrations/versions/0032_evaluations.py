"""Evaluation questionnaires for sessions and modules (issue 18, point 20)

Two tables that never point at each other: `evaluation_participations` (that a person
answered the evaluation of a module round or a session, unique per person, module and
target, so a double submit counts once) and `evaluation_responses` (the anonymous answer
sheets: no person, no time, a random id). New tables only: nothing existing changes.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-05 12:00:00
"""
from alembic import op
import sqlalchemy as sa

import lms.models.base


revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'evaluation_participations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('target', sa.String(length=60), nullable=False),
        sa.Column('answered_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_evaluation_participations_company_id_companies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_evaluation_participations_course_id_courses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_evaluation_participations_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_participations')),
        sa.UniqueConstraint('user_id', 'course_id', 'target', name=op.f('uq_evaluation_participations_user_id_course_id_target')),
    )
    with op.batch_alter_table('evaluation_participations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_participations_company_id'), ['company_id'], unique=False)

    op.create_table(
        'evaluation_responses',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_evaluation_responses_company_id_companies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_evaluation_responses_course_id_courses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['session_id'], ['in_person_dates.id'], name=op.f('fk_evaluation_responses_session_id_in_person_dates'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_evaluation_responses_version_id_course_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_responses')),
    )
    with op.batch_alter_table('evaluation_responses', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_responses_course', ['course_id', 'session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_responses_company_id'), ['company_id'], unique=False)


def downgrade() -> None:
    # The answers go with the tables: export them (the results' CSV) before going back.
    with op.batch_alter_table('evaluation_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_responses_company_id'))
        batch_op.drop_index('ix_evaluation_responses_course')
    op.drop_table('evaluation_responses')
    with op.batch_alter_table('evaluation_participations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_participations_company_id'))
    op.drop_table('evaluation_participations')
