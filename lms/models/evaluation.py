"""Evaluations of modules and in-person sessions: who took part, and the anonymous answers.

The two never meet: `EvaluationParticipation` says that a person answered (so they
answer once per module round or session), `EvaluationResponse` holds what was
answered, with no person, no time and a random id, so neither an id's order nor a
moment ties an answer sheet to the participation written beside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, utcnow


class EvaluationParticipation(Base):
    """That a person answered the evaluation of a module round or a session; never what.

    `target` names what was evaluated: `round:<enrollment's counts_from>` for a
    module (each new round may be evaluated again), `session:<id>` for a session.
    The unique constraint makes a double submit count once.
    """

    __tablename__ = "evaluation_participations"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(60))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvaluationResponse(Base):
    """One anonymous answer sheet: question id → the answer (1–5, an option's number
    counted from 1, or text). No person, no time; the id is random."""

    __tablename__ = "evaluation_responses"
    __table_args__ = (Index("ix_evaluation_responses_course", "course_id", "session_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    # Set for a session's evaluation, empty for a module's.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("in_person_dates.id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(String(5))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
