"""Spaced refreshers: when a course asks for them, and the learners' answers

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-24 04:32:38.043470
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refreshers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('completion_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('answered_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('skipped_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('questions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_refreshers_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['completion_id'], ['completions.id'], name=op.f('fk_refreshers_completion_id_completions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_refreshers_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_refreshers_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_refreshers_version_id_course_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refreshers')),
    sa.UniqueConstraint('completion_id', 'step', name=op.f('uq_refreshers_completion_id_step'))
    )
    with op.batch_alter_table('refreshers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refreshers_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refreshers_user_id'), ['user_id'], unique=False)

    op.create_table('refresher_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refresher_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('question_id', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('score', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('max_score', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['refresher_id'], ['refreshers.id'], name=op.f('fk_refresher_answers_refresher_id_refreshers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_refresher_answers_version_id_course_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresher_answers')),
    sa.UniqueConstraint('refresher_id', 'question_id', name=op.f('uq_refresher_answers_refresher_id_question_id')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('refresher_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresher_answers_refresher_id'), ['refresher_id'], unique=False)
        batch_op.create_index('ix_refresher_answers_statistics', ['version_id', 'unit_id'], unique=False)

    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refresh', sa.String(length=200), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_column('refresh')

    with op.batch_alter_table('refresher_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_refresher_answers_statistics')
        batch_op.drop_index(batch_op.f('ix_refresher_answers_refresher_id'))

    op.drop_table('refresher_answers')
    with op.batch_alter_table('refreshers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refreshers_user_id'))
        batch_op.drop_index(batch_op.f('ix_refreshers_company_id'))

    op.drop_table('refreshers')
