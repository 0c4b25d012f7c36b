"""The course parser: every unit and question type, and every problem with its file and line."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from lms.content.parser import parse_course
from lms.content.problems import MESSAGES, Severity
from lms.content.spec import QuestionType, Scoring, ShowAnswers, UnitType, Validity

COURSE_MD = """\
---
title: Testkurs
summary: Ein Kurs für Tests
language: de
valid_for: 12 months
tags: [test, pflicht]
---
Beschreibung des Kurses.
"""

LESSON = """\
---
type: lesson
title: Einstieg
minutes: 7
---
## Worum es geht

Ein Absatz mit ![Ein Diagramm](assets/bild.png) und einer Fußnote[^1].

!!! warning "Achtung"
    Niemals das Passwort weitergeben.

[^1]: Quelle: BSI.
"""


def write_course(root: Path, files: dict[str, str | bytes], slug: str = "testkurs") -> Path:
    folder = root / slug
    folder.mkdir(parents=True)
    (folder / "assets").mkdir()
    (folder / "assets" / "bild.png").write_bytes(b"\x89PNG fake")
    all_files: dict[str, str | bytes] = {"course.md": COURSE_MD, "01-einstieg.md": LESSON}
    all_files.update(files)
    for name, content in all_files.items():
        if content is None:
            continue
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return folder


def quiz(body: str, front: str = "") -> str:
    return "---\ntype: quiz\ntitle: Wissenscheck\n" + front + "---\n" + textwrap.dedent(body)


@pytest.fixture
def en(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def test_a_valid_course_becomes_a_spec(tmp_path, en):
    result = parse_course(write_course(tmp_path, {}))
    assert result.problems == ()
    spec = result.spec
    assert spec.slug == "testkurs" and spec.language == "de"
    assert spec.texts["de"].title == "Testkurs"
    assert spec.texts["de"].description == "Beschreibung des Kurses."
    assert spec.valid_for == Validity(12, "months")
    assert spec.tags == ("test", "pflicht")
    assert spec.minutes == 7  # the sum of the units when not given
    (unit,) = spec.main_units
    assert (unit.id, unit.position, unit.type, unit.minutes) == ("einstieg", 1, UnitType.LESSON, 7)
    assert "!!! warning" in unit.body
    assert spec.assets == ("assets/bild.png",)


FULL_QUIZ = """\
Einleitung zum Wissenscheck.

## Wie lang sollte ein Passwort mindestens sein? {#laenge}
points: 2

- ( ) 6 Zeichen
- (x) 12 Zeichen
  > Richtig.
- ( ) 8 Zeichen
  > Zu kurz.

explanation: Lange Passphrasen sind sicher.

## Was gehört zu Phishing? {#merkmale}
- [x] Zeitdruck
- [x] Falscher Absender
- [ ] Persönliche Anrede mit korrektem Namen
scoring: partial

## Ein Passwort darf am Monitor kleben. {#zettel}
answer: falsch
feedback_true: Leider nein.
feedback_false: Genau.

## Wie viele Zeichen? {#zahl}
answer: 2,5
tolerance: 0.5
unit: m

## Wie heißt der Betrug? {#begriff}
answer: Phishing
answer: Phishing-Mail
case: sensitive
whitespace: exact
regex: ^ph?ishing$

## Ergänzen Sie. {#luecke}
Eine [[Mail | E-Mail]] ist [[( ) harmlos | (x) verdächtig]].

## Ordnen Sie zu. {#paare}
- Phishing -> gefälschte Mail
- Backup → Sicherung
- -> Ablenkung

