"""Everything Lernwerk stores about one person, as JSON (GDPR Art. 15 and 20).

Only rows that belong to the person are read: every query filters by their user id.
"""

from __future__ import annotations

import base64
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.audit import service as audit
from lms.models import (
    AttemptAnswer,
    Completion,
    Course,
    CourseVersion,
    Enrollment,
    EvaluationParticipation,
    ExternalRecord,
    Handin,
    LoginEvent,
    LtiGradeLink,
    LtiIdentity,
    LtiPlatform,
    PackageAttempt,
    PackageInteraction,
    QuizAttempt,
    Refresher,
    RefresherAnswer,
    SsoIdentity,
    UnitFeedback,
    UnitProgress,
    User,
    XapiState,
)
from lms.packages.reporting import identity
from lms.services import refreshers
from lms.services.review import (
    Review,
    attempt_review,
    plain_text,
    refresher_review,
    shown_options,
)
from lms.templating import GAP_MARK


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _number(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def record_export(session: Session, actor: audit.Actor, user: User, now: datetime) -> None:
    """Note in the audit log that someone (an admin) downloaded the person's export."""
    audit.record(session, actor, "person.export", user.company_id, now,
                 subject=user.display_name, subject_id=user.id)  # fmt: skip


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
        "format": "lernwerk-personal-data/2",
        "profile": {
            "email": user.email,  # None: a learner without an address
            "personnel_number": user.personnel_number,
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
            _refresher(session, r, course_of.get(r.completion_id))
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
        # That the person answered an evaluation (a module round, a session); what they
        # answered is stored apart with nothing that leads back to them, so it is not here.
        "evaluations": [
            {"course": slug, "evaluated": target, "answered_at": _iso(answered_at)}
            for slug, target, answered_at in session.execute(
                select(
                    Course.slug, EvaluationParticipation.target, EvaluationParticipation.answered_at
                )
                .join(Course, Course.id == EvaluationParticipation.course_id)
                .where(EvaluationParticipation.user_id == user.id)
                .order_by(EvaluationParticipation.answered_at, EvaluationParticipation.id)
            )
        ],
        # Photos and files handed in for hand-in tasks, with the trainer's grade (the
        # file itself is on the unit's page).
        "handins": [
            {
                "course": h.course.slug,
                "unit": h.unit_id,
                "file": h.file_name,
                "handed_in_at": _iso(h.submitted_at),
                "status": h.status,
                "feedback": h.feedback,
                "graded_at": _iso(h.graded_at),
            }
            for h in session.scalars(
                select(Handin)
                .where(Handin.user_id == user.id)
                .options(selectinload(Handin.course))
                .order_by(Handin.submitted_at, Handin.id)
            )
        ],
        # Bought packages (SCORM, cmi5): each attempt with what the package kept for the
        # person (where they were, its own data) and their answers to its interactions.
        "package_attempts": _package_attempts(session, user, slugs),
        # What a cmi5 package kept through the statement endpoint's State API.
        "xapi_states": [
            {
                "registration": state.registration,
                "activity": state.activity_id,
                "state": state.state_id,
                "content_type": state.content_type,
                **_content(state.content),
                "updated_at": _iso(state.updated_at),
            }
            for state in session.scalars(
                select(XapiState)
                .where(XapiState.user_id == user.id)
                .order_by(XapiState.updated_at, XapiState.id)
            )
        ],
        # Their accounts at the company's sign-in provider (single sign-on): the
        # provider's subject (`sub`) is how it names them.
        "sso_identities": [
            {
                "issuer": account.issuer,
                "subject": account.subject,
                "linked_at": _iso(account.linked_at),
                "last_used_at": _iso(account.last_used_at),
            }
            for account in session.scalars(
                select(SsoIdentity)
                .where(SsoIdentity.user_id == user.id)
                .order_by(SsoIdentity.linked_at, SsoIdentity.id)
            )
        ],
        # Their accounts at the company's learning platforms (LTI) and where their
        # results of a module go back to.
        "lti_links": _lti_links(session, user),
    }


def _lti_links(session: Session, user: User) -> list[dict[str, Any]]:
    """Per platform the person is known at: its name, issuer, the person's subject
    there and when linked, and the grade links (module, line item) of their launches."""
    identities = session.execute(
        select(LtiIdentity, LtiPlatform.name, LtiPlatform.issuer)
        .join(LtiPlatform, LtiPlatform.id == LtiIdentity.platform_id)
        .where(LtiIdentity.user_id == user.id)
        .order_by(LtiIdentity.linked_at, LtiIdentity.id)
    ).all()
    grade_links = session.execute(
        select(LtiGradeLink, LtiPlatform.name, LtiPlatform.issuer, Course.slug)
        .join(LtiPlatform, LtiPlatform.id == LtiGradeLink.platform_id)
        .join(Course, Course.id == LtiGradeLink.course_id)
        .where(LtiGradeLink.user_id == user.id)
        .order_by(LtiGradeLink.created_at, LtiGradeLink.id)
    ).all()
    links: dict[int, dict[str, Any]] = {}
    for known, name, issuer in identities:
        links[known.platform_id] = {
            "platform": name,
            "issuer": issuer,
            "subject": known.subject,
            "linked_at": _iso(known.linked_at),
            "last_used_at": _iso(known.last_used_at),
            "grade_links": [],
        }
    for link, name, issuer, slug in grade_links:
        # A grade link whose person link is gone still names the subject it was made for.
        entry = links.setdefault(
            link.platform_id,
            {"platform": name, "issuer": issuer, "subject": link.subject, "linked_at": None,
             "last_used_at": None, "grade_links": []},
        )  # fmt: skip
        entry["grade_links"].append(
            {
                "course": slug,
                "resource_link": link.resource_link_id,
                "line_item": link.lineitem,
                "linked_at": _iso(link.created_at),
                "updated_at": _iso(link.updated_at),
            }
        )
    return list(links.values())


def _package_attempts(session: Session, user: User, slugs: dict[int, str]) -> list[dict[str, Any]]:
    attempts = session.scalars(
        select(PackageAttempt)
        .where(PackageAttempt.user_id == user.id)
        .order_by(PackageAttempt.started_at, PackageAttempt.id)
    ).all()
    interactions: dict[int, list[dict[str, Any]]] = {}
    for row in session.scalars(
        select(PackageInteraction)
        .where(
            PackageInteraction.attempt_id.in_(
                select(PackageAttempt.id).where(PackageAttempt.user_id == user.id)
            )
        )
        .order_by(PackageInteraction.attempt_id, PackageInteraction.position)
    ):
        interactions.setdefault(row.attempt_id, []).append(
            {
                "id": row.interaction_id,
                "type": row.kind,
                "description": row.description,
                "response": row.response,
                "result": row.result,
                "at": _iso(row.recorded_at),
            }
        )
    versions = {v.id: v for v in session.scalars(
        select(CourseVersion).where(CourseVersion.id.in_({a.version_id for a in attempts}))
    )}  # fmt: skip
    result = []
    for attempt in attempts:
        version = versions[attempt.version_id]
        package = identity(version, attempt.unit_id, version.language, attempt.package)
        result.append(
            {
                "course": slugs.get(attempt.enrollment_id),
                "version": version.number,
                "unit": attempt.unit_id,
                "package": attempt.package,
                "identifier": package.identifier if package else None,
                "package_version": package.version if package else None,
                "standard": attempt.standard,
                "item": attempt.item_id,
                "attempt": attempt.number,
                "completion": attempt.completion,
                "success": attempt.success,
                "score": _number(attempt.score_scaled),
                "score_raw": _number(attempt.score_raw),
                "seconds": attempt.total_seconds,
                "location": attempt.location,
                "suspend_data": attempt.suspend_data,
                "runtime_data": attempt.cmi,
                "started_at": _iso(attempt.started_at),
                "updated_at": _iso(attempt.updated_at),
                "ended_at": _iso(attempt.ended_at),
                "satisfied_at": _iso(attempt.satisfied_at),
                "interactions": interactions.get(attempt.id, []),
            }
        )
    return result


def _content(data: bytes) -> dict[str, str]:
    """A state document as text where it is (JSON, text), else in Base64."""
    try:
        return {"content": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"content_base64": base64.b64encode(data).decode("ascii")}


def _attempt(attempt: QuizAttempt) -> dict[str, Any]:
    shown, answers = attempt_review(attempt)
    layout = {entry["id"]: entry for entry in attempt.layout}
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
        "answers_shown": shown,
        "answers": [
            _answer(answer, question, review, layout.get(answer.question_id), attempt.language)
            for answer, question, review in answers
        ],
    }


