"""The personal-data export gives each answer as its learner saw it: the question and its
choices in the order shown, the answer in words (and as stored), and the feedback,
correct answer and explanation only where the result page showed them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.content.importer import import_course
from lms.models import QuizAttempt
from lms.services import refreshers
from tests.unit.test_course_parser import quiz, write_course
from tests.unit.test_refreshers import COMPLETED, REFRESH_MD, complete

EN = {"Accept-Language": "en"}
CHECK = "/learn/courses/testkurs/check"

CHECK_QUIZ = """\
## Wie lang sollte ein Passwort mindestens sein? {#laenge}
- ( ) 6 Zeichen
- (x) 12 Zeichen
  > Richtig.
- ( ) 8 Zeichen
  > Zu kurz.

explanation: Lange Passphrasen sind sicher.

## Ein Passwort darf am Monitor kleben. {#zettel}
answer: falsch
feedback_true: Leider nein.
feedback_false: Genau.

## Ordnen Sie zu. {#paare}
- Phishing -> gefälschte Mail
- Backup → Sicherung
- -> Ablenkung
"""

# Wrong answers: "8 Zeichen", "true", and Backup matched with the distractor. The
# options to match are listed sorted: Ablenkung (0), Sicherung (1), gefälschte Mail (2).
WRONG = {"q-laenge": "2", "q-zettel": "true", "q-paare-0": "2", "q-paare-1": "0"}
# What only a learner shown the answers may find in the export.
SHOWN_ONLY = ("Zu kurz.", "Richtig.", "Lange Passphrasen", "Leider nein", "Genau.")


def publish(app, db, tmp_path, show_answers: str, *, course_md: str | None = None):
    files = {"02-check.md": quiz(CHECK_QUIZ, f"shuffle: true\nshow_answers: {show_answers}\n")}
    if course_md:
        files["course.md"] = course_md
    folder = write_course(tmp_path, files)
    with app.test_request_context():
        outcome = import_course(db, folder, COMPLETED - timedelta(days=30))
    assert outcome.version is not None, outcome.problems
    return outcome.version


def hand_in(client, form) -> None:
    client.post("/learn/courses/testkurs/enroll")
    assert client.post(f"{CHECK}/attempts").location.endswith(f"{CHECK}/attempts/1")
    response = client.post(f"{CHECK}/attempts/1", data={"page": "1", "action": "submit", **form})
    assert response.location.endswith("/result")


def my_data(client) -> dict:
    return json.loads(client.get("/learn/my-data.json").get_data(as_text=True))


def test_a_choice_answer_is_exported_with_its_text_and_the_feedback_shown(
    app, client, db, world, login, tmp_path
):
    publish(app, db, tmp_path, "after_submit")
    login(world.a.employees[0])
    hand_in(client, WRONG)
    data = my_data(client)
    assert data["format"] == "lernwerk-personal-data/2"
    (attempt,) = data["quiz_attempts"]
    assert attempt["answers_shown"] is True
    answers = {a["question_id"]: a for a in attempt["answers"]}

    length = answers["laenge"]
    assert length["question"] == "Wie lang sollte ein Passwort mindestens sein?"
    assert length["your_answer"] == "8 Zeichen"
    assert length["response"] == {"q-laenge": "2"}
    assert (length["correct"], length["score"], length["max_score"]) == (False, "0.00", "1.00")
    assert length["feedback"] == ["Zu kurz."]
    assert length["correct_answer"] == "12 Zeichen"
    assert length["explanation"] == "Lange Passphrasen sind sicher."
    # The choices in the order this attempt showed them.
    stored = db.scalar(select(QuizAttempt))
    (entry,) = [e for e in stored.layout if e["id"] == "laenge"]
    authored = ["6 Zeichen", "12 Zeichen", "8 Zeichen"]
    assert length["options"] == [authored[i] for i in entry["choices"]]

    statement = answers["zettel"]  # in the attempt's language, as the page labelled it
    assert (statement["your_answer"], statement["correct_answer"]) == ("Wahr", "Falsch")
    assert statement["feedback"] == ["Leider nein."]
    assert answers["paare"]["your_answer"] == "Phishing → gefälschte Mail; Backup → Ablenkung"

    # The result page shows the same review.
    page = client.get(f"{CHECK}/attempts/1/result", headers=EN).get_data(as_text=True)
    assert '<span lang="de">8 Zeichen</span> – <em lang="de">Zu kurz.</em>' in page
    assert '<p lang="de"><em>Leider nein.</em></p>' in page
    assert "<dt>Correct answer:</dt>\n      <dd>False</dd>" in page


@pytest.mark.parametrize("show_answers", ["never", "after_passing"])
def test_the_export_holds_no_solution_the_learner_was_not_shown(
    app, client, db, world, login, tmp_path, show_answers
):
    publish(app, db, tmp_path, show_answers)
    login(world.a.employees[0])
    hand_in(client, WRONG)  # not passed
    data = my_data(client)
    (attempt,) = data["quiz_attempts"]
    assert attempt["answers_shown"] is False
    length = next(a for a in attempt["answers"] if a["question_id"] == "laenge")
    assert length["your_answer"] == "8 Zeichen"  # their own answer, always
    assert (length["feedback"], length["correct_answer"], length["explanation"]) == (
        [],
        None,
        None,
    )
    statement = next(a for a in attempt["answers"] if a["question_id"] == "zettel")
    assert (statement["your_answer"], statement["correct_answer"]) == ("Wahr", None)
    dump = json.dumps(data, ensure_ascii=False)
    for text in SHOWN_ONLY:
        assert text not in dump
    page = client.get(f"{CHECK}/attempts/1/result", headers=EN).get_data(as_text=True)
    for text in SHOWN_ONLY:
        assert text not in page


@pytest.mark.parametrize("show_answers", ["after_submit", "never"])
def test_refresher_answers_are_exported_as_the_learner_saw_them(
    app, client, db, world, login, tmp_path, monkeypatch, show_answers
):
    version = publish(app, db, tmp_path, show_answers, course_md=REFRESH_MD)
    learner = world.a.employees[0]
    completion = complete(db, version, learner)
    monkeypatch.setitem(app.config, "CLOCK", lambda: datetime(2026, 3, 9, 7, tzinfo=UTC))
    login(learner)
    drawn = refreshers.draw(version, completion.id, 0, "de")
    assert {item.question.id for item in drawn} >= {"laenge", "zettel"}
    form = {key: value for key, value in WRONG.items() if key.startswith("q-laenge")}
    form["q-zettel"] = "true"
    client.post(f"/learn/refreshers/{completion.id}/0", data={"action": "answer", **form})
    (refresher,) = my_data(client)["refreshers"]
    answers = {a["question_id"]: a for a in refresher["answers"]}
    length = answers["laenge"]
    assert length["question"] == "Wie lang sollte ein Passwort mindestens sein?"
    assert length["your_answer"] == "8 Zeichen" and length["correct"] is False
    (entry,) = [item.layout for item in drawn if item.question.id == "laenge"]
    authored = ["6 Zeichen", "12 Zeichen", "8 Zeichen"]
    assert length["options"] == [authored[i] for i in entry["choices"]]
    if show_answers == "never":
        assert refresher["answers_shown"] is False
        assert (length["feedback"], length["correct_answer"]) == ([], None)
        dump = json.dumps(refresher, ensure_ascii=False)
        assert not any(text in dump for text in SHOWN_ONLY)
    else:
        assert refresher["answers_shown"] is True
        assert (length["feedback"], length["correct_answer"]) == (["Zu kurz."], "12 Zeichen")
        assert answers["zettel"]["feedback"] == ["Leider nein."]
