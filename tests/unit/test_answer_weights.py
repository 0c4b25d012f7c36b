"""Weights per choice (`- [x] text {50%}`) and partial credit for numbers (`partial:`):
written by hand, checked with file and line, graded on the server, stored with the version."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.content.frontmatter import Source
from lms.content.gift import questions_to_gift, questions_to_markdown
from lms.content.grading import grade
from lms.content.importer import _plain as stored_form  # what spec_to_json does per part
from lms.content.parser import parse_course
from lms.content.quiz import parse_questions
from lms.content.spec import NumberBand, Question, QuestionType
from lms.content.stored import question_from_json
from tests.unit.test_course_parser import quiz, write_course

WEIGHTED = """
## Was gehört an einen Notausgang? {#notausgang}
- [x] ein grünes Schild {50%}
- [x] freier Weg
- [ ] ein abgeschlossenes Tor {-100 %}
- [ ] ein Kaffeeautomat

## Womit löschen Sie einen Fettbrand? {#fettbrand}
- ( ) mit Wasser {−50%}
- ( ) mit einem Feuerlöscher der Klasse A {25,5%}
- (x) mit einem Fettbrandlöscher (Klasse F)

## In welcher Höhe hängt ein Feuerlöscher (Griff, in cm)? {#hoehe}
answer: 100
tolerance: 5
partial: 80..120 = 50%
partial: 100 ± 30 = 25%
partial: 150 = 100%
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
    found, problems = parsed(WEIGHTED)
    assert problems == []
    return {q.id: q for q in found}


def test_weights_are_read_from_the_end_of_the_choice_and_taken_off_its_text(questions):
    notausgang = questions["notausgang"]
    assert [(c.text, c.correct, c.weight) for c in notausgang.choices] == [
        ("ein grünes Schild", True, Decimal(50)),
        ("freier Weg", True, None),
        ("ein abgeschlossenes Tor", False, Decimal(-100)),
        ("ein Kaffeeautomat", False, None),
    ]
    fettbrand = questions["fettbrand"]
    assert fettbrand.type is QuestionType.SINGLE
    assert [c.weight for c in fettbrand.choices] == [Decimal(-50), Decimal("25.5"), None]


def test_partial_credit_bands_of_a_number(questions):
    assert questions["hoehe"].bands == (
        NumberBand(Decimal(80), Decimal(120), Decimal(50)),
        NumberBand(Decimal(70), Decimal(130), Decimal(25)),
        NumberBand(Decimal(150), Decimal(150), Decimal(100)),
    )


@pytest.mark.parametrize(
    ("ticked", "score", "correct"),
    [
        ({0, 1}, "1", True),  # both correct ones: 50% + the 50% left for "freier Weg"
        ({0}, "0.50", False),
        ({1, 3}, "0.50", False),  # a wrong answer without a weight costs nothing
        ({0, 1, 3}, "1", True),
        ({0, 1, 2}, "0.00", False),  # 100% - 100%
        ({2}, "0.00", False),  # never below 0
    ],
)
def test_multiple_choice_with_weights_adds_up_the_ticked_answers(questions, ticked, score, correct):
    result = grade(questions["notausgang"], frozenset(ticked))
    assert (result.score, result.correct) == (Decimal(score), correct)


@pytest.mark.parametrize(("picked", "score"), [(2, "1"), (1, "0.26"), (0, "0.00")])
def test_single_choice_with_weights_earns_the_picked_answers_share(questions, picked, score):
    # 25.5% of one point is 0.255, rounded half up to 0.26; -50% earns nothing.
    assert grade(questions["fettbrand"], picked).score == Decimal(score)


@pytest.mark.parametrize(
    ("typed", "score"),
    [("100", "1"), ("104,5", "1"), ("110", "0.50"), ("80", "0.50"), ("125", "0.25"),
     ("150", "1"), ("140", "0.00"), ("abc", "0.00")],
)  # fmt: skip
def test_a_number_in_a_band_earns_the_bands_share(questions, typed, score):
    assert grade(questions["hoehe"], typed).score == Decimal(score)


def test_thirds_written_as_33_33_percent_give_full_marks():
    found, problems = parsed(
        "## Welche? {#drei}\n- [x] a {33.33%}\n- [x] b {33.33%}\n- [x] c {33.33%}\n- [ ] d\n"
    )
    assert problems == []
    assert grade(found[0], frozenset({0, 1, 2})).score == Decimal(1)
    assert grade(found[0], frozenset({0})).score == Decimal("0.33")


def test_without_weights_grading_is_unchanged():
    found, _problems = parsed("## Welche? {#w}\n- [x] a\n- [x] b\n- [ ] c\nscoring: partial\n")
    assert grade(found[0], frozenset({0, 2})).score == Decimal("0.00")
    assert grade(found[0], frozenset({0})).score == Decimal("0.50")


# The problem codes of weights and bands (for tests/unit/test_course_parser.py).
WEIGHT_CODES = {
    "weight-out-of-range", "weights-not-100", "weights-leave-nothing", "wrong-choice-weight",
    "correct-choice-weight", "single-correct-weight", "single-wrong-weight",
    "weights-with-scoring-all", "bad-partial", "partial-weight-out-of-range",
}  # fmt: skip

