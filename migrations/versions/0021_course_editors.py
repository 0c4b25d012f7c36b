"""The trainers who may change a course

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-24 03:04:06.937419
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('course_editors',
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_editors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('slug', 'user_id', name=op.f('pk_course_editors'))
    )
    with op.batch_alter_table('course_editors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_editors_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('course_editors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_editors_user_id'))

    op.drop_table('course_editors')
