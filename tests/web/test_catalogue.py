"""Which courses each company sees: the shared catalogue, courses for one company, self-enrolment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.clock import today
from lms.content.importer import import_course
from lms.models import Course, Enrollment
from lms.services import assignments
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(tmp_path, {"01-einstieg.md": LESSON})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


LESSON = "---\ntype: lesson\ntitle: Einstieg\nminutes: 5\n---\n![Bild](assets/bild.png)\n"


def open_only_to(app, course, *companies):
    result = app.test_cli_runner().invoke(
        args=["courses", "open", course.slug, *[a for c in companies for a in ("--company", c)]]
    )
    assert result.exit_code == 0, result.output


def test_a_course_for_one_company_is_invisible_to_the_others(
    app, client, other_client, db, world, login, course
):
    open_only_to(app, course, world.b.company.short_name)
    login(world.a.employees[0])
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "Testkurs" not in page
    assert client.get("/learn/courses/testkurs").status_code == 404
    assert client.post("/learn/courses/testkurs/enroll").status_code == 404
    assert db.scalar(select(func.count()).select_from(Enrollment)) == 0

    login(world.b.employees[0], target=other_client)
    assert "Testkurs" in other_client.get("/learn/", headers=EN).get_data(as_text=True)
    assert other_client.post("/learn/courses/testkurs/enroll").status_code == 302
    lesson = other_client.get("/learn/courses/testkurs/einstieg").get_data(as_text=True)
    asset = lesson.split("<img", 1)[1].split('src="')[1].split('"')[0]
    assert other_client.get(asset).status_code == 200
    assert client.get(asset).status_code == 404  # not for company A's people


def test_the_assign_form_offers_only_the_companys_courses(app, client, db, world, login, course):
    open_only_to(app, course, world.b.company.short_name)
    login(world.a.manager)
    form = client.get("/team/assign", headers=EN).get_data(as_text=True)
    assert "Testkurs" not in form
    response = client.post(
        "/team/assign",
        data={
            "course": course.id,
            "target": "company",
            "due_on": (today() + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 422


def test_without_self_enrolment_people_take_what_is_assigned(app, client, db, world, login, course):
    world.a.company.self_enrolment = False
    db.flush()
    person = world.a.employees[0]
    login(person)
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "Your company assigns the modules you take" in page and "Testkurs" not in page
    assert client.post("/learn/courses/testkurs/enroll").status_code == 404
    assignments.assign_to_people(db, None, course, [person], today(), "", datetime.now(UTC))
    assert "Testkurs" in client.get("/learn/", headers=EN).get_data(as_text=True)
    assert client.post("/learn/courses/testkurs/enroll").status_code == 302


def test_open_command_needs_a_choice_and_known_companies(app, db, course):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["courses", "open", "testkurs"]).exit_code != 0
    unknown = runner.invoke(args=["courses", "open", "testkurs", "--company", "gibtsnicht"])
    assert unknown.exit_code != 0 and "gibtsnicht" in unknown.output
    shared = runner.invoke(args=["courses", "open", "testkurs", "--shared"])
    assert shared.exit_code == 0 and "every company" in shared.output
