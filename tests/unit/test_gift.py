"""Moodle GIFT import and export (lms.content.gift) and `lms courses import-gift/export-gift`.

gift_samples/moodle_examples.gift has one example of each construct of Moodle's GIFT
documentation; gift_samples/all_types.md is a quiz with every question type.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from lms.content.frontmatter import Source, split
from lms.content.gift import (
    GiftImport,
    Note,
    gift_to_questions,
    questions_to_gift,
    questions_to_markdown,
)
from lms.content.grading import grade
from lms.content.parser import parse_course
from lms.content.quiz import parse_questions
from lms.content.spec import (
    Choice,
    NumberBand,
    Pair,
    Question,
    QuestionType,
    QuizSettings,
    Scoring,
    ShowAnswers,
    TextRule,
)

SAMPLES = Path(__file__).parent / "gift_samples"
COURSE_MD = "---\ntitle: GIFT-Test\nsummary: Fragen aus Moodle.\nlanguage: de\n---\n"


def without_lines(question: Question) -> Question:
    """The question with every line number set to 0: lines differ between files."""

    def choices(items: tuple[Choice, ...]) -> tuple[Choice, ...]:
        return tuple(dataclasses.replace(c, line=0) for c in items)

    gaps = tuple(dataclasses.replace(g, choices=choices(g.choices)) for g in question.gaps)
    return dataclasses.replace(question, line=0, choices=choices(question.choices), gaps=gaps)


def same(questions: tuple[Question, ...] | list[Question]) -> list[Question]:
    return [without_lines(q) for q in questions]


def parse_quiz(markdown: str) -> tuple[Question, ...]:
    """The questions of a quiz unit file, read by the project's quiz parser; no problems allowed."""
    source = Source("03-quiz.md")
    front = split(markdown, source)
    assert front is not None
    _intro, questions = parse_questions(front.body, front.body_line, source)
    assert source.problems == []
    return questions


def quiz_md(body: str) -> str:
    return f"---\ntype: quiz\ntitle: Test\n---\n\n{body.strip()}\n"


