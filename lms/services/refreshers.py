"""Spaced refreshers: a few questions of a completed course, asked again on set days.

A course declares `refresh: [7 days, 30 days]`. Counted from the day a learner
completed it (their newest completion of the course that is not revoked), a
refresher is due on each of those days: `QUESTIONS` questions (fewer if the
course has fewer) drawn from the quizzes of the version they completed. It is
offered from its day until the next one is due, for at most `OFFER_DAYS` days;
answering or skipping it ends it. A refresher missed in that time is not made up.

Which questions: the version's quiz questions are shuffled once per completion
(seeded by the completion, so the page shows the same questions on every visit
and nothing is stored before the learner answers), and each refresher takes the
next questions of that order: a learner meets new questions each time until all
have come up.

Answers are graded by the knowledge check's graders and stored as
`RefresherAnswer`s, which the item statistics count (`item_stats`). They never
change a completion, a certificate, an attempt or a learning path. A refresher
is written once per completion and step: a second submit changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.certificates import add_period
from lms.clock import today
from lms.content.grading import Result, grade
from lms.content.spec import Question
from lms.content.stored import stored_questions, stored_quiz_settings
from lms.models import Completion, CourseVersion, Refresher, RefresherAnswer
from lms.services import item_stats, learning, quizzes

QUESTIONS = 3
OFFER_DAYS = 14
MAX_FIELD_LENGTH = 500


@dataclass(frozen=True)
class DueRefresher:
    """A refresher a learner may answer now."""

    completion_id: int
    user_id: int
    company_id: int
    course_id: int
    version_id: int
    step: int  # which period of `refresh`, from 0
    due_on: date
    next_on: date | None = None  # the day of the next refresher, if one follows

    @property
    def key(self) -> str:
        """What the reminder mail records it under."""
        return f"{self.completion_id}:{self.step}"


@dataclass(frozen=True)
class DrawnQuestion:
    """A question of a refresher: its quiz unit, the learner's view (no answer key),
    the key for grading, and the order in which its parts are shown."""

    unit_id: str
    public: dict[str, Any]
    question: Question
    layout: dict[str, Any]


def due_days(completed_on: date, refresh: str) -> list[date]:
    """The days on which the refreshers fall, for a course completed on `completed_on`
    with `refresh` as stored on its version ("7 days, 30 days")."""
    start = datetime.combine(completed_on, time())
    days = []
    for period in refresh.split(","):
        moved = add_period(start, period.strip())
        if moved is not None:
            days.append(moved.date())
    return days


def offered_step(days: Sequence[date], on: date) -> int | None:
    """The step whose refresher is offered on `on`, if any."""
    for step in range(len(days) - 1, -1, -1):
        if days[step] <= on:
            ends = days[step].toordinal() + OFFER_DAYS
            if step + 1 < len(days):
                ends = min(ends, days[step + 1].toordinal())
            return step if on.toordinal() < ends else None
    return None


@dataclass(frozen=True)
class CompletedCourse:
    """What decides a completion's refreshers."""

    completion_id: int
    user_id: int
    course_id: int
    version_id: int
    completed_at: datetime
    revoked_at: datetime | None
    refresh: str | None  # the version's `refresh`


def completed_courses(
    session: Session, company_id: int, user_id: int | None = None
) -> list[CompletedCourse]:
    """The completions of the company's people (or one of them), oldest first."""
    query = (
        select(
            Completion.id,
            Completion.user_id,
            Completion.course_id,
            Completion.version_id,
            Completion.completed_at,
            Completion.revoked_at,
            CourseVersion.refresh,
        )
        .join(CourseVersion, CourseVersion.id == Completion.version_id)
        .where(
            Completion.company_id == company_id,
            # Only courses that ever asked for refreshers: the newest completion of
            # such a course decides, even if its own version asks for none.
            Completion.course_id.in_(
                select(CourseVersion.course_id).where(CourseVersion.refresh.is_not(None))
            ),
        )
        .order_by(Completion.completed_at, Completion.id)
    )
    if user_id is not None:
        query = query.where(Completion.user_id == user_id)
    return [CompletedCourse(*row) for row in session.execute(query)]


def open_refreshers(
    session: Session, company_id: int, on: date, user_id: int | None = None
) -> list[DueRefresher]:
    """The refreshers offered on `on` and not yet answered or skipped, for the company's
    people (or one of them), oldest due first. Two queries, however many completions."""
    return open_among(session, company_id, completed_courses(session, company_id, user_id), on)


def open_among(
    session: Session, company_id: int, completed: Iterable[CompletedCourse], on: date
) -> list[DueRefresher]:
    """`open_refreshers` of completions already read (oldest first): no query at all
    unless one of them has a refresher on `on`."""
    newest: dict[tuple[int, int], CompletedCourse] = {}
    for row in completed:
        newest[(row.user_id, row.course_id)] = row  # the last one read is the newest
    candidates = []
    for row in newest.values():
        if row.revoked_at is not None or not row.refresh:
            continue
        days = due_days(today(row.completed_at), row.refresh)
        step = offered_step(days, on)
        if step is not None:
            candidates.append(
                DueRefresher(
                    row.completion_id,
                    row.user_id,
                    company_id,
                    row.course_id,
                    row.version_id,
                    step,
                    days[step],
                    days[step + 1] if step + 1 < len(days) else None,
                )
            )
    if not candidates:
        return []
    done = {
        (completion_id, step)
        for completion_id, step in session.execute(
            select(Refresher.completion_id, Refresher.step).where(
                tuple_(Refresher.completion_id, Refresher.step).in_(
                    [(c.completion_id, c.step) for c in candidates]
                )
            )
        )
    }
    return sorted(
        (c for c in candidates if (c.completion_id, c.step) not in done),
        key=lambda c: (c.due_on, c.completion_id),
    )


