"""Grading: how many points a learner's response to a question earns.

A registry of question types (`GRADERS`), one small class per type, each with a
pure `grade(question, response) -> Result`: no Flask, no database, no clock, the
same result for the same input. Each also turns a page's saved form fields into its
response (`response_from_fields`), so a new question type is one class here. Points
are `Decimal`; shares of points are computed exactly with `Fraction` and rounded half
up to cents only at the end.

Responses are plain Python values (built from form fields by `response_from_fields`):

| type       | response                                                             |
|------------|----------------------------------------------------------------------|
| single     | `int | None` – index into `question.choices`                        |
| multiple   | an iterable of `int` (e.g. `frozenset[int]`) – the ticked indexes    |
| true-false | `bool | None`                                                       |
| number     | `str | None` – the text as typed                                    |
| text       | `str | None` – the text as typed                                    |
| cloze      | `tuple[int | str | None, ...]` – one entry per gap                   |
| matching   | `tuple[str | None, ...]` – the right-hand text chosen for each pair  |
| ordering   | `tuple[str, ...]` – the items in the learner's order                 |
| essay      | `str | None` – the text as typed; a trainer grades it (no points here) |

No response makes a grader raise. A response of the wrong shape (another type,
not a tuple, …) counts as no answer; one of the right shape with invalid content
(an index out of range, unknown text, overlong text) counts as a wrong answer.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Protocol

from lms.content.spec import Question, QuestionType, Scoring, TextRule

# Typed text longer than this is wrong; it bounds the cost of author regexes.
MAX_TEXT_LENGTH = 500

# A number as typed: optional sign (also the typographic minus), digits with at
# most one decimal point or comma, then an optional unit. No exponents, no
# thousands separators: "1.000" is one, "1 000" is 1 followed by the unit "000".
_NUMBER = re.compile(
    r"(?P<sign>[+\-−]?)(?P<digits>[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)\s*(?P<unit>.*)", re.DOTALL
)
_WHITESPACE = re.compile(r"\s+")
# Precision for answer ± tolerance; far beyond any authored number, so exact.
_BOUNDS = Context(prec=1000, Emax=MAX_EMAX, Emin=MIN_EMIN)


@dataclass(frozen=True)
class Result:
    """The grade of one response."""

    score: Decimal  # points earned, 0 ≤ score ≤ max
    max: Decimal  # = question.points
    correct: bool  # fully correct
    parts: tuple[bool, ...]  # per choice / gap / pair / step: was this part right
    answered: bool  # False when the response is empty or None


@dataclass(frozen=True)
class QuizResult:
    """The grade of a whole quiz attempt."""

    score: Decimal
    max: Decimal
    percent: Decimal  # 0–100, 2 decimal places
    passed: bool
    results: Mapping[str, Result]  # by question id, read-only


class Grader(Protocol):
    """One question type: what an empty response looks like and how responses are graded."""

    def empty_response(self) -> object:
        """The response of a learner who answered nothing."""
        ...

    def grade(self, question: Question, response: object) -> Result:
        """Grade `response` to `question`; never raises, whatever `response` is."""
        ...

    def response_from_fields(
        self, question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> object:
        """The response a page's saved form fields give (`q-<id>`, or `q-<id>-<n>` per
        gap, pair or step); `shown` is the question as the page showed it (its matching
        options and ordering items, in the page's order). Never raises."""
        ...


# --- Shared helpers ------------------------------------------------------------------


def _round_cents(value: Fraction) -> Decimal:
    """`value` (≥ 0) rounded half up to 2 decimal places, exactly."""
    return Decimal(f"{math.floor(value * 100 + Fraction(1, 2))}E-2")


def _result(question: Question, share: Fraction, parts: tuple[bool, ...]) -> Result:
    """The result of an answered response earning `share` (0–1) of the question's points.

    A full share earns exactly `points`; anything less is rounded half up to cents
    and never exceeds `points`.
    """
    maximum = question.points
    if share >= 1:
        return Result(maximum, maximum, True, parts, answered=True)
    score = min(_round_cents(Fraction(maximum) * max(share, Fraction(0))), maximum)
    return Result(score, maximum, False, parts, answered=True)


def _share(right: int, total: int) -> Fraction:
    """right / total, or 0 for a question with no parts (which the parser never makes)."""
    return Fraction(right, total) if total > 0 else Fraction(0)


def choice_weights(question: Question) -> tuple[Fraction, ...] | None:
    """Each choice's share of the points when picked (1 = all of them), if the question
    gives weights (`{50%}`); None if it does not. A correct choice without a weight
    earns 100 % in single choice and, in multiple choice, an equal part of what the
    weighted correct ones leave of 100 %; a wrong one without a weight earns nothing.
    In multiple choice the correct choices' shares are scaled to add up to exactly 1
    (3 × 33.33 % is full marks)."""
    choices = question.choices
    if all(choice.weight is None for choice in choices):
        return None
    given = [(Fraction(c.weight) / 100 if c.weight is not None else None, c) for c in choices]
    if question.type is not QuestionType.MULTIPLE:
        return tuple(w if w is not None else Fraction(int(c.correct)) for w, c in given)
    taken = sum((w for w, c in given if c.correct and w is not None), Fraction(0))
    unweighted = sum(1 for w, c in given if c.correct and w is None)
    rest = max(1 - taken, Fraction(0)) / unweighted if unweighted else Fraction(0)
    shares = [(w if w is not None else rest if c.correct else Fraction(0), c) for w, c in given]
    total = sum((w for w, c in shares if c.correct), Fraction(0))
    scale = 1 / total if total > 0 else Fraction(1)
    return tuple(w * scale if c.correct else w for w, c in shares)


def _unanswered(question: Question, part_count: int) -> Result:
    """No answer: no points, every part wrong."""
    return Result(Decimal("0.00"), question.points, False, (False,) * part_count, answered=False)


def _as_index(value: object) -> int | None:
    """`value` if it is an int (and not a bool, which Python counts as one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _typed_text(value: object) -> str | None:
    """`value` if it is a string that is not blank; None stands for no answer."""
    return value if isinstance(value, str) and value.strip() else None


def _field_number(value: object) -> int | None:
    """A form field's number (a choice, a position), or None for anything else."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _field_text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def placed_items(items: Sequence[str], fields: Mapping[str, Any], name: str) -> dict[int, str]:
    """The steps of an ordering question by the position (1…n) the page's fields
    `<name>-<index>` gave them, `items` in the order the page listed them; of two steps
    given one position the first keeps it, a step without a valid position has none."""
    slots: dict[int, str] = {}
    for index, item in enumerate(items):
        position = _field_number(fields.get(f"{name}-{index}"))
        if position is not None and 1 <= position <= len(items) and position not in slots:
            slots[position] = item
    return slots


def _entries(response: object) -> tuple[object, ...] | None:
    """A tuple or list response as a tuple; None for any other shape."""
    return tuple(response) if isinstance(response, tuple | list) else None


def _normalise(text: str, exact_whitespace: bool) -> str:
    """NFKC, stripped, and (unless `exact_whitespace`) runs of whitespace as one space."""
    text = unicodedata.normalize("NFKC", text).strip()
    return text if exact_whitespace else _WHITESPACE.sub(" ", text)


def _fold(text: str) -> str:
    """Caseless form of NFKC text (casefold can leave text that is not NFKC)."""
    return unicodedata.normalize("NFKC", text.casefold())


def _text_is_right(typed: str, rule: TextRule) -> bool:
    """Whether `typed` equals an accepted answer or fully matches the rule's regex.

    Both sides are normalised alike (`_normalise`, then casefolded unless the rule is
    case-sensitive). The regex sees the normalised text before casefolding, with
    IGNORECASE unless case-sensitive. Text longer than MAX_TEXT_LENGTH, before or
    after normalisation, is wrong; an invalid regex matches nothing.
    """
    if len(typed) > MAX_TEXT_LENGTH:
        return False
    text = _normalise(typed, rule.exact_whitespace)
    if len(text) > MAX_TEXT_LENGTH:
        return False

    def comparable(value: str) -> str:
        return value if rule.case_sensitive else _fold(value)

    wanted = comparable(text)
    if any(
        comparable(_normalise(answer, rule.exact_whitespace)) == wanted for answer in rule.answers
    ):
        return True
    if rule.regex is None:
        return False
    flags = 0 if rule.case_sensitive else re.IGNORECASE
    try:
        return re.fullmatch(rule.regex, text, flags) is not None
    except re.error:
        return False


def _parse_number(typed: str, unit: str) -> Decimal | None:
    """The number in `typed`, or None if it is not a plain number (optionally with `unit`).

    Accepts surrounding spaces, a leading + or −, a decimal point or comma and a
    trailing unit equal to `unit` ignoring case (with or without a space before it).
    Refuses exponents, thousands separators, NaN and Infinity.
    """
    if len(typed) > MAX_TEXT_LENGTH:
        return None
    match = _NUMBER.fullmatch(_normalise(typed, exact_whitespace=False))
    if match is None:
        return None
    typed_unit = match.group("unit")
    if typed_unit and _fold(typed_unit) != _fold(_normalise(unit, exact_whitespace=False)):
        return None
    sign = "-" if match.group("sign") in ("-", "−") else ""
    return Decimal(sign + match.group("digits").replace(",", "."))


# --- The graders ---------------------------------------------------------------------


class SingleChoiceGrader:
    """Full points iff the chosen index is a correct choice; with weights
    (`choice_weights`), the chosen choice's share of the points (none below 0).

    `parts[i]`: choice i was treated right (chosen if correct, left if wrong).
    """

    def empty_response(self) -> int | None:
        return None

    def response_from_fields(
        self, question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> int | None:
        return _field_number(fields.get(f"q-{question.id}"))

    def grade(self, question: Question, response: object) -> Result:
        choices = question.choices
        chosen = _as_index(response)
        if chosen is None:
            return _unanswered(question, len(choices))
        parts = tuple((i == chosen) == choice.correct for i, choice in enumerate(choices))
        right = 0 <= chosen < len(choices) and choices[chosen].correct
        weights = choice_weights(question)
        if weights is not None and 0 <= chosen < len(choices):
            return _result(question, weights[chosen], parts)  # a negative share earns 0
        return _result(question, Fraction(int(right)), parts)


class MultipleChoiceGrader:
    """All or nothing: full points iff exactly the correct choices are ticked.

    Partial: points × max(0, (correct ticked − wrong ticked) / correct choices);
    `correct` still only for exactly the correct set. With weights (`choice_weights`):
    points × the ticked choices' shares added up, between 0 and 1. A response with anything
    that is not a valid index earns nothing. `parts[i]`: choice i was treated
    right (ticked if correct, left if wrong).
    """

    def empty_response(self) -> frozenset[int]:
        return frozenset()

    def response_from_fields(
        self, question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> frozenset[int]:
        values = fields.get(f"q-{question.id}") or []
        return frozenset(i for i in (_field_number(v) for v in values) if i is not None)

    def grade(self, question: Question, response: object) -> Result:
        choices = question.choices
        if isinstance(response, str | bytes | bytearray | Mapping) or not isinstance(
            response, Iterable
        ):
            return _unanswered(question, len(choices))
        entries = list(response)
        if not entries:
            return _unanswered(question, len(choices))
        indexes = [_as_index(entry) for entry in entries]
        if any(i is None or not 0 <= i < len(choices) for i in indexes):
            return _result(question, Fraction(0), (False,) * len(choices))
        ticked = frozenset(i for i in indexes if i is not None)
        parts = tuple((i in ticked) == choice.correct for i, choice in enumerate(choices))
        correct = frozenset(i for i, choice in enumerate(choices) if choice.correct)
        weights = choice_weights(question)
        if weights is not None:
            return _result(question, sum((weights[i] for i in ticked), Fraction(0)), parts)
        if question.scoring is Scoring.PARTIAL:
            earned = len(ticked & correct) - len(ticked - correct)
            return _result(question, _share(max(earned, 0), len(correct)), parts)
        return _result(question, Fraction(int(ticked == correct)), parts)


class TrueFalseGrader:
    """Full points iff the response equals `answer_bool`."""

    def empty_response(self) -> bool | None:
        return None

    def response_from_fields(
        self, question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> bool | None:
        return {"true": True, "false": False}.get(str(fields.get(f"q-{question.id}")))

    def grade(self, question: Question, response: object) -> Result:
        if not isinstance(response, bool):
            return _unanswered(question, 0)
        return _result(question, Fraction(int(response == question.answer_bool)), ())


class NumberGrader:
    """Full points iff the typed number is within `number` ± `tolerance` (bounds inclusive);
    else the largest share of the `bands` (partial credit) the number lies in, bounds
    inclusive, or nothing.

    See `_parse_number` for what counts as a number; anything else is wrong.
    """

    def empty_response(self) -> str | None:
        return None

    def response_from_fields(
        self, question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> str | None:
        return _field_text(fields.get(f"q-{question.id}"))

    def grade(self, question: Question, response: object) -> Result:
        typed = _typed_text(response)
        if typed is None:
            return _unanswered(question, 0)
        value = _parse_number(typed, question.unit)
        number, tolerance = question.number, question.tolerance
        if value is None or number is None or not (number.is_finite() and tolerance.is_finite()):
            return _result(question, Fraction(0), ())
        # The learner's value is only compared, never computed with: exact and cheap.
        low = _BOUNDS.subtract(number, tolerance)
        high = _BOUNDS.add(number, tolerance)
        if low <= value <= high:
            return _result(question, Fraction(1), ())
        shares = [Fraction(b.weight) / 100 for b in question.bands if b.low <= value <= b.high]
        return _result(question, max(shares, default=Fraction(0)), ())


class TextGrader:
    """Full points iff the typed text is accepted by the question's `TextRule`."""

    def empty_response(self) -> str | None:
        return None

    def response_from_fields(
        self, question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> str | None:
        return _field_text(fields.get(f"q-{question.id}"))

    def grade(self, question: Question, response: object) -> Result:
        typed = _typed_text(response)
        if typed is None:
            return _unanswered(question, 0)
        rule = question.text_rule
        right = rule is not None and _text_is_right(typed, rule)
        return _result(question, Fraction(int(right)), ())


class ClozeGrader:
    """points × right gaps / gaps; `correct` only if every gap is right.

    A choice gap takes an int index, a text gap a str compared with the gap's own
    `TextRule`. Missing entries are unanswered gaps; extra entries are ignored; an
    entry of the other kind is wrong.
    """

    def empty_response(self) -> tuple[int | str | None, ...]:
        return ()

    def response_from_fields(
        self, question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> tuple[int | str | None, ...]:
        gaps: list[int | str | None] = []
        for index, gap in enumerate(question.gaps):
            value = fields.get(f"q-{question.id}-{index}")
            gaps.append(_field_number(value) if gap.is_choice else _field_text(value))
        return tuple(gaps)

    def grade(self, question: Question, response: object) -> Result:
        gaps = question.gaps
        entries = _entries(response)
        if entries is None:
            return _unanswered(question, len(gaps))
        entries = (entries + (None,) * len(gaps))[: len(gaps)]
        parts: list[bool] = []
        answered = False
        for gap, entry in zip(gaps, entries, strict=True):
            if gap.is_choice:
                index = _as_index(entry)
                answered = answered or index is not None
                parts.append(
                    index is not None
                    and 0 <= index < len(gap.choices)
                    and gap.choices[index].correct
                )
            else:
                typed = _typed_text(entry)
                answered = answered or typed is not None
                parts.append(
                    typed is not None and gap.text is not None and _text_is_right(typed, gap.text)
                )
        if not answered:
            return _unanswered(question, len(gaps))
        return _result(question, _share(sum(parts), len(gaps)), tuple(parts))


class MatchingGrader:
    """points × right pairs / pairs; a pair is right iff its chosen text is its partner.

    Texts are compared exactly, as the form sends back the texts it offered.
    Distractors belong to no pair and so are never right.
    """

    def empty_response(self) -> tuple[str | None, ...]:
        return ()

    def response_from_fields(
        self, question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> tuple[str | None, ...]:
        options: Sequence[str] = shown["right"]
        name = f"q-{question.id}"
        chosen = [_field_number(fields.get(f"{name}-{i}")) for i in range(len(question.pairs))]
        return tuple(
            options[i] if i is not None and 0 <= i < len(options) else None for i in chosen
        )

    def grade(self, question: Question, response: object) -> Result:
        pairs = question.pairs
        entries = _entries(response)
        if entries is None or not any(_typed_text(entry) for entry in entries[: len(pairs)]):
            return _unanswered(question, len(pairs))
        parts = tuple(
            i < len(entries) and isinstance(entries[i], str) and entries[i] == pair.right
            for i, pair in enumerate(pairs)
        )
        return _result(question, _share(sum(parts), len(pairs)), parts)


class OrderingGrader:
    """points × items in their correct position / items; `correct` only if all are.

    Items are compared exactly. An item placed more than once is wrong wherever it
    stands, so that repeating a guess in several places earns nothing; missing and
    unknown items leave their positions wrong.
    """

    def empty_response(self) -> tuple[str, ...]:
        return ()

    def response_from_fields(
        self, question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> tuple[str, ...]:
        items: Sequence[str] = shown["items"]
        slots = placed_items(items, fields, f"q-{question.id}")
        return tuple(slots.get(p, "") for p in range(1, len(items) + 1))

    def grade(self, question: Question, response: object) -> Result:
        items = question.items
        entries = _entries(response)
        if entries is None or not any(_typed_text(entry) for entry in entries):
            return _unanswered(question, len(items))
        placed = Counter(entry for entry in entries if isinstance(entry, str))
        parts = tuple(
            i < len(entries) and entries[i] == item and placed[item] == 1
            for i, item in enumerate(items)
        )
        return _result(question, _share(sum(parts), len(items)), parts)


class EssayGrader:
    """Free text a trainer grades: here it earns nothing yet (`answered` if not blank);
    the trainer's points replace the score when they grade (lms/grading/essays.py)."""

    def empty_response(self) -> str | None:
        return None

    def response_from_fields(
        self, question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> str | None:
        return _field_text(fields.get(f"q-{question.id}"))

    def grade(self, question: Question, response: object) -> Result:
        if _typed_text(response) is None:
            return _unanswered(question, 0)
        return Result(Decimal("0.00"), question.points, False, (), answered=True)


def word_count(text: str) -> int:
    """How many words an essay answer has (runs of non-space characters)."""
    return len(text.split())


GRADERS: dict[QuestionType, Grader] = {
    QuestionType.SINGLE: SingleChoiceGrader(),
    QuestionType.MULTIPLE: MultipleChoiceGrader(),
    QuestionType.TRUE_FALSE: TrueFalseGrader(),
    QuestionType.NUMBER: NumberGrader(),
    QuestionType.TEXT: TextGrader(),
    QuestionType.CLOZE: ClozeGrader(),
    QuestionType.MATCHING: MatchingGrader(),
    QuestionType.ORDERING: OrderingGrader(),
    QuestionType.ESSAY: EssayGrader(),
}


def grade(question: Question, response: object) -> Result:
    """Grade `response` with the grader of the question's type; never raises for a response."""
    return GRADERS[question.type].grade(question, response)


def grade_fields(question: Question, shown: Mapping[str, Any], fields: Mapping[str, Any]) -> Result:
    """Grade a question's saved form fields (see `Grader.response_from_fields`): what
    the review of a handed-in answer marks right and wrong, part by part."""
    grader = GRADERS[question.type]
    return grader.grade(question, grader.response_from_fields(question, shown, fields))


def grade_quiz(
    questions: Sequence[Question], responses: Mapping[str, object], pass_mark: int
) -> QuizResult:
    """Grade every question with its response by question id (a missing one is unanswered).

    `percent` is score / max × 100 rounded half up to 2 places; `passed` means
    `percent ≥ pass_mark`. A quiz without points (which the parser never makes)
    has percent 0 and is not passed.
    """
    graded = [(q.id, grade(q, responses.get(q.id))) for q in questions]
    results = dict(graded)
    score = sum((result.score for _id, result in graded), Decimal(0))
    maximum = sum((result.max for _id, result in graded), Decimal(0))
    if maximum <= 0:
        return QuizResult(score, maximum, Decimal("0.00"), False, MappingProxyType(results))
    percent = _round_cents(Fraction(score) / Fraction(maximum) * 100)
    return QuizResult(score, maximum, percent, percent >= pass_mark, MappingProxyType(results))