def _refresher(session: Session, refresher: Refresher, course: str | None) -> dict[str, Any]:
    version = session.get(CourseVersion, refresher.version_id)
    assert version is not None  # a version is never deleted while refreshers point at it
    shown, answers = refresher_review(refresher, version)
    # The order its choices were shown in, drawn again as on its page (a set-aside
    # refresher has no answers).
    drawn = (
        refreshers.draw(version, refresher.completion_id, refresher.step, refresher.language)
        if refresher.answers
        else []
    )
    layout = {item.public["id"]: item.layout for item in drawn}
    return {
        "course": course,
        "due_on": refresher.due_on.isoformat(),
        "answered_at": _iso(refresher.answered_at),
        "skipped_at": _iso(refresher.skipped_at),
        "language": refresher.language,
        "right": refresher.correct,
        "questions": refresher.questions,
        "answers_shown": shown,
        "answers": [
            _answer(answer, question, review, layout.get(answer.question_id), refresher.language)
            for answer, question, review in answers
        ],
    }


def _answer(
    answer: AttemptAnswer | RefresherAnswer,
    question: dict[str, Any],
    review: Review,
    entry: dict[str, Any] | None,
    language: str,
) -> dict[str, Any]:
    """One graded answer as the learner saw it: the question and its choices in the
    order shown, the answer in words and as stored, the grade, and the feedback, correct
    answer and explanation only if the result page showed them (`review` holds them
    only then)."""
    prompt = GAP_MARK.sub(lambda gap: f"[{int(gap.group(1)) + 1}]", question["prompt_html"])
    your_answer = review.answer
    solution = plain_text(review.solution_html)
    if question["type"] == "true-false":
        with force_locale(language):
            labels = {"true": gettext("True"), "false": gettext("False")}
        your_answer = labels.get(your_answer, your_answer)
        if review.solution_bool is not None:
            solution = labels[str(review.solution_bool).lower()]
    feedback = [plain_text(choice.feedback_html) for choice in review.picked]
    feedback.append(plain_text(review.feedback_html))
    return {
        "question_id": answer.question_id,
        "question": plain_text(prompt),
        "options": shown_options(question, entry),
        "your_answer": your_answer,
        "response": answer.response,
        "answered": answer.answered,
        "correct": answer.correct,
        "score": _number(answer.score),
        "max_score": _number(answer.max_score),
        "feedback": [text for text in feedback if text],
        "correct_answer": solution or None,
        "explanation": plain_text(review.explanation_html) or None,
    }
