"""Item statistics of a knowledge check: how each question of one course version did.

For every question of a quiz unit, over the submitted attempts of that version
that contain it (a quiz may draw some of its questions):

- **attempts**: how many submitted attempts had the question;
- **facility**: the share of them that answered it correctly (all points);
- **discrimination**: the corrected point-biserial correlation between answering
  the question correctly (x: 1 or 0) and the attempt's score without this
  question's points (y = attempt score − item score). "Corrected" because the
  item's own points are taken out of the total: otherwise the item would partly
  correlate with itself. With n attempts and the sums Σx, Σy, Σxy, Σy² (Σx² = Σx,
  since x is 0 or 1)::

      r = (n·Σxy − Σx·Σy) / √((n·Σx − (Σx)²) · (n·Σy² − (Σy)²))

  which is Pearson's r written with sums. It is undefined (None) when everybody
  answered alike or every rest score is the same. Above about 0.3 the question
  separates those who know the topic from those who do not; near 0 it does not;
  below 0 those who did well overall got it wrong more often, which usually means
  a wrong answer key or a misleading wording;
- the most frequent **wrong answers**, in readable form (choice texts, typed text);
- for choice questions (single, multiple, true-false) how often each **choice** was
  picked;
- **flags**: too easy (facility above 0.9), too hard (below 0.3), negative
  discrimination.

Everything comes from one SQL aggregate over the answers of the version's
attempts, grouped by question, correctness and the response's JSON text, with
count, Σy and Σy² per group; Python then adds up the groups (one per distinct
response, not per attempt) and reads the responses. Figures are given only from
`MIN_ATTEMPTS` attempts of a question on; below that a question is `too_few`.
The result never holds a learner's name or id.

Answers given in spaced refreshers (`RefresherAnswer`, see services/refreshers.py)
count too: in attempts, facility, wrong answers and choices, and are shown as
`refresher_answers`. They have no attempt score to set the question against,
so discrimination comes from knowledge-check attempts alone (again from
`MIN_ATTEMPTS` of them on).

The aggregate reads every answer of the unit's attempts (400,000 rows for 10,000
attempts of 40 questions: about a second on SQLite, half a second on PostgreSQL on
a busy 2-core machine). `quiz_statistics` therefore keeps the groups per process
with the ids of the attempts and refresher answers they came from, under the
unit's revision (count, ids and last hand-in of its submitted attempts, count and
newest id of its refresher answers: one query on the indexes). While the revision
stays, a view costs that query; after a hand-in, only the new attempts' answers are
aggregated and added, since every sum is additive (bench/item_stats_bench.py).
"""

from __future__ import annotations

import enum
import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Float, String, Text, bindparam, cast, func, select
from sqlalchemy.orm import Session

from lms.content.grading import placed_items
from lms.content.spec import Question, QuestionType
from lms.content.stored import stored_questions
from lms.models import (
    AttemptAnswer,
    CourseVersion,
    QuizAttempt,
    Refresher,
    RefresherAnswer,
    User,
)
from lms.services.review import choice_index, typed_text

MIN_ATTEMPTS = 5
TOO_EASY_ABOVE = 0.9
TOO_HARD_BELOW = 0.3
WRONG_ANSWERS_SHOWN = 3

# The question types whose answers are picked from a fixed list.
CHOICE_TYPES = frozenset({QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE})


class Flag(enum.StrEnum):
    TOO_EASY = "too-easy"
    TOO_HARD = "too-hard"
    NEGATIVE_DISCRIMINATION = "negative-discrimination"


@dataclass(frozen=True)
class WrongAnswer:
    """A wrong answer and how many attempts gave it.

    `text` is readable: the chosen choices' Markdown joined by "; ", the typed text,
    "1: … ; 2: …" per gap, "left → right" per pair, the steps in the chosen order;
    "true" or "false" for true-false questions; "" for no answer at all.
    """

    text: str
    count: int


@dataclass(frozen=True)
class ChoiceCount:
    """How often one choice was picked. `text` is its Markdown ("true"/"false" for
    true-false questions); `share` is of the attempts that had the question."""

    index: int
    text: str
    correct: bool
    count: int
    share: float


