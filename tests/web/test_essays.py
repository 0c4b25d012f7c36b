"""Essay questions graded by a trainer (issue 18, point 21): the learner writes, hands in
and sees what waits; a trainer of their company grades every essay of the attempt with
the rubric; the grade decides pass or fail and completes the unit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.grading import essays
from lms.grading import service as grading
from lms.models import AuditEntry, Course, EssayGrade, ItemStat, QuizAttempt
from lms.services import learning, quizzes, refreshers
from tests.unit.test_course_parser import quiz, write_course

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CHECK = "/learn/courses/essaykurs/check"

ESSAY_QUIZ = """
## Wie viele Zeichen hat ein gutes Passwort mindestens? {#laenge}
- ( ) 6
- (x) 12

## Ist ein Zettel am Bildschirm sicher? {#zettel}
answer: falsch

## Sie verlassen Ihren Platz. Was tun Sie und warum? {#platz}
rubric: Sperrt den Bildschirm = 2
rubric: Nennt den Grund = 1
min_words: 3
max_words: 40
"""
WRITTEN = "Ich sperre den Bildschirm,\ndamit niemand meine Daten sieht."


def words(response) -> str:
    """A page's text without its tags, white space folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split()).replace(
        " :", ":"
    )


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(
        tmp_path,
        {"02-check.md": quiz(ESSAY_QUIZ, "pass_mark: 60\nmax_attempts: 2\n")},
        slug="essaykurs",
    )
    with app.test_request_context():
        import_course(db, folder, NOW - timedelta(days=3))
    return db.scalar(select(Course).where(Course.slug == "essaykurs"))


def enrolled(db, person, course):
    enrollment = learning.enroll(db, person, course, NOW)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    return enrollment


def handed_in(db, enrollment, text: str = WRITTEN, right: bool = True) -> QuizAttempt:
    """An attempt handed in through the service: both automatic questions right (or
    wrong) and `text` as the essay."""
    attempt = quizzes.start_attempt(db, enrollment, "check", "de", NOW)
    form = {"q-laenge": ["1" if right else "0"], "q-zettel": ["false" if right else "true"]}
    if text:
        form["q-platz"] = [text]
    quizzes.save_page(db, attempt, 1, form)
    quizzes.submit(db, attempt, NOW)
    return attempt


@pytest.fixture
def learner(client, db, world, login, course):
    person = world.a.employees[0]
    enrolled(db, person, course)
    db.commit()
    login(person)
    return person


# --- The learner ------------------------------------------------------------------------


def test_the_learner_writes_in_a_text_area_hands_in_and_sees_what_waits(client, db, learner):
    url = client.post(f"{CHECK}/attempts").location
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert '<textarea id="q-platz" name="q-platz"' in page
    assert "Your trainer grades this answer. 3 to 40 words." in page
    assert "Sperrt den Bildschirm" in page  # the rubric, to read before writing
    data = {"page": "1", "action": "summary", "q-laenge": "1", "q-zettel": "false"}
    client.post(url, data={**data, "q-platz": WRITTEN})
    summary = client.get(f"{url}/summary", headers=EN).get_data(as_text=True)
    assert "You have answered every question." in summary
    result = client.post(url, data={"action": "submit"}, headers=EN)
    assert result.status_code == 302
    page = client.get(result.location, headers=EN).get_data(as_text=True)
    assert "Waiting for your trainer" in page
    assert "The other questions earned 2 of 5 points" in page
    assert "Not passed" not in page and "Passed" not in page and "Try again" not in page
    assert "waiting for your trainer" in page and "damit niemand meine Daten sieht." in page
    attempt = db.scalar(select(QuizAttempt))
    assert (attempt.status, attempt.score, attempt.max_score, attempt.passed) == (
        "grading", Decimal(2), Decimal(5), None)  # fmt: skip
    assert attempt.responses["platz"]["q-platz"] == WRITTEN  # line breaks kept
    unit_page = client.get(f"{CHECK}", headers=EN).get_data(as_text=True)
    assert "Attempt 1: waiting for your trainer" in unit_page
    assert "You can start another attempt once that is done." in unit_page
    course_page = words(client.get("/learn/courses/essaykurs", headers=EN))
    assert "· waiting for your trainer" in course_page
    # Waiting counts as used, and no second attempt starts while it waits.
    refused = client.post(f"{CHECK}/attempts", headers=EN)
    assert refused.location.endswith(CHECK)
    assert "has not yet graded your last attempt" in client.get(CHECK, headers=EN).get_data(
        as_text=True
    )
    assert db.scalar(select(QuizAttempt).where(QuizAttempt.number == 2)) is None


