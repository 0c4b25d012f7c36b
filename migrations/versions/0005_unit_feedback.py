"""unit feedback

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:08:09.890888
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unit_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=2000), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_unit_feedback_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_unit_feedback_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_unit_feedback_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_unit_feedback_version_id_course_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_feedback')),
    sa.UniqueConstraint('user_id', 'course_id', 'unit_id', name=op.f('uq_unit_feedback_user_id_course_id_unit_id'))
    )
    with op.batch_alter_table('unit_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_feedback_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_feedback_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('unit_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_feedback_user_id'))
        batch_op.drop_index(batch_op.f('ix_unit_feedback_company_id'))

    op.drop_table('unit_feedback')
