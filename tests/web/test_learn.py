"""The learner's journey so far: catalogue, enrolment, the course path, lessons, versions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.content.importer import import_course
from lms.models import Completion, Enrollment, UnitProgress
from tests.factories import make_user
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}

LESSON_2 = "---\ntype: lesson\ntitle: Vertiefung\nminutes: 6\n---\nMehr Text.\n"


@pytest.fixture
def courses(app, db, tmp_path):
    """A course of two lessons, imported; returns a function that publishes changes."""
    folder = write_course(tmp_path, {"02-vertiefung.md": LESSON_2})

    def publish(**files: str) -> None:
        for name, text in files.items():
            (folder / name).write_text(text)
        with app.test_request_context():
            import_course(db, folder, datetime.now(UTC))

    publish()
    return publish


def enroll(client):
    return client.post("/learn/courses/testkurs/enroll")


def test_catalogue_lists_the_course_and_enrolling_opens_the_first_unit(
    client, world, login, courses
):
    login(world.a.employees[0])
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "Catalogue" in page and "Testkurs" in page and "2 units" in page
    response = enroll(client)
    assert response.location == "/learn/courses/testkurs/einstieg"
    lesson = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "<h1>Einstieg</h1>" in lesson and "Worum es geht" in lesson
    assert "Unit 1 of 2" in lesson and "Mark as done" in lesson


def test_enrolling_twice_makes_one_enrolment(client, db, world, login, courses):
    login(world.a.employees[0])
    enroll(client)
    enroll(client)
    assert db.scalar(select(func.count()).select_from(Enrollment)) == 1


def test_marking_lessons_done_advances_and_completes_the_course(client, db, world, login, courses):
    user = world.a.employees[0]
    login(user)
    enroll(client)
    first = client.post("/learn/courses/testkurs/einstieg/done")
    assert first.location == "/learn/courses/testkurs/vertiefung"
    page = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "1 of 2 units" in page and "Still needed: approx. 6 min" in page
    assert 'aria-current="step"' in page
    client.post("/learn/courses/testkurs/einstieg/done")  # twice: counted once
    assert db.scalar(select(func.count()).select_from(UnitProgress)) == 1
    last = client.post("/learn/courses/testkurs/vertiefung/done", headers=EN)
    assert last.location == "/learn/courses/testkurs"
    completion = db.scalar(select(Completion))
    assert completion.user_id == user.id and completion.version.number == 1
    start = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "Completed" in start and "completed on" in start


def test_the_start_page_offers_continue_at_the_exact_unit(client, world, login, courses):
    login(world.a.employees[0])
    enroll(client)
    client.post("/learn/courses/testkurs/einstieg/done")
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert 'href="/learn/courses/testkurs/vertiefung">Continue' in page


def test_a_learner_keeps_the_version_they_started_on(client, world, login, courses):
    login(world.a.employees[0])
    enroll(client)
    courses(**{"01-einstieg.md": "---\ntype: lesson\ntitle: Einstieg\n---\nNeuer Text.\n"})
    started = client.get("/learn/courses/testkurs/einstieg").get_data(as_text=True)
    assert "Worum es geht" in started and "Neuer Text" not in started
    assert "Eine neue Version dieses Lernmoduls ist da" in client.get(
        "/learn/courses/testkurs"
    ).get_data(as_text=True)


def test_a_new_learner_starts_on_the_live_version(client, world, login, courses):
    courses(**{"01-einstieg.md": "---\ntype: lesson\ntitle: Einstieg\n---\nNeuer Text.\n"})
    login(world.a.employees[1])
    enroll(client)
    assert "Neuer Text" in client.get("/learn/courses/testkurs/einstieg").get_data(as_text=True)


def test_progress_carries_over_to_a_new_version_by_unit_id(client, world, login, courses):
    login(world.a.employees[0])
    enroll(client)
    client.post("/learn/courses/testkurs/einstieg/done")
    courses(**{"02-vertiefung.md": LESSON_2 + "\nErgänzt.\n"})
    client.post("/learn/courses/testkurs/move")
    page = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "1 of 2 units" in page
    assert "Ergänzt" in client.get("/learn/courses/testkurs/vertiefung").get_data(as_text=True)


def test_requalification_asks_completed_learners_to_repeat(
    client, db, world, login, courses, tmp_path
):
    login(world.a.employees[0])
    enroll(client)
    client.post("/learn/courses/testkurs/einstieg/done")
    client.post("/learn/courses/testkurs/vertiefung/done")
    course_md = (tmp_path / "testkurs" / "course.md").read_text()
    courses(**{"course.md": course_md.replace("tags:", "requalification: required\ntags:")})
    page = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "This module must be taken again" in page
    client.post("/learn/courses/testkurs/move")
    page = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "0 of 2 units" in page
    assert db.scalar(select(func.count()).select_from(Completion)) == 1  # history kept


def test_pending_units_say_plainly_they_cannot_be_done_yet(client, world, login, courses):
    practical = "---\ntype: practical\ntitle: P\n---\nText.\n\n## Checkliste\n- [ ] Sperren {#s}\n"
    courses(**{"03-praxis.md": practical})
    login(world.a.employees[1])
    enroll(client)
    page = client.get("/learn/courses/testkurs/praxis", headers=EN).get_data(as_text=True)
    assert "signs the task off in Lernwerk" in page
    assert client.post("/learn/courses/testkurs/praxis/done").status_code == 404


def test_units_need_an_enrolment_of_ones_own(client, world, login, courses):
    login(world.a.employees[0])
    enroll(client)
    client.post("/logout")
    login(world.a.employees[1])
    assert client.get("/learn/courses/testkurs/einstieg").status_code == 404
    assert client.post("/learn/courses/testkurs/einstieg/done").status_code == 404
    assert client.get("/learn/courses/gibtsnicht").status_code == 404


def test_learner_pages_need_a_fixed_number_of_queries(
    app, client, db, world, login, courses, count_queries, tmp_path
):
    login(make_user(db, world.a.company))
    enroll(client)
    client.get("/learn/")  # the versions' content is then in the cache
    count_queries.statements.clear()
    client.get("/learn/")
    one_course = count_queries.count
    second = write_course(tmp_path / "mehr", {}, slug="zweiter-kurs")
    with app.test_request_context():
        import_course(db, second, datetime.now(UTC))
    client.post("/learn/courses/zweiter-kurs/enroll")
    client.post("/learn/courses/zweiter-kurs/einstieg/done")
    client.get("/learn/")
    count_queries.statements.clear()
    client.get("/learn/")
    # 9: the eighth of before, plus one for the learning paths (none here).
    assert count_queries.count == one_course <= 9, count_queries.statements


def test_feedback_is_stored_once_per_unit_and_shown_to_trainers_without_names(
    client, other_client, db, world, login, courses
):
    from lms.models import UnitFeedback

    learner = world.a.employees[0]
    login(learner)
    enroll(client)
    client.post(
        "/learn/courses/testkurs/einstieg/feedback", data={"rating": "2", "comment": "Zu lang."}
    )
    client.post(
        "/learn/courses/testkurs/einstieg/feedback", data={"rating": "4", "comment": "Gut erklärt."}
    )
    assert db.scalar(select(func.count()).select_from(UnitFeedback)) == 1
    page = client.get("/learn/courses/testkurs/einstieg").get_data(as_text=True)
    assert 'checked id="rating-3"' in page and "Gut erklärt." in page
    login(world.trainer, target=other_client)
    course = other_client.get("/author/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "Gut erklärt." in course and "Zu lang." not in course
    assert learner.display_name not in course and learner.email not in course


def test_feedback_errors_keep_the_comment(client, world, login, courses):
    login(world.a.employees[0])
    enroll(client)
    page = client.post(
        "/learn/courses/testkurs/einstieg/feedback", data={"rating": "9", "comment": "Mein Text"}
    ).get_data(as_text=True)
    assert "Mein Text" in page and 'role="alert"' in page


def test_assigned_modules_come_first_on_the_start_page_overdue_first(
    client, db, world, login, courses, tmp_path, app
):
    from datetime import date, timedelta

    from lms.clock import today
    from lms.models import Course
    from lms.services import assignments
    from tests.unit.test_course_parser import write_course as write

    other = write(tmp_path / "more", {}, slug="zweitkurs")
    (other / "course.md").write_text(
        (other / "course.md").read_text().replace("Testkurs", "Zweitkurs")
    )
    with app.test_request_context():
        import_course(db, other, datetime.now(UTC))
    first, second = db.scalars(select(Course).order_by(Course.slug)).all()
    user = world.a.employees[0]
    now = datetime.now(UTC)
    assignments.assign_to_people(db, None, first, [user], today() + timedelta(days=9), "", now)
    assignments.assign_to_people(db, None, second, [user], today() - timedelta(days=2), "", now)
    login(user)
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assigned = page[page.index("Assigned to you") : page.index("In progress")]
    assert assigned.index("Zweitkurs") < assigned.index("Testkurs")
    assert "overdue since" in assigned and "due on" in assigned
    # Assigned modules are not offered again in the catalogue.
    assert "Zweitkurs" not in page[page.index("Catalogue") :]
    assert isinstance(today(), date)


def test_an_expiring_certificate_asks_to_take_the_module_again(client, db, world, login, courses):
    from datetime import timedelta

    from lms.clock import today
    from lms.models import Course
    from lms.services import assignments

    user = world.a.employees[0]
    course = db.scalar(select(Course))
    login(user)
    enroll(client)
    client.post("/learn/courses/testkurs/einstieg/done")
    client.post("/learn/courses/testkurs/vertiefung/done")
    completion = db.scalar(select(Completion))
    assert completion is not None
    completion.valid_until = datetime.now(UTC) + timedelta(days=10)  # within the 30 days
    assignments.assign_to_people(db, None, course, [user], today(), "", datetime.now(UTC))
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "renew by" in page and "Take it again" in page
    response = client.post("/learn/courses/testkurs/renew", headers=EN)
    assert response.location == "/learn/courses/testkurs/einstieg"
    enrollment = db.scalar(select(Enrollment))
    assert enrollment.completed_at is None
    assert db.scalar(select(func.count()).select_from(Completion)) == 1  # kept on record
    course_page = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "0 of 2 units" in course_page


def test_taking_a_module_again_on_the_same_version_completes_a_second_round(
    client, db, world, login, courses
):
    """ "Take it again" on an unchanged course: the units are done once more, the first
    round's rows stay as history, and the second round ends in a second completion."""
    login(world.a.employees[0])
    enroll(client)
    client.post("/learn/courses/testkurs/einstieg/done")
    client.post("/learn/courses/testkurs/vertiefung/done")
    assert client.post("/learn/courses/testkurs/renew").status_code == 302

    again = client.post("/learn/courses/testkurs/einstieg/done")
    assert again.location == "/learn/courses/testkurs/vertiefung"
    client.post("/learn/courses/testkurs/einstieg/done")  # twice in a round: counted once
    page = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "1 of 2 units" in page
    client.post("/learn/courses/testkurs/vertiefung/done")

    assert db.scalar(select(func.count()).select_from(Completion)) == 2
    rounds = db.scalars(select(UnitProgress.counts_from).distinct()).all()
    assert len(rounds) == 2  # both rounds kept, one row per unit in each
    assert db.scalar(select(func.count()).select_from(UnitProgress)) == 4
    assert db.scalar(select(Enrollment)).completed_at is not None
