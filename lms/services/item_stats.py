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

Everything comes from the summary table `ItemStat`: one row per group of equal
answers to a question (its correctness and its response), with the count and, in
cents, Σy and Σy². Python adds up a unit's rows (one per distinct response, not per
attempt) and reads the responses. Figures are given only from `MIN_ATTEMPTS`
attempts of a question on; below that a question is `too_few`. The result never
holds a learner's name or id.

Answers given in spaced refreshers (`RefresherAnswer`, see services/refreshers.py)
count too: in attempts, facility, wrong answers and choices, and are shown as
`refresher_answers`. They have no attempt score to set the question against,
so discrimination comes from knowledge-check attempts alone (again from
`MIN_ATTEMPTS` of them on).

The rows are kept in the transaction that writes the answers: the hand-in
(`count_hand_in`) and the refresher (`count_refresher_answers`) add to them with one
upsert (INSERT … ON CONFLICT DO UPDATE SET answers = answers + 1 …) for all their
questions, so every worker and instance reads the same figures once it commits, and
a view reads a few rows instead of every answer (400,000 for 10,000 attempts of 40
questions). Every sum is additive and kept in whole numbers (cents), so taking
answers away is exact too: an erasure moves the person's answers to the group of no
response (`erase_responses_of`), deleting a company takes its answers away
(`forget_company`), and a regrade (or a repair) counts a unit again from its answers
(`recount`), each in the caller's transaction. Migration 0027 filled the table from
the answers there were.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lms.content.grading import placed_items
from lms.content.spec import Question, QuestionType
from lms.content.stored import stored_questions
from lms.models import (
    AttemptAnswer,
    CourseVersion,
    ItemStat,
    QuizAttempt,
    Refresher,
    RefresherAnswer,
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
    """The sums of one question over its answers (x: correct, y: rest score in cents).

    `n` and `x` count every answer; `quiz_n` and `quiz_x` those of knowledge-check
    attempts, the only ones with a rest score y. Whole numbers: exact on every database."""

    n: int = 0
    x: int = 0
    quiz_n: int = 0
    quiz_x: int = 0
    y: int = 0
    xy: int = 0
    yy: int = 0


class Counted(NamedTuple):
    """What one group of equal answers adds to its `ItemStat` row."""

    answers: int = 0  # in knowledge-check attempts
    refresher_answers: int = 0
    rest_cents: int = 0  # Σy · 100
    rest_cents_squared: int = 0  # Σy² · 100²

    def plus(self, other: Counted) -> Counted:
        return Counted(*(mine + theirs for mine, theirs in zip(self, other, strict=True)))

    def negated(self) -> Counted:
        return Counted(*(-value for value in self))


# (version id, unit id, question id, correct, canonical response) -> what it adds.
_Key = tuple[int, str, str, bool, str]
Counts = dict[_Key, Counted]

_NO_RESPONSE = "null"


def canonical_response(response: Any) -> str:
    """A response as the statistics key it: JSON with sorted keys and letters as they
    are (so that an erasure's search for a name finds them); every spelling of the same
    JSON gives the same text."""
    return json.dumps(response, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical_stored(stored: str | None) -> str:
    """`canonical_response` of a response as the database stored it (JSON text)."""
    return canonical_response(json.loads(stored)) if stored is not None else _NO_RESPONSE


def _cents(points: Decimal) -> int:
    """Points as whole cents (grades are rounded to cents, see content/grading.py)."""
    return int((points * 100).to_integral_value())


def _add_to(counts: Counts, key: _Key, counted: Counted) -> None:
    before = counts.get(key)
    counts[key] = counted if before is None else before.plus(counted)


def count_hand_in(
    session: Session,
    version_id: int,
    unit_id: str,
    score: Decimal,
    answers: Iterable[tuple[str, Any, bool, Decimal]],
) -> None:
    """Count a handed-in attempt in the statistics, in the hand-in's transaction.

    `score` is the attempt's; `answers` are (question id, stored response, correct,
    the question's score), one per question drawn. One statement for all of them."""
    counts: Counts = {}
    for question_id, response, correct, points in answers:
        rest = _cents(score - points)
        key = (version_id, unit_id, question_id, correct, canonical_response(response))
        _add_to(counts, key, Counted(1, 0, rest, rest * rest))
    _write(session, counts)


def count_refresher_answers(
    session: Session, version_id: int, answers: Iterable[tuple[str, str, Any, bool]]
) -> None:
    """Count a refresher's answers, in its transaction: (unit id, question id, stored
    response, correct) each, of quiz units of version `version_id`. One statement."""
    counts: Counts = {}
    for unit_id, question_id, response, correct in answers:
        key = (version_id, unit_id, question_id, correct, canonical_response(response))
        _add_to(counts, key, Counted(refresher_answers=1))
    _write(session, counts)


def erase_responses_of(session: Session, user_id: int) -> None:
    """The person's answers count on, without what they answered: each moves from the
    group of its response to that of no response (as an erasure leaves the answer).

    Reads the responses, so call it before they are erased, in the same transaction."""
    moved: Counts = {}
    for (version_id, unit_id, question_id, correct, response), counted in _counted(
        session,
        QuizAttempt.user_id == user_id,
        RefresherAnswer.refresher_id.in_(select(Refresher.id).where(Refresher.user_id == user_id)),
    ).items():
        if response == _NO_RESPONSE:
            continue
        _add_to(moved, (version_id, unit_id, question_id, correct, response), counted.negated())
        _add_to(moved, (version_id, unit_id, question_id, correct, _NO_RESPONSE), counted)
    _write(session, moved)
    _drop_empty(session, moved)


def forget_company(session: Session, company_id: int) -> None:
    """Take the company's answers out of the statistics: call it before the company is
    deleted (with its attempts and refreshers), in the same transaction."""
    taken = {
        key: counted.negated()
        for key, counted in _counted(
            session,
            QuizAttempt.company_id == company_id,
            RefresherAnswer.refresher_id.in_(
                select(Refresher.id).where(Refresher.company_id == company_id)
            ),
        ).items()
    }
    _write(session, taken)
    _drop_empty(session, taken)


def recount(session: Session, version_id: int, unit_id: str) -> None:
    """Count a quiz unit of a version again from its answers, in the caller's
    transaction: after its answers were graded again, or to repair its figures."""
    session.execute(
        delete(_TABLE).where(_TABLE.c.version_id == version_id, _TABLE.c.unit_id == unit_id)
    )
    _write(session, recounted(session, version_id, unit_id))


def recounted(session: Session, version_id: int, unit_id: str) -> Counts:
    """What a quiz unit's rows hold when counted from its answers (`recount`)."""
    return _counted(
        session,
        (QuizAttempt.version_id == version_id) & (QuizAttempt.unit_id == unit_id),
        (RefresherAnswer.version_id == version_id) & (RefresherAnswer.unit_id == unit_id),
    )


# The answers of submitted attempts and of refreshers, grouped as `ItemStat` keys them
# (but by the response as stored: `_counted` makes it canonical).
_REST_CENTS = cast(func.round((QuizAttempt.score - AttemptAnswer.score) * 100), BigInteger)
_ATTEMPT_RESPONSE = cast(AttemptAnswer.response, Text)
_ATTEMPT_GROUPS = (
    select(
        QuizAttempt.version_id,
        QuizAttempt.unit_id,
        AttemptAnswer.question_id,
        AttemptAnswer.correct,
        _ATTEMPT_RESPONSE,
        func.count(),
        func.sum(_REST_CENTS),
        func.sum(_REST_CENTS * _REST_CENTS),
    )
    .join(QuizAttempt, QuizAttempt.id == AttemptAnswer.attempt_id)
    .where(QuizAttempt.status == "submitted")
    .group_by(
        QuizAttempt.version_id,
        QuizAttempt.unit_id,
        AttemptAnswer.question_id,
        AttemptAnswer.correct,
        _ATTEMPT_RESPONSE,
    )
)
_REFRESHER_RESPONSE = cast(RefresherAnswer.response, Text)
_REFRESHER_GROUPS = select(
    RefresherAnswer.version_id,
    RefresherAnswer.unit_id,
    RefresherAnswer.question_id,
    RefresherAnswer.correct,
    _REFRESHER_RESPONSE,
    func.count(),
).group_by(
    RefresherAnswer.version_id,
    RefresherAnswer.unit_id,
    RefresherAnswer.question_id,
    RefresherAnswer.correct,
    _REFRESHER_RESPONSE,
)


def _counted(
    session: Session, attempts: ColumnElement[bool], refresher_answers: ColumnElement[bool]
) -> Counts:
    """The groups of the answers of the attempts and refresher answers chosen."""
    counts: Counts = {}
    for version_id, unit_id, question_id, correct, stored, n, rest, squared in session.execute(
        _ATTEMPT_GROUPS.where(attempts)
    ):
        key = (version_id, unit_id, question_id, bool(correct), _canonical_stored(stored))
        _add_to(counts, key, Counted(n, 0, int(rest or 0), int(squared or 0)))
    for version_id, unit_id, question_id, correct, stored, n in session.execute(
        _REFRESHER_GROUPS.where(refresher_answers)
    ):
        key = (version_id, unit_id, question_id, bool(correct), _canonical_stored(stored))
        _add_to(counts, key, Counted(refresher_answers=n))
    return counts


# Through the table, not the entity: the ORM's bulk path would only add work.
_TABLE = typing.cast(Table, ItemStat.__table__)


def _upsert(insert_into: Any) -> Any:
    """INSERT … ON CONFLICT (the row's key) DO UPDATE SET each count = count + the new one."""
    statement = insert_into(_TABLE)
    return statement.on_conflict_do_update(
        index_elements=list(_TABLE.primary_key.columns),
        set_={name: _TABLE.c[name] + statement.excluded[name] for name in Counted._fields},
    )


# Built once, per database (both speak ON CONFLICT, in their own dialect).
_UPSERTS = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}
_DROP_EMPTY = delete(_TABLE).where(
    _TABLE.c.version_id == bindparam("v"),
    _TABLE.c.unit_id == bindparam("u"),
    _TABLE.c.answers <= 0,
    _TABLE.c.refresher_answers <= 0,
)


def _write(session: Session, counts: Counts) -> None:
    """Add `counts` to their rows (new rows for new groups), in one statement. In the
    order of the rows' keys: two transactions adding to the same rows (two hand-ins of
    one quiz) then lock them in the same order, and one waits instead of deadlocking."""
    rows = [
        {
            "version_id": version_id,
            "unit_id": unit_id,
            "question_id": question_id,
            "correct": correct,
            "response_key": hashlib.sha256(response.encode()).hexdigest(),
            "response": response,
            **counted._asdict(),
        }
        for (version_id, unit_id, question_id, correct, response), counted in sorted(counts.items())
        if any(counted)
    ]
    if rows:
        session.execute(_UPSERTS[session.get_bind().dialect.name], rows)


def _drop_empty(session: Session, counts: Counts) -> None:
    """Delete the rows of the units in `counts` that no answer counts in any more (an
    erased answer's typed text must not stay behind in a row of none)."""
    units = sorted({(version_id, unit_id) for version_id, unit_id, *_rest in counts})
    if units:
        session.execute(
            _DROP_EMPTY, [{"v": version_id, "u": unit_id} for version_id, unit_id in units]
        )


# The figures of a page: the unit's submitted attempts (from ix_quiz_attempts_statistics)
# and its rows.
_ATTEMPT_COUNT = select(func.count()).where(
    QuizAttempt.version_id == bindparam("version_id"),
    QuizAttempt.unit_id == bindparam("unit_id"),
    QuizAttempt.status == "submitted",
)
_ROWS = select(
    ItemStat.question_id,
    ItemStat.correct,
    ItemStat.response,
    ItemStat.answers,
    ItemStat.refresher_answers,
    ItemStat.rest_cents,
    ItemStat.rest_cents_squared,
).where(ItemStat.version_id == bindparam("version_id"), ItemStat.unit_id == bindparam("unit_id"))


# One `ItemStat` row as the figures read it: question id, correct, response, answers,
# refresher answers, Σy and Σy² in cents.
_Group = tuple[str, bool, str, int, int, int, int]


@dataclass(frozen=True)
class QuizStatistics:
    """The figures of a quiz unit of one version: its submitted attempts and its questions."""

    attempts: int
    items: tuple[ItemStats, ...]


def quiz_statistics(
    session: Session, version_id: int, unit_id: str, language: str | None = None
) -> QuizStatistics:
    """The number of submitted attempts at the quiz unit and the figures of each of its
    questions, in the unit's order, from the summary rows.

    Texts (choices, questions) are those of `language`, or of the version's main
    language. Attempts in every language count: translations share question ids
    and choice order. An unknown version gives no attempts and no questions.
    """
    version = session.get(CourseVersion, version_id)
    if version is None:
        return QuizStatistics(0, ())
    params = {"version_id": version_id, "unit_id": unit_id}
    attempts = session.scalar(_ATTEMPT_COUNT, params) or 0
    questions = stored_questions(version, language or version.language, unit_id)
    if not questions:
        return QuizStatistics(attempts, ())
    groups = session.execute(_ROWS, params)
    return QuizStatistics(attempts, tuple(_build(questions, groups)))


def item_statistics(
    session: Session, version_id: int, unit_id: str, language: str | None = None
) -> list[ItemStats]:
    """The figures of every question of the quiz unit, in the unit's order (see
    `quiz_statistics`). An unknown version or a unit without questions gives []."""
    return list(quiz_statistics(session, version_id, unit_id, language).items)


def _build(questions: list[Question], groups: Iterable[_Group]) -> list[ItemStats]:
    """Add up the groups per question (the sums of the module's docstring)."""
    # Per question: n, x, quiz_n, quiz_x, Σy, Σxy, Σy² (a list: thousands of groups).
    sums: dict[str, list[int]] = {}
    responses: dict[str, list[tuple[bool, str, int]]] = {}
    for question_id, correct, response, answers, in_refreshers, rest, squared in groups:
        count = answers + in_refreshers
        added = sums.get(question_id)
        if added is None:
            added = sums[question_id] = [0] * 7
            responses[question_id] = []
        added[0] += count
        added[2] += answers
        added[4] += rest
        added[6] += squared
        if correct:
            added[1] += count
            added[3] += answers
            added[5] += rest
        responses[question_id].append((correct, response, count))
    return [
        _item(
            question,
            _Sums(*sums[question.id]) if question.id in sums else _Sums(),
            responses.get(question.id, []),
        )
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
    totals: dict[str, int] = {}
    spellings: dict[str, dict[str, int]] = {}  # plain dicts: one per distinct answer
    for fields, count in answers:
        text = _readable(question, fields)
        key = text.casefold()
        totals[key] = totals.get(key, 0) + count
        forms = spellings.get(key)
        if forms is None:
            spellings[key] = {text: count}
        else:
            forms[text] = forms.get(text, 0) + count
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    # The most frequent spelling; of equally frequent ones the first found.
    return tuple(
        WrongAnswer(max(spellings[key].items(), key=lambda form: form[1])[0], count)
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
