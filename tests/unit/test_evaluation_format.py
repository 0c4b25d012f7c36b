"""The evaluation questionnaire in course.md: read, translated, checked with file:line problems,
stored with the version; the built-in questions for a module without its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lms.content.importer import import_course
from lms.content.parser import parse_course
from lms.content.spec import EvaluationKind
from lms.evaluation import service
from lms.models import CourseVersion
from tests.unit.test_course_parser import COURSE_MD, write_course

EVALUATION = """\
evaluation:
  - id: overall
    type: scale
    question: Wie hilfreich war das Lernmodul?
    low: gar nicht
    high: sehr
  - id: part
    type: choice
    question: Welcher Teil hat Ihnen am meisten gebracht?
    options: [Lektionen, Wissenscheck]
  - id: change
    type: text
    question: Was sollten wir ändern?
"""

TRANSLATION = """\
---
title: Test course
evaluation:
  - id: overall
    question: How helpful was the module?
    low: not at all
    high: very
  - id: part
    question: Which part helped you most?
    options: [Lessons, Knowledge check]
  - id: change
    question: What should we change?
---
"""


def course_md(evaluation: str) -> str:
    return COURSE_MD.replace("tags: [test, pflicht]\n", "tags: [test, pflicht]\n" + evaluation)


def problems_of(tmp_path, files):
    result = parse_course(write_course(tmp_path, files))
    return result, [(p.path, p.line, p.code) for p in result.problems if p.is_error]


def test_a_questionnaire_is_read_in_each_language_with_its_kinds(app, tmp_path):
    result, errors = problems_of(
        tmp_path, {"course.md": course_md(EVALUATION), "course.en.md": TRANSLATION}
    )
    assert errors == []
    german = result.spec.evaluation["de"]
    assert [q.kind for q in german] == [
        EvaluationKind.SCALE,
        EvaluationKind.CHOICE,
        EvaluationKind.TEXT,
    ]
    assert (german[0].low, german[0].high) == ("gar nicht", "sehr")
    assert german[1].options == ("Lektionen", "Wissenscheck")
    assert [q.optional for q in german] == [False, False, True]  # free text may be skipped
    english = result.spec.evaluation["en"]
    assert english[1].options == ("Lessons", "Knowledge check")
    assert english[2].optional  # kinds and optional come from course.md


def test_mistakes_are_reported_with_file_and_line(app, tmp_path):
    broken = """\
evaluation:
  - id: overall
    type: stars
    question: Wie war es?
  - id: part
    type: choice
    question: Welcher Teil?
    options: [Nur einer]
  - id: overall
    type: text
    question: Noch etwas?
    low: wenig
  - type: scale
    question: Ohne Kennung
    low: a
    high: b
