"""Everything Lernwerk stores about one person, as JSON (GDPR Art. 15 and 20).

Only rows that belong to the person are read: every query filters by their user id.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.models import (
    Completion,
    Enrollment,
    ExternalRecord,
    LoginEvent,
    QuizAttempt,
    Refresher,
    UnitFeedback,
    UnitProgress,
    User,
)
from lms.services import learning


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _number(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _text(html: str) -> str:
    """Plain text of stored, sanitised HTML (the question as the learner saw it)."""
    return " ".join(Markup(html).striptags().split())  # noqa: S704  (sanitised at import)


def export_personal_data(session: Session, user: User) -> dict[str, Any]:
    enrollments = session.scalars(
        select(Enrollment)
        .where(Enrollment.user_id == user.id)
        .options(selectinload(Enrollment.course), selectinload(Enrollment.version))
    ).all()
    slugs = {e.id: e.course.slug for e in enrollments}
    progress = session.scalars(
        select(UnitProgress).where(UnitProgress.enrollment_id.in_(list(slugs) or [0]))
    ).all()
    attempts = session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user.id)
        .options(selectinload(QuizAttempt.answers), selectinload(QuizAttempt.version))
        .order_by(QuizAttempt.started_at)
    ).all()
    completions = session.scalars(
        select(Completion).where(Completion.user_id == user.id).order_by(Completion.completed_at)
    ).all()
    course_of = {c.id: slugs.get(c.enrollment_id) for c in completions}
    feedback = session.scalars(select(UnitFeedback).where(UnitFeedback.user_id == user.id)).all()
    return {
        "format": "lernwerk-personal-data/1",
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "language": user.language,
            "company": user.company.name if user.company else None,
            "department": user.department.name if user.department else None,
            "roles": sorted(role.value for role in user.roles),
            "active": user.is_active,
            "created_at": _iso(user.created_at),
        },
        "logins": [
            {"at": _iso(event.at), "network": event.network, "browser": event.user_agent}
            for event in session.scalars(
                select(LoginEvent).where(LoginEvent.user_id == user.id).order_by(LoginEvent.at)
            )
        ],
        "enrollments": [
            {
                "course": e.course.slug,
                "title": e.version.title,
                "version": e.version.number,
                "enrolled_at": _iso(e.enrolled_at),
                "completed_at": _iso(e.completed_at),
            }
            for e in enrollments
        ],
        "completed_units": [
            {
                "course": slugs[row.enrollment_id],
                "unit": row.unit_id,
                "status": row.status,
                "completed_at": _iso(row.completed_at),
            }
            for row in progress
        ],
        "quiz_attempts": [_attempt(a) for a in attempts],
        "completions": [
            {
                "course": slugs.get(c.enrollment_id),
                "version": c.version.number,
                "completed_at": _iso(c.completed_at),
            }
            for c in completions
        ],
        "feedback": [
            {"unit": f.unit_id, "rating": f.rating, "comment": f.comment, "at": _iso(f.updated_at)}
            for f in feedback
        ],
        "refreshers": [
            {
                "course": course_of.get(r.completion_id),
                "due_on": r.due_on.isoformat(),
                "answered_at": _iso(r.answered_at),
                "skipped_at": _iso(r.skipped_at),
                "right": r.correct,
                "questions": r.questions,
                "answers": [
                    {
                        "question_id": answer.question_id,
                        "your_answer": answer.response,
                        "correct": answer.correct,
                    }
                    for answer in r.answers
                ],
            }
            for r in session.scalars(
                select(Refresher)
                .where(Refresher.user_id == user.id)
                .options(selectinload(Refresher.answers))
                .order_by(Refresher.due_on, Refresher.id)
            )
        ],
        "external_records": [
            {
                "title": r.title,
                "provider": r.provider,
                "completed_at": _iso(r.completed_at),
                "valid_until": _iso(r.valid_until),
                "course": r.course.slug if r.course else None,
                "status": r.status,
                "reason": r.reason,
                "certificate_file": r.file_name,
            }
            for r in session.scalars(
                select(ExternalRecord)
                .where(ExternalRecord.user_id == user.id)
                .options(selectinload(ExternalRecord.course))
                .order_by(ExternalRecord.completed_at)
            )
        ],
    }


def _attempt(attempt: QuizAttempt) -> dict[str, Any]:
    units = learning.rendered_units(attempt.version, attempt.language)
    unit: dict[str, Any] = next((u for u in units if u["id"] == attempt.unit_id), {"questions": []})
    prompts = {q["id"]: _text(q["prompt_html"]) for q in unit["questions"]}
    return {
        "unit": attempt.unit_id,
        "number": attempt.number,
        "version": attempt.version.number,
        "language": attempt.language,
        "started_at": _iso(attempt.started_at),
        "submitted_at": _iso(attempt.submitted_at),
        "score": _number(attempt.score),
        "max_score": _number(attempt.max_score),
        "percent": _number(attempt.percent),
        "passed": attempt.passed,
        "answers": [
            {
                "question": prompts.get(answer.question_id, answer.question_id),
                "question_id": answer.question_id,
                "your_answer": answer.response,
                "score": _number(answer.score),
                "correct": answer.correct,
            }
            for answer in attempt.answers
        ],
    }
