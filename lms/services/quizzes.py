"""Quiz attempts: start (draw and shuffle), save page by page, submit once, grade.

Grading happens only here, on the server, with the pure graders of
`lms.content.grading` and the answer keys stored with the attempt's version.
Submitting is a conditional update from "open" to "submitted": of two submits
(two tabs, a replayed request, a double click) exactly one grades.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lms.content.grading import QuizResult, grade_quiz
from lms.content.spec import Question, QuestionType
from lms.content.stored import stored_questions, stored_quiz_settings
from lms.models import AttemptAnswer, Enrollment, QuizAttempt
from lms.services import learning, xapi

PAGE_SIZE = 5
MAX_FIELD_LENGTH = 500


def public_questions(attempt: QuizAttempt) -> dict[str, dict[str, Any]]:
    """The questions as learners see them (no answers), by id, in the attempt's language."""
    units = learning.rendered_units(attempt.version, attempt.language)
    unit = next(u for u in units if u["id"] == attempt.unit_id)
    return {q["id"]: q for q in unit["questions"]}


def round_attempts(session: Session, enrollment: Enrollment, unit_id: str) -> list[QuizAttempt]:
    """The attempts of the current round (after a requalification, earlier ones do not count)."""
    return list(
        session.scalars(
            select(QuizAttempt)
            .where(
                QuizAttempt.enrollment_id == enrollment.id,
                QuizAttempt.unit_id == unit_id,
                QuizAttempt.started_at >= enrollment.counts_from,
            )
            .order_by(QuizAttempt.number)
        )
    )


def attempts_left(
    session: Session,
    enrollment: Enrollment,
    unit_id: str,
    attempts: Sequence[QuizAttempt] | None = None,
) -> int | None:
    """How many attempts the learner may still start; None for unlimited.

    `attempts` are the round's attempts if the caller has them already."""
    settings = stored_quiz_settings(enrollment.version, unit_id)
    if settings is None or not settings.max_attempts:
        return None
    if attempts is None:
        attempts = round_attempts(session, enrollment, unit_id)
    used = sum(1 for a in attempts if a.status == "submitted")
    return max(settings.max_attempts - used, 0)


def start_attempt(
    session: Session,
    enrollment: Enrollment,
    unit_id: str,
    language: str,
    now: datetime,
    rng: random.Random | None = None,
) -> QuizAttempt:
    """The open attempt, or a new one on the learner's version (drawn and shuffled)."""
    settings = stored_quiz_settings(enrollment.version, unit_id)
    if settings is None:
        raise learning.LearningError("not-a-quiz")
    for attempt in round_attempts(session, enrollment, unit_id):
        if attempt.status == "open":
            return attempt
    if attempts_left(session, enrollment, unit_id) == 0:
        raise learning.LearningError("no-attempts-left")
    rng = rng or random.SystemRandom()
    questions = stored_questions(enrollment.version, language, unit_id)
    chosen = list(questions)
    if settings.draw and settings.draw < len(chosen):
        picked = set(rng.sample([q.id for q in chosen], settings.draw))
        chosen = [q for q in chosen if q.id in picked]
    if settings.shuffle:
        rng.shuffle(chosen)
    layout = [_layout(question, settings.shuffle, rng) for question in chosen]
    number = (
        session.scalar(
            select(func.max(QuizAttempt.number)).where(
                QuizAttempt.enrollment_id == enrollment.id, QuizAttempt.unit_id == unit_id
            )
        )
        or 0
    ) + 1
    attempt = QuizAttempt(
        company_id=enrollment.company_id,
        user_id=enrollment.user_id,
        enrollment_id=enrollment.id,
        version_id=enrollment.version_id,
        unit_id=unit_id,
        language=language,
        number=number,
        status="open",
        layout=layout,
        responses={},
        started_at=now,
    )
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:
        # Another request started the same attempt a moment ago: use that one.
        existing = next(
            (a for a in round_attempts(session, enrollment, unit_id) if a.status == "open"), None
        )
        if existing is None:
            raise
        return existing
    return attempt


def _layout(question: Question, shuffle: bool, rng: random.Random) -> dict[str, Any]:
    """The order in which this attempt shows the question's parts."""
    entry: dict[str, Any] = {"id": question.id}
    if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        order = list(range(len(question.choices)))
        if shuffle:
            rng.shuffle(order)
        entry["choices"] = order
    elif question.type is QuestionType.MATCHING:
        order = list(range(len(question.pairs) + len(question.distractors)))
        rng.shuffle(order)
        entry["right"] = order
    elif question.type is QuestionType.ORDERING:
        order = list(range(len(question.items)))
        rng.shuffle(order)
        entry["items"] = order
    return entry


def page_count(attempt: QuizAttempt) -> int:
    return max(1, math.ceil(len(attempt.layout) / PAGE_SIZE))


