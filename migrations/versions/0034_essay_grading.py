"""Essay questions graded by a trainer (issue 18, point 21)

A new table `essay_grades`: a trainer's points (per rubric criterion) and feedback for
one essay answer of a handed-in attempt. An attempt with essays is handed in as
"grading" (a new value of `quiz_attempts.status`, no schema change) until a trainer
has graded its essays; the index `ix_quiz_attempts_grading` serves the trainers'
queue. Nothing existing changes.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-05 12:00:00
"""
from alembic import op
import sqlalchemy as sa

import lms.models.base


revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('essay_grades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=100), nullable=False),
    sa.Column('points', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('feedback', sa.String(length=2000), nullable=False),
    sa.Column('graded_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('graded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_essay_grades_attempt_id_quiz_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_essay_grades_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['graded_by_id'], ['users.id'], name=op.f('fk_essay_grades_graded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_essay_grades')),
    sa.UniqueConstraint('attempt_id', 'question_id', name=op.f('uq_essay_grades_attempt_id_question_id'))
    )
    op.create_index(op.f('ix_essay_grades_attempt_id'), 'essay_grades', ['attempt_id'], unique=False)
    op.create_index(op.f('ix_essay_grades_company_id'), 'essay_grades', ['company_id'], unique=False)
    op.create_index('ix_quiz_attempts_grading', 'quiz_attempts', ['status', 'company_id', 'submitted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_quiz_attempts_grading', table_name='quiz_attempts')
    op.drop_index(op.f('ix_essay_grades_company_id'), table_name='essay_grades')
    op.drop_index(op.f('ix_essay_grades_attempt_id'), table_name='essay_grades')
    op.drop_table('essay_grades')
