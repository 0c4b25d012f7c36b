"""A learner's enrolment in a course and the units they have completed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Base, utcnow
from lms.models.content import Course, CourseVersion


class Enrollment(Base):
    """A learner taking a course, pinned to the version they started on.

    The version changes only when the learner moves to a newer one (or must, for
    a requalification); progress made on an earlier version carries over by unit id.
    """

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Progress made before this moment does not count (set when a course must be repeated).
    counts_from: Mapped[datetime] = mapped_column(default=utcnow)
    # When the current round was completed (None while it is not); history in Completion.
    completed_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship()
    version: Mapped[CourseVersion] = relationship()


class UnitProgress(Base):
    """A unit the learner completed, on the version they used at the time."""

    __tablename__ = "unit_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "unit_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[str] = mapped_column(String(100))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    status: Mapped[str] = mapped_column(String(20))  # done, passed, attended, signed_off
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Completion(Base):
    """A course completed on a version at a time. Kept for good, also after a new round."""

    __tablename__ = "completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[CourseVersion] = relationship()
