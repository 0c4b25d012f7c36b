"""Essay questions in the quiz dialect (issue 18, point 21): a prompt, an optional rubric
(`rubric: criterion = points`, the question's points are their sum) and word limits;
the checker names file and line of each mistake; a trainer grades them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.content.frontmatter import Source
from lms.content.grading import GRADERS, grade, grade_quiz, word_count
from lms.content.importer import _plain as stored_form  # what spec_to_json does per part
from lms.content.parser import parse_course
from lms.content.quiz import parse_questions
from lms.content.spec import Criterion, Question, QuestionType
from lms.content.stored import question_from_json
from tests.unit.test_course_parser import quiz, write_course

ESSAY_CODES = {"bad-rubric", "rubric-points-differ", "bad-word-limit", "word-limits-crossed"}

ESSAYS = """
## Beschreiben Sie Ihren gesicherten Arbeitsplatz. {#platz}
Was haben Sie getan, bevor Sie gegangen sind?
rubric: Nennt die Gefahr = 2
rubric: Nennt die Maßnahme = 1,5
min_words: 20
max_words: 200

## Was würden Sie verbessern? {#besser}
type: essay
points: 3

## Ihre Meinung? {#meinung}
type: freitext
"""


def parsed(body: str) -> tuple[tuple[Question, ...], list[str]]:
    source = Source("kurs/02-check.md")
    _intro, questions = parse_questions(body, 1, source)
    return questions, [p.format() for p in source.problems]


@pytest.fixture
def en(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def questions() -> dict[str, Question]:
    found, problems = parsed(ESSAYS)
    assert problems == []
    return {q.id: q for q in found}


def test_an_essay_with_a_rubric_has_the_rubrics_points_and_its_limits(questions):
    platz = questions["platz"]
    assert platz.type is QuestionType.ESSAY
    assert platz.rubric == (
        Criterion("Nennt die Gefahr", Decimal(2)),
        Criterion("Nennt die Maßnahme", Decimal("1.5")),
    )
    assert platz.points == Decimal("3.5")
    assert (platz.min_words, platz.max_words) == (20, 200)
    assert platz.prompt.endswith("Was haben Sie getan, bevor Sie gegangen sind?")


def test_an_essay_without_a_rubric_has_one_overall_score(questions):
    assert (questions["besser"].type, questions["besser"].points) == (QuestionType.ESSAY, 3)
    assert questions["besser"].rubric == ()
    assert (questions["meinung"].type, questions["meinung"].points) == (QuestionType.ESSAY, 1)


CHECKER_CASES = [
    ("rubric: Nennt die Gefahr\n",
     "kurs/02-check.md:2: rubric: Nennt die Gefahr is not a criterion with points."),
    ("rubric: Nennt die Gefahr = 0\n",
     "kurs/02-check.md:2: rubric: Nennt die Gefahr = 0 is not a criterion with points."),
    ("rubric: Gefahr = 2\nrubric: Maßnahme = 1\npoints: 4\n",
     "kurs/02-check.md:4: points: 4 differs from the rubric's sum of 3 points."),
    ("type: essay\nmin_words: zehn\n",
     "kurs/02-check.md:3: min_words: zehn is not a number of words from 1 to 10000."),
    ("type: essay\nmax_words: 0\n",
     "kurs/02-check.md:3: max_words: 0 is not a number of words from 1 to 10000."),
    ("min_words: 50\nmax_words: 20\n",
     "kurs/02-check.md:1: min_words: 50 is more than max_words: 20."),
    ("type: essay\nanswer: Feuer\n",
     "kurs/02-check.md:3: A essay question cannot have answer:."),
    ("answer: 5\nmin_words: 3\n",
     "kurs/02-check.md:2: A essay question cannot have answer:."),
    ("type: number\nanswer: 5\nrubric: a = 1\n",
     "kurs/02-check.md:4: A number question cannot have rubric:."),
    ("- (x) a\n- ( ) b\n\nmax_words: 30\n",
     "kurs/02-check.md:2: A essay question cannot have choices."),
]  # fmt: skip


@pytest.mark.parametrize(("body", "problem"), CHECKER_CASES)
def test_the_checker_names_file_and_line_of_essay_mistakes(en, body, problem):
    _found, problems = parsed(f"## Frage {{#f}}\n{body}")
    assert problems and problems[0].startswith(problem), problems


def test_every_essay_problem_has_a_case():
    codes = set()
    for body, _problem in CHECKER_CASES:
        source = Source("kurs/02-check.md")
        parse_questions(f"## Frage {{#f}}\n{body}", 1, source)
        codes |= {p.code for p in source.problems}
    assert codes == ESSAY_CODES | {"wrong-type-parts"}


def test_a_course_with_a_bad_rubric_is_refused_by_the_checker(en, tmp_path):
    folder = write_course(tmp_path, {"02-check.md": quiz("## F {#f}\nrubric: Gefahr = viel\n")})
    assert [(p.path, p.line, p.code) for p in parse_course(folder).errors] == [
        ("testkurs/02-check.md", 6, "bad-rubric")]  # fmt: skip


def test_a_translation_must_keep_the_rubrics_points(en, tmp_path):
    original = quiz("## F {#f}\nrubric: Gefahr = 2\nrubric: Maßnahme = 1\n")
    translation = quiz("## Q {#f}\nrubric: Hazard = 1\nrubric: Measure = 2\n")
    folder = write_course(tmp_path, {"02-check.md": original, "02-check.en.md": translation})
    (error,) = parse_course(folder).errors
    assert error.code == "translation-differs" and "rubric points" in error.message()
    same = quiz("## Q {#f}\nrubric: Hazard = 2\nrubric: Measure = 1\n")
    folder = write_course(tmp_path / "b", {"02-check.md": original, "02-check.en.md": same})
    assert parse_course(folder).errors == ()


def test_essays_survive_storage_and_a_version_stored_before_essays_reads_as_before(questions):
    for question in questions.values():
        assert question_from_json(stored_form(question)) == question
    old = stored_form(questions["besser"])
    for key in ("rubric", "min_words", "max_words"):
        del old[key]
    assert question_from_json(old) == questions["besser"]


def test_the_grader_gives_an_essay_nothing_until_a_trainer_grades_it(questions):
    platz = questions["platz"]
    written = grade(platz, "Ich habe den Rechner gesperrt.")
    assert (written.score, written.max, written.correct, written.answered) == (
        0, Decimal("3.5"), False, True)  # fmt: skip
    assert not grade(platz, "   ").answered
    fields = {"q-platz": "Text"}
    assert GRADERS[QuestionType.ESSAY].response_from_fields(platz, {}, fields) == "Text"
    # In a whole quiz the essay's points count in the maximum, not in the score yet.
    result = grade_quiz([platz], {"platz": "Text"}, 50)
    assert (result.score, result.max, result.passed) == (0, Decimal("3.5"), False)


def test_words_are_counted_between_spaces_and_line_breaks():
    assert word_count("Rechner  gesperrt,\nTür zu.") == 4
    assert word_count("  ") == 0
