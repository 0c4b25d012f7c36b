"""Evaluating modules and in-person sessions: the questionnaire, answering once, the results.

A learner who completed a module (in this round), or who was at a session that has
ended (present or partly present), answers a short questionnaire: the module's own
(`evaluation:` in course.md, stored with the version) or the built-in one of three
questions. Answering writes two rows that never point at each other: the
participation (who, for what: answering again is refused) and the answer sheet (what,
with no person, no time and a random id).

Results are shown only from `minimum` answer sheets on (the platform's
`EVALUATION_MIN_RESPONSES`, 5 by default), for every selection alike: the module, one
session, one company, and the CSV export. Free texts come in an order that is stable
but says nothing about who wrote first.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.cache import remembered
from lms.content.importer import latest_version
from lms.content.spec import EvaluationKind, EvaluationQuestion
from lms.models import (
    Booking,
    Company,
    Course,
    CourseVersion,
    Enrollment,
    EvaluationParticipation,
    EvaluationResponse,
    InPersonSession,
    User,
)
from lms.models.in_person import WAS_THERE

SCALE = (1, 2, 3, 4, 5)
MAX_TEXT_ANSWER = 2000
DEFAULT_MINIMUM = 5
# However the platform is set, fewer answers than this are never shown.
LOWEST_MINIMUM = 3


def minimum_of(configured: object) -> int:
    """The platform's minimum number of answer sheets (at least LOWEST_MINIMUM)."""
    try:
        number = int(str(configured))
    except ValueError:
        number = DEFAULT_MINIMUM
    return max(number, LOWEST_MINIMUM)


# --- The questionnaire ---------------------------------------------------------------


def default_questions(for_session: bool) -> tuple[EvaluationQuestion, ...]:
    """The built-in questionnaire, in the page's language: overall, useful for work, what
    should change."""
    overall = (
        _l("How would you rate this session overall?")
        if for_session
        else _l("How would you rate this module overall?")
    )
    return (
        EvaluationQuestion(
            "overall",
            EvaluationKind.SCALE,
            str(overall),
            low=str(_l("poor")),
            high=str(_l("very good")),
        ),
        EvaluationQuestion(
            "useful",
            EvaluationKind.SCALE,
            str(_l("How useful is what you learned for your work?")),
            low=str(_l("not useful")),
            high=str(_l("very useful")),
        ),
        EvaluationQuestion(
            "change", EvaluationKind.TEXT, str(_l("What should we change?")), optional=True
        ),
    )


@dataclass(frozen=True)
class Questionnaire:
    questions: tuple[EvaluationQuestion, ...]
    # The language the questions are written in; "" for the built-in ones (the page's).
    language: str
    own: bool  # the module's own (course.md), not the built-in one


def _stored(version: CourseVersion) -> dict[str, list[dict[str, Any]]]:
    """The version's questionnaire by language, read from its spec once per version."""

    def load() -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = version.spec.get("evaluation") or {}
        return found

    return remembered(("evaluation", version.id, version.content_hash), load)


def questionnaire(version: CourseVersion, language: str, *, for_session: bool) -> Questionnaire:
    """The questions of `version` in `language` (else in its main language), or the built-in."""
    stored = _stored(version)
    chosen = language if language in stored else version.language
    if chosen not in stored:
        return Questionnaire(default_questions(for_session), "", own=False)
    questions = tuple(
        EvaluationQuestion(
            id=q["id"],
            kind=EvaluationKind(q["kind"]),
            text=q["text"],
            optional=q["optional"],
            low=q.get("low", ""),
            high=q.get("high", ""),
            options=tuple(q.get("options", ())),
        )
        for q in stored[chosen]
    )
    return Questionnaire(questions, chosen, own=True)


# --- What may be evaluated --------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A module round or a session that a person may evaluate."""

    course: Course
    version: CourseVersion
    key: str  # EvaluationParticipation.target
    in_person: InPersonSession | None = None

    @property
    def for_session(self) -> bool:
        return self.in_person is not None


def round_key(enrollment: Enrollment) -> str:
    return f"round:{enrollment.counts_from.isoformat()}"


def module_target(session: Session, user: User, slug: str) -> Target | None:
    """The learner's module `slug` if they completed it in its current round."""
    enrollment = session.scalar(
        select(Enrollment)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Course.slug == slug, Enrollment.user_id == user.id)
    )
    if enrollment is None or enrollment.completed_at is None:
        return None
    return Target(enrollment.course, enrollment.version, round_key(enrollment))