def page_entries(attempt: QuizAttempt, page: int) -> list[dict[str, Any]]:
    return attempt.layout[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]


def field_names(question: dict[str, Any]) -> list[str]:
    """The form fields a question uses (see templates/macros/questions.html)."""
    name = f"q-{question['id']}"
    if question["type"] == "cloze":
        return [f"{name}-{i}" for i in range(len(question["gaps"]))]
    if question["type"] == "matching":
        return [f"{name}-{i}" for i in range(len(question["left"]))]
    if question["type"] == "ordering":
        return [f"{name}-{i}" for i in range(len(question["items"]))]
    return [name]


def page_responses(
    attempt: QuizAttempt, page: int, form: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """The attempt's responses with what the learner entered on one page."""
    return {**attempt.responses, **_page_entered(attempt, page, form)}


def _page_entered(
    attempt: QuizAttempt, page: int, form: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """What the learner entered on one page, by question id."""
    public = public_questions(attempt)
    entered: dict[str, Any] = {}
    for entry in page_entries(attempt, page):
        question = public[entry["id"]]
        saved: dict[str, Any] = {}
        for field in field_names(question):
            values = [v[:MAX_FIELD_LENGTH] for v in form.get(field, []) if isinstance(v, str)]
            if question["type"] == "multiple":
                saved[field] = values[:50]
            elif values and values[0].strip():
                saved[field] = values[0]
        entered[entry["id"]] = saved
    return entered


def save_page(
    session: Session, attempt: QuizAttempt, page: int, form: Mapping[str, Sequence[str]]
) -> bool:
    """Keep what the learner entered on one page; False if the attempt is already submitted."""
    if attempt.status != "open":
        return False
    attempt.responses = page_responses(attempt, page, form)
    session.flush()
    return True


# The conditional update that hands an attempt in with its last responses and its
# grade, in one statement: of two submits exactly one finds it open. Built once, on
# the table (the ORM's bulk update would only add work): on SQLite it runs while the
# request holds the write lock (issue 4).
_ATTEMPTS = cast(Table, QuizAttempt.__table__)
_HAND_IN = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"), _ATTEMPTS.c.status == "open")
    .values(
        status="submitted",
        submitted_at=bindparam("now", type_=_ATTEMPTS.c.submitted_at.type),
        responses=bindparam("new_responses", type_=_ATTEMPTS.c.responses.type),
        score=bindparam("new_score", type_=_ATTEMPTS.c.score.type),
        max_score=bindparam("new_max_score", type_=_ATTEMPTS.c.max_score.type),
        percent=bindparam("new_percent", type_=_ATTEMPTS.c.percent.type),
        passed=bindparam("new_passed", type_=_ATTEMPTS.c.passed.type),
    )
)


# One INSERT for all answers: added one by one, each would be its own INSERT ...
# RETURNING (SQLite cannot match several returned ids to rows). The table, not the
# entity, and built once: it runs while the request holds SQLite's write lock.
_INSERT_ANSWERS = insert(cast(Table, AttemptAnswer.__table__))


@dataclass(frozen=True)
class Grading:
    """An attempt graded as it would be handed in: its saved responses and the last
    page's, and the grade of both (`grade`)."""

    saved: dict[str, Any]
    last_page: dict[str, Any]
    responses: dict[str, Any]
    result: QuizResult


def grade(attempt: QuizAttempt, page: int, form: Mapping[str, Sequence[str]]) -> Grading:
    """Grade the attempt with its saved responses and what `form` enters on `page`.

    Reads and writes nothing, so it may run before the hand-in's transaction."""
    return _graded(attempt, attempt.responses, _page_entered(attempt, page, form))


def _graded(
    attempt: QuizAttempt, saved: Mapping[str, Any], last_page: Mapping[str, Any]
) -> Grading:
    final = {**saved, **last_page}
    settings = stored_quiz_settings(attempt.version, attempt.unit_id)
    assert settings is not None
    keys = {q.id: q for q in stored_questions(attempt.version, attempt.language, attempt.unit_id)}
    public = public_questions(attempt)
    drawn = [keys[entry["id"]] for entry in attempt.layout]
    result = grade_quiz(
        drawn,
        {q.id: response_from_fields(q, public[q.id], final.get(q.id, {})) for q in drawn},
        settings.pass_mark,
    )
    return Grading(dict(saved), dict(last_page), final, result)


# Whether the attempt is still open, with its saved responses and what the hand-in
# reads of the enrolment, as they are now: read in the hand-in's transaction (on
# SQLite inside the write lock, on PostgreSQL locking the attempt's row).
_ENROLLMENTS = cast(Table, Enrollment.__table__)
_OPEN_STATE = (
    select(
        _ATTEMPTS.c.status,
        _ATTEMPTS.c.responses,
        _ENROLLMENTS.c.version_id,
        _ENROLLMENTS.c.counts_from,
        _ENROLLMENTS.c.completed_at,
    )
    .join(_ENROLLMENTS, _ENROLLMENTS.c.id == _ATTEMPTS.c.enrollment_id)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .with_for_update(of=_ATTEMPTS)
)


def submit(
    session: Session,
    attempt: QuizAttempt,
    now: datetime,
    grading: Grading | None = None,
) -> bool:
    """Hand the attempt in and store its grade, once. False if it had been submitted
    already (nothing changes).

    `grading` is the attempt graded with its last page (`grade`), possibly before
    this transaction; it is used if the saved responses are still those it graded,
    else the current ones are graded with its last page. Without it the saved
    responses are graded.
    """
    state = session.execute(_OPEN_STATE, {"attempt_id": attempt.id}).one()
    if state.status != "open":
        session.refresh(attempt)
        return False
    enrollment = session.get(Enrollment, attempt.enrollment_id)
    assert enrollment is not None
    if (enrollment.version_id, enrollment.counts_from, enrollment.completed_at) != tuple(state[2:]):
        session.refresh(enrollment)  # changed since the caller read it
    if grading is None or grading.saved != state.responses:
        grading = _graded(attempt, state.responses, grading.last_page if grading else {})
    final, graded = grading.responses, grading.result
    drawn = [entry["id"] for entry in attempt.layout]
    handed_in = session.execute(
        _HAND_IN,
        {
            "attempt_id": attempt.id,
            "now": now,
            "new_responses": final,
            "new_score": graded.score,
            "new_max_score": graded.max,
            "new_percent": graded.percent,
            "new_passed": graded.passed,
        },
    )
    if handed_in.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(attempt)
        return False
    # The object as stored now, without writing it again or reading it back.
    for name, value in (
        ("status", "submitted"),
        ("submitted_at", now),
        ("responses", final),
        ("score", graded.score),
        ("max_score", graded.max),
        ("percent", graded.percent),
        ("passed", graded.passed),
    ):
        set_committed_value(attempt, name, value)
    session.execute(
        _INSERT_ANSWERS,
        [
            {
                "attempt_id": attempt.id,
                "question_id": question_id,
                "position": position,
                "response": final.get(question_id, {}),
                "score": graded.results[question_id].score,
                "max_score": graded.results[question_id].max,
                "correct": graded.results[question_id].correct,
                "answered": graded.results[question_id].answered,
            }
            for position, question_id in enumerate(drawn)
        ],
    )
    answered = [
        xapi.Event(
            "answered",
            unit=attempt.unit_id,
            question=question_id,
            result=xapi.score_result(
                graded.results[question_id].score,
                graded.results[question_id].max,
                success=graded.results[question_id].correct,
            ),
        )
        for question_id in drawn
    ]
    verdict = xapi.Event(
        "passed" if graded.passed else "failed",
        unit=attempt.unit_id,
        result=xapi.score_result(graded.score, graded.max, success=graded.passed),
    )
    xapi.record_all(session, enrollment, now, [*answered, verdict], version=attempt.version.number)
    session.flush()
    if graded.passed:
        learning.record_quiz_passed(session, enrollment, attempt.unit_id, now)
    return True


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def response_from_fields(
    question: Question, public: dict[str, Any], fields: Mapping[str, Any]
) -> object:
    """Turn saved form fields into the response format of the question's grader."""
    name = f"q-{question.id}"
    kind = question.type
    if kind is QuestionType.SINGLE:
        return _int(fields.get(name))
    if kind is QuestionType.MULTIPLE:
        values = fields.get(name) or []
        return frozenset(i for i in (_int(v) for v in values) if i is not None)
    if kind is QuestionType.TRUE_FALSE:
        return {"true": True, "false": False}.get(str(fields.get(name)))
    if kind in (QuestionType.NUMBER, QuestionType.TEXT):
        value = fields.get(name)
        return value if isinstance(value, str) else None
    if kind is QuestionType.CLOZE:
        gaps: list[int | str | None] = []
        for index, gap in enumerate(question.gaps):
            value = fields.get(f"{name}-{index}")
            gaps.append(_int(value) if gap.is_choice else value if isinstance(value, str) else None)
        return tuple(gaps)
    if kind is QuestionType.MATCHING:
        options: list[str] = public["right"]
        chosen = [_int(fields.get(f"{name}-{i}")) for i in range(len(question.pairs))]
        return tuple(
            options[i] if i is not None and 0 <= i < len(options) else None for i in chosen
        )
    if kind is QuestionType.ORDERING:
        items: list[str] = public["items"]
        slots: dict[int, str] = {}
        for index, item in enumerate(items):
            position = _int(fields.get(f"{name}-{index}"))
            if position is not None and position not in slots:
                slots[position] = item
        return tuple(slots.get(p, "") for p in range(1, len(items) + 1))
    return None