def make_course(root: Path, units: dict[str, str], slug: str = "gift-kurs") -> Path:
    folder = root / slug
    folder.mkdir()
    (folder / "course.md").write_text(COURSE_MD, encoding="utf-8")
    for name, text in units.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def examples() -> GiftImport:
    return gift_to_questions((SAMPLES / "moodle_examples.gift").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def by_id(examples: GiftImport) -> dict[str, Question]:
    return {q.id: q for q in examples.questions}


def what(note: Note) -> str:
    """What a note says changed, without the question it names (in English)."""
    return str(note.template) % note.params


def notes_at(result: GiftImport, line: int) -> list[str]:
    return [what(n) for n in result.notes if n.line == line]


# --- Import: each kind of GIFT question -------------------------------------------------


def test_multiple_choice_with_one_right_answer_is_single_choice(by_id):
    question = by_id["mc-basic"]
    assert question.type is QuestionType.SINGLE
    assert question.prompt == "Which planet is closest to the sun?"
    assert [(c.text, c.correct) for c in question.choices] == [
        ("Venus", False), ("Earth", False), ("Mercury", True), ("Mars", False)]  # fmt: skip
    lines = by_id["mc-lines"]
    assert [c.text for c in lines.choices if c.correct] == ["Pacific"]
    assert [c.line for c in lines.choices] == [15, 16, 17, 18]


def test_missing_word_becomes_a_cloze_gap(by_id):
    choice_gap = by_id["mw-choice"]
    assert choice_gap.type is QuestionType.CLOZE
    assert choice_gap.prompt == "The sun rises in the {{gap:0}} every morning."
    assert [(c.text, c.correct) for c in choice_gap.gaps[0].choices] == [
        ("west", False), ("east", True), ("north", False)]  # fmt: skip
    text_gap = by_id["sa-missing"]
    assert text_gap.prompt == "Three plus four equals {{gap:0}}."
    assert text_gap.gaps[0].text == TextRule(("seven", "7"))


def test_short_answer_accepts_every_full_credit_answer(by_id):
    question = by_id["sa-two"]
    assert question.type is QuestionType.TEXT
    assert question.text_rule == TextRule(("carbon dioxide", "CO2"))


def test_true_false_and_its_two_feedbacks(by_id):
    assert by_id["tf-short"].answer_bool is True
    assert by_id["tf-long"].answer_bool is False
    question = by_id["tf-feedback"]
    assert question.type is QuestionType.TRUE_FALSE
    # {TRUE#shown for a wrong answer#shown for the right one}
    assert question.feedback_false == "Look at a map again."
    assert question.feedback_true == "Yes, it is."
    assert question.explanation == "Paris has been the capital for centuries."


def test_matching_with_a_right_side_that_belongs_to_nothing(by_id):
    question = by_id["match-capitals"]
    assert question.type is QuestionType.MATCHING
    assert question.pairs == (Pair("Norway", "Oslo"), Pair("Portugal", "Lisbon"),
                              Pair("Kenya", "Nairobi"))  # fmt: skip
    assert question.distractors == ("Madrid",)


@pytest.mark.parametrize(
    ("qid", "number", "tolerance", "prompt"),
    [
        ("num-exact", "1989", "0", "In which year did the Berlin Wall fall?"),
        ("num-tolerance", "2.718", "0.005", "What is the value of e (to 2 decimal places)?"),
        ("num-range", "3", "2", "Name a number between 1 and 5."),
        ("num-multiple", "1969", "0", "In which year did Apollo 11 land on the Moon?"),
    ],
)
def test_numbers_with_tolerance_or_range(by_id, qid, number, tolerance, prompt):
    question = by_id[qid]
    assert question.type is QuestionType.NUMBER
    assert (question.number, question.tolerance) == (Decimal(number), Decimal(tolerance))
    assert question.prompt == prompt


def test_numeric_answers_with_partial_credit_become_bands(examples, by_id):
    question = by_id["num-multiple"]
    assert (question.number, question.tolerance) == (Decimal(1969), Decimal(0))
    assert question.bands == (NumberBand(Decimal(1967), Decimal(1971), Decimal(50)),)
    # Only the feedback is lost; the partial credit is kept.
    assert notes_at(examples, 48) == ["feedback on numeric answers is not supported: dropped"]
    assert (grade(question, "1970").score, grade(question, "1969").score) == (
        Decimal("0.50"), Decimal(1))  # fmt: skip


def test_answer_feedback_and_general_feedback(by_id):
    question = by_id["mc-feedback"]
    assert [(c.text, c.feedback) for c in question.choices] == [
        ("Shark", "Sharks are fish."),
        ("Dolphin", "Right: dolphins breathe air."),
        ("Octopus", "Octopuses are molluscs."),
    ]
    general = by_id["General"]
    assert general.text_rule == TextRule(("7", "seven"))
    assert general.explanation == "Conventions differ; seven is the usual count."


def test_percentage_weights(examples, by_id):
    single = by_id["weights-single"]
    assert single.type is QuestionType.SINGLE
    assert [(c.text, c.correct, c.weight) for c in single.choices] == [
        ("Mare Imbrium", False, None),
        ("Sea of Serenity", False, Decimal(50)),
        ("Sea of Tranquility", True, None),
    ]
    assert notes_at(examples, 72) == []  # the partial credit is kept
    assert grade(single, 1).score == Decimal("0.50")

    # -100% for a wrong answer is not the even negative share (-50%): kept as weights.
    multiple = by_id["weights-multiple"]
    assert multiple.type is QuestionType.MULTIPLE
    assert [(c.correct, c.weight) for c in multiple.choices] == [
        (True, Decimal(50)), (True, Decimal(50)), (False, Decimal(-100)), (False, Decimal(-100))]  # fmt: skip
    assert notes_at(examples, 79) == []
    assert grade(multiple, {0, 2}).score == Decimal("0.00")  # Moodle: 50% - 100% → 0
    assert grade(multiple, {0, 1}).score == Decimal(1)

    unequal = by_id["weights-unequal"]
    assert [c.weight for c in unequal.choices] == [Decimal(40), Decimal(60), None]
    assert notes_at(examples, 86) == []
    assert grade(unequal, {0}).score == Decimal("0.40")
    assert grade(unequal, {1, 2}).score == Decimal("0.60")  # a 0% answer costs nothing


def test_text_formats(examples, by_id):
    assert by_id["markdown-text"].prompt == "Which word is **bold** here?"
    assert by_id["html-text"].prompt == "Which word is **bold** here?\n\nAnswer in one word."
    assert notes_at(examples, 95) == ["HTML markup converted to Markdown (check the result)"]
    assert by_id["plain-text"].prompt == "What does 2\\*3\\*4 equal?"


def test_escaped_special_characters_survive(by_id):
    assert [(c.text, c.correct) for c in by_id["Escapes"].choices] == [
        ("= 2 + 2", False), ("= 2 + 3", True), ("= 2 + 4", False)]  # fmt: skip
    control = by_id["control-characters"]
    assert [c.text for c in control.choices] == ["~", "=", "#", "{", "}", "\\"]
    assert control.choices[-1].correct
    assert control.choices[0].feedback == "~ is special."
    assert control.choices[-1].feedback == "Right! The backslash only escapes the others."
    assert by_id["colon-in-title"].prompt == "Is 12:30 half past twelve?"


def test_line_breaks(by_id):
    assert by_id["Paragraphs"].prompt == "First paragraph.\n\nSecond paragraph: which one is this?"
    assert by_id["Multiline"].prompt == "This question text spans two lines of the file."


def test_comments_are_skipped_and_categories_noted(examples):
    assert notes_at(examples, 5) == [
        "category '$course$/Examples/Basics' not kept: all questions go into one quiz unit"]  # fmt: skip
    assert "$course$/Examples/Options" in notes_at(examples, 59)[0]
    texts = " ".join(q.prompt for q in examples.questions)
    assert "//" not in texts and "===" not in texts and "CATEGORY" not in texts


def test_an_essay_is_imported_and_a_description_reported_with_its_line(examples):
    assert notes_at(examples, 54) == []
    (essay,) = [q for q in examples.questions if q.type is QuestionType.ESSAY]
    assert (essay.id, essay.prompt, essay.points, essay.rubric) == (
        "Essay",
        "Describe your favourite season.",
        1,
        (),
    )
    assert notes_at(examples, 57) == ["description without answers: not a question, not converted"]
    assert examples.found == 29
    assert len(examples.questions) == 28


def test_ids_come_from_titles_or_the_position():
    result = gift_to_questions(
        "::Jesus' hometown::Where? {=Nazareth}\n\n"
        "::Jesus' hometown::Where again? {=Nazareth}\n\n"
        "::Q1::Kept as it is.{T}\n\n"
        "Untitled.{T}\n\n"
        "::Größe & Maß::Umlauts.{T}\n\n"
        "::q2-2::Collides with nothing yet.{T}\n\n"
        "::q2::Now q2 is taken by the title.{T}\n"
    )
    assert [q.id for q in result.questions] == [
        "jesus-hometown", "jesus-hometown-2", "Q1", "q4", "groesse-mass", "q2-2", "q2"]  # fmt: skip


def test_wildcards_in_short_answers():
    result = gift_to_questions("Name a colour with blue in it.{=*blue* =\\*star}")
    rule = result.questions[0].text_rule
    assert rule == TextRule(("*star",), regex="^(?:.*blue.*)$")


def test_partial_credit_short_answers_inside_the_text():
    result = gift_to_questions(
        "Jesus Christ was from {\n=Nazareth#Yes!\n=%75%Nazereth#Misspelt.\n=%25%Bethlehem\n}."
    )
    question = result.questions[0]
    assert question.type is QuestionType.CLOZE
    assert question.gaps[0].text == TextRule(("Nazareth",))
    assert [what(n) for n in result.notes] == [
        "typed answers have no partial credit: 'Nazereth' (75%), 'Bethlehem' (25%) dropped, "
        "they count as wrong answers",
        "feedback on typed answers is not supported: dropped",
    ]


def test_a_gap_that_cannot_be_written_becomes_a_blank():
    result = gift_to_questions("Choose {~a|b =c ~d} now.")
    question = result.questions[0]
    assert (question.type, question.prompt) == (QuestionType.SINGLE, "Choose _____ now.")
    assert "cannot stand in a gap" in what(result.notes[0])


def test_several_full_credit_choices_become_multiple_choice_with_a_note():
    result = gift_to_questions("Pick any prime.{=2 =3 ~4}")
    question = result.questions[0]
    assert (question.type, question.scoring) == (QuestionType.MULTIPLE, Scoring.ALL_OR_NOTHING)
    assert "all of them must be ticked" in what(result.notes[0])


def test_html_is_converted_and_images_are_noted():
    result = gift_to_questions(
        "[html]<p>Use <em>this</em> &amp; <code>a*b</code>.</p><ul><li>one</li><li>two</li></ul>"
        '<img src="@@PLUGINFILE@@/x.png" alt="x"><a href="javascript:alert(1)">bad</a> '
        '<a href="https://moodle.org">Moodle</a>{T}'
    )
    assert result.questions[0].prompt == (
        "Use *this* & `a*b`.\n\n- one\n- two\n\nbad [Moodle](https://moodle.org)"
    )
    assert [what(n).split(":")[0] for n in result.notes] == [
        "HTML markup converted to Markdown (check the result)", "images are not imported"]  # fmt: skip


@pytest.mark.parametrize(
    ("gift", "message"),
    [
        ("Open {=a", "the answers are not enclosed in { }: not converted"),
        ("Number?{#abc}", "'abc' is not a number, a number:tolerance or a range low..high"),
        ("Match.{=a -> b =c}", "a matching answer needs the form =left -> right"),
        ("One choice only.{~a}", "a multiple-choice question needs at least two answers"),
        ("All wrong.{~a ~b}", "no answer is marked correct: not converted"),
    ],
)
def test_questions_that_cannot_be_converted_are_skipped_with_a_note(gift, message):
    result = gift_to_questions(f"// a comment\n\n{gift}\n")
    assert result.questions == ()
    assert result.notes[0].line == 3
    assert what(result.notes[0]).startswith(message)


# --- Round trips ---------------------------------------------------------------------


def test_import_then_markdown_parses_back_to_equal_questions(examples):
    markdown = questions_to_markdown(examples.questions, title="Beispiele: GIFT")
    assert same(parse_quiz(markdown)) == same(examples.questions)


def test_import_then_markdown_as_a_unit_of_a_course(tmp_path, examples):
    settings = QuizSettings(pass_mark=60, max_attempts=3, shuffle=True, draw=5,
                            show_answers=ShowAnswers.NEVER)  # fmt: skip
    markdown = questions_to_markdown(examples.questions, settings, title="Moodle: Beispiele")
    folder = make_course(tmp_path, {"01-moodle.md": markdown})
    result = parse_course(folder)
    assert result.errors == ()
    unit = result.spec.main_units[0]
    assert (unit.title, unit.quiz) == ("Moodle: Beispiele", settings)
    assert same(unit.questions) == same(examples.questions)


TRICKY = r"""::Tricky \{#x\} title::[markdown]Read this \{#not-an-id\} carefully\:\n## Not a new question\n- ( ) not a choice\n- [x] not one either\n- left -> right\n- links → rechts\n1. not a step\nanswer\: not a key\ntyp\: close to a key\nHinweis\: an ordinary line\n   \n```\n## inside code\nanswer\: inside code\n```\nEnd with *stars*, _under_, `code` and \\backslash. {=ok}

::Open fence::[markdown]Code\:\n```\nprint("x"){T}

::TF gap-like::Is [[this]] a gap?{F}

::Cloze brackets::Arrays use [[nested]] brackets and {=a =b} gaps.
"""


def test_text_the_quiz_parser_would_misread_is_made_literal():
    result = gift_to_questions(TRICKY)
    tricky, fence, tf, cloze = result.questions
    assert tricky.id == "tricky-x-title"
    assert tricky.prompt == (
        "Read this {#not-an-id} carefully:\n\n"
        "### Not a new question\n\\- ( ) not a choice\n\\- [x] not one either\n"
        "- left -\\> right\n- links &#8594; rechts\n1\\. not a step\n"
        "answer&#58; not a key\ntyp&#58; close to a key\nHinweis: an ordinary line\n\n"
        "```\n## inside code\nanswer: inside code\n```\n"
        "End with *stars*, _under_, `code` and \\backslash."
    )
    assert fence.prompt == 'Code:\n\n```\nprint("x")\n```'  # an open fence would swallow the rest
    assert (tf.type, tf.prompt) == (QuestionType.TRUE_FALSE, "Is [[this]] a gap?")
    assert cloze.prompt == "Arrays use \\[\\[nested\\]\\] brackets and {{gap:0}} gaps."
    assert same(parse_quiz(questions_to_markdown(result.questions))) == same(result.questions)


def test_markdown_of_every_question_type_parses_back(tmp_path):
    source = (SAMPLES / "all_types.md").read_text(encoding="utf-8")
    original = parse_course(make_course(tmp_path, {"01-alle.md": source})).spec.main_units[0]
    assert {q.type for q in original.questions} == set(QuestionType)
    markdown = questions_to_markdown(original.questions, original.quiz, title=original.title)
    (tmp_path / "copy").mkdir()
    copy = parse_course(make_course(tmp_path / "copy", {"01-alle.md": markdown}))
    assert copy.errors == ()
    unit = copy.spec.main_units[0]
    assert (unit.title, unit.quiz) == (original.title, original.quiz)
    assert same(unit.questions) == same(original.questions)


EXPORTABLE = {
    "single": """
## Wie lang sollte ein Passwort *mindestens* sein? {#pw-laenge}

Denken Sie an `Passphrasen`, [das BSI](https://www.bsi.bund.de) und C# {code}.

- ( ) 6 Zeichen
- (x) 12 = 3 × 4 Zeichen
  > Richtig: ab 12 Zeichen ~ aussichtslos #1.
- ( ) 8 Zeichen \\o/

explanation: Lange Passphrasen: leichter zu merken {und} schwerer zu erraten.
""",
    "multiple": """
## Welche Angaben gehören in ein sicheres Passwort? {#zutaten}
- [x] Groß- und Kleinbuchstaben
  > Ja.
- [x] Ziffern oder Sonderzeichen wie # und {}
- [x] Länge
- [ ] Ihr Geburtsdatum
  > Nein: leicht zu erraten.

scoring: partial
""",
    "true-false": """
## Ein sicheres Passwort darf am Monitor kleben. {#zettel}
answer: false
feedback_true: Leider nein – jeder im Raum könnte es lesen.
feedback_false: Genau.
explanation: Siehe 2.1: Arbeitsplatz.
""",
    "true-false, one feedback": """
## Zwei-Faktor-Anmeldung schützt auch bei gestohlenem Passwort. {#zwei-faktor}
answer: wahr
feedback_true: Genau.
""",
    "number": """
## Wie viel Grad Celsius sind -40 Grad Fahrenheit? {#fahrenheit}
answer: -40
tolerance: 0,5
""",
    "text": """
## Wie heißt der Betrug mit gefälschten E-Mails? {#begriff}
type: text
answer: Phishing
answer: Phishing-Mail*
answer: C#: 1 = 1
""",
    "matching": """
## Ordnen Sie die Begriffe zu. {#zuordnung}
- Phishing -> gefälschte Nachricht: Daten {abgreifen}
- Malware -> schädliche Software -> Schaden
- Backup = Kopie -> Sicherungskopie #1
- -> Firmenausweis
""",
    "cloze, choice gap": """
## Eine Mail mit Passwort-Link ist [[( ) harmlos | (x) verdächtig | ( ) erlaubt]], {#luecke}

wenn der Absender unbekannt ist.

type: cloze
""",
    "cloze, text gap": """
## Die Tastenkombination Windows + [[L | l]] sperrt den Bildschirm. {#sperren}
type: cloze
explanation: Auch: Strg + Alt + Entf.
""",
}


@pytest.mark.parametrize("markdown", EXPORTABLE.values(), ids=EXPORTABLE.keys())
def test_export_then_import_gives_equal_questions(markdown):
    questions = parse_quiz(quiz_md(markdown))
    export = questions_to_gift(questions)
    assert (export.exported, export.notes) == (1, ())
    back = gift_to_questions(export.text)
    assert back.notes == ()
    assert same(back.questions) == same(questions)


def test_export_writes_titles_escapes_weights_and_feedback():
    questions = parse_quiz(quiz_md(EXPORTABLE["single"] + EXPORTABLE["multiple"]
                                   + EXPORTABLE["true-false"]))  # fmt: skip
    assert questions_to_gift(questions).text == (
        "::pw-laenge::[markdown]Wie lang sollte ein Passwort *mindestens* sein?\\n\\n"
        "Denken Sie an `Passphrasen`, [das BSI](https\\://www.bsi.bund.de) und C\\# \\{code\\}. {\n"
        "\t~6 Zeichen\n"
        "\t=12 \\= 3 × 4 Zeichen#Richtig\\: ab 12 Zeichen \\~ aussichtslos \\#1.\n"
        "\t~8 Zeichen \\\\o/\n"
        "\t####Lange Passphrasen\\: leichter zu merken \\{und\\} schwerer zu erraten.\n"
        "}\n\n"
        "::zutaten::[markdown]Welche Angaben gehören in ein sicheres Passwort? {\n"
        "\t~%33.33333%Groß- und Kleinbuchstaben#Ja.\n"
        "\t~%33.33333%Ziffern oder Sonderzeichen wie \\# und \\{\\}\n"
        "\t~%33.33333%Länge\n"
        "\t~%-33.33333%Ihr Geburtsdatum#Nein\\: leicht zu erraten.\n"
        "}\n\n"
        "::zettel::[markdown]Ein sicheres Passwort darf am Monitor kleben. "
        "{FALSE#Leider nein – jeder im Raum könnte es lesen.#Genau.####Siehe 2.1\\: Arbeitsplatz.}\n"
    )


def test_export_skips_what_gift_cannot_express_with_notes():
    questions = parse_quiz((SAMPLES / "all_types.md").read_text(encoding="utf-8"))
    export = questions_to_gift(questions)
    assert export.exported == 7
    assert [str(n) for n in export.notes] == [
        "13: question “pw-laenge”: points (2) are not part of GIFT: set them in Moodle",
        "39: question “zeichen”: the unit (Zeichen) is not part of GIFT: add it to the "
        "question text",
        "44: question “Begriff_1”: case-sensitive comparison is not part of GIFT: Moodle "
        "ignores case",
        "44: question “Begriff_1”: exact whitespace comparison is not part of GIFT: left out",
        "44: question “Begriff_1”: the regex is not part of GIFT: left out",
        "51: question “lueckentext”: a cloze text with 2 gaps has no GIFT equivalent (one "
        "gap only): skipped",
        "64: question “reihenfolge”: ordering questions have no GIFT equivalent: skipped",
        "69: question “meldung”: points (3) are not part of GIFT: set them in Moodle",
        "69: question “meldung”: the rubric is not part of GIFT: left out",
        "69: question “meldung”: the word limits are not part of GIFT: left out",
    ]


def test_all_or_nothing_scoring_is_exported_with_partial_credit_and_a_note():
    questions = parse_quiz(quiz_md("## Welche? {#welche}\n- [x] a\n- [x] b\n- [ ] c\n"))
    export = questions_to_gift(questions)
    assert "\t~%50%a\n\t~%50%b\n\t~%-100%c\n" in export.text
    assert export.notes[0].message == (
        "question “welche”: GIFT has no all-or-nothing scoring for several correct choices: "
        "exported with partial credit per correct choice and -100% per wrong one"
    )
    assert gift_to_questions(export.text).questions[0].scoring is Scoring.PARTIAL


# --- Commands ------------------------------------------------------------------------


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=["courses", *args])


