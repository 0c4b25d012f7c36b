"""learning records

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 20:16:50.905627
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('learning_records',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('verb', sa.String(length=20), nullable=False),
    sa.Column('course', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=100), nullable=True),
    sa.Column('question', sa.String(length=100), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_learning_records_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_learning_records_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_records'))
    )
    with op.batch_alter_table('learning_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_records_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_learning_records_unsent', ['sent_at', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_learning_records_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('learning_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_records_user_id'))
        batch_op.drop_index('ix_learning_records_unsent')
        batch_op.drop_index(batch_op.f('ix_learning_records_company_id'))

    op.drop_table('learning_records')
