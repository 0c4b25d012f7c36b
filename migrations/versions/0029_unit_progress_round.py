"""Unit progress per round

Taking a completed module again on the same version ("Erneut absolvieren") recorded
its units a second time under the old key (enrolment, unit, version) and failed. A
row now also names its round, the enrolment's `counts_from` when it was recorded,
and the key is (enrolment, unit, version, round): each round keeps its own rows.

Rows recorded so far: those of the current round get the enrolment's `counts_from`;
older ones (an earlier round, whose start is not known) their own completion time,
which is unique under the old key and earlier than the current round.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 12:00:00
"""
from alembic import op
import sqlalchemy as sa

import lms.models.base


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('unit_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counts_from', lms.models.base.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE unit_progress SET counts_from = COALESCE(("
        " SELECT enrollments.counts_from FROM enrollments"
        " WHERE enrollments.id = unit_progress.enrollment_id"
        " AND unit_progress.completed_at >= enrollments.counts_from"
        "), unit_progress.completed_at)"
    )
    with op.batch_alter_table('unit_progress', schema=None) as batch_op:
        batch_op.alter_column('counts_from', existing_type=lms.models.base.UTCDateTime(timezone=True), nullable=False)
        batch_op.drop_constraint('uq_unit_progress_enrollment_id_unit_id_version_id', type_='unique')
        batch_op.create_unique_constraint(
            'uq_unit_progress_enrollment_id_unit_id_version_id_counts_from',
            ['enrollment_id', 'unit_id', 'version_id', 'counts_from'],
        )


def downgrade() -> None:
    # The old key holds one row per unit and version: keep each unit's latest round.
    op.execute(
        "DELETE FROM unit_progress WHERE EXISTS ("
        " SELECT 1 FROM unit_progress AS later"
        " WHERE later.enrollment_id = unit_progress.enrollment_id"
        " AND later.unit_id = unit_progress.unit_id"
        " AND later.version_id = unit_progress.version_id"
        " AND later.counts_from > unit_progress.counts_from)"
    )
    with op.batch_alter_table('unit_progress', schema=None) as batch_op:
        batch_op.drop_constraint(
            'uq_unit_progress_enrollment_id_unit_id_version_id_counts_from', type_='unique'
        )
        batch_op.create_unique_constraint(
            'uq_unit_progress_enrollment_id_unit_id_version_id',
            ['enrollment_id', 'unit_id', 'version_id'],
        )
        batch_op.drop_column('counts_from')