def find_open(
    session: Session, company_id: int, user_id: int, completion_id: int, step: int, on: date
) -> DueRefresher | None:
    """The learner's refresher of that completion and step, if it is open on `on`."""
    return next(
        (
            due
            for due in open_refreshers(session, company_id, on, user_id)
            if due.completion_id == completion_id and due.step == step
        ),
        None,
    )


def draw(
    version: CourseVersion, completion_id: int, step: int, language: str
) -> list[DrawnQuestion]:
    """The questions of the refresher (see the module's docstring), in `language`.

    They are drawn in the version's main language (a translation may list a quiz's
    questions in another order): the same questions in every language."""
    pool = [
        (unit["id"], question["id"])
        for unit in learning.rendered_units(version, version.language)
        for question in unit.get("questions", [])
        if question["type"] != "essay"  # essays need a trainer: never in a refresher
    ]
    units = learning.rendered_units(version, language)
    if not pool:
        return []
    # Seeded, so every visit shows the same questions; nothing here is a secret.
    rng = random.Random(f"refresher:{completion_id}")  # noqa: S311
    rng.shuffle(pool)
    count = min(QUESTIONS, len(pool))
    start = (step * count) % len(pool)
    chosen = (pool + pool)[start : start + count]
    public = {unit["id"]: {q["id"]: q for q in unit.get("questions", [])} for unit in units}
    drawn = []
    layout_rng = random.Random(f"refresher:{completion_id}:{step}")  # noqa: S311
    for unit_id, question_id in chosen:
        keys = {q.id: q for q in stored_questions(version, language, unit_id)}
        settings = stored_quiz_settings(version, unit_id)
        question = keys[question_id]
        shuffle = bool(settings and settings.shuffle)
        drawn.append(
            DrawnQuestion(
                unit_id,
                public[unit_id][question_id],
                question,
                quizzes._layout(question, shuffle, layout_rng),
            )
        )
    return drawn


def form_fields(
    drawn: Iterable[DrawnQuestion], form: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """What the learner entered, by question id, as a knowledge check stores it."""
    entered: dict[str, Any] = {}
    for item in drawn:
        saved: dict[str, Any] = {}
        for field in quizzes.field_names(item.public):
            values = [v[:MAX_FIELD_LENGTH] for v in form.get(field, []) if isinstance(v, str)]
            if item.public["type"] == "multiple":
                if values:
                    saved[field] = values[:50]
            elif values and values[0].strip():
                saved[field] = values[0]
        entered[item.question.id] = saved
    return entered


def answer(
    session: Session,
    due: DueRefresher,
    version: CourseVersion,
    language: str,
    entered: Mapping[str, Any],
    now: datetime,
    drawn: list[DrawnQuestion] | None = None,
) -> Refresher | None:
    """Grade and keep the learner's answers; None if this refresher was answered or
    skipped already (by another tab or a repeated submit: nothing changes). `drawn`:
    its questions, when the caller has drawn them already."""
    if drawn is None:
        drawn = draw(version, due.completion_id, due.step, language)
    results: dict[str, Result] = {
        item.question.id: grade(
            item.question,
            quizzes.response_from_fields(
                item.question, item.public, entered.get(item.question.id, {})
            ),
        )
        for item in drawn
    }
    refresher = _write(
        session,
        due,
        language,
        now,
        answered_at=now,
        correct=sum(1 for r in results.values() if r.correct),
        questions=len(drawn),
    )
    if refresher is None:
        return None
    session.execute(
        insert(RefresherAnswer),
        [
            {
                "refresher_id": refresher.id,
                "version_id": due.version_id,
                "unit_id": item.unit_id,
                "question_id": item.question.id,
                "position": position,
                "response": entered.get(item.question.id, {}),
                "score": results[item.question.id].score,
                "max_score": results[item.question.id].max,
                "correct": results[item.question.id].correct,
                "answered": results[item.question.id].answered,
            }
            for position, item in enumerate(drawn)
        ],
    )
    item_stats.count_refresher_answers(
        session,
        due.version_id,
        [
            (
                item.unit_id,
                item.question.id,
                entered.get(item.question.id, {}),
                results[item.question.id].correct,
            )
            for item in drawn
        ],
    )
    return refresher


def skip(session: Session, due: DueRefresher, language: str, now: datetime) -> Refresher | None:
    """Set the refresher aside: it is not offered again. None if it was answered or
    skipped already."""
    return _write(session, due, language, now, skipped_at=now)


def _write(
    session: Session, due: DueRefresher, language: str, now: datetime, **values: Any
) -> Refresher | None:
    refresher = Refresher(
        company_id=due.company_id,
        user_id=due.user_id,
        completion_id=due.completion_id,
        course_id=due.course_id,
        version_id=due.version_id,
        step=due.step,
        due_on=due.due_on,
        language=language,
        **values,
    )
    try:
        with session.begin_nested():
            session.add(refresher)
    except IntegrityError:
        return None
    return refresher


def done_refresher(
    session: Session, user_id: int, completion_id: int, step: int
) -> Refresher | None:
    """The learner's answered or skipped refresher, for its result page."""
    return session.scalar(
        select(Refresher).where(
            Refresher.user_id == user_id,
            Refresher.completion_id == completion_id,
            Refresher.step == step,
        )
    )
