"""The review of a graded answer: the answer in words for every question type, and the
feedback, correct answer and explanation only when answers are shown."""

from __future__ import annotations

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
