"""in-person dates and bookings

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 23:33:39.418602
"""
from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_feeds',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    op.create_table('in_person_dates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.String(length=100), nullable=False),
    sa.Column('starts_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('room', sa.String(length=120), nullable=False),
    sa.Column('online_url', sa.String(length=500), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), server_default='0', nullable=False),
    sa.Column('booking_deadline', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('check_in_secret', sa.String(length=32), nullable=False),
    sa.Column('cancelled_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_in_person_dates_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_in_person_dates_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_in_person_dates'))
    )
    with op.batch_alter_table('in_person_dates', schema=None) as batch_op:
        batch_op.create_index('ix_in_person_dates_course_unit', ['course_id', 'unit_id', 'starts_at'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('date_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('queued_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('booked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lms.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attendance', sa.String(length=20), nullable=True),
    sa.Column('attendance_note', sa.String(length=500), nullable=False),
    sa.Column('attendance_by_id', sa.Integer(), nullable=True),
    sa.Column('attendance_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_in_at', lms.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['attendance_by_id'], ['users.id'], name=op.f('fk_bookings_attendance_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_bookings_booked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_bookings_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['date_id'], ['in_person_dates.id'], name=op.f('fk_bookings_date_id_in_person_dates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bookings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('date_id', 'user_id', name=op.f('uq_bookings_date_id_user_id'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_bookings_date_status', ['date_id', 'status', 'queued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_user_id'), ['user_id'], unique=False)

    op.create_table('in_person_date_companies',
    sa.Column('date_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_in_person_date_companies_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['date_id'], ['in_person_dates.id'], name=op.f('fk_in_person_date_companies_date_id_in_person_dates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('date_id', 'company_id', name=op.f('pk_in_person_date_companies'))
    )
    op.create_table('in_person_date_trainers',
    sa.Column('date_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['date_id'], ['in_person_dates.id'], name=op.f('fk_in_person_date_trainers_date_id_in_person_dates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_in_person_date_trainers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('date_id', 'user_id', name=op.f('pk_in_person_date_trainers'))
    )
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_approval', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('booking_approval')

    op.drop_table('in_person_date_trainers')
    op.drop_table('in_person_date_companies')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_user_id'))
        batch_op.drop_index('ix_bookings_date_status')
        batch_op.drop_index(batch_op.f('ix_bookings_company_id'))

    op.drop_table('bookings')
    with op.batch_alter_table('in_person_dates', schema=None) as batch_op:
        batch_op.drop_index('ix_in_person_dates_course_unit')

    op.drop_table('in_person_dates')
    op.drop_table('calendar_feeds')