def session_target(session: Session, user: User, session_id: int, now: datetime) -> Target | None:
    """The session if `user` was there (present or partly) and it has ended."""
    row = session.execute(
        select(Booking, InPersonSession)
        .join(InPersonSession, InPersonSession.id == Booking.session_id)
        .where(Booking.session_id == session_id, Booking.user_id == user.id)
    ).first()
    if row is None:
        return None
    seat, in_person = row
    if seat.attendance not in WAS_THERE or in_person.cancelled or in_person.ends_at > now:
        return None
    version = latest_version(session, in_person.course)
    if version is None:
        return None
    return Target(in_person.course, version, f"session:{in_person.id}", in_person)


def has_answered(session: Session, user: User, target: Target) -> bool:
    return (
        session.scalar(
            select(EvaluationParticipation.id).where(
                EvaluationParticipation.user_id == user.id,
                EvaluationParticipation.course_id == target.course.id,
                EvaluationParticipation.target == target.key,
            )
        )
        is not None
    )


def answered_module_round(session: Session, enrollment: Enrollment) -> bool:
    """Whether the learner evaluated this round of the module (for the course page)."""
    return (
        session.scalar(
            select(EvaluationParticipation.id).where(
                EvaluationParticipation.user_id == enrollment.user_id,
                EvaluationParticipation.course_id == enrollment.course_id,
                EvaluationParticipation.target == round_key(enrollment),
            )
        )
        is not None
    )


def sessions_to_evaluate(
    session: Session, user: User, bookings: Sequence[Booking], now: datetime
) -> set[int]:
    """Of `bookings`, the sessions the person was at, that have ended and that they have not
    evaluated yet (one query)."""
    candidates = {
        b.session_id
        for b in bookings
        if b.attendance in WAS_THERE and not b.in_person.cancelled and b.in_person.ends_at <= now
    }
    if not candidates:
        return set()
    done = set(
        session.scalars(
            select(EvaluationParticipation.target).where(
                EvaluationParticipation.user_id == user.id,
                EvaluationParticipation.target.in_([f"session:{i}" for i in candidates]),
            )
        )
    )
    return {i for i in candidates if f"session:{i}" not in done}


# --- Answering ----------------------------------------------------------------------------


class AnswerProblem(ValueError):
    """A required question left open, or an answer that is not one of the choices."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = dict(problems)  # question id → "required" or "invalid"


def check_answers(
    questions: Sequence[EvaluationQuestion], given: Mapping[str, str]
) -> dict[str, int | str]:
    """The answers as stored (scale 1–5, an option's number from 1, text), from what the
    form sent; raises AnswerProblem naming each question that needs another look."""
    answers: dict[str, int | str] = {}
    problems: dict[str, str] = {}
    for question in questions:
        raw = (given.get(question.id) or "").strip()
        if not raw:
            if not question.optional:
                problems[question.id] = "required"
            continue
        if question.kind is EvaluationKind.TEXT:
            answers[question.id] = raw[:MAX_TEXT_ANSWER]
            continue
        allowed = SCALE if question.kind is EvaluationKind.SCALE else range(
            1, len(question.options) + 1
        )  # fmt: skip
        if not raw.isdigit() or int(raw) not in allowed:
            problems[question.id] = "invalid"
            continue
        answers[question.id] = int(raw)
    if problems:
        raise AnswerProblem(problems)
    return answers


def submit(
    session: Session,
    user: User,
    target: Target,
    answers: Mapping[str, int | str],
    language: str,
    now: datetime,
) -> bool:
    """Record `user`'s answers to `target` once; False (and nothing written) if they
    answered before, also when two submits race.

    Nothing goes to the audit log on purpose: managers read it, and an entry would
    tell them who answered when."""
    if has_answered(session, user, target):
        return False
    assert user.company_id is not None
    try:
        with session.begin_nested():
            session.add(
                EvaluationParticipation(
                    company_id=user.company_id, user_id=user.id, course_id=target.course.id,
                    target=target.key, answered_at=now,
                )
            )  # fmt: skip
    except IntegrityError:
        return False
    session.add(
        EvaluationResponse(
            id=secrets.token_hex(16), company_id=user.company_id, course_id=target.course.id,
            version_id=target.version.id,
            session_id=target.in_person.id if target.in_person else None,
            language=language, answers=dict(answers),
        )
    )  # fmt: skip
    session.flush()
    return True


# --- Results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Which answer sheets: a module's, optionally of one session and/or one company."""

    course_id: int
    session_id: int | None = None
    company_id: int | None = None

    def where(self) -> list[Any]:
        conditions = [EvaluationResponse.course_id == self.course_id]
        if self.session_id is not None:
            conditions.append(EvaluationResponse.session_id == self.session_id)
        if self.company_id is not None:
            conditions.append(EvaluationResponse.company_id == self.company_id)
        return conditions


@dataclass(frozen=True)
class QuestionResult:
    question: EvaluationQuestion
    answered: int
    counts: tuple[int, ...] = ()  # scale: per value 1–5; choice: per option
    mean: float | None = None  # scale
    texts: tuple[str, ...] = ()  # text, in a shuffled but stable order


@dataclass(frozen=True)
class Results:
    responses: int
    minimum: int
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return self.responses >= self.minimum

    @property
    def missing(self) -> int:
        return max(self.minimum - self.responses, 0)


def count(session: Session, selection: Selection) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(EvaluationResponse).where(*selection.where())
        )
        or 0
    )