@dataclass(frozen=True)
class ItemStats:
    """The figures of one question; all None or empty while `too_few`."""

    question: Question
    attempts: int  # knowledge-check attempts with the question, plus refresher answers
    too_few: bool
    refresher_answers: int = 0  # of `attempts`, answers given in refreshers
    facility: float | None = None
    discrimination: float | None = None
    wrong_answers: tuple[WrongAnswer, ...] = ()
    choices: tuple[ChoiceCount, ...] = ()
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class _Sums:
    """The sums of one question over its answers (x: correct, y: rest score).

    `n` and `x` count every answer; `quiz_n` and `quiz_x` those of knowledge-check
    attempts, the only ones with a rest score y."""

    n: int = 0
    x: int = 0
    quiz_n: int = 0
    quiz_x: int = 0
    y: float = 0.0
    xy: float = 0.0
    yy: float = 0.0


# Built once (building a statement costs more than running this one on a small quiz).
_REST_SCORE = cast(QuizAttempt.score - AttemptAnswer.score, Float)
_RESPONSE_TEXT = cast(AttemptAnswer.response, Text)
_GROUPS = (
    select(
        AttemptAnswer.question_id,
        AttemptAnswer.correct,
        _RESPONSE_TEXT,
        func.count(),
        func.sum(_REST_SCORE),
        func.sum(_REST_SCORE * _REST_SCORE),
    )
    .join(QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id)
    .where(
        QuizAttempt.version_id == bindparam("version_id"),
        QuizAttempt.unit_id == bindparam("unit_id"),
        QuizAttempt.status == "submitted",
    )
    .group_by(AttemptAnswer.question_id, AttemptAnswer.correct, _RESPONSE_TEXT)
)
_REFRESHER_RESPONSE_TEXT = cast(RefresherAnswer.response, Text)
_REFRESHER_ANSWERS = (
    RefresherAnswer.version_id == bindparam("version_id"),
    RefresherAnswer.unit_id == bindparam("unit_id"),
)
_REFRESHER_GROUPS = (
    select(
        RefresherAnswer.question_id,
        RefresherAnswer.correct,
        _REFRESHER_RESPONSE_TEXT,
        func.count(),
    )
    .where(*_REFRESHER_ANSWERS)
    .group_by(RefresherAnswer.question_id, RefresherAnswer.correct, _REFRESHER_RESPONSE_TEXT)
)
# The submitted attempts and the refresher answers of a unit, by id, and the groups
# of some of them only (those handed in since the statistics were kept).
# Each with a time, so that an id used again after a removal (SQLite may) is new;
# the time as the database writes it, which spares converting thousands of them.
_ATTEMPT_IDS = select(QuizAttempt.id, cast(QuizAttempt.submitted_at, String)).where(
    QuizAttempt.version_id == bindparam("version_id"),
    QuizAttempt.unit_id == bindparam("unit_id"),
    QuizAttempt.status == "submitted",
)
_REFRESHER_ANSWER_IDS = (
    select(RefresherAnswer.id, cast(Refresher.answered_at, String))
    .join(Refresher, Refresher.id == RefresherAnswer.refresher_id)
    .where(*_REFRESHER_ANSWERS)
)
# Those handed in lately: enough to find what is new, as the counts then prove.
_RECENT_ATTEMPT_IDS = _ATTEMPT_IDS.where(QuizAttempt.submitted_at >= bindparam("since"))
_RECENT_ANSWER_IDS = _REFRESHER_ANSWER_IDS.where(RefresherAnswer.id > bindparam("after_id"))
# How far back "lately" reaches: a hand-in is committed within seconds of its time
# and id; one committed later still is found by the full look-up.
_LATE_COMMIT = timedelta(minutes=10)
_LATE_IDS = 1_000
_GROUPS_OF = _GROUPS.where(QuizAttempt.id.in_(bindparam("ids", expanding=True)))
_REFRESHER_GROUPS_OF = _REFRESHER_GROUPS.where(
    RefresherAnswer.id.in_(bindparam("ids", expanding=True))
)
# Above this many new attempts and refresher answers, aggregating everything again
# is as quick as adding them up.
_MOST_ADDED = 2_000
# What changes whenever an attempt at the unit is handed in (or removed): the
# statistics are kept per process under it, so only the first view after a new
# attempt pays for the aggregate. Read from ix_quiz_attempts_statistics alone.
_REVISION = select(
    func.count(),
    func.max(QuizAttempt.id),
    func.sum(QuizAttempt.id),
    func.max(QuizAttempt.submitted_at),
    # Refresher answers: their ids are never used again (AUTOINCREMENT on SQLite, a
    # sequence on PostgreSQL), so their count and newest id tell every change.
    select(func.count()).where(*_REFRESHER_ANSWERS).scalar_subquery(),
    select(func.max(RefresherAnswer.id)).where(*_REFRESHER_ANSWERS).scalar_subquery(),
    # An erasure empties typed answers without changing any of the above: the
    # newest erasure makes everything be aggregated again, in every process.
    select(func.max(User.erased_at)).scalar_subquery(),
).where(
    QuizAttempt.version_id == bindparam("version_id"),
    QuizAttempt.unit_id == bindparam("unit_id"),
    QuizAttempt.status == "submitted",
)


