"""A learner's enrolment in a course and the units they have completed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, UniqueConstraint
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
    """A unit the learner completed, on the version they used at the time, in a round.

    A round begins at the enrolment's `counts_from` (a recertification starts a new
    one, on the same version or a newer one); the rows of earlier rounds stay as history.
    """

    __tablename__ = "unit_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "unit_id", "version_id", "counts_from"),)

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
    # The round it was completed in: the enrolment's counts_from at the time.
    counts_from: Mapped[datetime]


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
    # The certificate: a public verification code, how long it is valid, revocation.
    code: Mapped[str | None] = mapped_column(String(20), unique=True)
    valid_until: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    version: Mapped[CourseVersion] = relationship()
    course: Mapped[Course] = relationship()


class QuizAttempt(Base):
    """One attempt at a quiz, pinned to the version and language it started on.

    `layout` holds the questions drawn, in the order shown, and the order of
    their choices; `responses` what the learner entered, saved page by page.
    `sequence` is raised by every save and the hand-in: a page carries the number
    it was shown with, and a save from an older page is refused. `kept_pages` holds
    what was sent from a page after the session had ended, by page number
    (`{"2": {"sequence": 4, "fields": {question id: fields}}}`), until the learner
    logs in again.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "unit_id", "number"),
        Index("ix_quiz_attempts_statistics", "version_id", "unit_id", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    unit_id: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(5))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, submitted
    layout: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    responses: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    kept_pages: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    score: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    max_score: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    passed: Mapped[bool | None]

    version: Mapped[CourseVersion] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="AttemptAnswer.position"
    )


class AttemptAnswer(Base):
    """The graded answer to one question of a submitted attempt (for results and statistics)."""

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    response: Mapped[Any] = mapped_column(JSON)
    score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    max_score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    correct: Mapped[bool]
    answered: Mapped[bool]

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class UnitFeedback(Base):
    """A learner's rating (1–5) and comment on a unit; one per learner and unit, editable."""

    __tablename__ = "unit_feedback"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    unit_id: Mapped[str] = mapped_column(String(100))
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Refresher(Base):
    """A short repetition of a completed course, answered or skipped by the learner.

    When one is due follows from the completion and its version's `refresh`
    periods (`lms.services.refreshers`); a row is written only when the learner
    answers or skips it, once per completion and step (the unique constraint
    makes a double submit count once). It never touches the certificate.
    """

    __tablename__ = "refreshers"
    __table_args__ = (UniqueConstraint("completion_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    completion_id: Mapped[int] = mapped_column(ForeignKey("completions.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    step: Mapped[int]  # 0 for the first period of `refresh`, 1 for the second, ...
    due_on: Mapped[date]
    language: Mapped[str] = mapped_column(String(5))
    answered_at: Mapped[datetime | None]
    skipped_at: Mapped[datetime | None]
    correct: Mapped[int] = mapped_column(default=0)  # questions answered right
    questions: Mapped[int] = mapped_column(default=0)  # questions asked

    answers: Mapped[list[RefresherAnswer]] = relationship(
        back_populates="refresher",
        cascade="all, delete-orphan",
        order_by="RefresherAnswer.position",
    )


class RefresherAnswer(Base):
    """The graded answer to one question of a refresher. Counted in the item statistics
    of its quiz unit (`version_id`, `unit_id`) beside the answers of knowledge checks."""

    __tablename__ = "refresher_answers"
    __table_args__ = (
        UniqueConstraint("refresher_id", "question_id"),
        Index("ix_refresher_answers_statistics", "version_id", "unit_id"),
        # Ids never used again, also on SQLite: the item statistics rely on it.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refresher_id: Mapped[int] = mapped_column(
        ForeignKey("refreshers.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    unit_id: Mapped[str] = mapped_column(String(100))
    question_id: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    response: Mapped[Any] = mapped_column(JSON)
    score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    max_score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    correct: Mapped[bool]
    answered: Mapped[bool]

    refresher: Mapped[Refresher] = relationship(back_populates="answers")