def _sheets(session: Session, selection: Selection) -> list[tuple[str, dict[str, Any]]]:
    return [
        (sheet_id, answers or {})
        for sheet_id, answers in session.execute(
            select(EvaluationResponse.id, EvaluationResponse.answers)
            .where(*selection.where())
            .order_by(EvaluationResponse.id)
        )
    ]


def _shuffled(texts: list[tuple[str, str]], question_id: str) -> tuple[str, ...]:
    """Texts in an order by a hash of sheet and question: stable between page views,
    different for each question, and telling nothing about who wrote when."""
    return tuple(
        text
        for _key, text in sorted(
            (hashlib.sha256(f"{sheet_id}:{question_id}".encode()).hexdigest(), text)
            for sheet_id, text in texts
        )
    )


def results(
    session: Session,
    selection: Selection,
    questions: Sequence[EvaluationQuestion],
    minimum: int,
) -> Results:
    """The figures per question, or only the number of answer sheets when they are fewer
    than `minimum` (nothing else is read then)."""
    responses = count(session, selection)
    if responses < minimum:
        return Results(responses, minimum)
    sheets = _sheets(session, selection)
    figures = []
    for question in questions:
        given = [(sheet_id, a[question.id]) for sheet_id, a in sheets if question.id in a]
        if question.kind is EvaluationKind.TEXT:
            texts = [(sheet_id, str(v)) for sheet_id, v in given if str(v).strip()]
            figures.append(
                QuestionResult(question, len(texts), texts=_shuffled(texts, question.id))
            )
            continue
        values = [v for _sheet, v in given if isinstance(v, int) and not isinstance(v, bool)]
        top = 5 if question.kind is EvaluationKind.SCALE else len(question.options)
        counts = tuple(values.count(n) for n in range(1, top + 1))
        answered = sum(counts)
        mean = (
            sum(n * c for n, c in enumerate(counts, 1)) / answered
            if answered and question.kind is EvaluationKind.SCALE
            else None
        )
        figures.append(QuestionResult(question, answered, counts, mean))
    return Results(responses, minimum, figures)


def sheets_for_export(
    session: Session, selection: Selection, questions: Sequence[EvaluationQuestion], minimum: int
) -> list[list[object]] | None:
    """One row per answer sheet (answers as words: the scale's number, the option's text),
    in a random but stable order; None below the minimum."""
    if count(session, selection) < minimum:
        return None
    rows = []
    for _sheet_id, answers in _sheets(session, selection):
        row: list[object] = []
        for question in questions:
            value = answers.get(question.id)
            if question.kind is EvaluationKind.CHOICE and isinstance(value, int):
                options = question.options
                value = options[value - 1] if 1 <= value <= len(options) else None
            row.append(value)
        rows.append(row)
    return rows


def companies_with_enough(
    session: Session, selection: Selection, minimum: int
) -> list[tuple[int, str]]:
    """The companies (id, name) with at least `minimum` answer sheets in `selection`: only
    these may be named and chosen as a filter."""
    return [
        (company_id, name)
        for company_id, name in session.execute(
            select(Company.id, Company.name)
            .join(EvaluationResponse, EvaluationResponse.company_id == Company.id)
            .where(*selection.where())
            .group_by(Company.id, Company.name)
            .having(func.count() >= minimum)
            .order_by(Company.name)
        )
    ]


def sessions_with_answers(session: Session, course_id: int) -> list[tuple[InPersonSession, int]]:
    """The module's sessions that have answer sheets, newest first, with their number."""
    return [
        (in_person, number)
        for in_person, number in session.execute(
            select(InPersonSession, func.count(EvaluationResponse.id))
            .join(EvaluationResponse, EvaluationResponse.session_id == InPersonSession.id)
            .where(InPersonSession.course_id == course_id)
            .group_by(InPersonSession.id)
            .order_by(InPersonSession.starts_at.desc())
        )
    ]
