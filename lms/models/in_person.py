"""In-person sessions of in-person units, the bookings for them and the attendance taken."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.accounts import User
from lms.models.base import Base, utcnow
from lms.models.content import Course
from lms.models.tenancy import Company

# Attendance may be taken (by QR check-in or on the roster) from this long before the start.
CHECK_IN_EARLY = timedelta(minutes=30)

# The tables and their `date_id` columns keep their first names (see InPersonSession).
session_trainers = Table(
    "in_person_date_trainers",
    Base.metadata,
    Column(
        "date_id",
        ForeignKey("in_person_dates.id", ondelete="CASCADE"),
        key="session_id",
        primary_key=True,
    ),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

session_companies = Table(
    "in_person_date_companies",
    Base.metadata,
    Column(
        "date_id",
        ForeignKey("in_person_dates.id", ondelete="CASCADE"),
        key="session_id",
        primary_key=True,
    ),
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
)


class InPersonSession(Base):
    """One session of an in-person unit: when, where, how many seats, until when to book.

    Sessions belong to the training provider, not to a company: people of several
    companies may sit in one workshop, unless `companies` limits it. `booked`
    counts the seats held (confirmed and awaiting approval); it changes only
    while the booking service holds this row locked, so it never passes
    `capacity`.
    """

    # The table keeps the name it was created with: renaming it would be a migration
    # (and a rebuild on SQLite) with no gain for anyone using Lernwerk.
    __tablename__ = "in_person_dates"
    __table_args__ = (Index("ix_in_person_dates_course_unit", "course_id", "unit_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    unit_id: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    minutes: Mapped[int]
    place: Mapped[str] = mapped_column(String(300), default="")
    room: Mapped[str] = mapped_column(String(120), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0, server_default="0")
    booking_deadline: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(2000), default="")
    # Whether "partly present" completes the unit like "present" (the trainer's rule for
    # this session); otherwise the unit stays open and the person books another session.
    partial_counts: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Changing it makes every check-in code shown so far invalid.
    check_in_secret: Mapped[str] = mapped_column(String(32))
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set on every change: calendars take the newer state (iCalendar SEQUENCE).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    trainers: Mapped[list[User]] = relationship(
        secondary=session_trainers, order_by="User.display_name"
    )
    companies: Mapped[list[Company]] = relationship(
        secondary=session_companies, order_by="Company.name"
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def attendance_opens(self) -> datetime:
        """From when attendance can be taken: 30 minutes before the start."""
        return self.starts_at - CHECK_IN_EARLY

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class BookingStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    REQUESTED = "requested"  # holds a seat until the manager approves or declines
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    DECLINED = "declined"


# The statuses that hold a seat, and those that are still "in the game" for a session.
HOLDS_SEAT = frozenset({BookingStatus.CONFIRMED, BookingStatus.REQUESTED})
ACTIVE = HOLDS_SEAT | {BookingStatus.WAITLISTED}


class Attendance(enum.StrEnum):
    PRESENT = "present"
    PARTIAL = "partial"  # partly present: with the minutes present or a note
    ABSENT = "absent"
    EXCUSED = "excused"


# Attendance that says the person was there, for all or part of the session.
WAS_THERE = frozenset({Attendance.PRESENT, Attendance.PARTIAL})


def attendance_counts(attendance: str | None, in_person: InPersonSession) -> bool:
    """Whether this attendance completes the unit: present, or partly present where the
    session's rule says partial attendance counts."""
    return attendance == Attendance.PRESENT or (
        attendance == Attendance.PARTIAL and in_person.partial_counts
    )


class Booking(Base):
    """A person's place at an in-person session (or on its waiting list), and their attendance.

    One row per person and session: booking again after a cancellation reuses it.
    The waiting list is ordered by `queued_at`, then id.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("date_id", "user_id"),
        Index("ix_bookings_date_status", "date_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    # The column keeps its first name, date_id, like the table (see InPersonSession).
    session_id: Mapped[int] = mapped_column(
        "date_id", ForeignKey("in_person_dates.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    queued_at: Mapped[datetime]
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    attendance: Mapped[str | None] = mapped_column(String(20))
    attendance_note: Mapped[str] = mapped_column(String(500), default="")
    # Partly present: for how many minutes (or only a note says how long).
    minutes_present: Mapped[int | None]
    attendance_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    attendance_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]

    in_person: Mapped[InPersonSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    attendance_by: Mapped[User | None] = relationship(foreign_keys=[attendance_by_id])

    @property
    def holds_seat(self) -> bool:
        return self.status in HOLDS_SEAT

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def counts(self) -> bool:
        """Whether the recorded attendance completes the unit (see `attendance_counts`)."""
        return attendance_counts(self.attendance, self.in_person)


class CalendarFeed(Base):
    """A person's secret calendar-feed address; only the token's SHA-256 is stored."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PracticalSignoff(Base):
    """The checklist of an on-the-job task for one learner and round: ticked items, and the
    sign-off by their supervisor or a trainer, with date and comment.

    One row per enrolment, unit and round (`counts_from` of the enrolment when it was
    made), so a new round (recertification) starts a fresh checklist and the earlier
    sign-off stays on record.
    """

    __tablename__ = "practical_signoffs"
    __table_args__ = (UniqueConstraint("enrollment_id", "unit_id", "counts_from"),)

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
    ticked: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_off_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    signed_off_at: Mapped[datetime | None]

    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])