def test_import_gift_writes_a_quiz_unit_and_prints_the_notes(app, tmp_path):
    folder = make_course(tmp_path, {})
    out = folder / "01-moodle.md"
    result = invoke(app, "import-gift", str(SAMPLES / "moodle_examples.gift"), str(out),
                    "--title", "Aus Moodle")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "moodle_examples.gift:54" not in result.output  # the essay is converted
    assert "moodle_examples.gift:5: category" in result.output
    assert f"{out}: 28 of 29 questions converted." in result.output
    unit = parse_course(folder).spec.main_units[0]
    assert unit.title == "Aus Moodle"
    assert len(unit.questions) == 28


def test_import_gift_refuses_to_overwrite_and_converts_nothing_into_nothing(app, tmp_path):
    gift = tmp_path / "essays.gift"
    gift.write_text("::E1::All wrong. {~a ~b}\n\nJust a description.\n", encoding="utf-8")
    out = tmp_path / "01-essays.md"
    result = invoke(app, "import-gift", str(gift), str(out))
    assert result.exit_code == 1
    assert "essays.gift:1: question “E1”: no answer is marked correct" in result.output
    assert "No question of essays.gift could be converted." in result.output
    assert not out.exists()

    out.write_text("precious", encoding="utf-8")
    gift.write_text("Yes?{T}\n", encoding="utf-8")
    result = invoke(app, "import-gift", str(gift), str(out))
    assert result.exit_code == 1 and "use --force" in result.output
    assert out.read_text(encoding="utf-8") == "precious"
    result = invoke(app, "import-gift", str(gift), str(out), "--force")
    assert result.exit_code == 0, result.output
    assert "title: Essays" in out.read_text(encoding="utf-8")


