"""Reading the spec stored with a course version back into typed objects (server side only).

`CourseVersion.spec` is `spec_to_json` of the parsed course; grading needs the
`Question` objects, answer keys included, of one quiz unit in one language.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lms.cache import remembered
from lms.content.spec import (
    Choice,
    Criterion,
    Gap,
    NumberBand,
    Pair,
    Question,
    QuestionType,
    QuizSettings,
    Scoring,
    ShowAnswers,
    TextRule,
)
from lms.models import CourseVersion


def _choice(data: dict[str, Any]) -> Choice:
    weight = data.get("weight")  # versions stored before weights have none
    return Choice(
        data["text"],
        bool(data["correct"]),
        data.get("feedback", ""),
        data.get("line", 0),
        Decimal(weight) if weight is not None else None,
    )


def _rule(data: dict[str, Any] | None) -> TextRule | None:
    if data is None:
        return None
    return TextRule(
        tuple(data["answers"]),
        bool(data["case_sensitive"]),
        bool(data["exact_whitespace"]),
        data.get("regex"),
    )


def question_from_json(data: dict[str, Any]) -> Question:
    return Question(
        id=data["id"],
        type=QuestionType(data["type"]),
        prompt=data["prompt"],
        line=data["line"],
        points=Decimal(data["points"]),
        explanation=data["explanation"],
        choices=tuple(_choice(c) for c in data["choices"]),
        scoring=Scoring(data["scoring"]),
        answer_bool=data["answer_bool"],
        feedback_true=data["feedback_true"],
        feedback_false=data["feedback_false"],
        number=Decimal(data["number"]) if data["number"] is not None else None,
        tolerance=Decimal(data["tolerance"]),
        unit=data["unit"],
        text_rule=_rule(data["text_rule"]),
        gaps=tuple(
            Gap(tuple(_choice(c) for c in g["choices"]), _rule(g["text"])) for g in data["gaps"]
        ),
        pairs=tuple(Pair(p["left"], p["right"]) for p in data["pairs"]),
        distractors=tuple(data["distractors"]),
        items=tuple(data["items"]),
        bands=tuple(
            NumberBand(Decimal(b["low"]), Decimal(b["high"]), Decimal(b["weight"]))
            for b in data.get("bands", ())
        ),
        # Versions stored before essays have none of these.
        rubric=tuple(Criterion(c["text"], Decimal(c["points"])) for c in data.get("rubric", ())),
        min_words=data.get("min_words"),
        max_words=data.get("max_words"),
    )


def _unit_json(version: CourseVersion, language: str, unit_id: str) -> dict[str, Any] | None:
    units: dict[str, list[dict[str, Any]]] = version.spec["units"]
    for lang in (language, version.language):
        for unit in units.get(lang, []):
            if unit["id"] == unit_id:
                return unit
    return None


@dataclass(frozen=True)
class _StoredQuiz:
    settings: QuizSettings | None
    questions: tuple[Question, ...]


def _stored_quiz(version: CourseVersion, language: str, unit_id: str) -> _StoredQuiz:
    """The parsed quiz unit, kept in the cache: a version never changes after import,
    while reading it back means loading and parsing the whole course's `spec` (tens
    of KB of JSON) on every start, submit and result page."""

    def parse() -> _StoredQuiz:
        unit = _unit_json(version, language, unit_id) or {}
        quiz = unit.get("quiz")
        return _StoredQuiz(
            settings=_settings(quiz) if quiz is not None else None,
            questions=tuple(question_from_json(q) for q in unit.get("questions", [])),
        )

    return remembered(("quiz-unit", version.id, version.content_hash, language, unit_id), parse)


def stored_questions(version: CourseVersion, language: str, unit_id: str) -> list[Question]:
    """The questions of a quiz unit in `language` (or the main language), with answer keys."""
    return list(_stored_quiz(version, language, unit_id).questions)


def stored_quiz_settings(version: CourseVersion, unit_id: str) -> QuizSettings | None:
    return _stored_quiz(version, version.language, unit_id).settings


def _settings(data: dict[str, Any]) -> QuizSettings:
    return QuizSettings(
        pass_mark=data["pass_mark"],
        max_attempts=data["max_attempts"],
        shuffle=data["shuffle"],
        draw=data["draw"],
        show_answers=ShowAnswers(data["show_answers"]),
    )
