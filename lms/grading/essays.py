"""Essay answers graded by a trainer: the attempts waiting for a grade and grading them.

An attempt with essay questions is handed in as "grading" (lms/services/quizzes.py):
its automatically graded part is stored, pass or fail waits. A trainer who serves the
learner's company (never the learner) grades every essay of the attempt at once, with
points per rubric criterion (or one overall score) and feedback; then the attempt's
score is the automatic points plus the essays', pass or fail is decided with the
quiz's pass mark, a pass records the unit passed, and the answers count in the item
statistics. A conditional update from "grading" to "submitted" grades once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from sqlalchemy import Select, Table, and_, select, update
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.content.spec import Question, QuestionType
from lms.content.stored import stored_questions, stored_quiz_settings
from lms.grading.service import MAX_FEEDBACK, served_company_ids
from lms.models import Course, Enrollment, EssayGrade, QuizAttempt, User
from lms.notices import service as notices
from lms.services import item_stats, learning, xapi

GRADING = "grading"
_ATTEMPTS = cast(Table, QuizAttempt.__table__)


class EssayError(ValueError):
    """Grades that cannot be saved; `code` names why and `question_id` where."""

    def __init__(self, code: str, question_id: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.question_id = question_id


@dataclass(frozen=True)
class Mark:
    """A trainer's grade of one essay answer: points per rubric criterion (in its
    order), or one overall score for an essay without a rubric; and feedback."""

    criteria: tuple[Decimal, ...] = ()
    points: Decimal | None = None
    feedback: str = ""


def waiting(trainer: User, course_id: int | None = None) -> Select[QuizAttempt, User, Course]:
    """The attempts whose essays wait for a grade that `trainer` may grade, oldest
    first, each with its learner and module."""
    query = (
        select(QuizAttempt, User, Course)
        .join(User, User.id == QuizAttempt.user_id)
        .join(Enrollment, Enrollment.id == QuizAttempt.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(waiting_condition(trainer.id))
        .order_by(QuizAttempt.submitted_at, QuizAttempt.id)
    )
    return query if course_id is None else query.where(Enrollment.course_id == course_id)


def unit_title(attempt: QuizAttempt, language: str) -> str:
    """The title of the attempt's knowledge check in `language` (or the main language)."""
    units = learning.rendered_units(attempt.version, language)
    return next((u["title"] for u in units if u["id"] == attempt.unit_id), attempt.unit_id)


def waiting_condition(trainer_id: int) -> Any:
    """What `waiting` selects, as a condition (for the navigation's count)."""
    return and_(
        QuizAttempt.status == GRADING,
        QuizAttempt.company_id.in_(served_company_ids(trainer_id)),
        QuizAttempt.user_id != trainer_id,
    )


def essays(attempt: QuizAttempt) -> list[tuple[Question, str]]:
    """The essay questions of the attempt in its order, each with the text handed in."""
    keys = {q.id: q for q in stored_questions(attempt.version, attempt.language, attempt.unit_id)}
    found = []
    for entry in attempt.layout:
        question = keys.get(entry["id"])
        if question is not None and question.type is QuestionType.ESSAY:
            fields = attempt.responses.get(question.id, {})
            found.append((question, str(fields.get(f"q-{question.id}", ""))))
    return found


def grades_of(session: Session, attempt: QuizAttempt) -> dict[str, EssayGrade]:
    """The essay grades of an attempt, by question id (none while it waits)."""
    rows = session.scalars(select(EssayGrade).where(EssayGrade.attempt_id == attempt.id))
    return {row.question_id: row for row in rows}


def _points_of(question: Question, mark: Mark | None) -> Decimal:
    """The points a mark gives, checked against the rubric (or the question's points)."""
    if mark is None:
        raise EssayError("points-missing", question.id)
    if question.rubric:
        if len(mark.criteria) != len(question.rubric):
            raise EssayError("points-missing", question.id)
        for given, criterion in zip(mark.criteria, question.rubric, strict=True):
            if not Decimal(0) <= given <= criterion.points:
                raise EssayError("points-out-of-range", question.id)
        return sum(mark.criteria, Decimal(0))
    if mark.points is None:
        raise EssayError("points-missing", question.id)
    if not Decimal(0) <= mark.points <= question.points:
        raise EssayError("points-out-of-range", question.id)
    return mark.points