def test_export_gift_of_a_course_and_of_one_unit(app, tmp_path):
    folder = make_course(tmp_path, {
        "01-intro.md": "---\ntype: lesson\ntitle: Einführung\n---\n\nText.\n",
        "02-alle.md": (SAMPLES / "all_types.md").read_text(encoding="utf-8"),
        "03-kurz.md": quiz_md(EXPORTABLE["true-false, one feedback"]),
    })  # fmt: skip
    out = tmp_path / "kurs.gift"
    result = invoke(app, "export-gift", str(folder), str(out))
    assert result.exit_code == 0, result.output
    assert "gift-kurs/02-alle.md:64: question “reihenfolge”: ordering questions" in result.output
    assert f"{out}: 8 of 10 questions exported." in result.output
    imported = gift_to_questions(out.read_text(encoding="utf-8"))
    assert [q.id for q in imported.questions][-1] == "zwei-faktor"

    result = invoke(app, "export-gift", str(folder / "03-kurz.md"), str(out))
    assert result.exit_code == 0, result.output
    assert [q.id for q in gift_to_questions(out.read_text(encoding="utf-8")).questions] == [
        "zwei-faktor"]  # fmt: skip

    result = invoke(app, "export-gift", str(folder / "01-intro.md"), str(out))
    assert result.exit_code == 1 and "01-intro.md is not a quiz." in result.output


