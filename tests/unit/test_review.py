"""The review of a graded answer: the answer in words for every question type, and the
feedback, correct answer and explanation only when answers are shown."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.services.review import PickedChoice, Review, reviewed, shown_options

CLOZE = {
    "id": "luecke",
    "type": "cloze",
    "prompt_html": "<p>Eine {{gap:0}} ist {{gap:1}}.</p>",
    "gaps": [{"kind": "text"}, {"kind": "choice", "options": ["harmlos", "<em>verdächtig</em>"]}],
}
ORDERING = {"id": "schritte", "type": "ordering", "items": ["Löschen", "Melden", "Nicht öffnen"]}
MULTIPLE = {"id": "merkmale", "type": "multiple", "choices": ["Zeitdruck", "Absender", "Anrede"]}
TEXTS = {
    "choice_feedback_html": ["Ja.", "", "Nein."],
    "solution_html": "Zeitdruck; Absender",
    "explanation_html": "<p>Phishing drängt.</p>",
}


@pytest.mark.parametrize(
    ("question", "fields", "answer"),
    [
        (CLOZE, {"q-luecke-0": " E-Mail ", "q-luecke-1": "1"}, "1: E-Mail; 2: verdächtig"),
        (CLOZE, {"q-luecke-1": "0"}, "1: –; 2: harmlos"),
        (CLOZE, {}, ""),
        (
            ORDERING,
            {"q-schritte-0": "3", "q-schritte-1": "2", "q-schritte-2": "1"},
            "Nicht öffnen → Melden → Löschen",
        ),
        (ORDERING, {"q-schritte-1": "1"}, "Melden → – → –"),
        ({"id": "zahl", "type": "number"}, {"q-zahl": "2,9"}, "2,9"),
        ({"id": "begriff", "type": "text"}, {"q-begriff": "<b>Phishing</b>"}, "<b>Phishing</b>"),
        (MULTIPLE, {"q-merkmale": ["2", "0", "9"]}, "Zeitdruck; Anrede"),
        (MULTIPLE, None, ""),  # erased: the answer as typed is gone
    ],
)
def test_the_answer_in_words(question, fields, answer):
    assert reviewed(question, {}, fields, shown=False).answer == answer


def test_feedback_solution_and_explanation_only_when_shown():
    fields = {"q-merkmale": ["0", "2"]}
    assert reviewed(MULTIPLE, TEXTS, fields, shown=False) == Review(
        "Zeitdruck; Anrede", (PickedChoice("Zeitdruck"), PickedChoice("Anrede"))
    )
    assert reviewed(MULTIPLE, TEXTS, fields, shown=True) == Review(
        "Zeitdruck; Anrede",
        (PickedChoice("Zeitdruck", "Ja."), PickedChoice("Anrede", "Nein.")),
        solution_html="Zeitdruck; Absender",
        explanation_html="<p>Phishing drängt.</p>",
    )


def test_the_options_in_the_order_the_attempt_showed_them():
    assert shown_options(MULTIPLE, {"id": "merkmale", "choices": [2, 0, 1]}) == [
        "Anrede",
        "Zeitdruck",
        "Absender",
    ]
    assert shown_options(ORDERING, {"id": "schritte", "items": [1, 2, 0]}) == [
        "Melden",
        "Nicht öffnen",
        "Löschen",
    ]
    assert shown_options(CLOZE, None) == []


# --- Every question type as a person reads it (issue 18, point 5) ----------------------


@pytest.fixture
def check(app, tmp_path):
    """FULL_QUIZ parsed and rendered as an import stores it: the questions as learners
    see them, their review texts and their answer keys, by id."""
    from lms.content.importer import render_course
    from lms.content.parser import parse_course
    from tests.unit.test_course_parser import FULL_QUIZ, quiz, write_course

    with app.test_request_context():
        spec = parse_course(write_course(tmp_path, {"02-check.md": quiz(FULL_QUIZ)})).spec
        rendered = render_course(spec, lambda path: f"/assets/{path}")
    unit = next(u for u in rendered["units"]["de"] if u["id"] == "check")
    keys = {q.id: q for q in spec.main_units[1].questions}
    return {
        q["id"]: (q, rendered["review"]["de"][q["id"]], keys[q["id"]]) for q in unit["questions"]
    }


def review_of(check, qid, fields, shown=True):
    question, texts, key = check[qid]
    return reviewed(question, texts, fields, shown, key)


def test_a_cloze_answer_gap_by_gap_with_the_right_word_of_each(check):
    review = review_of(check, "luecke", {"q-luecke-0": "Mail", "q-luecke-1": "0"})
    assert [(p.given, p.right, p.correct, p.also) for p in review.parts] == [
        ("Mail", "Mail", True, ("E-Mail",)),
        ("harmlos", "verdächtig", False, ()),
    ]
    hidden = review_of(check, "luecke", {"q-luecke-0": "Mail"}, shown=False)
    assert [(p.given, p.right, p.correct) for p in hidden.parts] == [
        ("Mail", "", None),
        ("", "", None),
    ]


def test_a_matching_answer_item_by_item_and_an_ordering_position_by_position(check):
    question = check["paare"][0]
    options = question["right"]  # the fields hold indexes into the options as shown
    fields = {
        "q-paare-0": str(options.index("gefälschte Mail")),
        "q-paare-1": str(options.index("Ablenkung")),
    }
    review = review_of(check, "paare", fields)
    assert [(p.label, p.given, p.right, p.correct) for p in review.parts] == [
        ("Phishing", "gefälschte Mail", "gefälschte Mail", True),
        ("Backup", "Ablenkung", "Sicherung", False),
    ]
    steps = check["schritte"][0]["items"]  # sorted: Löschen, Melden, Nicht öffnen
    fields = {f"q-schritte-{steps.index(step)}": str(n) for n, step in
              enumerate(["Melden", "Nicht öffnen", "Löschen"], start=1)}  # fmt: skip
    review = review_of(check, "schritte", fields)
    assert [(p.given, p.right, p.correct) for p in review.parts] == [
        ("Melden", "Nicht öffnen", False),
        ("Nicht öffnen", "Melden", False),
        ("Löschen", "Löschen", True),
    ]


def test_the_correct_answer_of_choice_number_text_and_true_false_questions(check):
    assert review_of(check, "merkmale", {"q-merkmale": ["2"]}).solutions == (
        "Zeitdruck",
        "Falscher Absender",
    )
    assert review_of(check, "laenge", {}).solutions == ("12 Zeichen",)
    number = review_of(check, "zahl", {"q-zahl": "2,9"}).number
    assert (number.number, number.tolerance, number.unit) == (Decimal("2.5"), Decimal("0.5"), "m")
    assert review_of(check, "begriff", {}).solutions == ("Phishing", "Phishing-Mail")
    assert review_of(check, "zettel", {"q-zettel": "true"}).solution_bool is False
    # Nothing of the key while the answers are not shown.
    hidden = review_of(check, "merkmale", {"q-merkmale": ["2"]}, shown=False)
    assert hidden.solutions == () and hidden.number is None and hidden.solution_bool is None


def test_a_true_key_is_true_even_where_the_stored_review_text_says_otherwise(check):
    """The answer key decides what the review calls correct: a review text stored
    without it (or with another value) does not turn "Wahr" into "Falsch"."""
    from dataclasses import replace

    question, texts, key = check["zettel"]
    true_key = replace(key, answer_bool=True)
    stale = {**texts, "solution_bool": None}
    assert reviewed(question, stale, {"q-zettel": "false"}, True, true_key).solution_bool is True