def test_an_essay_outside_its_word_limits_is_not_handed_in_and_keeps_the_text(client, db, learner):
    url = client.post(f"{CHECK}/attempts").location
    client.post(url, data={"page": "1", "action": "summary", "q-platz": "Sperren."})
    refused = client.post(url, data={"action": "submit"}, headers=EN)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Not handed in yet: please check the length of your answers" in page
    assert "your answer has 1 word; 3 to 40 words." in page
    assert "Your text is kept." in page
    attempt = db.scalar(select(QuizAttempt))
    db.refresh(attempt)
    assert attempt.status == "open" and attempt.responses["platz"]["q-platz"] == "Sperren."
    # A page that hands in itself (no summary) keeps what it sent too.
    refused = client.post(
        url, data={"page": "1", "action": "submit", "q-platz": "Viel " * 41}, headers=EN
    )
    assert refused.status_code == 422 and "your answer has 41 words" in refused.get_data(
        as_text=True
    )
    assert "Viel Viel" in refused.get_data(as_text=True)


def test_essays_all_left_blank_are_graded_at_once(db, world, course):
    attempt = handed_in(db, enrolled(db, world.a.employees[0], course), text="")
    assert (attempt.status, attempt.score, attempt.passed) == ("submitted", Decimal(2), False)


# --- The trainer ------------------------------------------------------------------------


def test_the_queue_lists_essays_of_served_companies_only_oldest_first(
    client, db, world, login, course
):
    first = handed_in(db, enrolled(db, world.a.employees[0], course))
    earlier = handed_in(db, enrolled(db, world.a.employees[1], course))
    earlier.submitted_at = NOW - timedelta(hours=2)
    foreign = handed_in(db, enrolled(db, world.b.employees[0], course))
    db.commit()
    assert grading.waiting_count(db, world.trainer.id) == 2
    login(world.trainer)  # serves company A only
    page = client.get("/author/grading", headers=EN).get_data(as_text=True)
    assert "Free-text answers" in page and 'To grade<span aria-hidden="true"> (2)</span>' in page
    assert world.b.employees[0].display_name not in page
    assert page.index(world.a.employees[1].display_name) < page.index(
        world.a.employees[0].display_name
    )
    assert client.get(f"/author/grading/essays/{foreign.id}").status_code == 404
    assert client.get(f"/author/grading/essays/{first.id}", headers=EN).status_code == 200
    # Filtered by a module without essays waiting: none listed.
    other = client.get(f"/author/grading?course={course.id + 999}", headers=EN)
    assert world.a.employees[0].display_name not in other.get_data(as_text=True)


def test_a_trainer_never_grades_their_own_attempt(db, world, course):
    world.trainer.company_id = world.a.company.id
    attempt = handed_in(db, enrolled(db, world.trainer, course))
    assert not grading.may_grade(world.trainer, world.trainer)
    rows = db.execute(essays.waiting(world.trainer)).all()
    assert attempt.id not in [row[0].id for row in rows]