def test_export_gift_refuses_a_course_with_errors(app, tmp_path):
    folder = make_course(tmp_path, {"01-quiz.md": quiz_md("## Ohne Antworten {#leer}\n")})
    out = tmp_path / "kurs.gift"
    result = invoke(app, "export-gift", str(folder), str(out), "--lang", "en")
    assert result.exit_code == 1
    assert "gift-kurs/01-quiz.md:" in result.output
    assert "gift-kurs has errors; fix them first" in result.output
    assert not out.exists()


# --- Scoring: converted faithfully, or a note naming the question -----------------------


def test_weights_that_do_not_add_up_to_100_are_scaled_with_a_note():
    result = gift_to_questions("::Primes::Which are prime? {~%40%2 ~%40%3 ~%-100%4}")
    (question,) = result.questions
    assert [c.weight for c in question.choices] == [Decimal(50), Decimal(50), Decimal(-100)]
    (note,) = result.notes
    assert note.message == (
        "question “Primes”: the weights of the correct answers (40%, 40%, -100%) add up to 80%: "
        "scaled to add up to 100%, so that ticking all of them earns the full points"
    )


def test_equal_shares_and_all_or_nothing_stay_without_weights():
    partial = gift_to_questions("Which? {~%50%a ~%50%b ~%-50%c}").questions[0]
    assert (partial.scoring, [c.weight for c in partial.choices]) == (
        Scoring.PARTIAL, [None, None, None])  # fmt: skip
    one = gift_to_questions("Which? {~%100%a ~%-100%b}").questions[0]
    assert (one.type, one.scoring, one.choices[0].weight) == (
        QuestionType.MULTIPLE, Scoring.ALL_OR_NOTHING, None)  # fmt: skip