CHECKER_CASES = [
        ("- [x] a {150%}\n- [ ] b\n",
         "kurs/02-check.md:2: The weight 150% is outside -100 % to 100 %."),
        ("- [x] a {60%}\n- [x] b {60%}\n- [ ] c\n",
         "kurs/02-check.md:1: The weights of the correct answers [x] add up to 120%, not 100 %."),
        ("- [x] a {40%}\n- [x] b {40%}\n- [ ] c\n",
         "kurs/02-check.md:1: The weights of the correct answers [x] add up to 80%, not 100 %."),
        ("- [x] a {100%}\n- [x] b\n- [ ] c\n",
         "kurs/02-check.md:1: The weights of the correct answers [x] add up to 100%: nothing "
         "is left for the [x] answers without a weight."),
        ("- [x] a\n- [ ] b {20%}\n",
         "kurs/02-check.md:3: The answer [ ] earns 20%: a wrong answer cannot earn points."),
        ("- [x] a {-10%}\n- [x] b\n",
         "kurs/02-check.md:2: The answer [x] earns -10%: a correct answer must earn more than 0 %."),
        ("- (x) a {50%}\n- ( ) b\n",
         "kurs/02-check.md:2: The correct answer (x) earns 50%: it always earns 100 %."),
        ("- (x) a\n- ( ) b {100%}\n",
         "kurs/02-check.md:3: The answer ( ) earns 100%: only the correct answer (x) earns 100 %."),
        ("- [x] a {50%}\n- [x] b\n- [ ] c\n\nscoring: all\n",
         "kurs/02-check.md:6: scoring: all cannot be combined with weights on the answers."),
        ("answer: 5\npartial: 4 bis 6 = 50%\n",
         "kurs/02-check.md:3: partial: 4 bis 6 = 50% is not a range with a percentage."),
        ("answer: 5\npartial: 6..4 = 50%\n",
         "kurs/02-check.md:3: partial: 6..4 = 50% is not a range with a percentage."),
        ("answer: 5\npartial: 4..6 = 0%\n",
         "kurs/02-check.md:3: partial: the share 0% must be more than 0 % and at most 100 %."),
        ("type: text\nanswer: fünf\npartial: 5 = 50%\n",
         "kurs/02-check.md:4: A text question cannot have partial:."),
]  # fmt: skip


@pytest.mark.parametrize(("body", "problem"), CHECKER_CASES)
def test_the_checker_names_file_and_line_of_bad_weights(en, body, problem):
    _found, problems = parsed(f"## Frage {{#f}}\n{body}")
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_every_weight_problem_has_a_case():
    codes = set()
    for body, _problem in CHECKER_CASES:
        source = Source("kurs/02-check.md")
        parse_questions(f"## Frage {{#f}}\n{body}", 1, source)
        codes |= {p.code for p in source.problems}
    assert codes == WEIGHT_CODES | {"wrong-type-parts"}


def test_a_course_with_bad_weights_is_refused_by_the_checker(en, tmp_path):
    folder = write_course(tmp_path, {"02-check.md": quiz("## F {#f}\n- [x] a {150%}\n- [ ] b\n")})
    result = parse_course(folder)
    assert [(p.path, p.line, p.code) for p in result.errors] == [
        ("testkurs/02-check.md", 6, "weight-out-of-range")]  # fmt: skip


def test_a_translation_must_keep_the_weights(en, tmp_path):
    original = quiz("## F {#f}\n- [x] a {50%}\n- [x] b\n- [ ] c {-100%}\n")
    translation = quiz("## Q {#f}\n- [x] a\n- [x] b\n- [ ] c\n")
    folder = write_course(tmp_path, {"02-check.md": original, "02-check.en.md": translation})
    (error,) = parse_course(folder).errors
    assert error.code == "translation-differs" and "answer weights" in error.message()


def test_weights_and_bands_survive_storage_and_the_markdown_writer(questions):
    for question in questions.values():
        assert question_from_json(spec_to_json_question(question)) == question
    markdown = questions_to_markdown(list(questions.values()))
    assert "- [x] ein grünes Schild {50%}\n" in markdown
    assert "- ( ) mit Wasser {-50%}\n" in markdown
    assert "partial: 80..120 = 50%\npartial: 70..130 = 25%\npartial: 150 = 100%\n" in markdown
    body = markdown.split("---\n", 2)[2]
    again, problems = parsed(body)
    assert problems == []

    def key(items):
        return [([(c.text, c.correct, c.weight) for c in q.choices], q.bands) for q in items]

    assert key(again) == key(questions.values())


def spec_to_json_question(question: Question) -> dict[str, object]:
    """The question as the importer stores it (as part of the course's spec)."""
    data: dict[str, object] = stored_form(question)
    return data


def test_a_version_stored_before_weights_reads_as_unweighted(questions):
    data = spec_to_json_question(questions["notausgang"])
    for choice in data["choices"]:  # type: ignore[union-attr]
        del choice["weight"]
    del data["bands"]
    assert all(c.weight is None for c in question_from_json(data).choices)


def test_weights_and_bands_are_exported_to_gift_as_moodle_weights(questions):
    export = questions_to_gift(list(questions.values()))
    assert (
        "\t~%50%ein grünes Schild\n\t~%50%freier Weg\n\t~%-100%ein abgeschlossenes Tor\n"
        "\t~ein Kaffeeautomat\n" in export.text
    )
    assert "\t~%-50%mit Wasser\n\t~%25.5%mit einem Feuerlöscher der Klasse A\n" in export.text
    assert "{#=100:5 =%50%100:20 =%25%100:30 =%100%150}" in export.text
    assert [n.template for n in export.notes] == [
        "a negative weight on a single answer takes points off the whole quiz in Moodle; here "
        "it costs no more than a wrong answer"
    ]