class _Revision(NamedTuple):
    """What `_REVISION` reads, in its order."""

    attempts: int  # submitted attempts
    max_id: int | None
    sum_id: int | None
    last_at: datetime | None  # the newest hand-in
    answer_count: int  # refresher answers
    last_answer_id: int | None
    last_erasure: datetime | None


@dataclass(frozen=True)
class QuizStatistics:
    """The figures of a quiz unit of one version: its submitted attempts and its questions."""

    attempts: int
    items: tuple[ItemStats, ...]


# A group of answers: question id, correct, response JSON, count, Σy, Σy², and
# whether they come from knowledge-check attempts (True) or refreshers (False).
_Group = tuple[str, bool, str, int, float, float, bool]


# (question id, correct, response JSON, from a knowledge check) -> (count, Σy, Σy²)
_Groups = dict[tuple[str, bool, str, bool], tuple[int, float, float]]


# (id, when handed in) of submitted attempts, or of refresher answers.
_Handed = frozenset[tuple[int, Any]]


@dataclass(frozen=True)
class _Kept:
    """A unit's aggregate at one revision, and what was built from it per language.

    `attempt_ids` and `answer_ids` are the submitted attempts and refresher answers
    the groups were added up from; None when that is not known for sure (they
    changed while the aggregate ran): then the next change aggregates everything."""

    revision: _Revision
    groups: _Groups
    attempt_ids: _Handed | None
    answer_ids: _Handed | None
    by_language: dict[str, QuizStatistics]


# (version id, content hash, unit id) -> what is kept. The hash keeps ids reused by
# a rolled-back transaction (tests) apart, as in content/stored.py.
_CACHE: dict[tuple[int, str, str], _Kept] = {}
_CACHE_SIZE = 64


def forget_kept() -> None:
    """Drop what this process keeps (other processes see an erasure in the revision)."""
    _CACHE.clear()


def quiz_statistics(
    session: Session, version_id: int, unit_id: str, language: str | None = None
) -> QuizStatistics:
    """`item_statistics` with the number of submitted attempts, kept per process.

    While nothing changes, a view costs one small query (the revision). After a
    hand-in or a refresher answer, only the new attempts and answers are aggregated
    and added to the kept groups (the sums are additive); after a removal, or when
    that is not sure, everything is aggregated again.
    """
    version = session.get(CourseVersion, version_id)
    if version is None:
        return QuizStatistics(0, ())
    language = language or version.language
    params = {"version_id": version_id, "unit_id": unit_id}
    revision = _Revision(*session.execute(_REVISION, params).one())
    key = (version_id, version.content_hash, unit_id)
    kept = _CACHE.get(key)
    if kept is None or kept.revision != revision:
        kept = (kept and _added_to(session, params, kept, revision)) or _aggregated(
            session, params, revision
        )
        if key not in _CACHE and len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)), None)
        _CACHE[key] = kept
    statistics = kept.by_language.get(language)
    if statistics is None:
        questions = stored_questions(version, language, unit_id)
        groups = tuple(
            (question_id, correct, response, n, y, yy, from_quiz)
            for (question_id, correct, response, from_quiz), (n, y, yy) in kept.groups.items()
        )
        statistics = QuizStatistics(revision.attempts, tuple(_build(questions, groups)))
        kept.by_language[language] = statistics
    return statistics