def test_partial_credit_in_a_gap_makes_a_single_choice_question_with_a_blank():
    result = gift_to_questions("::Moon::Apollo 11 landed in the {=Sea of Tranquility "
                               "~%50%Sea of Serenity ~Mare Imbrium} in 1969.")  # fmt: skip
    (question,) = result.questions
    assert (question.type, question.prompt) == (
        QuestionType.SINGLE, "Apollo 11 landed in the _____ in 1969.")  # fmt: skip
    assert question.choices[1].weight == Decimal(50)
    assert [n.message for n in result.notes] == [
        "question “Moon”: answers with partial credit cannot stand in a gap: written as a "
        "question with a blank _____"
    ]


def test_a_negative_weight_on_a_single_answer_is_noted():
    result = gift_to_questions("Pick one. {=right ~%-50%harmful ~wrong}")
    assert [c.weight for c in result.questions[0].choices] == [None, Decimal(-50), None]
    assert [n.message for n in result.notes] == [
        "question “q1”: a negative weight on a single answer costs no more than a wrong answer "
        "here (a question never earns less than 0 points); Moodle takes it off the whole quiz"
    ]


def test_numeric_answers_that_cannot_be_kept_are_noted():
    result = gift_to_questions(
        "::Year::When? {#=%50%1960..1980 =1969 =%-10%2000}\n\n::Pi::Pi? {#=3.14:0.01 =%0%3}"
    )
    year, pi = result.questions
    assert (year.number, year.bands) == (
        Decimal(1969), (NumberBand(Decimal(1960), Decimal(1980), Decimal(50)),))  # fmt: skip
    assert pi.bands == ()  # a 0% answer earned nothing: nothing to keep
    assert [n.message for n in result.notes] == [
        "question “Year”: the number 2000 with a negative weight (-10%) dropped: a question "
        "never earns less than 0 points here",
        "question “Year”: overlapping numeric answers: Moodle gives the credit of the first "
        "that matches, here the highest applies",
    ]


