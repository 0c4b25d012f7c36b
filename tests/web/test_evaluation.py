"""Evaluating a module or a session: the invitation, answering once, anonymity, and the
trainer's results with their chart and CSV, shown only from the minimum number of answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.evaluation import service
from lms.in_person import booking
from lms.models import (
    Attendance,
    AuditEntry,
    Course,
    EvaluationParticipation,
    EvaluationResponse,
)
from lms.services import learning
from tests.factories import make_user
from tests.unit.test_booking import import_in_person_course, schedule
from tests.unit.test_course_parser import write_course

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}


@pytest.fixture
def clock(app):
    moment = {"now": NOW}
    app.config["CLOCK"] = lambda: moment["now"]
    yield moment
    app.config.pop("CLOCK", None)


@pytest.fixture
def course(app, db, tmp_path, clock):
    """A module of one lesson (course.md without its own questions)."""
    with app.test_request_context():
        import_course(db, write_course(tmp_path, {}), NOW - timedelta(days=30))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


def complete(db, person, course):
    enrollment = learning.enroll(db, person, course, NOW)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    db.flush()
    return enrollment


def answer(db, person, course, overall=4, useful=5, change=""):
    """`person` completes the module and answers its questions (through the service)."""
    complete(db, person, course)
    target = service.module_target(db, person, course.slug)
    answers: dict[str, int | str] = {"overall": overall, "useful": useful}
    if change:
        answers["change"] = change
    assert service.submit(db, person, target, answers, "de", NOW)


def learners(db, setup, n):
    return [make_user(db, setup.company, name=f"{setup.company.name} Person {i}") for i in range(n)]


def test_a_learner_who_completed_a_module_is_invited_and_answers_once(
    client, db, world, login, course
):
    person = world.a.employees[0]
    complete(db, person, course)
    login(person)
    page = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "How was the module? (2 minutes)" in page
    form = client.get("/learn/evaluation/modules/testkurs", headers=EN)
    assert form.status_code == 200
    text = form.get_data(as_text=True)
    assert "How would you rate this module overall?" in text and "What should we change?" in text

    # A required question left open: refused with its error, what was typed is kept.
    missing = client.post(
        "/learn/evaluation/modules/testkurs",
        data={"q-overall": "4", "q-change": "Mehr Beispiele aus der Halle"},
        headers=EN,
    )
    assert missing.status_code == 422
    refused = missing.get_data(as_text=True)
    assert "Please choose an answer." in refused and "Mehr Beispiele aus der Halle" in refused
    assert 'value="4" checked' in refused
    assert db.scalar(select(func.count()).select_from(EvaluationResponse)) == 0

    sent = {"q-overall": "4", "q-useful": "5", "q-change": "Mehr Beispiele aus der Halle"}
    first = client.post("/learn/evaluation/modules/testkurs", data=sent, headers=EN)
    assert first.status_code == 302 and first.location.endswith("/learn/courses/testkurs")
    again = client.post("/learn/evaluation/modules/testkurs", data=sent, headers=EN)
    assert again.status_code == 302
    assert "count once" in client.get(again.location, headers=EN).get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(EvaluationResponse)) == 1
    assert db.scalar(select(func.count()).select_from(EvaluationParticipation)) == 1
    sheet = db.scalar(select(EvaluationResponse))
    assert sheet.answers == {"overall": 4, "useful": 5, "change": "Mehr Beispiele aus der Halle"}
    # The invitation is gone; the page says it was answered.
    assert "How was the module" not in client.get("/learn/courses/testkurs", headers=EN).get_data(
        as_text=True
    )
    done = client.get("/learn/evaluation/modules/testkurs", headers=EN).get_data(as_text=True)
    assert "You have already answered these questions." in done
    # Answering writes nothing to the audit log, which managers read.
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_an_optional_question_may_be_skipped_and_a_bad_value_is_refused(
    client, db, world, login, course
):
    person = world.a.employees[0]
    complete(db, person, course)
    login(person)
    bad = client.post(
        "/learn/evaluation/modules/testkurs", data={"q-overall": "9", "q-useful": "2"}, headers=EN
    )
    assert bad.status_code == 422
    assert "Please choose one of the answers shown." in bad.get_data(as_text=True)
    good = client.post(
        "/learn/evaluation/modules/testkurs", data={"q-overall": "3", "q-useful": "2"}, headers=EN
    )
    assert good.status_code == 302
    assert db.scalar(select(EvaluationResponse)).answers == {"overall": 3, "useful": 2}


def test_a_module_not_completed_is_not_evaluated(client, db, world, login, course):
    person = world.a.employees[0]
    learning.enroll(db, person, course, NOW)
    login(person)
    assert client.get("/learn/evaluation/modules/testkurs").status_code == 404
    assert client.post("/learn/evaluation/modules/testkurs", data={}).status_code == 404
    assert "How was the module" not in client.get("/learn/courses/testkurs", headers=EN).get_data(
        as_text=True
    )


def test_no_answer_sheet_can_be_tied_to_a_person(db, world, course):
    columns = set(EvaluationResponse.__table__.columns.keys())
    assert columns == {
        "id",
        "company_id",
        "course_id",
        "version_id",
        "session_id",
        "language",
        "answers",
    }
    assert not any(
        fk.column.table.name == "users" for fk in EvaluationResponse.__table__.foreign_keys
    )
    first, second = world.a.employees[:2]
    answer(db, first, course, 5, 5, "Gut")
    answer(db, second, course, 2, 1, "Zu lang")
    sheets = db.scalars(select(EvaluationResponse)).all()
    # Random ids: their order says nothing about who answered first.
    assert all(len(sheet.id) == 32 for sheet in sheets)
    participations = db.scalars(select(EvaluationParticipation)).all()
    assert {p.user_id for p in participations} == {first.id, second.id}
    for sheet in sheets:
        assert str(first.id) not in sheet.answers.values()


def test_results_appear_only_from_the_minimum_on_page_and_csv(client, db, world, login, course):
    people = world.a.employees + learners(db, world.a, 1)
    for number, person in enumerate(people):
        answer(db, person, course, overall=5 - number % 2, useful=4, change=f"Text {number}")
    login(world.trainer)
    page = client.get("/author/evaluation/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "So far 4 answers." in page and "after 1 more answer" in page
    assert "<svg" not in page and "Text 0" not in page
    assert client.get("/author/evaluation/courses/testkurs/results.csv").status_code == 404

    answer(db, world.a.manager, course, overall=1, useful=2, change='=HYPERLINK("x")')
    page = client.get("/author/evaluation/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "5 answers" in page
    assert 'role="img"' in page  # the scale's chart, with the table of figures below
    assert "Average: 3.8 of 5" in page  # 5, 4, 5, 4, 1
    assert "1 – poor" in page and "5 – very good" in page
    assert "Text 3" in page and world.a.manager.display_name not in page
    csv = client.get("/author/evaluation/courses/testkurs/results.csv", headers=EN)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == (
        "How would you rate this module overall?,How useful is what you learned for your work?,"
        "What should we change?"
    )
    assert len(lines) == 6
    assert '\'=HYPERLINK(""x"")' in csv.get_data(as_text=True)  # never a formula
    # German pages export for German Excel: semicolons, decimal commas.
    german = client.get("/author/evaluation/courses/testkurs/results.csv", headers=DE)
    assert german.get_data(as_text=True).splitlines()[0].count(";") == 2


def test_a_company_filter_names_only_companies_with_enough_answers(
    client, db, world, login, course
):
    for person in [*world.a.employees, world.a.manager, *learners(db, world.a, 1)]:
        answer(db, person, course)
    for person in world.b.employees[:2]:
        answer(db, person, course, change="Nur zwei hier")
    login(world.trainer)
    page = client.get("/author/evaluation/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "7 answers" in page and "Beta" not in page
    alpha_page = client.get(
        f"/author/evaluation/courses/testkurs?company={world.a.company.id}", headers=EN
    ).get_data(as_text=True)
    assert "5 answers" in alpha_page and "Alpha" in alpha_page
    assert "Nur zwei hier" not in alpha_page
    beta = client.get(
        f"/author/evaluation/courses/testkurs?company={world.b.company.id}", headers=EN
    ).get_data(as_text=True)
    assert "Not enough answers yet" in beta and "Nur zwei hier" not in beta
    assert "Beta" not in beta
    csv = client.get(
        f"/author/evaluation/courses/testkurs/results.csv?company={world.b.company.id}"
    )
    assert csv.status_code == 404
    alpha = client.get(
        f"/author/evaluation/courses/testkurs/results.csv?company={world.a.company.id}"
    )
    assert len(alpha.get_data(as_text=True).splitlines()) == 6


def test_a_company_trainer_sees_no_results_of_the_providers_modules(
    client, db, world, login, course
):
    from lms.models import Role

    own_trainer = make_user(db, world.a.company, Role.TRAINER)
    login(own_trainer)
    assert client.get("/author/evaluation/courses/testkurs").status_code == 404
    assert client.get("/author/evaluation/courses/testkurs/results.csv").status_code == 404


@pytest.fixture
def workshop(app, db, tmp_path, clock):
    return import_in_person_course(app, db, tmp_path)


def test_a_session_is_evaluated_by_those_who_were_there_after_it_ended(
    client, db, world, login, workshop, clock
):
    in_person = schedule(db, world, workshop, capacity=5)
    present, partly, absent = world.a.employees
    for person in (present, partly, absent):
        learning.enroll(db, person, workshop, NOW)
        seat, _ = booking.book(db, in_person, person, by=person, now=NOW)
        clock["now"] = in_person.starts_at
        attendance = {present: Attendance.PRESENT, partly: Attendance.PARTIAL}.get(
            person, Attendance.ABSENT
        )
        booking.record_attendance(
            db, Actor(world.trainer), seat, attendance, "",
            minutes=30 if attendance is Attendance.PARTIAL else None, now=in_person.starts_at,
        )  # fmt: skip
        clock["now"] = NOW
    db.flush()
    address = f"/learn/evaluation/sessions/{in_person.id}"
    login(present)
    assert client.get(address).status_code == 404  # not over yet
    clock["now"] = in_person.ends_at + timedelta(minutes=5)
    sessions_page = client.get("/learn/sessions", headers=EN).get_data(as_text=True)
    assert "How was the session? (2 minutes)" in sessions_page
    page = client.get(address, headers=EN).get_data(as_text=True)
    assert "How would you rate this session overall?" in page
    sent = client.post(address, data={"q-overall": "5", "q-useful": "4"}, headers=EN)
    assert sent.status_code == 302 and sent.location.endswith("/learn/sessions")
    assert "How was the session" not in client.get("/learn/sessions", headers=EN).get_data(
        as_text=True
    )
    sheet = db.scalar(select(EvaluationResponse))
    assert sheet.session_id == in_person.id and sheet.company_id == world.a.company.id

    client.post("/logout")
    login(partly)
    assert client.get(address).status_code == 200  # partly present counts as there
    client.post("/logout")
    login(absent)
    assert client.get(address).status_code == 404
    assert client.post(address, data={"q-overall": "1", "q-useful": "1"}).status_code == 404
    client.post("/logout")
    # Another company's learner, who never sat in this session, cannot answer for it.
    login(world.b.employees[0])
    assert client.get(address).status_code == 404
    assert client.post(address, data={"q-overall": "1", "q-useful": "1"}).status_code == 404
    assert db.scalar(select(func.count()).select_from(EvaluationResponse)) == 1

    client.post("/logout")
    login(world.trainer)
    results = client.get(f"/author/evaluation/sessions/{in_person.id}", headers=EN)
    text = results.get_data(as_text=True)
    assert results.status_code == 200 and "So far 1 answer." in text
    assert "after 4 more answers" in text
    roster = client.get(f"/author/sessions/{in_person.id}", headers=EN).get_data(as_text=True)
    assert f"/author/evaluation/sessions/{in_person.id}" in roster


def test_the_minimum_is_the_platforms_setting_but_never_below_three(app):
    assert service.minimum_of(5) == 5
    assert service.minimum_of(1) == 3
    assert service.minimum_of(None) == 5
    assert app.config["EVALUATION_MIN_RESPONSES"] == 5


def test_the_data_export_says_that_a_person_answered_but_not_what(app, db, world, course):
    import json

    from lms.services.personal_data import export_personal_data

    person = world.a.employees[0]
    answer(db, person, course, 2, 3, "Mein geheimer Vorschlag")
    with app.test_request_context():
        data = export_personal_data(db, person)
    assert [entry["course"] for entry in data["evaluations"]] == ["testkurs"]
    assert data["evaluations"][0]["evaluated"].startswith("round:")
    assert "Mein geheimer Vorschlag" not in json.dumps(data, ensure_ascii=False)