def _ids(session: Session, params: dict[str, Any]) -> tuple[_Handed, _Handed]:
    return (
        frozenset((row_id, at) for row_id, at in session.execute(_ATTEMPT_IDS, params)),
        frozenset((row_id, at) for row_id, at in session.execute(_REFRESHER_ANSWER_IDS, params)),
    )


def _aggregated(session: Session, params: dict[str, Any], revision: _Revision) -> _Kept:
    """Everything aggregated. The ids are read before and after: when they are the
    same, the aggregate in between saw exactly those (attempts are only added or,
    rarely, removed), and later views may add to it."""
    before = _ids(session, params)
    groups: _Groups = {}
    _add(groups, _aggregate(session, params["version_id"], params["unit_id"]))
    after = _ids(session, params)
    attempts, answers = after if before == after else (None, None)
    return _Kept(revision, groups, attempts, answers, {})


def _added_to(
    session: Session, params: dict[str, Any], kept: _Kept, revision: _Revision
) -> _Kept | None:
    """`kept` with the attempts and refresher answers added since; None when something
    was removed, or too much is new, or what `kept` holds is not known for sure."""
    if (
        kept.attempt_ids is None
        or kept.answer_ids is None
        or kept.revision.last_erasure != revision.last_erasure
    ):
        return None  # not known for sure, or someone's answers were erased meanwhile
    attempts, answers = _recent(session, params, kept, revision) or _ids(session, params)
    if not (kept.attempt_ids <= attempts and kept.answer_ids <= answers):
        return None
    new_attempts, new_answers = attempts - kept.attempt_ids, answers - kept.answer_ids
    if len(new_attempts) + len(new_answers) > _MOST_ADDED:
        return None
    groups = dict(kept.groups)
    # Submitted attempts and refresher answers never change: adding exactly these
    # ids' answers is exact, whatever was handed in meanwhile.
    if new_attempts:
        ids = [attempt_id for attempt_id, _at in new_attempts]
        _add(groups, _attempt_groups(session, _GROUPS_OF, {**params, "ids": ids}))
    if new_answers:
        ids = [answer_id for answer_id, _at in new_answers]
        _add(groups, _refresher_groups(session, _REFRESHER_GROUPS_OF, {**params, "ids": ids}))
    return _Kept(revision, groups, attempts, answers, {})


def _recent(
    session: Session, params: dict[str, Any], kept: _Kept, revision: _Revision
) -> tuple[_Handed, _Handed] | None:
    """What is handed in now, as what `kept` holds plus what came lately, when the
    counts of the revision prove that nothing else changed (nothing removed, nothing
    committed late); None when they do not (then all ids are read)."""
    assert kept.attempt_ids is not None and kept.answer_ids is not None
    last_at, last_answer = kept.revision.last_at, kept.revision.last_answer_id
    recent_attempts: _Handed = frozenset()
    if last_at is not None:
        found = session.execute(_RECENT_ATTEMPT_IDS, {**params, "since": last_at - _LATE_COMMIT})
        recent_attempts = frozenset((row_id, at) for row_id, at in found)
    elif revision.attempts:
        return None
    found = session.execute(
        _RECENT_ANSWER_IDS, {**params, "after_id": (last_answer or 0) - _LATE_IDS}
    )
    recent_answers = frozenset((row_id, at) for row_id, at in found)
    attempts, answers = kept.attempt_ids | recent_attempts, kept.answer_ids | recent_answers
    if len(attempts) != revision.attempts or len(answers) != revision.answer_count:
        return None
    return attempts, answers


def _add(groups: _Groups, found: Iterable[_Group]) -> None:
    for question_id, correct, response, n, y, yy, from_quiz in found:
        key = (question_id, correct, response, from_quiz)
        before = groups.get(key, (0, 0.0, 0.0))
        groups[key] = (before[0] + n, before[1] + y, before[2] + yy)


def item_statistics(
    session: Session, version_id: int, unit_id: str, language: str | None = None
) -> list[ItemStats]:
    """The figures of every question of the quiz unit, in the unit's order.

    Texts (choices, questions) are those of `language`, or of the version's main
    language. Attempts in every language count: translations share question ids
    and choice order. An unknown version or a unit without questions gives [].
    """
    version = session.get(CourseVersion, version_id)
    if version is None:
        return []
    questions = stored_questions(version, language or version.language, unit_id)
    if not questions:
        return []
    return _build(questions, _aggregate(session, version_id, unit_id))


