"""Mail outbox: mails written with the change they announce, sent by `lms mail send`

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 09:00:00
"""
from alembic import op
import sqlalchemy as sa

import lms.models.base


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

PENDING = 'sent_at IS NULL AND failed_at IS NULL'


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=1000), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('send_after', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('sent_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_outbox_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['send_after'], unique=False, sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))
        batch_op.create_index('ix_outbox_failed', ['failed_at'], unique=False, sqlite_where=sa.text('failed_at IS NOT NULL'), postgresql_where=sa.text('failed_at IS NOT NULL'))
        batch_op.create_index('ix_outbox_sent', ['sent_at'], unique=False, sqlite_where=sa.text('sent_at IS NOT NULL'), postgresql_where=sa.text('sent_at IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_outbox_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_user_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_company_id'))
        batch_op.drop_index('ix_outbox_sent')
        batch_op.drop_index('ix_outbox_failed')
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