## Reihenfolge {#schritte}
1. Nicht öffnen
2. Melden
3. Löschen
"""


def test_every_question_type_parses(tmp_path, en):
    front = "pass_mark: 70\nmax_attempts: 3\nshuffle: true\ndraw: 5\nshow_answers: after_passing\n"
    result = parse_course(write_course(tmp_path, {"02-check.md": quiz(FULL_QUIZ, front)}))
    assert result.problems == ()
    unit = result.spec.main_units[1]
    assert unit.type is UnitType.QUIZ and unit.body == "Einleitung zum Wissenscheck."
    settings = unit.quiz
    assert (settings.pass_mark, settings.max_attempts, settings.shuffle, settings.draw) == (
        70,
        3,
        True,
        5,
    )
    assert settings.show_answers is ShowAnswers.AFTER_PASSING
    q = {question.id: question for question in unit.questions}
    # Essays wait for a trainer, which the quizzes built on FULL_QUIZ do not expect:
    # tests/unit/test_essay_format.py parses them.
    automatic = [t for t in QuestionType if t is not QuestionType.ESSAY]
    assert [question.type for question in unit.questions] == automatic

    single = q["laenge"]
    assert single.points == Decimal(2) and single.line == 12
    assert [c.correct for c in single.choices] == [False, True, False]
    assert single.choices[1].feedback == "Richtig." and single.choices[2].feedback == "Zu kurz."
    assert single.explanation == "Lange Passphrasen sind sicher."
    assert single.prompt == "Wie lang sollte ein Passwort mindestens sein?"

    assert q["merkmale"].scoring is Scoring.PARTIAL
    assert [c.correct for c in q["merkmale"].choices] == [True, True, False]

    tf = q["zettel"]
    assert (tf.answer_bool, tf.feedback_true, tf.feedback_false) == (
        False,
        "Leider nein.",
        "Genau.",
    )

    number = q["zahl"]
    assert (number.number, number.tolerance, number.unit) == (Decimal("2.5"), Decimal("0.5"), "m")

    rule = q["begriff"].text_rule
    assert rule.answers == ("Phishing", "Phishing-Mail")
    assert rule.case_sensitive and rule.exact_whitespace and rule.regex == "^ph?ishing$"

    cloze = q["luecke"]
    assert "{{gap:0}}" in cloze.prompt and "{{gap:1}}" in cloze.prompt and "[[" not in cloze.prompt
    assert cloze.gaps[0].text.answers == ("Mail", "E-Mail")
    assert [c.correct for c in cloze.gaps[1].choices] == [False, True]

    matching = q["paare"]
    assert [(p.left, p.right) for p in matching.pairs] == [
        ("Phishing", "gefälschte Mail"),
        ("Backup", "Sicherung"),
    ]
    assert matching.distractors == ("Ablenkung",)

    assert q["schritte"].items == ("Nicht öffnen", "Melden", "Löschen")


def test_type_can_be_given_explicitly(tmp_path, en):
    body = "## Antwort? {#t}\ntype: text\nanswer: 42\n"
    result = parse_course(write_course(tmp_path, {"02-q.md": quiz(body)}))
    assert result.spec.main_units[1].questions[0].type is QuestionType.TEXT


def test_in_person_and_practical_units(tmp_path, en):
    in_person = """\
    ---
    type: in-person
    title: Workshop
    minutes: 90
    ---
    Wir üben gemeinsam.

    ## Ziele
    - Phishing erkennen
    - Richtig melden

    ## Mitbringen
    - Diensthandy
    """
    practical = """\
    ---
    type: practical
    title: Arbeitsplatz
    ---
    Zeigen Sie es Ihrer Führungskraft.

    ## Checkliste
    - [ ] Bildschirm sperren {#sperren}
    - [ ] Keine Zettel mit Passwörtern
    """
    result = parse_course(
        write_course(tmp_path, {"02-workshop.md": in_person, "03-praxis.md": practical})
    )
    assert result.problems == ()
    workshop, task = result.spec.main_units[1:]
    assert workshop.type is UnitType.IN_PERSON and workshop.minutes == 90
    assert workshop.goals == ("Phishing erkennen", "Richtig melden")
    assert workshop.bring == ("Diensthandy",)
    assert [(i.id, i.text) for i in task.checklist] == [
        ("sperren", "Bildschirm sperren"),
        ("keine-zettel-mit-passwoertern", "Keine Zettel mit Passwörtern"),
    ]


def test_translations_are_read_and_fall_back(tmp_path, en):
    files = {
        "course.en.md": "---\ntitle: Test course\nsummary: A course for tests\n---\nDescription.\n",
        "01-einstieg.en.md": "---\ntype: lesson\ntitle: Getting started\n---\nHello.\n",
        "02-check.md": quiz("## Frage? {#f}\n- (x) Ja\n- ( ) Nein\n"),
    }
    spec = parse_course(write_course(tmp_path, files)).spec
    assert spec.texts["en"].title == "Test course"
    assert spec.unit_in("einstieg", "en").title == "Getting started"
    assert spec.unit_in("check", "en").title == "Wissenscheck"  # not translated: main language


# --- Problems, each with its file and line ---------------------------------------------

QUESTION = "## Frage? {#f}\n- (x) Ja\n- ( ) Nein\n"

CASES = [
    # (id, files, expected (file, line, code))
    ("front-matter-missing", {"02-x.md": "# Kein Kopf\n"}, ("02-x.md", 1, "front-matter-missing")),
    (
        "front-matter-unclosed",
        {"02-x.md": "---\ntype: lesson\ntitle: X\n"},
        ("02-x.md", 1, "front-matter-unclosed"),
    ),
    (
        "front-matter-syntax",
        {"02-x.md": "---\ntype: lesson\ntitle: [kaputt\n---\nText\n"},
        ("02-x.md", 3, "front-matter-syntax"),
    ),
    (
        "front-matter-not-mapping",
        {"02-x.md": "---\n- a\n- b\n---\nText\n"},
        ("02-x.md", 2, "front-matter-not-mapping"),
    ),
    (
        "unknown-key",
        {"02-x.md": "---\ntype: lesson\ntitel: X\n---\nText\n"},
        ("02-x.md", 3, "unknown-key"),
    ),
    (
        "unknown-key-no-suggestion",
        {"02-x.md": "---\ntype: lesson\ntitle: X\nfarbe: rot\n---\nText\n"},
        ("02-x.md", 4, "unknown-key-no-suggestion"),
    ),
    (
        "unknown-question-key",
        {"02-q.md": quiz("## F? {#f}\n- (x) a\n- ( ) b\nexplanaton: x\n")},
        ("02-q.md", 8, "unknown-key"),
    ),
    ("missing-key", {"02-x.md": "---\ntype: lesson\n---\nText\n"}, ("02-x.md", 1, "missing-key")),
    (
        "empty-value",
        {"02-x.md": "---\ntype: lesson\ntitle:\n---\nText\n"},
        ("02-x.md", 3, "empty-value"),
    ),
    (
        "bad-value-type",
        {"02-x.md": "---\ntype: video\ntitle: X\n---\nText\n"},
        ("02-x.md", 2, "bad-value"),
    ),
    (
        "bad-number",
        {"02-x.md": "---\ntype: lesson\ntitle: X\nminutes: zehn\n---\nText\n"},
        ("02-x.md", 4, "bad-number"),
    ),
    (
        "bad-validity",
        {"course.md": COURSE_MD.replace("12 months", "ein Jahr")},
        ("course.md", 5, "bad-validity"),
    ),
    (
        "bad-refresh",
        {"course.md": COURSE_MD.replace("valid_for: 12 months", "refresh: [7 days, bald]")},
        ("course.md", 5, "bad-refresh"),
    ),
    (
        "too-many-refreshers",
        {
            "course.md": COURSE_MD.replace(
                "valid_for: 12 months", "refresh: " + ", ".join(f"{n} weeks" for n in range(1, 8))
            )
        },
        ("course.md", 5, "too-many-refreshers"),
    ),
    (
        "refresh-order",
        {"course.md": COURSE_MD.replace("valid_for: 12 months", "refresh: [2 months, 30 days]")},
        ("course.md", 5, "refresh-order"),
    ),
    (
        "refresh-without-questions",
        {"course.md": COURSE_MD.replace("valid_for: 12 months", "refresh: [7 days]")},
        ("course.md", 5, "refresh-without-questions"),
    ),
    (
        "bad-language",
        {"course.md": COURSE_MD.replace("language: de", "language: fr")},
        ("course.md", 4, "bad-language"),
    ),
    (
        "empty-unit",
        {"02-x.md": "---\ntype: lesson\ntitle: X\n---\n\n"},
        ("02-x.md", 5, "empty-unit"),
    ),
    ("bad-file-name", {"2-falsch.md": "x"}, ("2-falsch.md", 0, "bad-file-name")),
    ("duplicate-position", {"01-zweite.md": LESSON}, ("01-zweite.md", 0, "duplicate-position")),
    (
        "not-utf8",
        {"02-x.md": b"---\ntype: lesson\ntitle: Gr\xfc\xdfe\n---\n"},
        ("02-x.md", 3, "not-utf8"),
    ),
    ("binary-file", {"02-x.md": b"\x89PNG\x00\x00"}, ("02-x.md", 0, "binary-file")),
    (
        "file-too-large",
        {"02-x.md": "---\ntype: lesson\ntitle: X\n---\n" + "x" * 600_000},
        ("02-x.md", 0, "file-too-large"),
    ),
    (
        "unknown-language-file",
        {"01-einstieg.fr.md": LESSON},
        ("01-einstieg.fr.md", 0, "unknown-language-file"),
    ),
    (
        "translation-of-main-language",
        {"01-einstieg.de.md": LESSON},
        ("01-einstieg.de.md", 0, "translation-of-main-language"),
    ),
    (
        "translation-without-original",
        {"05-fehlt.en.md": LESSON},
        ("05-fehlt.en.md", 0, "translation-without-original"),
    ),
    ("no-questions", {"02-q.md": quiz("Nur Text.\n")}, ("02-q.md", 5, "no-questions")),
    (
        "question-without-id",
        {"02-q.md": quiz("## Frage ohne Id\n- (x) a\n- ( ) b\n")},
        ("02-q.md", 5, "question-without-id"),
    ),
    (
        "bad-question-id",
        {"02-q.md": quiz("## Frage {#ä ö}\n- (x) a\n- ( ) b\n")},
        ("02-q.md", 5, "bad-question-id"),
    ),
    (
        "duplicate-question-id",
        {"02-q.md": quiz(QUESTION), "03-r.md": quiz(QUESTION)},
        ("03-r.md", 5, "duplicate-question-id"),
    ),
    (
        "no-answer-part",
        {"02-q.md": quiz("## Frage? {#f}\nNur Text.\n")},
        ("02-q.md", 5, "no-answer-part"),
    ),
    (
        "mixed-choices",
        {"02-q.md": quiz("## F? {#f}\n- (x) a\n- [ ] b\n")},
        ("02-q.md", 5, "mixed-choices"),
    ),
    (
        "no-correct-choice",
        {"02-q.md": quiz("\n\n## F? {#f}\n- ( ) a\n- ( ) b\n")},
        ("02-q.md", 7, "no-correct-choice"),
    ),
    (
        "several-correct-single",
        {"02-q.md": quiz("## F? {#f}\ntype: single\n- [x] a\n- [x] b\n")},
        ("02-q.md", 5, "several-correct-single"),
    ),
    (
        "too-few-choices",
        {"02-q.md": quiz("## F? {#f}\n- (x) a\n")},
        ("02-q.md", 5, "too-few-choices"),
    ),
    (
        "bad-boolean",
        {"02-q.md": quiz("## F? {#f}\ntype: true-false\nanswer: vielleicht\n")},
        ("02-q.md", 7, "bad-boolean"),
    ),
    (
        "number-missing",
        {"02-q.md": quiz("## F? {#f}\ntype: number\nanswer: zwölf\n")},
        ("02-q.md", 7, "number-missing"),
    ),
    (
        "bad-decimal",
        {"02-q.md": quiz("## F? {#f}\nanswer: 12\ntolerance: etwas\n")},
        ("02-q.md", 7, "bad-decimal"),
    ),
    (
        "negative-tolerance",
        {"02-q.md": quiz("## F? {#f}\nanswer: 12\ntolerance: -1\n")},
        ("02-q.md", 7, "negative-tolerance"),
    ),
    (
        "bad-regex",
        {"02-q.md": quiz("## F? {#f}\nanswer: a\nregex: ([a-z\n")},
        ("02-q.md", 7, "bad-regex"),
    ),
    (
        "text-answer-missing",
        {"02-q.md": quiz("## F? {#f}\ntype: text\n")},
        ("02-q.md", 5, "text-answer-missing"),
    ),
    (
        "unbalanced-gap",
        {"02-q.md": quiz("## F? {#f}\n\nDas [[ist offen.\n")},
        ("02-q.md", 7, "unbalanced-gap"),
    ),
    (
        "stray-gap-close",
        {"02-q.md": quiz("## F? {#f}\ntype: cloze\n\nDas ist]] zu.\n")},
        ("02-q.md", 8, "stray-gap-close"),
    ),
    (
        "empty-gap",
        {"02-q.md": quiz("## F? {#f}\n\nDas [[ | ]] fehlt.\n")},
        ("02-q.md", 5, "empty-gap"),
    ),
    (
        "no-gaps",
        {"02-q.md": quiz("## F? {#f}\ntype: cloze\n\nKeine Lücke.\n")},
        ("02-q.md", 5, "no-gaps"),
    ),
    ("bad-pair", {"02-q.md": quiz("## F? {#f}\n- a -> 1\n- b ->\n")}, ("02-q.md", 7, "bad-pair")),
    (
        "too-few-pairs",
        {"02-q.md": quiz("## F? {#f}\n- a -> 1\n- -> 2\n")},
        ("02-q.md", 5, "too-few-pairs"),
    ),
    (
        "too-few-items",
        {"02-q.md": quiz("## F? {#f}\n1. nur einer\n")},
        ("02-q.md", 5, "too-few-items"),
    ),
    (
        "duplicate-item",
        {"02-q.md": quiz("## F? {#f}\n1. a\n2. b\n3. a\n")},
        ("02-q.md", 8, "duplicate-item"),
    ),
    (
        "wrong-type-parts",
        {"02-q.md": quiz("## F? {#f}\ntype: number\nanswer: 3\n- (x) a\n- ( ) b\n")},
        ("02-q.md", 8, "wrong-type-parts"),
    ),
    ("draw-too-large", {"02-q.md": quiz(QUESTION, "draw: 4\n")}, ("02-q.md", 4, "draw-too-large")),
    (
        "bad-points",
        {"02-q.md": quiz("## F? {#f}\npoints: -2\n- (x) a\n- ( ) b\n")},
        ("02-q.md", 6, "bad-points"),
    ),
    (
        "checklist-missing",
        {"02-p.md": "---\ntype: practical\ntitle: P\n---\nNur Text.\n"},
        ("02-p.md", 5, "checklist-missing"),
    ),
    (
        "duplicate-checklist-id",
        {
            "02-p.md": "---\ntype: practical\ntitle: P\n---\n## Checkliste\n- [ ] A {#a}\n- [ ] B {#a}\n"
        },
        ("02-p.md", 7, "duplicate-checklist-id"),
    ),
    (
        "question-missing-in-translation",
        {"02-q.md": quiz(QUESTION), "02-q.en.md": quiz("## Q? {#other}\n- (x) Yes\n- ( ) No\n")},
        ("02-q.en.md", 0, "question-missing-in-translation"),
    ),
    (
        "question-only-in-translation",
        {"02-q.md": quiz(QUESTION), "02-q.en.md": quiz("## Q? {#other}\n- (x) Yes\n- ( ) No\n")},
        ("02-q.en.md", 5, "question-only-in-translation"),
    ),
    (
        "translation-differs",
        {"02-q.md": quiz(QUESTION), "02-q.en.md": quiz("## Q? {#f}\n- ( ) Yes\n- (x) No\n")},
        ("02-q.en.md", 5, "translation-differs"),
    ),
    (
        "translation-type-differs",
        {"02-q.md": quiz(QUESTION), "02-q.en.md": "---\ntype: lesson\ntitle: Q\n---\nText\n"},
        ("02-q.en.md", 1, "translation-type-differs"),
    ),
    (
        "asset-missing",
        {"02-x.md": "---\ntype: lesson\ntitle: X\n---\n\n![Bild](assets/fehlt.png)\n"},
        ("02-x.md", 6, "asset-missing"),
    ),
    (
        "asset-outside",
        {"02-x.md": "---\ntype: lesson\ntitle: X\n---\n[Datei](../../etc/passwd)\n"},
        ("02-x.md", 5, "asset-outside"),
    ),
    (
        "asset-outside-absolute",
        {"02-x.md": "---\ntype: lesson\ntitle: X\n---\n![Bild](/etc/bild.png)\n"},
        ("02-x.md", 5, "asset-outside"),
    ),
    ("asset-type", {"assets/tool.exe": b"MZ"}, ("assets/tool.exe", 0, "asset-type")),
    (
        "image-without-alt",
        {"02-x.md": "---\ntype: lesson\ntitle: X\n---\n![](assets/bild.png)\n"},
        ("02-x.md", 5, "image-without-alt"),
    ),
    (
        "raw-html",
        {"02-x.md": "---\ntype: lesson\ntitle: X\n---\nText <script>alert(1)</script>\n"},
        ("02-x.md", 5, "raw-html"),
    ),
    (
        "bad-link-scheme",
        {"02-x.md": "---\ntype: lesson\ntitle: X\n---\n[Klick](javascript:alert(1))\n"},
        ("02-x.md", 5, "bad-link-scheme"),
    ),
    ("course-md-missing", {"course.md": None}, ("", 0, "course-md-missing")),
    ("duplicate-unit-id", {"02-einstieg.md": LESSON}, ("02-einstieg.md", 0, "duplicate-unit-id")),
    (
        "asset-too-large",
        {"assets/gross.png": b"0" * (20 * 1024 * 1024 + 1)},
        ("assets/gross.png", 0, "asset-too-large"),
    ),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_reported_with_file_and_line(tmp_path, en, files, expected):
    result = parse_course(write_course(tmp_path, files))
    name, line, code = expected
    path = f"testkurs/{name}" if name else "testkurs"
    found = [(p.path, p.line, p.code) for p in result.problems]
    assert (path, line, code) in found, found
    problem = next(p for p in result.problems if (p.path, p.line, p.code) == (path, line, code))
    assert problem.message() and problem.hint()  # both parts are written out
    if problem.severity is Severity.ERROR:
        assert result.spec is None


def test_every_message_is_tested():
    from tests.unit.test_answer_weights import WEIGHT_CODES
    from tests.unit.test_course_topics import TOPIC_CODES
    from tests.unit.test_essay_format import ESSAY_CODES
    from tests.unit.test_evaluation_format import EVALUATION_CODES
    from tests.unit.test_package_reading import PACKAGE_CODES
    from tests.unit.test_paths import PATH_CASES

    tested = (
        {c[2][2] for c in CASES}
        | {code for _name, _text, code in PATH_CASES}
        | {
            "not-a-folder",
            "bad-slug",
            "no-units",
            "translation-checklist-differs",
        }
        | TOPIC_CODES
        | EVALUATION_CODES
        | WEIGHT_CODES
        | ESSAY_CODES
        | PACKAGE_CODES
    )
    assert set(MESSAGES) == tested


def test_all_problems_are_reported_at_once(tmp_path, en):
    body = (
        "## A {#a}\n- ( ) x\n- ( ) y\n\n## B\nanswer: 1\n\n## C {#c}\ntype: number\nanswer: viel\n"
    )
    result = parse_course(write_course(tmp_path, {"02-q.md": quiz(body)}))
    assert [p.code for p in result.problems] == [
        "no-correct-choice",
        "question-without-id",
        "number-missing",
    ]


def test_messages_are_translated_and_name_the_file(tmp_path, app):
    result = parse_course(
        write_course(tmp_path, {"02-q.md": quiz("## F? {#f}\n- ( ) a\n- ( ) b\n")})
    )
    (problem,) = result.problems
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert problem.format() == (
            "testkurs/02-q.md:5: Die Frage hat keine richtige Antwort. "
            "Markieren Sie mindestens eine Antwort mit [x] oder (x)."
        )
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert problem.format().startswith(
            "testkurs/02-q.md:5: The question has no correct answer."
        )


def test_unknown_key_suggests_the_closest(tmp_path, en):
    result = parse_course(
        write_course(tmp_path, {"02-x.md": "---\ntype: lesson\ntitel: X\n---\nText\n"})
    )
    problem = next(p for p in result.problems if p.code == "unknown-key")
    assert problem.hint() == "Did you mean title?"


def test_warnings_alone_keep_the_course(tmp_path, en):
    result = parse_course(
        write_course(tmp_path, {"02-x.md": "---\ntype: lesson\ntitle: X\n---\n<b>fett</b>\n"})
    )
    assert [p.code for p in result.problems] == ["raw-html"]
    assert result.spec is not None


def test_symlinked_assets_are_refused(tmp_path, en):
    folder = write_course(tmp_path, {})
    (folder / "assets" / "link.png").symlink_to("/etc/hostname")
    result = parse_course(folder)
    assert ("testkurs/assets/link.png", 0, "asset-outside") in [
        (p.path, p.line, p.code) for p in result.problems
    ]


def test_a_file_is_not_a_course_folder(tmp_path, en):
    file = tmp_path / "kurs.md"
    file.write_text("x")
    assert [p.code for p in parse_course(file).problems] == ["not-a-folder"]


def test_bad_folder_name_and_no_units(tmp_path, en):
    folder = tmp_path / "Mein Kurs"
    folder.mkdir()
    (folder / "course.md").write_text(COURSE_MD)
    codes = {p.code for p in parse_course(folder).problems}
    assert {"bad-slug", "no-units"} <= codes


def test_quiz_inside_code_fence_is_not_a_question(tmp_path, en):
    body = "## Echte Frage {#f}\n- (x) a\n- ( ) b\n\n```\n## Keine Frage\n```\n"
    result = parse_course(write_course(tmp_path, {"02-q.md": quiz(body)}))
    assert result.problems == ()
    assert len(result.spec.main_units[1].questions) == 1


def test_a_tilde_line_inside_a_backtick_fence_stays_code(tmp_path, en):
    body = "## Was zeigt der Code? {#code}\n```\n~~~\n- ( ) im Code\n```\n- (x) ja\n- ( ) nein\n"
    result = parse_course(write_course(tmp_path, {"02-q.md": quiz(body)}))
    assert result.problems == ()
    question = result.spec.main_units[1].questions[0]
    assert [c.text for c in question.choices] == ["ja", "nein"]
    assert "- ( ) im Code" in question.prompt


def test_regex_on_a_cloze_is_reported(tmp_path, en):
    body = "## F? {#f}\nregex: ^a$\n\nEine [[Mail]].\n"
    result = parse_course(write_course(tmp_path, {"02-q.md": quiz(body)}))
    assert ("testkurs/02-q.md", 6, "wrong-type-parts") in [
        (p.path, p.line, p.code) for p in result.problems
    ]


def test_a_translated_quiz_takes_the_settings_of_the_original(tmp_path, en):
    files = {
        "02-q.md": quiz(QUESTION, "pass_mark: 70\nmax_attempts: 2\n"),
        "02-q.en.md": quiz("## Question? {#f}\n- (x) Yes\n- ( ) No\n"),
    }
    result = parse_course(write_course(tmp_path, files))
    assert result.problems == ()
    assert result.spec.unit_in("q", "en").quiz.pass_mark == 70


def test_translated_checklist_ids_must_match(tmp_path, en):
    practical = "---\ntype: practical\ntitle: P\n---\n## Checkliste\n- [ ] Sperren {#sperren}\n"
    translated = (
        "---\ntype: practical\ntitle: P\n---\n## Checklist\n- [ ] Lock the screen {#lock}\n"
    )
    result = parse_course(write_course(tmp_path, {"02-p.md": practical, "02-p.en.md": translated}))
    assert [(p.path, p.code) for p in result.problems] == [
        ("testkurs/02-p.en.md", "translation-checklist-differs")
    ]


def test_differences_in_a_translation_are_named_in_the_readers_language(tmp_path, app):
    files = {"02-q.md": quiz(QUESTION), "02-q.en.md": quiz("## Q? {#f}\n- ( ) Yes\n- (x) No\n")}
    (problem,) = parse_course(write_course(tmp_path, files)).problems
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert "richtige Antworten" in problem.message()
