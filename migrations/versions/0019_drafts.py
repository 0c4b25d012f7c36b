"""Course drafts edited in the browser, and every version's source files

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-24 02:28:28.195462
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('version_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['sha256'], ['asset_blobs.sha256'], name=op.f('fk_version_files_sha256_asset_blobs')),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_version_files_version_id_course_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_version_files')),
    sa.UniqueConstraint('version_id', 'path', name=op.f('uq_version_files_version_id_path'))
    )
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('change_note', sa.String(length=1000), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_course_versions_published_by_id_users'), 'users', ['published_by_id'], ['id'], ondelete='SET NULL')
    op.create_table('course_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_course_drafts_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_drafts_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_course_drafts_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_drafts')),
    sa.UniqueConstraint('slug', name=op.f('uq_course_drafts_slug'))
    )
    op.create_table('draft_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['course_drafts.id'], name=op.f('fk_draft_files_draft_id_course_drafts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_files')),
    sa.UniqueConstraint('draft_id', 'path', name=op.f('uq_draft_files_draft_id_path'))
    )


def downgrade() -> None:
    op.drop_table('draft_files')
    op.drop_table('course_drafts')
    op.drop_table('version_files')
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_course_versions_published_by_id_users'), type_='foreignkey')
        batch_op.drop_column('change_note')
        batch_op.drop_column('published_by_id')
