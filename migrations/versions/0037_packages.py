"""Packages as units: SCORM 1.2, SCORM 2004 and cmi5

Issue 21. New tables: a course version's package files (`package_files`, bytes in
`asset_blobs`), a learner's attempts at a package's SCOs and AUs
(`package_attempts`), each opening of the player (`package_launches`, also the cmi5
sessions), the interactions a package reported (`package_interactions`) and the
state documents an AU keeps (`xapi_states`). `learning_records` gains `statement`:
a cmi5 package's own statement, forwarded as it came.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-05 19:40:00
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('xapi_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=False),
    sa.Column('activity_id', sa.String(length=500), nullable=False),
    sa.Column('state_id', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_xapi_states_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_xapi_states_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_states')),
    sa.UniqueConstraint('user_id', 'registration', 'activity_id', 'state_id', name=op.f('uq_xapi_states_user_id_registration_activity_id_state_id'))
    )
    with op.batch_alter_table('xapi_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xapi_states_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_states_user_id'), ['user_id'], unique=False)

    op.create_table('package_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('package', sa.String(length=300), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sha256'], ['asset_blobs.sha256'], name=op.f('fk_package_files_sha256_asset_blobs')),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_package_files_version_id_course_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_package_files')),
    sa.UniqueConstraint('version_id', 'package', 'path', name=op.f('uq_package_files_version_id_package_path'))
    )
    with op.batch_alter_table('package_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_package_files_version_id'), ['version_id'], unique=False)

    op.create_table('package_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('package', sa.String(length=300), nullable=False),
    sa.Column('item_id', sa.String(length=500), nullable=False),
    sa.Column('standard', sa.String(length=10), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('completion', sa.String(length=20), nullable=False),
    sa.Column('success', sa.String(length=10), nullable=False),
    sa.Column('score_scaled', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('score_raw', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('total_seconds', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=1000), server_default='', nullable=False),
    sa.Column('suspend_data', sa.Text(), server_default='', nullable=False),
    sa.Column('cmi', sa.JSON(), nullable=False),
    sa.Column('launch_number', sa.Integer(), nullable=False),
    sa.Column('commit_sequence', sa.Integer(), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=True),
    sa.Column('started_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('satisfied_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_package_attempts_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_package_attempts_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_package_attempts_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_package_attempts_version_id_course_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_package_attempts')),
    sa.UniqueConstraint('enrollment_id', 'unit_id', 'item_id', 'number', name=op.f('uq_package_attempts_enrollment_id_unit_id_item_id_number')),
    sa.UniqueConstraint('registration', name=op.f('uq_package_attempts_registration'))
    )
    with op.batch_alter_table('package_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_package_attempts_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_package_attempts_enrollment_id'), ['enrollment_id'], unique=False)
        batch_op.create_index('ix_package_attempts_unit', ['version_id', 'unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_package_attempts_user_id'), ['user_id'], unique=False)

    op.create_table('package_interactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=30), server_default='', nullable=False),
    sa.Column('result', sa.String(length=30), server_default='', nullable=False),
    sa.Column('response', sa.Text(), server_default='', nullable=False),
    sa.Column('description', sa.String(length=500), server_default='', nullable=False),
    sa.Column('recorded_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['package_attempts.id'], name=op.f('fk_package_interactions_attempt_id_package_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_package_interactions_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_package_interactions_version_id_course_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_package_interactions')),
    sa.UniqueConstraint('attempt_id', 'position', name=op.f('uq_package_interactions_attempt_id_position'))
    )
    with op.batch_alter_table('package_interactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_package_interactions_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_package_interactions_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_package_interactions_unit', ['version_id', 'unit_id', 'interaction_id'], unique=False)

    op.create_table('package_launches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('launched_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fetched_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('initialized_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('terminated_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('abandoned_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['package_attempts.id'], name=op.f('fk_package_launches_attempt_id_package_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_package_launches_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_package_launches')),
    sa.UniqueConstraint('attempt_id', 'number', name=op.f('uq_package_launches_attempt_id_number')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_package_launches_token_digest'))
    )
    with op.batch_alter_table('package_launches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_package_launches_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_package_launches_company_id'), ['company_id'], unique=False)

    with op.batch_alter_table('learning_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statement', sa.JSON(), nullable=True))



def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), no batch copy of the table.
    op.drop_column('learning_records', 'statement')

    with op.batch_alter_table('package_launches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_package_launches_company_id'))
        batch_op.drop_index(batch_op.f('ix_package_launches_attempt_id'))

    op.drop_table('package_launches')
    with op.batch_alter_table('package_interactions', schema=None) as batch_op:
        batch_op.drop_index('ix_package_interactions_unit')
        batch_op.drop_index(batch_op.f('ix_package_interactions_company_id'))
        batch_op.drop_index(batch_op.f('ix_package_interactions_attempt_id'))

    op.drop_table('package_interactions')
    with op.batch_alter_table('package_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_package_attempts_user_id'))
        batch_op.drop_index('ix_package_attempts_unit')
        batch_op.drop_index(batch_op.f('ix_package_attempts_enrollment_id'))
        batch_op.drop_index(batch_op.f('ix_package_attempts_company_id'))

    op.drop_table('package_attempts')
    with op.batch_alter_table('package_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_package_files_version_id'))

    op.drop_table('package_files')
    with op.batch_alter_table('xapi_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xapi_states_user_id'))
        batch_op.drop_index(batch_op.f('ix_xapi_states_company_id'))

    op.drop_table('xapi_states')
