"""A handed-in answer as its learner is shown it, read once for the result pages and the
personal-data export.

What a learner may see after handing in follows the knowledge check's `show_answers`
(`attempt_shows_answers`, `refresher_shows_answers`). `reviewed` leaves out the
feedback, the correct answer and the explanation unless they are shown, so neither
the result page nor the export built on it can reveal an answer key the learner was
not shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from lms.content.grading import choice_weights, grade_fields, placed_items
from lms.content.spec import Gap, NumberBand, Question, QuestionType, ShowAnswers
from lms.content.stored import stored_questions, stored_quiz_settings
from lms.models import AttemptAnswer, CourseVersion, QuizAttempt, Refresher, RefresherAnswer
from lms.services import learning


@dataclass(frozen=True)
class PickedChoice:
    """A choice the learner picked: its stored HTML, and the feedback on it if shown."""

    html: str
    feedback_html: str = ""


NOTHING = Markup("")


@dataclass(frozen=True)
class ReviewPart:
    """One gap of a cloze question, one item to match or one position of an ordering,
    as the result page lists it. `given`, `right` and `label` are HTML: stored (sanitised
    at import) or escaped text."""

    given: Markup  # what the learner put there; empty for nothing
    right: Markup = NOTHING  # the correct one, if the answers are shown
    correct: bool | None = None  # whether `given` is right, if the answers are shown
    label: Markup = NOTHING  # the item to match (matching questions)
    also: tuple[str, ...] = ()  # further accepted answers of a text gap, as typed text


@dataclass(frozen=True)
class NumberSolution:
    """The correct answer of a numeric question: `number` ± `tolerance`, in `unit`; and
    the ranges that earn part of the points (`bands`)."""

    number: Decimal
    tolerance: Decimal
    unit: str
    bands: tuple[NumberBand, ...] = ()


@dataclass(frozen=True)
class WeightedChoice:
    """A choice of a question with weights that earns or costs points when picked: its
    stored HTML, its share of the points in % (negative: it takes points off) and
    whether it is a correct choice."""

    html: Markup
    percent: Decimal
    correct: bool


@dataclass(frozen=True)
class Review:
    """One graded answer beyond right, wrong and points. HTML is as stored (sanitised at
    import).

    `answer` is what the learner answered, as plain text ("" for nothing): the picked
    choices joined by "; ", "true" or "false", the typed text, "1: … ; 2: …" per gap,
    "item → option" per item to match, the steps in the chosen order. `picked` holds
    the picked choices of a single or multiple choice question, in the question's order;
    `parts` the gaps, items to match or positions of a cloze, matching or ordering
    question, each with what the learner put there.
    The rest stays empty unless the answers are shown: the feedback on the chosen
    true/false value, the correct answer (`solution_bool` for true/false questions,
    `solutions` the correct choices or accepted texts, `number` for numeric questions,
    `weights` the choices that earn or cost points in a question with weights, each
    part's `right` and `correct`; `solution_html` the stored answer in one line,
    which the data export gives) and the explanation.
    """

    answer: str
    picked: tuple[PickedChoice, ...] = ()
    feedback_html: str = ""
    solution_html: str = ""
    solution_bool: bool | None = None
    explanation_html: str = ""
    parts: tuple[ReviewPart, ...] = ()
    solutions: tuple[Markup, ...] = ()
    number: NumberSolution | None = None
    weights: tuple[WeightedChoice, ...] = ()  # choices with weights, if answers are shown


def attempt_shows_answers(attempt: QuizAttempt) -> bool:
    """Whether the attempt's result shows feedback, correct answers and explanations:
    after submitting, or after passing if the knowledge check says so; never for "never"."""
    settings = stored_quiz_settings(attempt.version, attempt.unit_id)
    if settings is None:
        return False
    return settings.show_answers is ShowAnswers.AFTER_SUBMIT or (
        settings.show_answers is ShowAnswers.AFTER_PASSING and bool(attempt.passed)
    )


def refresher_shows_answers(version: CourseVersion, unit_ids: Iterable[str]) -> bool:
    """Whether a refresher's result shows the correct answers: not if any of the knowledge
    checks its questions come from never shows them (the module was completed, so
    "after passing" allows it)."""
    for unit_id in unit_ids:
        settings = stored_quiz_settings(version, unit_id)
        if settings is not None and settings.show_answers is ShowAnswers.NEVER:
            return False
    return True


def attempt_review(
    attempt: QuizAttempt,
) -> tuple[bool, list[tuple[AttemptAnswer, dict[str, Any], Review]]]:
    """Whether the attempt's answers are shown, and each graded answer with its question
    as the learner saw it (in the attempt's language) and its review."""
    shown = attempt_shows_answers(attempt)
    version, language = attempt.version, attempt.language
    units = learning.rendered_units(version, language)
    unit = next((u for u in units if u["id"] == attempt.unit_id), {})
    questions = {q["id"]: q for q in unit.get("questions", [])}
    texts = review_texts(version, language)
    keys = {q.id: q for q in stored_questions(version, language, attempt.unit_id)}
    items: list[tuple[AttemptAnswer, dict[str, Any], Review]] = []
    for answer in attempt.answers:
        qid = answer.question_id
        question = questions.get(qid) or _missing(qid)
        review = reviewed(question, texts.get(qid, {}), answer.response, shown, keys.get(qid))
        items.append((answer, question, review))
    return shown, items


def review_texts(version: CourseVersion, language: str) -> Mapping[str, Any]:
    """The feedback, solutions and explanations of a version's questions in `language`,
    or in the version's own language if it has none in `language` (as its units fall
    back: a German module on an English page shows its German texts)."""
    by_language: Mapping[str, Any] = version.content["review"]
    found: Mapping[str, Any] = by_language.get(language) or by_language.get(version.language, {})
    return found


def content_language(version: CourseVersion, language: str, unit_id: str) -> str:
    """The language a unit's questions are written in when shown in `language`: its own,
    or the version's main language where the unit has no translation (for `lang`)."""
    units = learning.rendered_units(version, language)
    unit = next((u for u in units if u["id"] == unit_id), {})
    return str(unit.get("language") or version.language)


def refresher_review(
    refresher: Refresher, version: CourseVersion
) -> tuple[bool, list[tuple[RefresherAnswer, dict[str, Any], Review]]]:
    """As `attempt_review`, for an answered refresher of `version`."""
    shown = refresher_shows_answers(version, {a.unit_id for a in refresher.answers})
    questions = {
        (unit["id"], q["id"]): q
        for unit in learning.rendered_units(version, refresher.language)
        for q in unit.get("questions", [])
    }
    texts = review_texts(version, refresher.language)
    keys = {
        (unit_id, q.id): q
        for unit_id in {a.unit_id for a in refresher.answers}
        for q in stored_questions(version, refresher.language, unit_id)
    }
    items: list[tuple[RefresherAnswer, dict[str, Any], Review]] = []
    for answer in refresher.answers:
        key = (answer.unit_id, answer.question_id)
        question = questions.get(key) or _missing(answer.question_id)
        review = reviewed(
            question, texts.get(answer.question_id, {}), answer.response, shown, keys.get(key)
        )
        items.append((answer, question, review))
    return shown, items


def _missing(question_id: str) -> dict[str, Any]:
    """A question the version no longer has in the language (not expected): its id only."""
    return {"id": question_id, "type": "", "prompt_html": ""}


def reviewed(
    question: Mapping[str, Any],
    texts: Mapping[str, Any],
    response: Any,
    shown: bool,
    key: Question | None = None,
) -> Review:
    """The review of one answer: `question` as the learner saw it (rendered, no answer
    key), `texts` its review texts (feedback, solution, explanation), `response` the
    stored form fields, `shown` whether answers are shown (see the module's docstring),
    `key` the question with its answer key (server side), which gives the correct
    answer part by part; without it only the stored one-line solution is given."""
    fields: Mapping[str, Any] = response if isinstance(response, Mapping) else {}
    name = f"q-{question['id']}"
    kind = question.get("type")
    if key is not None and key.type.value != kind:
        key = None  # not the question shown (not expected)
    picked: tuple[PickedChoice, ...] = ()
    feedback = ""
    if kind in ("single", "multiple"):
        chosen = fields.get(name)
        values = chosen if kind == "multiple" and isinstance(chosen, list) else [chosen]
        notes = (texts.get("choice_feedback_html") or []) if shown else []
        picked = tuple(
            PickedChoice(html, _at(notes, index))
            for index, html in enumerate(question.get("choices", []))
            if str(index) in values
        )
        answer = "; ".join(plain_text(choice.html) for choice in picked)
    elif kind == "true-false":
        value = fields.get(name)
        answer = value if value in ("true", "false") else ""
        if shown and answer:
            feedback = texts.get(f"feedback_{answer}_html") or ""
    elif kind in ("number", "text"):
        answer = typed_text(fields.get(name))
    elif kind == "essay":  # kept as written, line breaks and all
        answer = fields[name] if isinstance(fields.get(name), str) else ""
    elif kind == "cloze":
        answer = _cloze_answer(question, name, fields)
    elif kind == "matching":
        answer = _matching_answer(question, name, fields)
    elif kind == "ordering":
        answer = _ordering_answer(question, name, fields)
    else:
        answer = ""
    solved = key if shown else None
    parts = _parts(question, name, fields, solved)
    if not shown:
        return Review(answer, picked, parts=parts)
    solution_bool = texts.get("solution_bool") if kind == "true-false" else None
    if solved is not None and solved.type is QuestionType.TRUE_FALSE:
        solution_bool = solved.answer_bool
    return Review(
        answer,
        picked,
        feedback,
        texts.get("solution_html") or "",
        solution_bool,
        texts.get("explanation_html") or "",
        parts,
        _solutions(question, solved),
        _number_solution(solved),
        weights=_weights(question, solved),
    )


def _parts(
    question: Mapping[str, Any], name: str, fields: Mapping[str, Any], key: Question | None
) -> tuple[ReviewPart, ...]:
    """The gaps, items to match or positions of a cloze, matching or ordering question,
    each with what the learner put there, and with `key` (answers shown) the correct
    one and whether it was right; nothing for other types."""
    kind = question.get("type")
    if kind not in ("cloze", "matching", "ordering"):
        return ()
    marks = grade_fields(key, question, fields).parts if key is not None else ()

    def mark(index: int) -> bool | None:
        return marks[index] if index < len(marks) else None

    if kind == "cloze":
        gaps: list[dict[str, Any]] = question.get("gaps", [])
        keyed = key.gaps if key is not None and len(key.gaps) == len(gaps) else ()
        return tuple(
            _gap_part(
                gap, fields.get(f"{name}-{index}"), keyed[index] if keyed else None, mark(index)
            )
            for index, gap in enumerate(gaps)
        )
    if kind == "matching":
        options: list[str] = question.get("right", [])
        lefts: list[str] = question.get("left", [])
        matched = key.pairs if key is not None and len(key.pairs) == len(lefts) else ()
        return tuple(
            ReviewPart(
                _option(options, fields.get(f"{name}-{index}")),
                escape(matched[index].right) if matched else Markup(""),
                mark(index),
                Markup(left),  # noqa: S704  (sanitised at import)
            )
            for index, left in enumerate(lefts)
        )
    items: list[str] = question.get("items", [])  # an ordering question's steps
    slots = placed_items(items, fields, name)
    steps = key.items if key is not None and len(key.items) == len(items) else ()
    return tuple(
        ReviewPart(
            escape(slots.get(position, "")),
            escape(steps[position - 1]) if steps else Markup(""),
            mark(position - 1),
        )
        for position in range(1, len(items) + 1)
    )


def _gap_part(
    gap: Mapping[str, Any], value: Any, key: Gap | None, correct: bool | None
) -> ReviewPart:
    """A cloze gap: the option chosen or the text typed, and with `key` the correct one
    (a text gap's first accepted answer, the others in `also`)."""
    right: Markup = NOTHING
    also: tuple[str, ...] = ()
    if gap.get("kind") == "choice":
        options: list[str] = gap.get("options", [])
        index = choice_index(value, len(options))
        # The options' stored HTML, sanitised at import.
        given = Markup(options[index]) if index is not None else Markup("")  # noqa: S704
        if key is not None:
            keyed = [
                i for i, choice in enumerate(key.choices) if choice.correct and i < len(options)
            ]
            right = Markup(options[keyed[0]]) if keyed else Markup("")  # noqa: S704
    else:
        given = escape(typed_text(value))
        if key is not None and key.text is not None and key.text.answers:
            right, also = escape(key.text.answers[0]), tuple(key.text.answers[1:])
    return ReviewPart(given, right, correct, also=also)


def _option(options: Sequence[str], value: Any) -> Markup:
    """The option to match a stored field names (plain text, escaped); empty for none."""
    index = choice_index(value, len(options))
    return escape(options[index]) if index is not None else Markup("")


def _solutions(question: Mapping[str, Any], key: Question | None) -> tuple[Markup, ...]:
    """The correct choices of a choice question (their stored HTML, in the question's
    order) or the accepted answers of a text question (escaped); none for other types."""
    if key is None:
        return ()
    if key.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        choices: list[str] = question.get("choices", [])
        return tuple(
            Markup(choices[index])  # noqa: S704  (sanitised at import)
            for index, choice in enumerate(key.choices)
            if choice.correct and index < len(choices)
        )
    if key.type is QuestionType.TEXT and key.text_rule is not None:
        return tuple(escape(answer) for answer in key.text_rule.answers)
    return ()


def _number_solution(key: Question | None) -> NumberSolution | None:
    if key is None or key.type is not QuestionType.NUMBER or key.number is None:
        return None
    return NumberSolution(key.number, key.tolerance, key.unit, key.bands)


def _weights(question: Mapping[str, Any], key: Question | None) -> tuple[WeightedChoice, ...]:
    """The choices of a question with weights that earn or cost points (their stored HTML,
    in the question's order); none for a question without weights."""
    shares = choice_weights(key) if key is not None else None
    choices: list[str] = question.get("choices", [])
    if key is None or shares is None or len(choices) != len(key.choices):
        return ()
    return tuple(
        WeightedChoice(
            Markup(choices[index]),  # noqa: S704  (sanitised at import)
            (Decimal(share.numerator) * 100 / share.denominator).quantize(Decimal("0.01")),
            choice.correct,
        )
        for index, (choice, share) in enumerate(zip(key.choices, shares, strict=True))
        if share != 0
    )


def plain_text(html: str) -> str:
    """The text of stored, sanitised HTML, on one line."""
    return " ".join(Markup(html).striptags().split())  # noqa: S704  (sanitised at import)


def _at(texts: Sequence[str], index: int) -> str:
    return texts[index] if index < len(texts) and texts[index] else ""


def choice_index(value: Any, size: int) -> int | None:
    """A stored answer's choice number, if it names one of `size` choices."""
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < size else None


def typed_text(value: Any) -> str:
    """A typed answer as one line (white space folded), or "" if none was typed."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _cloze_answer(question: Mapping[str, Any], name: str, fields: Mapping[str, Any]) -> str:
    parts = []
    for number, gap in enumerate(question.get("gaps", [])):
        value = fields.get(f"{name}-{number}")
        if gap.get("kind") == "choice":
            index = choice_index(value, len(gap["options"]))
            parts.append(plain_text(gap["options"][index]) if index is not None else "")
        else:
            parts.append(typed_text(value))
    if not any(parts):
        return ""
    return "; ".join(f"{number + 1}: {part or '–'}" for number, part in enumerate(parts))


def _matching_answer(question: Mapping[str, Any], name: str, fields: Mapping[str, Any]) -> str:
    options: list[str] = question.get("right", [])
    chosen = [
        choice_index(fields.get(f"{name}-{number}"), len(options))
        for number in range(len(question.get("left", [])))
    ]
    if all(index is None for index in chosen):
        return ""
    return "; ".join(
        f"{plain_text(left)} → {options[index] if index is not None else '–'}"
        for left, index in zip(question["left"], chosen, strict=True)
    )


def _ordering_answer(question: Mapping[str, Any], name: str, fields: Mapping[str, Any]) -> str:
    items: list[str] = question.get("items", [])
    slots = placed_items(items, fields, name)
    if not slots:
        return ""
    return " → ".join(slots.get(position, "–") for position in range(1, len(items) + 1))


def shown_options(question: Mapping[str, Any], entry: Mapping[str, Any] | None) -> list[str]:
    """The choices, options to match or steps of a question as plain text, in the order
    the attempt's layout `entry` showed them (none for other types)."""
    entry = entry or {}
    kind = question.get("type")
    if kind in ("single", "multiple"):
        texts = [plain_text(html) for html in question.get("choices", [])]
        return [texts[i] for i in entry.get("choices", range(len(texts))) if i < len(texts)]
    if kind == "matching":
        options: list[str] = question.get("right", [])
        return [options[i] for i in entry.get("right", range(len(options))) if i < len(options)]
    if kind == "ordering":
        steps: list[str] = question.get("items", [])
        return [steps[i] for i in entry.get("items", range(len(steps))) if i < len(steps)]
    return []
