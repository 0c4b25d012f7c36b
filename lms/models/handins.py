"""Hand-ins: a photo or file a learner hands in for a hand-in unit, graded by a trainer."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from lms.models.accounts import User
from lms.models.base import Base, utcnow
from lms.models.content import Course


class HandinStatus(enum.StrEnum):
    WAITING = "waiting"  # handed in, waiting for a trainer
    ACCEPTED = "accepted"  # passed: the unit is complete
    REDO = "redo"  # the trainer asks for a new hand-in


class Handin(Base):
    """The hand-in of one learner for one hand-in unit and round (`counts_from` of the
    enrolment), with the trainer's grade and feedback.

    Handing in again replaces the file while it waits and after "please redo" (the
    row goes back to waiting; the last feedback stays until the next grade); an
    accepted hand-in stays as it is. The file is checked and kept like the scan of an
    external training record: in the database, an image re-encoded without its
    metadata.
    """

    __tablename__ = "handins"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "unit_id", "counts_from"),
        # The trainers' queue: waiting ones of the companies they serve, oldest first.
        Index("ix_handins_queue", "status", "company_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    unit_id: Mapped[str] = mapped_column(String(100))
    counts_from: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=HandinStatus.WAITING.value)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str] = mapped_column(String(200))
    file_type: Mapped[str] = mapped_column(String(50))
    file_size: Mapped[int]
    file_data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    feedback: Mapped[str] = mapped_column(String(2000), default="")
    graded_at: Mapped[datetime | None]
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    graded_by: Mapped[User | None] = relationship(foreign_keys=[graded_by_id])
