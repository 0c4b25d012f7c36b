"""Quiz attempts: start (draw and shuffle), save page by page, submit once, grade.

Grading happens only here, on the server, with the pure graders of
`lms.content.grading` and the answer keys stored with the attempt's version.
Submitting is a conditional update from "open" to "submitted": of two submits
(two tabs, a replayed request, a double click) exactly one grades.

Every page of an attempt carries the attempt's sequence number as it was shown;
saving a page and handing in are conditional updates on that number, which they
raise. A page shown before another save (a second window, an old tab) is refused
(`AttemptChanged`) instead of overwriting the newer answers. What a page sends
after the learner's session has ended is kept with the attempt (`keep_page`) and
saved when they log in again (`save_kept_pages`), on the same condition.
"""

from __future__ import annotations

import enum
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

from lms.content.grading import GRADERS, QuizResult, grade_quiz, word_count
from lms.content.spec import Question, QuestionType
from lms.content.stored import stored_questions, stored_quiz_settings
from lms.models import (
    AttemptAnswer,
    Completion,
    Enrollment,
    LearningPath,
    PathEnrollment,
    QuizAttempt,
    User,
)
from lms.services import item_stats, learning, paths, xapi
from lms.services.review import plain_text
from lms.templating import GAP_MARK

PAGE_SIZE = 5
MAX_FIELD_LENGTH = 500
MAX_ESSAY_LENGTH = 10_000  # an essay answer's characters (a few pages)

# The statements that save and hand in are built once, on the table.
_ATTEMPTS = cast(Table, QuizAttempt.__table__)


class AttemptChanged(Exception):
    """The page was shown before the attempt's latest save (another window saved a
    page since): nothing was changed."""


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
    used = sum(1 for a in attempts if a.status != "open")  # "grading" counts as used
    return max(settings.max_attempts - used, 0)


def units_waiting_for_grading(session: Session, enrollment: Enrollment) -> set[str]:
    """The knowledge checks of the enrolment's round whose essays wait for a trainer."""
    return set(
        session.scalars(
            select(QuizAttempt.unit_id).where(
                QuizAttempt.enrollment_id == enrollment.id,
                QuizAttempt.status == "grading",
                QuizAttempt.started_at >= enrollment.counts_from,
            )
        )
    )


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
        if attempt.status == "grading":  # its essays wait for a trainer
            raise learning.LearningError("awaiting-grading")
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


