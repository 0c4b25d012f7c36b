"""Assignments: who must take which course by when, and the standing rules behind them.

A manager assigns a course to people, to a department or to the whole
company. Each person gets one `Assignment` row; a department or company
assignment is also kept as an `AssignmentRule`, so people who join later
receive it too. Rows are never deleted: withdrawing or replacing one sets
`ended_at`, which keeps the history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.accounts import User
from lms.models.base import Base, utcnow
from lms.models.content import Course
from lms.models.tenancy import Department


class AssignmentRule(Base):
    """A course assigned to a department (or, without one, to the whole company)."""

    __tablename__ = "assignment_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE")
    )
    due_on: Mapped[date] = mapped_column(Date)
    # People who join later get this many days from the day they join.
    newcomer_days: Mapped[int] = mapped_column(default=30)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship()
    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class Assignment(Base):
    """One person must complete one course by `due_on`.

    A completion counts for it if it is later than `satisfied_after` (None: any
    completion counts). A requalification sets it to the moment the new version
    arrived, so earlier completions no longer count. At most one assignment per
    person and course is open (`ended_at` is None).
    """

    __tablename__ = "assignments"
    __table_args__ = (
        Index(
            "ix_assignments_open_user_course",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_assignments_company_course", "company_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment_rules.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    # person, department, company, newcomer, requalification
    reason: Mapped[str] = mapped_column(String(20))
    satisfied_after: Mapped[datetime | None]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(20))  # withdrawn, replaced
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When it was created, its due date moved or it ended (the API's `updated_since`).
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    rule: Mapped[AssignmentRule | None] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])


class ReportAccess(Base):
    """Who looked at whose learning data, or exported it, and when (visible to admins)."""

    __tablename__ = "report_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept when the viewer's account is deleted later.
    viewer_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # person (one person's page), matrix-csv, matrix-xlsx, completions-csv, completions-xlsx,
    # to-do-week (the manager's printable list of the week, lms/notices/to_do.py)
    kind: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What was exported: the filters, in words.
    detail: Mapped[str] = mapped_column(String(300), default="")

    viewer: Mapped[User | None] = relationship(foreign_keys=[viewer_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])


class ReminderSent(Base):
    """A reminder that went out, so that running `lms reminders` again sends it not twice."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("user_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # due-soon, overdue, expiring, digest
    kind: Mapped[str] = mapped_column(String(20))
    # What the reminder was about: an assignment and its due date, or a week (digest).
    key: Mapped[str] = mapped_column(String(60))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