def _aggregate(session: Session, version_id: int, unit_id: str) -> tuple[_Group, ...]:
    params = {"version_id": version_id, "unit_id": unit_id}
    return (
        *_attempt_groups(session, _GROUPS, params),
        *_refresher_groups(session, _REFRESHER_GROUPS, params),
    )


def _attempt_groups(session: Session, statement: Any, params: dict[str, Any]) -> list[_Group]:
    return [
        (question_id, bool(correct), response, count, float(sum_y or 0), float(sum_yy or 0), True)
        for question_id, correct, response, count, sum_y, sum_yy in session.execute(
            statement, params
        )
    ]


def _refresher_groups(session: Session, statement: Any, params: dict[str, Any]) -> list[_Group]:
    return [
        (question_id, bool(correct), response, count, 0.0, 0.0, False)
        for question_id, correct, response, count in session.execute(statement, params)
    ]


def _build(questions: list[Question], groups: tuple[_Group, ...]) -> list[ItemStats]:
    """Add up the groups per question (the sums of the module's docstring)."""
    sums: dict[str, _Sums] = {}
    responses: dict[str, list[tuple[bool, str, int]]] = {}
    for question_id, correct, response, count, y, yy, from_quiz in groups:
        before = sums.get(question_id, _Sums())
        quiz_count = count if from_quiz else 0
        sums[question_id] = _Sums(
            n=before.n + count,
            x=before.x + (count if correct else 0),
            quiz_n=before.quiz_n + quiz_count,
            quiz_x=before.quiz_x + (quiz_count if correct else 0),
            y=before.y + y,
            xy=before.xy + (y if correct else 0.0),
            yy=before.yy + yy,
        )
        responses.setdefault(question_id, []).append((correct, response, count))
    return [
        _item(question, sums.get(question.id, _Sums()), responses.get(question.id, []))
        for question in questions
    ]


def point_biserial(
    n: int, sum_x: float, sum_y: float, sum_xy: float, sum_yy: float
) -> float | None:
    """Pearson's r of x (0 or 1, so Σx² = Σx) and y from their sums (see the module's
    docstring); None when x or y does not vary."""
    spread_x = n * sum_x - sum_x * sum_x
    spread_y = n * sum_yy - sum_y * sum_y
    # Rest scores that are all equal can leave float noise instead of 0.
    if spread_x <= 0 or spread_y <= 1e-9 * max(1.0, n * sum_yy):
        return None
    return (n * sum_xy - sum_x * sum_y) / math.sqrt(spread_x * spread_y)


def _item(question: Question, sums: _Sums, groups: list[tuple[bool, str, int]]) -> ItemStats:
    in_refreshers = sums.n - sums.quiz_n
    if sums.n < MIN_ATTEMPTS:
        return ItemStats(
            question=question, attempts=sums.n, too_few=True, refresher_answers=in_refreshers
        )
    facility = sums.x / sums.n
    discrimination = None
    if sums.quiz_n >= MIN_ATTEMPTS:
        discrimination = point_biserial(sums.quiz_n, sums.quiz_x, sums.y, sums.xy, sums.yy)
    if discrimination is not None:
        discrimination = round(discrimination, 3)
    flags = []
    if facility > TOO_EASY_ABOVE:
        flags.append(Flag.TOO_EASY)
    if facility < TOO_HARD_BELOW:
        flags.append(Flag.TOO_HARD)
    if discrimination is not None and discrimination < 0:
        flags.append(Flag.NEGATIVE_DISCRIMINATION)
    decoded = [(correct, _decode(response), count) for correct, response, count in groups]
    return ItemStats(
        question=question,
        attempts=sums.n,
        too_few=False,
        refresher_answers=in_refreshers,
        facility=facility,
        discrimination=discrimination,
        wrong_answers=_wrong_answers(
            question, ((fields, count) for correct, fields, count in decoded if not correct)
        ),
        choices=_choice_counts(question, sums.n, ((f, c) for _ok, f, c in decoded)),
        flags=tuple(flags),
    )