def _percent(score: Decimal, maximum: Decimal) -> Decimal:
    if maximum <= 0:
        return Decimal("0.00")
    return (score / maximum * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade(
    session: Session,
    actor: Actor,
    attempt: QuizAttempt,
    marks: Mapping[str, Mark],
    now: datetime,
) -> QuizAttempt:
    """Grade every essay of a waiting attempt at once and decide pass or fail.

    `actor` has been checked with `service.may_grade`. EssayError("graded-already")
    if the attempt no longer waits (a second submit grades nothing), or
    "points-missing" / "points-out-of-range" naming the question."""
    if attempt.status != GRADING:
        raise EssayError("graded-already")
    answers = essays(attempt)
    points = {q.id: _points_of(q, marks.get(q.id)) for q, _text in answers}
    settings = stored_quiz_settings(attempt.version, attempt.unit_id)
    assert settings is not None
    score = (attempt.score or Decimal(0)) + sum(points.values(), Decimal(0))
    maximum = attempt.max_score or Decimal(0)
    percent = _percent(score, maximum)
    passed = maximum > 0 and percent >= settings.pass_mark
    done = session.execute(
        update(_ATTEMPTS)
        .where(_ATTEMPTS.c.id == attempt.id, _ATTEMPTS.c.status == GRADING)
        .values(status="submitted", score=score, percent=percent, passed=passed)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(attempt)
        raise EssayError("graded-already")
    session.refresh(attempt)
    feedback = {q.id: (marks[q.id].feedback or "").strip()[:MAX_FEEDBACK] for q, _t in answers}
    for question, _text in answers:
        mark = marks[question.id]
        session.add(
            EssayGrade(
                company_id=attempt.company_id,
                attempt_id=attempt.id,
                question_id=question.id,
                points=points[question.id],
                criteria=[str(c) for c in mark.criteria] if question.rubric else [],
                feedback=feedback[question.id],
                graded_at=now,
                graded_by_id=actor.user_id,
            )
        )
    graded_answers = {a.question_id: a for a in attempt.answers}
    for question, _text in answers:
        answer = graded_answers.get(question.id)
        if answer is not None:
            answer.score = points[question.id]
            answer.correct = points[question.id] >= question.points
    session.flush()
    enrollment = session.get(Enrollment, attempt.enrollment_id)
    assert enrollment is not None
    xapi.record_all(
        session,
        enrollment,
        now,
        [
            xapi.Event(
                "passed" if passed else "failed",
                unit=attempt.unit_id,
                result=xapi.score_result(score, maximum, success=passed),
            )
        ],
        version=attempt.version.number,
    )
    # An attempt of an earlier round (the module was renewed since) no longer counts.
    if passed and attempt.started_at >= enrollment.counts_from:
        learning.record_quiz_passed(session, enrollment, attempt.unit_id, now)
    item_stats.count_hand_in(
        session,
        attempt.version_id,
        attempt.unit_id,
        score,
        [(a.question_id, a.response, a.correct, a.score) for a in attempt.answers],
    )
    learner = session.get(User, attempt.user_id)
    assert learner is not None
    title = unit_title(attempt, attempt.version.language)
    audit.record(
        session,
        actor,
        "quiz.essays_grade",
        attempt.company_id,
        now,
        subject=f"{learner.display_name}: {title}",
        subject_id=attempt.id,
        changes={
            "essay_points": [None, "; ".join(f"{qid}: {p}" for qid, p in points.items())],
            "passed": [None, passed],
        },
    )
    notices.post_graded(
        session, learner, enrollment.course, attempt.unit_id, "passed" if passed else "failed", now
    )
    return attempt


def parse_marks(questions: Sequence[Question], form: Mapping[str, str]) -> dict[str, Mark]:
    """The marks a grading form sends (`p-<question>-<criterion>` per rubric criterion,
    `p-<question>` for an overall score, `f-<question>` the feedback); a field that is
    not a number is left out (and so reported missing by `grade`)."""
    marks: dict[str, Mark] = {}
    for question in questions:
        feedback = form.get(f"f-{question.id}", "")
        if question.rubric:
            given = [_number(form.get(f"p-{question.id}-{i}")) for i in range(len(question.rubric))]
            if all(g is not None for g in given):
                marks[question.id] = Mark(tuple(g for g in given if g is not None), None, feedback)
        else:
            number = _number(form.get(f"p-{question.id}"))
            if number is not None:
                marks[question.id] = Mark((), number, feedback)
    return marks


def _number(value: str | None) -> Decimal | None:
    if value is None or len(value) > 12:
        return None
    try:
        number = Decimal(value.strip().replace(",", "."))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None