def test_the_trainer_grades_with_the_rubric_and_a_pass_completes_the_unit(
    client, other_client, db, world, login, course
):
    person = world.a.employees[0]
    enrollment = enrolled(db, person, course)
    attempt = handed_in(db, enrollment)
    db.commit()
    login(world.trainer)
    url = f"/author/grading/essays/{attempt.id}"
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "damit niemand meine Daten sieht." in page
    assert 'name="p-platz-0" value="2"' in page and 'name="p-platz-1" value="1"' in page
    response = client.post(url, data={"p-platz-0": "2", "p-platz-1": "0",
                                      "f-platz": "Gut! Warum genau?"})  # fmt: skip
    assert response.status_code == 302 and response.location.endswith("/author/grading")
    db.expire_all()
    attempt = db.get(QuizAttempt, attempt.id)
    assert (attempt.status, attempt.score, attempt.percent, attempt.passed) == (
        "submitted", Decimal(4), Decimal(80), True)  # fmt: skip
    progress = learning.course_progress(db, enrollment, "de")
    assert progress.units[1].status == "passed"
    (grade,) = db.scalars(select(EssayGrade)).all()
    assert (grade.points, grade.criteria, grade.graded_by_id) == (
        Decimal(2), ["2", "0"], world.trainer.id)  # fmt: skip
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "quiz.essays_grade"))
    assert entry.subject_id == attempt.id and entry.changes["passed"] == [None, True]
    # The statistics count the attempt once it is graded, the essay as graded.
    assert db.scalar(select(ItemStat.answers).where(ItemStat.question_id == "platz")) == 1
    # The learner sees the points per criterion and the feedback.
    login(person, target=other_client)
    result = words(other_client.get(f"{CHECK}/attempts/1/result", headers=EN))
    assert "Passed" in result and "graded by your trainer" in result
    assert "Sperrt den Bildschirm: 2 of 2 points" in result
    assert "Nennt den Grund: 0 of 1 points" in result and "Gut! Warum genau?" in result
    # The grade is a notice in the app.
    assert "is graded: passed." in words(other_client.get("/notices/", headers=EN))


def test_a_fail_lets_the_learner_try_again_and_a_second_submit_grades_nothing(
    client, db, world, login, course
):
    enrollment = enrolled(db, world.a.employees[0], course)
    attempt = handed_in(db, enrollment, right=False)
    db.commit()
    login(world.trainer)
    url = f"/author/grading/essays/{attempt.id}"
    data = {"p-platz-0": "1", "p-platz-1": "1", "f-platz": "Fast."}
    assert client.post(url, data=data).status_code == 302
    again = client.post(url, data={"p-platz-0": "2", "p-platz-1": "1"}, headers=EN)
    assert again.status_code == 302
    db.expire_all()
    attempt = db.get(QuizAttempt, attempt.id)
    assert (attempt.status, attempt.score, attempt.passed) == ("submitted", Decimal(2), False)
    assert len(db.scalars(select(EssayGrade)).all()) == 1
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "quiz.essays_grade"))
    with pytest.raises(essays.EssayError) as error:
        essays.grade(db, Actor(world.trainer), attempt, {}, NOW)
    assert error.value.code == "graded-already"
    assert learning.course_progress(db, enrollment, "de").units[1].status != "passed"
    assert quizzes.attempts_left(db, enrollment, "check") == 1
    assert quizzes.start_attempt(db, enrollment, "check", "de", NOW).number == 2


def test_a_form_error_keeps_what_was_typed(client, db, world, login, course):
    attempt = handed_in(db, enrolled(db, world.a.employees[0], course))
    db.commit()
    login(world.trainer)
    url = f"/author/grading/essays/{attempt.id}"
    missing = client.post(url, data={"p-platz-0": "2", "f-platz": "Schon gut."}, headers=EN)
    page = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "Please give points for every criterion." in page
    assert "Schon gut.</textarea>" in page and 'name="p-platz-0" value="2" checked' in page
    too_many = client.post(url, data={"p-platz-0": "3", "p-platz-1": "1"}, headers=EN)
    assert too_many.status_code == 422
    assert "from 0 to the criterion&#39;s maximum" in too_many.get_data(as_text=True)
    db.expire_all()
    assert db.get(QuizAttempt, attempt.id).status == "grading"


# --- Refreshers -------------------------------------------------------------------------


def test_refreshers_never_draw_an_essay(app, db, tmp_path):
    folder = write_course(
        tmp_path,
        {"02-check.md": quiz(ESSAY_QUIZ)},
        slug="auffrischung",
    )
    with app.test_request_context():
        version = import_course(db, folder, NOW).version
    drawn = {d.question.id for step in range(6) for d in refreshers.draw(version, 1, step, "de")}
    assert drawn == {"laenge", "zettel"}