def test_every_note_names_its_question(examples):
    for note in examples.notes:
        assert note.question or "category" in note.message
        if note.question:
            assert note.message.startswith(f"question “{note.question}”: ")
    assert next(n for n in examples.notes if n.line == 57).question == "Intro"


def test_weighted_questions_go_to_gift_and_back_unchanged():
    markdown = quiz_md(
        "## Welche? {#welche}\n- [x] a {70%}\n- [x] b {30%}\n- [ ] c {-50%}\n- [ ] d\n\n"
        "scoring: partial\n\n"
        "## Eine? {#eine}\n- ( ) a {50%}\n- (x) b\n- ( ) c\n\n"
        "## Zahl? {#zahl}\nanswer: 10\ntolerance: 1\npartial: 5..15 = 50%\npartial: 20 = 100%\n"
    )
    questions = parse_quiz(markdown)
    export = questions_to_gift(questions)
    assert export.notes == ()
    back = gift_to_questions(export.text)
    assert back.notes == ()
    assert same(back.questions) == same(questions)


GIFT_FILE = "::Moon::Where did Apollo 11 land? {=Sea of Tranquility ~%50%Sea of Serenity}\n\n" \
            "::Colour::Which colour? {~red ~green}\n"  # fmt: skip


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        ("en", ["moon.gift:3: question “Colour”: no answer is marked correct: not converted",
                "01-moon.md: 1 of 2 questions converted."]),
        ("de", ["moon.gift:3: Frage „Colour“: Keine Antwort ist als richtig markiert: nicht "
                "übernommen",
                "01-moon.md: 1 von 2 Fragen übernommen."]),
    ],
)  # fmt: skip
def test_import_gift_prints_its_notes_in_the_language_of_the_run(
    app, tmp_path, monkeypatch, language, lines
):
    monkeypatch.setenv("LMS_CLI_LANGUAGE", language)
    gift = tmp_path / "moon.gift"
    gift.write_text(GIFT_FILE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke(app, "import-gift", "moon.gift", "01-moon.md")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == lines
    moon = parse_quiz((tmp_path / "01-moon.md").read_text(encoding="utf-8"))[0]
    assert [c.weight for c in moon.choices] == [None, Decimal(50)]  # the partial credit kept


def test_a_gap_keeps_answers_whose_negative_weight_scores_as_wrong():
    result = gift_to_questions("The sky is {=blue ~%-100%green} today.")
    (question,) = result.questions
    assert (question.type, question.prompt) == (QuestionType.CLOZE, "The sky is {{gap:0}} today.")
    assert "costs no more than a wrong answer" in result.notes[0].message


# --- Essays (graded by a trainer) ----------------------------------------------------------


def test_an_essay_goes_to_gift_as_empty_braces_and_back_as_an_essay():
    questions, problems = _parsed_essays(
        "## Beschreiben Sie Ihren Arbeitsplatz. {#platz}\n"
        "rubric: Nennt die Gefahr = 2\nrubric: Nennt die Maßnahme = 1\nmin_words: 20\n"
        "explanation: Ein Beispiel steht im Handbuch.\n"
    )
    assert problems == []
    exported = questions_to_gift(questions)
    assert exported.text == (
        "::platz::[markdown]Beschreiben Sie Ihren Arbeitsplatz. "
        "{####Ein Beispiel steht im Handbuch.}\n"
    )
    assert [what(n) for n in exported.notes] == [
        "points (3) are not part of GIFT: set them in Moodle",
        "the rubric is not part of GIFT: left out",
        "the word limits are not part of GIFT: left out",
    ]
    (back,) = gift_to_questions(exported.text).questions
    assert (back.type, back.id, back.prompt, back.explanation) == (
        QuestionType.ESSAY, "platz", "Beschreiben Sie Ihren Arbeitsplatz.",
        "Ein Beispiel steht im Handbuch.")  # fmt: skip


def test_an_essay_is_written_back_to_markdown_with_its_rubric_and_limits():
    questions, _problems = _parsed_essays(
        "## Was tun Sie? {#tun}\nrubric: Nennt die Gefahr = 2\nrubric: Meldet = 1,5\n"
        "min_words: 10\nmax_words: 80\n\n## Und sonst? {#sonst}\ntype: essay\npoints: 4\n"
    )
    markdown = questions_to_markdown(list(questions))
    assert "rubric: Nennt die Gefahr = 2\nrubric: Meldet = 1.5\nmin_words: 10\nmax_words: 80" in (
        markdown
    )
    again, problems = _parsed_essays(markdown.split("---\n", 2)[-1])
    assert problems == [] and again == questions


def _parsed_essays(body: str) -> tuple[tuple[Question, ...], list[str]]:
    source = Source("kurs/02-check.md")
    _intro, questions = parse_questions(body, 1, source)
    return tuple(dataclasses.replace(q, line=0) for q in questions), [
        p.code for p in source.problems
    ]
