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
from typing import Any

from markupsafe import Markup

from lms.content.grading import placed_items
from lms.content.spec import ShowAnswers
from lms.content.stored import stored_quiz_settings
from lms.models import AttemptAnswer, CourseVersion, QuizAttempt, Refresher, RefresherAnswer
from lms.services import learning


@dataclass(frozen=True)
class PickedChoice:
    """A choice the learner picked: its stored HTML, and the feedback on it if shown."""

    html: str
    feedback_html: str = ""


@dataclass(frozen=True)
class Review:
    """One graded answer beyond right, wrong and points. HTML is as stored (sanitised at
    import).

    `answer` is what the learner answered, as plain text ("" for nothing): the picked
    choices joined by "; ", "true" or "false", the typed text, "1: … ; 2: …" per gap,
    "item → option" per item to match, the steps in the chosen order. `picked` holds
    the picked choices of a single or multiple choice question, in the question's order.
    The rest stays empty unless the answers are shown: the feedback on the chosen
    true/false value, the correct answer (`solution_bool` for true/false questions)
    and the explanation.
    """

    answer: str
    picked: tuple[PickedChoice, ...] = ()
    feedback_html: str = ""
    solution_html: str = ""
    solution_bool: bool | None = None
    explanation_html: str = ""


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
    units = learning.rendered_units(attempt.version, attempt.language)
    unit = next((u for u in units if u["id"] == attempt.unit_id), {})
    questions = {q["id"]: q for q in unit.get("questions", [])}
    texts = attempt.version.content["review"].get(attempt.language, {})
    items: list[tuple[AttemptAnswer, dict[str, Any], Review]] = []
    for answer in attempt.answers:
        question = questions.get(answer.question_id) or _missing(answer.question_id)
        review = reviewed(question, texts.get(answer.question_id, {}), answer.response, shown)
        items.append((answer, question, review))
    return shown, items


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
    texts = version.content["review"].get(refresher.language, {})
    items: list[tuple[RefresherAnswer, dict[str, Any], Review]] = []
    for answer in refresher.answers:
        key = (answer.unit_id, answer.question_id)
        question = questions.get(key) or _missing(answer.question_id)
        review = reviewed(question, texts.get(answer.question_id, {}), answer.response, shown)
        items.append((answer, question, review))
    return shown, items


def _missing(question_id: str) -> dict[str, Any]:
    """A question the version no longer has in the language (not expected): its id only."""
    return {"id": question_id, "type": "", "prompt_html": ""}


def reviewed(
    question: Mapping[str, Any], texts: Mapping[str, Any], response: Any, shown: bool
) -> Review:
    """The review of one answer: `question` as the learner saw it (rendered, no answer
    key), `texts` its review texts (feedback, solution, explanation), `response` the
    stored form fields, `shown` whether answers are shown (see the module's docstring)."""
    fields: Mapping[str, Any] = response if isinstance(response, Mapping) else {}
    name = f"q-{question['id']}"
    kind = question.get("type")
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
    elif kind == "cloze":
        answer = _cloze_answer(question, name, fields)
    elif kind == "matching":
        answer = _matching_answer(question, name, fields)
    elif kind == "ordering":
        answer = _ordering_answer(question, name, fields)
    else:
        answer = ""
    if not shown:
        return Review(answer, picked)
    return Review(
        answer,
        picked,
        feedback,
        texts.get("solution_html") or "",
        texts.get("solution_bool") if kind == "true-false" else None,
        texts.get("explanation_html") or "",
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
