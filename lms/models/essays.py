"""Essay answers graded by a trainer: the points per rubric criterion and the feedback."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base
from lms.models.progress import QuizAttempt


class EssayGrade(Base):
    """A trainer's grade of one essay answer of a handed-in attempt.

    An attempt with essay questions is handed in as "grading": its automatically graded
    part is stored as usual, pass or fail waits until a trainer has graded every essay
    of it at once (lms/grading/essays.py); then the attempt is "submitted".
    `criteria` holds the points given per rubric criterion, in the rubric's order (empty
    for an essay graded with one overall score).
    """

    __tablename__ = "essay_grades"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(100))
    points: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    criteria: Mapped[list[str]] = mapped_column(JSON, default=list)
    feedback: Mapped[str] = mapped_column(String(2000), default="")
    graded_at: Mapped[datetime]
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# The trainers' queue of attempts waiting for a grade ("grading"), by company, oldest first.
Index(
    "ix_quiz_attempts_grading",
    QuizAttempt.status,
    QuizAttempt.company_id,
    QuizAttempt.submitted_at,
)
