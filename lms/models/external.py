"""Training done elsewhere: a forklift licence, first aid, a course at another provider."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from lms.models.accounts import User
from lms.models.base import Base, utcnow
from lms.models.content import Course


class RecordStatus(enum.StrEnum):
    PENDING = "pending"  # uploaded by the learner, waiting for a manager
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ExternalRecord(Base):
    """One training a person did outside the platform, with an optional scan of its
    certificate.

    Recorded by a manager or an admin (confirmed at once), or uploaded by the person
    (pending until a manager confirms or rejects it). A confirmed record with a
    `course_id` counts for that module like a completion: in the team's matrix and in
    the proof of instruction, marked as external. Dates are days in the platform's
    time zone, stored as the moment they begin (`clock.day_start`), like a
    certificate's validity: valid through the day `valid_until` falls on.
    """

    __tablename__ = "external_records"
    __table_args__ = (Index("ix_external_records_company_status", "company_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200), default="")
    completed_at: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=RecordStatus.CONFIRMED.value)
    reason: Mapped[str] = mapped_column(String(1000), default="")  # why it was rejected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The certificate's scan (PDF, PNG or JPEG), read only when downloaded.
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_type: Mapped[str | None] = mapped_column(String(50))
    file_size: Mapped[int | None]
    file_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
