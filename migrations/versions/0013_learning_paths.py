"""learning paths

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 23:58:16.602492
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('learning_paths',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.String(length=1000), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('imported_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_paths')),
    sa.UniqueConstraint('slug', name=op.f('uq_learning_paths_slug'))
    )
    op.create_table('path_enrollments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.Column('started_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_path_enrollments_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['path_id'], ['learning_paths.id'], name=op.f('fk_path_enrollments_path_id_learning_paths'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_path_enrollments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_path_enrollments')),
    sa.UniqueConstraint('user_id', 'path_id', name=op.f('uq_path_enrollments_user_id_path_id'))
    )
    with op.batch_alter_table('path_enrollments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_path_enrollments_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_path_enrollments_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('path_enrollments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_path_enrollments_user_id'))
        batch_op.drop_index(batch_op.f('ix_path_enrollments_company_id'))

    op.drop_table('path_enrollments')
    op.drop_table('learning_paths')