def page_entered(
    attempt: QuizAttempt, page: int, form: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """What the learner entered on one page, by question id, as a save stores it."""
    public = public_questions(attempt)
    entered: dict[str, Any] = {}
    for entry in page_entries(attempt, page):
        question = public[entry["id"]]
        saved: dict[str, Any] = {}
        for field in field_names(question):
            limit = MAX_ESSAY_LENGTH if question["type"] == "essay" else MAX_FIELD_LENGTH
            values = [v[:limit] for v in form.get(field, []) if isinstance(v, str)]
            if question["type"] == "multiple":
                saved[field] = values[:50]
            elif values and values[0].strip():
                saved[field] = values[0]
        entered[entry["id"]] = saved
    return entered


class AnswerState(enum.StrEnum):
    """How much of a question a saved answer fills in."""

    ANSWERED = "answered"
    PARTLY = "partly"  # some gaps, items to match or steps left open
    UNANSWERED = "unanswered"


@dataclass(frozen=True)
class QuestionOverview:
    """A question of an open attempt as the summary before handing in lists it."""

    number: int  # as the attempt's pages number it, from 1
    page: int
    question_id: str
    prompt: str  # the question's text, plain, a gap written as "…"
    state: AnswerState


def overview(attempt: QuizAttempt) -> list[QuestionOverview]:
    """Every question of the attempt in its order, with its page and how much of it the
    saved answers fill in (what a hand-in would grade)."""
    public = public_questions(attempt)
    rows = []
    for index, entry in enumerate(attempt.layout):
        question = public[entry["id"]]
        saved = attempt.responses.get(entry["id"], {})
        names = field_names(question)
        filled = sum(1 for name in names if saved.get(name))
        if filled == len(names):
            state = AnswerState.ANSWERED
        else:
            state = AnswerState.PARTLY if filled else AnswerState.UNANSWERED
        prompt = plain_text(GAP_MARK.sub(" … ", str(question.get("prompt_html", ""))))
        rows.append(QuestionOverview(index + 1, index // PAGE_SIZE + 1, entry["id"], prompt, state))
    return rows


def unsaved_pages(attempt: QuizAttempt) -> list[int]:
    """The pages whose answers were sent after the session had ended and are not saved
    yet (`kept_page`), in order."""
    return sorted(int(number) for number in attempt.kept_pages or {})


# The attempt, if it is still open at the sequence number the page was shown with.
_OPEN_AT_SEEN = (
    _ATTEMPTS.c.id == bindparam("attempt_id"),
    _ATTEMPTS.c.status == "open",
    _ATTEMPTS.c.sequence == bindparam("seen"),
)

# Saving a page: the responses and the kept pages as the caller computed them from the
# attempt at `seen`, and the sequence raised; only if the attempt is still open at `seen`.
_SAVE_PAGE = (
    update(_ATTEMPTS)
    .where(*_OPEN_AT_SEEN)
    .values(
        responses=bindparam("new_responses", type_=_ATTEMPTS.c.responses.type),
        kept_pages=bindparam("new_kept_pages", type_=_ATTEMPTS.c.kept_pages.type),
        sequence=_ATTEMPTS.c.sequence + 1,
    )
)


def save_page(
    session: Session,
    attempt: QuizAttempt,
    page: int,
    form: Mapping[str, Sequence[str]],
    seen: int | None = None,
    *,
    settles_kept: bool = False,
) -> bool:
    """Keep what the learner entered on one page; False if the attempt is already submitted.

    `seen` is the sequence number the page was shown with (None: the attempt's as
    loaded). `AttemptChanged` if the attempt was saved after that: nothing changes.
    `settles_kept`: the page showed what was kept of it (`kept_page`), which is
    dropped now; a page that did not show it (another window) leaves it kept.
    """
    if attempt.status != "open":
        return False
    if seen is not None and seen != attempt.sequence:
        raise AttemptChanged
    entered = page_entered(attempt, page, form)
    kept = _without_page(attempt.kept_pages, page) if settles_kept else attempt.kept_pages
    return _store(session, attempt, entered, kept)


def _without_page(kept: Mapping[str, Any] | None, page: int) -> dict[str, Any] | None:
    rest = {number: entry for number, entry in (kept or {}).items() if number != str(page)}
    return rest or None


def _store(
    session: Session,
    attempt: QuizAttempt,
    entered: Mapping[str, Any],
    kept: dict[str, Any] | None,
) -> bool:
    """Save `entered` (by question id) over the responses of `attempt` as loaded, if it
    is still open at its loaded sequence number; False if it was handed in meanwhile,
    `AttemptChanged` if it was saved meanwhile."""
    responses = {**attempt.responses, **entered}
    saved = session.execute(
        _SAVE_PAGE,
        {
            "attempt_id": attempt.id,
            "seen": attempt.sequence,
            "new_responses": responses,
            "new_kept_pages": kept,
        },
    )
    if saved.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(attempt)
        if attempt.status != "open":
            return False
        raise AttemptChanged
    for name, value in (
        ("responses", responses),
        ("kept_pages", kept),
        ("sequence", attempt.sequence + 1),
    ):
        set_committed_value(attempt, name, value)
    return True


def keep_page(
    session: Session,
    attempt: QuizAttempt,
    page: int,
    form: Mapping[str, Sequence[str]],
    seen: int,
) -> bool:
    """Keep what was sent from `page` (shown at sequence `seen`) after the learner's
    session had ended, until they log in again; False if the attempt is no longer open.

    The caller has checked that the page was this attempt's (its signed key) and
    holds the attempt's row. Nothing of the responses changes here.
    """
    if attempt.status != "open" or not 1 <= page <= page_count(attempt):
        return False
    kept = dict(attempt.kept_pages or {})
    kept.pop(str(page), None)  # the latest sending of a page comes last
    kept[str(page)] = {"sequence": seen, "fields": page_entered(attempt, page, form)}
    attempt.kept_pages = kept
    session.flush()
    return True


def kept_page(attempt: QuizAttempt, page: int) -> dict[str, Any] | None:
    """What was kept of `page` after a session had ended and not saved yet:
    `{"sequence": shown at, "fields": by question id}`, or None."""
    entry: dict[str, Any] | None = (attempt.kept_pages or {}).get(str(page))
    return entry


# The open attempts of a learner that hold pages kept while they were logged out,
# locked until the login's commit.
_WITH_KEPT_PAGES = (
    select(QuizAttempt)
    .where(
        QuizAttempt.user_id == bindparam("user_id"),
        QuizAttempt.status == "open",
        QuizAttempt.kept_pages.is_not(None),
    )
    .order_by(QuizAttempt.id)
    .with_for_update()
)


def save_kept_pages(session: Session, user_id: int) -> list[QuizAttempt]:
    """Save the pages kept for the learner's open attempts while they were logged out,
    each only if no other save came after the page was shown (in the order they were
    sent); the others stay kept and are shown on their page. Returns the attempts
    into which something was saved."""
    changed: list[QuizAttempt] = []
    for attempt in session.scalars(_WITH_KEPT_PAGES, {"user_id": user_id}):
        saved = False
        for number, entry in list((attempt.kept_pages or {}).items()):
            if entry.get("sequence") != attempt.sequence:
                continue
            rest = _without_page(attempt.kept_pages, int(number))
            try:
                saved = _store(session, attempt, entry.get("fields") or {}, rest) or saved
            except AttemptChanged:
                break
        if saved:
            changed.append(attempt)
    return changed


# The conditional update that hands an attempt in with its last responses and its
# grade, in one statement: of two submits exactly one finds it open. Built once, on
# the table (the ORM's bulk update would only add work): on SQLite it runs while the
# request holds the write lock (issue 4). Only at the sequence number the hand-in
# graded: a page shown before another save does not hand in over it.
_HAND_IN = (
    update(_ATTEMPTS)
    .where(*_OPEN_AT_SEEN)
    .values(
        sequence=_ATTEMPTS.c.sequence + 1,
        kept_pages=None,
        status=bindparam("new_status", type_=_ATTEMPTS.c.status.type),
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
class EssayLength:
    """An essay answer outside its question's word limits (a hand-in is refused)."""

    number: int  # as the attempt's pages number it, from 1
    page: int
    question_id: str
    words: int
    min_words: int | None
    max_words: int | None


def _essay_lengths(drawn: Sequence[Question], final: Mapping[str, Any]) -> tuple[EssayLength, ...]:
    """The essay answers of `drawn` (in the attempt's order) that are written but shorter
    or longer than their question allows; an empty one is only not answered."""
    found = []
    for index, question in enumerate(drawn):
        if question.type is not QuestionType.ESSAY:
            continue
        text = final.get(question.id, {}).get(f"q-{question.id}")
        words = word_count(text) if isinstance(text, str) else 0
        low, high = question.min_words, question.max_words
        if words and ((low and words < low) or (high and words > high)):
            found.append(
                EssayLength(index + 1, index // PAGE_SIZE + 1, question.id, words, low, high)
            )
    return tuple(found)


@dataclass(frozen=True)
class Grading:
    """An attempt graded as it would be handed in: its saved responses (at sequence
    number `sequence`) and the last page's, and the grade of both (`grade`)."""

    saved: dict[str, Any]
    last_page: dict[str, Any]
    responses: dict[str, Any]
    result: QuizResult
    sequence: int
    # Essay questions were drawn: the attempt waits for a trainer ("grading").
    waiting: bool = False
    # Essay answers outside their word limits: the attempt is not handed in.
    lengths: tuple[EssayLength, ...] = ()


def grade(attempt: QuizAttempt, page: int | None, form: Mapping[str, Sequence[str]]) -> Grading:
    """Grade the attempt with its saved responses and what `form` enters on `page`
    (None: handed in from the summary, which sends no answers: the saved ones count).

    Reads and writes nothing, so it may run before the hand-in's transaction."""
    entered = page_entered(attempt, page, form) if page is not None else {}
    return _graded(attempt, attempt.responses, entered, attempt.sequence)


def _graded(
    attempt: QuizAttempt, saved: Mapping[str, Any], last_page: Mapping[str, Any], sequence: int
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
    # An essay written waits for a trainer; essays all left blank earn nothing at once.
    waiting = any(q.type is QuestionType.ESSAY and result.results[q.id].answered for q in drawn)
    lengths = _essay_lengths(drawn, final) if waiting else ()
    return Grading(dict(saved), dict(last_page), final, result, sequence, waiting, lengths)


# Whether the attempt is still open, with its saved responses and what the hand-in
# reads of the enrolment, as they are now: read in the hand-in's transaction (on
# SQLite inside the write lock, on PostgreSQL locking the attempt's row).
_ENROLLMENTS = cast(Table, Enrollment.__table__)
_OPEN_STATE = (
    select(
        _ATTEMPTS.c.status,
        _ATTEMPTS.c.responses,
        _ATTEMPTS.c.sequence,
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
    this transaction. If the attempt was saved after the sequence number it graded
    (the last page was shown before another window saved), nothing changes and
    `AttemptChanged` is raised. Its grade is used if the saved responses are still
    those it graded, else the current ones are graded with its last page. Without it
    the saved responses are graded.
    """
    state = session.execute(_OPEN_STATE, {"attempt_id": attempt.id}).one()
    if state.status != "open":
        session.refresh(attempt)
        return False
    if grading is not None and grading.sequence != state.sequence:
        session.refresh(attempt)
        raise AttemptChanged
    enrollment = session.get(Enrollment, attempt.enrollment_id)
    assert enrollment is not None
    read = (state.version_id, state.counts_from, state.completed_at)
    if (enrollment.version_id, enrollment.counts_from, enrollment.completed_at) != read:
        session.refresh(enrollment)  # changed since the caller read it
    if grading is None or grading.saved != state.responses:
        last_page = grading.last_page if grading else {}
        grading = _graded(attempt, state.responses, last_page, state.sequence)
    final, graded = grading.responses, grading.result
    drawn = [entry["id"] for entry in attempt.layout]
    # With essays, pass or fail waits for the trainer (lms/grading/essays.py).
    status = "grading" if grading.waiting else "submitted"
    percent, passed = (None, None) if grading.waiting else (graded.percent, graded.passed)
    handed_in = session.execute(
        _HAND_IN,
        {
            "attempt_id": attempt.id,
            "seen": state.sequence,
            "now": now,
            "new_responses": final,
            "new_score": graded.score,
            "new_max_score": graded.max,
            "new_status": status,
            "new_percent": percent,
            "new_passed": passed,
        },
    )
    if handed_in.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(attempt)
        if attempt.status == "open":
            raise AttemptChanged
        return False
    # The object as stored now, without writing it again or reading it back.
    for name, value in (
        ("sequence", state.sequence + 1),
        ("kept_pages", None),
        ("status", status),
        ("submitted_at", now),
        ("responses", final),
        ("score", graded.score),
        ("max_score", graded.max),
        ("percent", percent),
        ("passed", passed),
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
    if grading.waiting:
        # Verdict, completion and statistics once the trainer has graded the essays.
        xapi.record_all(session, enrollment, now, answered, version=attempt.version.number)
        session.flush()
        return True
    verdict = xapi.Event(
        "passed" if graded.passed else "failed",
        unit=attempt.unit_id,
        result=xapi.score_result(graded.score, graded.max, success=graded.passed),
    )
    xapi.record_all(session, enrollment, now, [*answered, verdict], version=attempt.version.number)
    session.flush()
    if graded.passed:
        learning.record_quiz_passed(session, enrollment, attempt.unit_id, now)
    # Last: every hand-in of the quiz adds to the same rows, which stay locked until
    # the commit (on PostgreSQL; SQLite's write lock is held anyway).
    item_stats.count_hand_in(
        session,
        attempt.version_id,
        attempt.unit_id,
        graded.score,
        [
            (
                question_id,
                final.get(question_id, {}),
                graded.results[question_id].correct,
                graded.results[question_id].score,
            )
            for question_id in drawn
        ],
    )
    return True


def response_from_fields(
    question: Question, public: dict[str, Any], fields: Mapping[str, Any]
) -> object:
    """Turn saved form fields into the response format of the question's grader."""
    return GRADERS[question.type].response_from_fields(question, public, fields)


@dataclass(frozen=True)
class AfterPassing:
    """What comes next for a learner who passed a knowledge check: the module's next
    unit, or (the module complete) its certificate and the next module of a learning
    path they follow."""

    next_unit: dict[str, Any] | None  # as the learner's units give it; None: module complete
    completion: Completion | None = None  # the module's certificate, once complete
    path: LearningPath | None = None  # a path the learner follows with this module
    path_step: paths.StepState | None = None  # … and the module to take next on it


# The learner's latest certificate of an enrolment (not revoked).
_LATEST_COMPLETION = (
    select(Completion)
    .where(
        Completion.enrollment_id == bindparam("enrollment_id"),
        Completion.revoked_at.is_(None),
    )
    .order_by(Completion.completed_at.desc(), Completion.id.desc())
    .limit(1)
)


def after_passing(
    session: Session, enrollment: Enrollment, user: User, language: str
) -> AfterPassing:
    """What comes next for `user` after passing a knowledge check of `enrollment` (titles
    in `language` where the module has it)."""
    progress = learning.course_progress(session, enrollment, language)
    if not progress.complete:
        return AfterPassing(progress.next_unit)
    completion = session.scalar(_LATEST_COMPLETION, {"enrollment_id": enrollment.id})
    followed = session.scalars(
        select(LearningPath)
        .join(PathEnrollment, PathEnrollment.path_id == LearningPath.id)
        .where(PathEnrollment.user_id == user.id)
        .order_by(LearningPath.title)
    ).all()
    slug = enrollment.course.slug
    with_module = [p for p in followed if any(step["course"] == slug for step in p.steps)]
    for state in paths.path_states(session, user, with_module, language):
        if state.next_step is not None:
            return AfterPassing(None, completion, state.path, state.next_step)
    return AfterPassing(None, completion)
