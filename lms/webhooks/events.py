"""The events a webhook endpoint can subscribe to, and what each one says.

Each event's `data` holds what a company's system (an HR system, a reporting tool)
needs to act on it without asking back: ids, the person's name, e-mail address,
personnel number and the id the company's identity system gave them (`external_id`),
the module's slug and title, due dates, the certificate's code and end of validity.
Scores only for a company whose managers see results (privacy level "results"): at
"status only" nothing leaves that a manager could not see either.

Times are UTC in ISO 8601 ("2026-12-07T08:00:00Z"); days (due on, valid until) are
calendar days in the platform's time zone ("2026-12-07"), as the pages show them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, has_app_context
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.clock import today
from lms.models import Company, Completion, Course, CourseVersion, Enrollment, QuizAttempt, User

COMPLETION_RECORDED = "completion.recorded"
CERTIFICATE_EXPIRING = "certificate.expiring"
ASSIGNMENT_OVERDUE = "assignment.overdue"
PERSON_CREATED = "person.created"
PERSON_DEACTIVATED = "person.deactivated"
# Sent by "Test senden" only; no endpoint subscribes to it.
PING = "ping"

# The events an endpoint may subscribe to, in the order the form lists them.
EVENTS: dict[str, LazyString] = {
    COMPLETION_RECORDED: _l("A module was completed"),
    CERTIFICATE_EXPIRING: _l("A certificate expires soon"),
    ASSIGNMENT_OVERDUE: _l("An assignment is overdue"),
    PERSON_CREATED: _l("A person was added"),
    PERSON_DEACTIVATED: _l("A person was deactivated"),
}


def timestamp(moment: datetime) -> str:
    """A moment as the payloads write it: UTC, whole seconds, "Z"."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def day(value: date | datetime | None) -> str | None:
    """A calendar day (a datetime: its day in the platform's time zone)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = today(value)
    return value.isoformat()


def person(user: User) -> dict[str, Any]:
    """A person of the company, as every event names them."""
    department = user.department
    return {
        "id": user.id,
        "name": user.display_name,
        "email": user.email,
        "personnel_number": user.personnel_number,
        "external_id": user.external_id,
        "department": (
            {"id": department.id, "name": department.name} if department is not None else None
        ),
        "active": user.is_active,
    }


def person_changed(user: User) -> dict[str, Any]:
    """person.created, person.deactivated: the person as they are now."""
    return {"person": person(user)}


def course(course: Course, title: str) -> dict[str, Any]:
    return {"id": course.id, "slug": course.slug, "title": title}


def completion(session: Session, done: Completion, enrollment: Enrollment) -> dict[str, Any]:
    """completion.recorded: who completed which module when, and the certificate."""
    user = session.get_one(User, done.user_id)
    version = enrollment.version
    data: dict[str, Any] = {
        "person": person(user),
        "course": course(enrollment.course, version.title) | {"version": version.number},
        "completion": {
            "id": done.id,
            "completed_at": timestamp(done.completed_at),
            "certificate": certificate(done),
        },
    }
    company = session.get_one(Company, done.company_id)
    if company.privacy_level == "results":
        data["quiz_results"] = quiz_results(session, enrollment)
    return data


def certificate(done: Completion) -> dict[str, Any]:
    """A certificate: its code, the day its validity ends (None: for ever) and the
    public page that confirms it (the QR code's address)."""
    base = str(current_app.config.get("BASE_URL") or "").rstrip("/") if has_app_context() else ""
    return {
        "code": done.code,
        "valid_until": day(done.valid_until),
        "verify_url": f"{base}/verify/{done.code}" if base and done.code else None,
    }


def quiz_results(session: Session, enrollment: Enrollment) -> list[dict[str, Any]]:
    """The best handed-in attempt of each knowledge check since the enrolment counts:
    [{"unit": "abschlusstest", "percent": 85.0, "passed": true}]."""
    rows = session.execute(
        select(QuizAttempt.unit_id, QuizAttempt.percent, QuizAttempt.passed)
        .where(
            QuizAttempt.enrollment_id == enrollment.id,
            QuizAttempt.status == "submitted",
            QuizAttempt.submitted_at >= enrollment.counts_from,
        )
        .order_by(QuizAttempt.unit_id, QuizAttempt.id)
    )
    best: dict[str, dict[str, Any]] = {}
    for unit_id, percent, passed in rows:
        value = float(percent) if percent is not None else None
        kept = best.get(unit_id)
        if kept is None or (value or 0) >= (kept["percent"] or 0):
            best[unit_id] = {"unit": unit_id, "percent": value, "passed": bool(passed)}
    return list(best.values())


def overdue(
    user: User, course_row: Course, title: str, assignment_id: int, due_on: date
) -> dict[str, Any]:
    """assignment.overdue: a module assigned to a person is past its due date."""
    return {
        "person": person(user),
        "course": course(course_row, title),
        "assignment": {"id": assignment_id, "due_on": day(due_on)},
    }


def expiring(
    user: User, course_row: Course, title: str, assignment_id: int, done: Completion
) -> dict[str, Any]:
    """certificate.expiring: a certificate's validity ends within the company's lead
    time; the person must take the module again."""
    return {
        "person": person(user),
        "course": course(course_row, title),
        "assignment": {"id": assignment_id},
        "certificate": certificate(done) | {"completed_at": timestamp(done.completed_at)},
    }


def live_titles(session: Session, course_ids: set[int]) -> dict[int, str]:
    """Each course's title in its newest version (what the company's system shows)."""
    if not course_ids:
        return {}
    rows = session.execute(
        select(CourseVersion.course_id, CourseVersion.title)
        .where(CourseVersion.course_id.in_(course_ids))
        .order_by(CourseVersion.course_id, CourseVersion.number)
    )
    return {course_id: title for course_id, title in rows}