def _decode(response: str | None) -> dict[str, Any]:
    """The stored form fields of one answer ({} for none or anything unreadable)."""
    try:
        fields = json.loads(response) if response else {}
    except ValueError:
        return {}
    return fields if isinstance(fields, dict) else {}


def _readable(question: Question, fields: dict[str, Any]) -> str:
    """What the learner answered, as a trainer reads it ("" for no answer)."""
    name = f"q-{question.id}"
    kind = question.type
    if kind is QuestionType.SINGLE:
        index = choice_index(fields.get(name), len(question.choices))
        return question.choices[index].text if index is not None else ""
    if kind is QuestionType.MULTIPLE:
        return "; ".join(question.choices[i].text for i in _picked(question, fields))
    if kind is QuestionType.TRUE_FALSE:
        value = fields.get(name)
        return value if value in ("true", "false") else ""
    if kind in (QuestionType.NUMBER, QuestionType.TEXT):
        return typed_text(fields.get(name))
    if kind is QuestionType.CLOZE:
        parts = []
        for i, gap in enumerate(question.gaps):
            value = fields.get(f"{name}-{i}")
            if gap.is_choice:
                index = choice_index(value, len(gap.choices))
                parts.append(gap.choices[index].text if index is not None else "")
            else:
                parts.append(typed_text(value))
        if not any(parts):
            return ""
        return "; ".join(f"{i + 1}: {part or '–'}" for i, part in enumerate(parts))
    if kind is QuestionType.MATCHING:
        # The options as the page offered them (see importer._render_question).
        options = sorted([p.right for p in question.pairs] + list(question.distractors))
        chosen = [
            choice_index(fields.get(f"{name}-{i}"), len(options))
            for i in range(len(question.pairs))
        ]
        if all(i is None for i in chosen):
            return ""
        return "; ".join(
            f"{pair.left} → {options[i] if i is not None else '–'}"
            for pair, i in zip(question.pairs, chosen, strict=True)
        )
    if kind is QuestionType.ORDERING:
        items = sorted(question.items)  # as the page listed them
        slots = placed_items(items, fields, name)
        if not slots:
            return ""
        return " → ".join(slots.get(p, "–") for p in range(1, len(items) + 1))
    return ""


def _picked(question: Question, fields: dict[str, Any]) -> list[int]:
    """The choice indexes of a multiple-choice answer, each once, in authored order."""
    values = fields.get(f"q-{question.id}")
    if not isinstance(values, list):
        return []
    picked = {choice_index(v, len(question.choices)) for v in values}
    return sorted(i for i in picked if i is not None)


def _wrong_answers(
    question: Question, answers: Iterable[tuple[dict[str, Any], int]]
) -> tuple[WrongAnswer, ...]:
    """The most frequent wrong answers. Typed answers that differ only in case or
    spacing count as one, shown as most learners wrote it."""
    totals: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for fields, count in answers:
        text = _readable(question, fields)
        key = text.casefold()
        totals[key] += count
        spellings.setdefault(key, Counter())[text] += count
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return tuple(
        WrongAnswer(spellings[key].most_common(1)[0][0], count)
        for key, count in ranked[:WRONG_ANSWERS_SHOWN]
    )


def _choice_counts(
    question: Question, attempts: int, answers: Iterable[tuple[dict[str, Any], int]]
) -> tuple[ChoiceCount, ...]:
    if question.type not in CHOICE_TYPES:
        return ()
    name = f"q-{question.id}"
    if question.type is QuestionType.TRUE_FALSE:
        options = [("true", question.answer_bool is True), ("false", question.answer_bool is False)]
    else:
        options = [(choice.text, choice.correct) for choice in question.choices]
    counts = [0] * len(options)
    for fields, count in answers:
        if question.type is QuestionType.SINGLE:
            index = choice_index(fields.get(name), len(options))
            picked = [index] if index is not None else []
        elif question.type is QuestionType.MULTIPLE:
            picked = _picked(question, fields)
        else:
            value = fields.get(name)
            picked = [0] if value == "true" else [1] if value == "false" else []
        for index in picked:
            counts[index] += count
    return tuple(
        ChoiceCount(i, text, correct, counts[i], counts[i] / attempts)
        for i, (text, correct) in enumerate(options)
    )
