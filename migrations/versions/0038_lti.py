"""LTI 1.3 launch (tool side)

Issue 21. New tables: a company's learning platforms (`lti_platforms`), Lernwerk's
own signing key (`lti_tool_keys`, the private part sealed), the launches on their way
(`lti_launch_states`: state and nonce, used once) and the framed launches handed on to
a new window (`lti_handoffs`), the platforms' people linked to accounts
(`lti_identities`) and where a result goes back to (`lti_grade_links`). Grade returns
are outbox rows of kind "lti_score"; `outbox.lti_platform_id` names their platform.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-05 19:50:00
"""
from alembic import op
import sqlalchemy as sa

import lms.models.base


revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lti_platforms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('deployment_ids', sa.Text(), nullable=False),
    sa.Column('auth_login_url', sa.String(length=2000), nullable=False),
    sa.Column('token_url', sa.String(length=2000), nullable=False),
    sa.Column('jwks_url', sa.String(length=2000), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_lti_platforms_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_platforms')),
    sa.UniqueConstraint('issuer', 'client_id', name=op.f('uq_lti_platforms_issuer_client_id'))
    )
    with op.batch_alter_table('lti_platforms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_platforms_company_id'), ['company_id'], unique=False)

    op.create_table('lti_tool_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('public_jwk', sa.Text(), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_tool_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_lti_tool_keys_kid'))
    )

    op.create_table('lti_launch_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_launch_states_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_launch_states')),
    sa.UniqueConstraint('nonce', name=op.f('uq_lti_launch_states_nonce')),
    sa.UniqueConstraint('state', name=op.f('uq_lti_launch_states_state'))
    )
    with op.batch_alter_table('lti_launch_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_launch_states_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_launch_states_platform_id'), ['platform_id'], unique=False)

    op.create_table('lti_handoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_lti_handoffs_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lti_handoffs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_handoffs')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_lti_handoffs_token_hash'))
    )
    with op.batch_alter_table('lti_handoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_handoffs_user_id'), ['user_id'], unique=False)

    op.create_table('lti_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_identities_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lti_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_identities')),
    sa.UniqueConstraint('platform_id', 'subject', name=op.f('uq_lti_identities_platform_id_subject'))
    )
    with op.batch_alter_table('lti_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_identities_user_id'), ['user_id'], unique=False)

    op.create_table('lti_grade_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('resource_link_id', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('lineitem', sa.String(length=2000), nullable=False),
    sa.Column('scopes', sa.String(length=1000), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_lti_grade_links_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_lti_grade_links_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_grade_links_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lti_grade_links_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_grade_links')),
    sa.UniqueConstraint('platform_id', 'user_id', 'resource_link_id', name=op.f('uq_lti_grade_links_platform_id_user_id_resource_link_id'))
    )
    with op.batch_alter_table('lti_grade_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_grade_links_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_grade_links_user_id'), ['user_id'], unique=False)


    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lti_platform_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_lti_platform_id'), ['lti_platform_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_lti_platform_id_lti_platforms'),
                                    'lti_platforms', ['lti_platform_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_lti_platform_id_lti_platforms'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_lti_platform_id'))
        batch_op.drop_column('lti_platform_id')
    with op.batch_alter_table('lti_grade_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_grade_links_user_id'))
        batch_op.drop_index(batch_op.f('ix_lti_grade_links_company_id'))
    op.drop_table('lti_grade_links')
    with op.batch_alter_table('lti_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_identities_user_id'))
    op.drop_table('lti_identities')
    with op.batch_alter_table('lti_handoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_handoffs_user_id'))
    op.drop_table('lti_handoffs')
    with op.batch_alter_table('lti_launch_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_launch_states_platform_id'))
        batch_op.drop_index(batch_op.f('ix_lti_launch_states_expires_at'))
    op.drop_table('lti_launch_states')
    op.drop_table('lti_tool_keys')
    with op.batch_alter_table('lti_platforms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_platforms_company_id'))
    op.drop_table('lti_platforms')