"""
    # course.md: evaluation: is on line 7, the first question on line 8.
    _result, errors = problems_of(tmp_path, {"course.md": course_md(broken)})
    assert ("testkurs/course.md", 9, "bad-value") in errors  # type: stars
    assert ("testkurs/course.md", 14, "evaluation-options") in errors  # one option only
    assert ("testkurs/course.md", 15, "evaluation-duplicate-id") in errors
    assert ("testkurs/course.md", 18, "evaluation-key-not-for-kind") in errors  # low: on text
    assert ("testkurs/course.md", 19, "evaluation-missing-key") in errors  # no id
    assert parse_course(tmp_path / "testkurs").spec is None


def test_a_translation_must_cover_every_question_and_only_those(app, tmp_path):
    partial = TRANSLATION.replace(
        "  - id: change\n    question: What should we change?\n",
        "  - id: changes\n    question: What should change?\n",
    )
    _result, errors = problems_of(
        tmp_path, {"course.md": course_md(EVALUATION), "course.en.md": partial}
    )
    codes = {(path, code) for path, _line, code in errors}
    assert ("testkurs/course.en.md", "evaluation-unknown-id") in codes
    assert ("testkurs/course.en.md", "evaluation-translation-missing") in codes


def test_the_problems_read_in_the_trainers_language(app, tmp_path):
    result = parse_course(
        write_course(
            tmp_path,
            {"course.md": course_md("evaluation:\n  - id: x\n    type: choice\n    question: Q\n")},
        )
    )
    problem = next(p for p in result.problems if p.code == "evaluation-options")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert problem.format() == (
            "testkurs/course.md:8: Question 1 of evaluation: needs 2 to 10 different options. "
            "List them in square brackets, e.g. options: [Lektionen, Wissenscheck, Präsenztermin]."
        )


@pytest.fixture
def imported(app, db, tmp_path):
    folder = write_course(
        tmp_path, {"course.md": course_md(EVALUATION), "course.en.md": TRANSLATION}
    )
    with app.test_request_context():
        import_course(db, folder, datetime(2026, 1, 1, tzinfo=UTC))
    return db.scalar(select(CourseVersion))


def test_the_questionnaire_is_stored_with_the_version(app, db, imported):
    with app.test_request_context():
        english = service.questionnaire(imported, "en", for_session=False)
        german = service.questionnaire(imported, "de", for_session=True)
    assert english.own and english.language == "en"
    assert english.questions[0].text == "How helpful was the module?"
    assert german.questions[1].options == ("Lektionen", "Wissenscheck")


def test_a_module_without_questions_gets_the_three_built_in_ones(app, db, tmp_path):
    with app.test_request_context():
        import_course(db, write_course(tmp_path, {}), datetime(2026, 1, 1, tzinfo=UTC))
    version = db.scalar(select(CourseVersion))
    with app.test_request_context(headers={"Accept-Language": "de"}):
        built_in = service.questionnaire(version, "de", for_session=False)
    assert not built_in.own
    assert [q.id for q in built_in.questions] == ["overall", "useful", "change"]
    assert [q.kind for q in built_in.questions] == [
        EvaluationKind.SCALE,
        EvaluationKind.SCALE,
        EvaluationKind.TEXT,
    ]
    assert built_in.questions[2].optional


def _question(extra: str = "", kind: str = "text", question_id: str = "x") -> str:
    return f"  - id: {question_id}\n    type: {kind}\n    question: Frage\n{extra}"


# (name, course.md's evaluation block, course.en.md or None, (file, line, code)).
EVALUATION_CASES = [
    ("not a list", "evaluation: Wie war es?\n", None, ("course.md", 7, "evaluation-not-list")),
    (
        "too many",
        "evaluation:\n" + "".join(_question(question_id=f"q{n}") for n in range(13)),
        None,
        ("course.md", 7, "evaluation-too-many"),
    ),
    ("not a question", "evaluation:\n  - Wie war es?\n", None,
     ("course.md", 8, "evaluation-not-question")),
    ("missing key", "evaluation:\n  - id: x\n    type: text\n", None,
     ("course.md", 8, "evaluation-missing-key")),
    ("bad id", "evaluation:\n" + _question(question_id="Gesamt Note"), None,
     ("course.md", 8, "evaluation-bad-id")),
    ("duplicate id", "evaluation:\n" + _question() + _question(), None,
     ("course.md", 11, "evaluation-duplicate-id")),
    ("too long", "evaluation:\n  - id: x\n    type: text\n    question: " + "a" * 301 + "\n", None,
     ("course.md", 10, "evaluation-too-long")),
    ("key not for kind", "evaluation:\n" + _question("    options: [a, b]\n"), None,
     ("course.md", 11, "evaluation-key-not-for-kind")),
    ("options", "evaluation:\n" + _question("    options: [a, a]\n", kind="choice"), None,
     ("course.md", 11, "evaluation-options")),
    (
        "unknown id",
        "evaluation:\n" + _question(),
        "---\ntitle: T\nevaluation:\n  - id: x\n    question: Q\n  - id: y\n    question: Q\n---\n",
        ("course.en.md", 6, "evaluation-unknown-id"),
    ),
    (
        "options differ",
        "evaluation:\n" + _question("    options: [a, b]\n", kind="choice"),
        "---\ntitle: T\nevaluation:\n  - id: x\n    question: Q\n    options: [a, b, c]\n---\n",
        ("course.en.md", 6, "evaluation-options-differ"),
    ),
    (
        "translation missing",
        "evaluation:\n" + _question() + _question(question_id="y"),
        "---\ntitle: T\nevaluation:\n  - id: x\n    question: Q\n---\n",
        ("course.en.md", 3, "evaluation-translation-missing"),
    ),
    (
        "translation without original",
        "",
        "---\ntitle: T\nevaluation:\n  - id: x\n    question: Q\n---\n",
        ("course.en.md", 3, "evaluation-translation-without-original"),
    ),
]  # fmt: skip
EVALUATION_CODES = {case[3][2] for case in EVALUATION_CASES}


@pytest.mark.parametrize(
    ("block", "translation", "expected"),
    [case[1:] for case in EVALUATION_CASES],
    ids=[case[0] for case in EVALUATION_CASES],
)
def test_each_questionnaire_problem_names_file_and_line(
    app, tmp_path, block, translation, expected
):
    files = {"course.md": course_md(block)}
    if translation is not None:
        files["course.en.md"] = translation
    result = parse_course(write_course(tmp_path, files))
    name, line, code = expected
    found = [(p.path, p.line, p.code) for p in result.problems]
    assert (f"testkurs/{name}", line, code) in found, found
    problem = next(p for p in result.problems if p.code == code)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert problem.message() and problem.hint()
    assert result.spec is None
