"""A module with an in-person part and an on-the-job task: completion, certificate, proof."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.in_person import booking
from lms.learn.routes import certificate_text
from lms.models import Attendance, Completion, Course
from lms.services import learning
from lms.signoff import service as signoff
from tests.unit.test_booking import WORKSHOP, fields
from tests.unit.test_course_parser import write_course
from tests.web.test_signoff import PRACTICAL

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
EN = {"Accept-Language": "en"}


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(
        tmp_path, {"02-workshop.md": WORKSHOP, "03-praxis.md": PRACTICAL}, slug="hybridkurs"
    )
    with app.test_request_context():
        import_course(db, folder, NOW - timedelta(days=30))
    return db.scalar(select(Course).where(Course.slug == "hybridkurs"))


def complete_hybrid(db, world, course, person):
    enrollment = learning.enroll(db, person, course, NOW)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    in_person = booking.schedule(
        db, course, "workshop", fields(starts_at=NOW + timedelta(days=2)),
        trainers=[world.trainer], companies=[], by=world.trainer, now=NOW,
    )  # fmt: skip
    seat, _ = booking.book(db, in_person, person, by=person, now=NOW)
    booking.record_attendance(
        db, Actor(world.trainer), seat, Attendance.PRESENT, "",
        now=in_person.ends_at + timedelta(hours=1),
    )  # fmt: skip
    assert not learning.course_progress(db, enrollment, "de").complete
    signoff.save(
        db, Actor(world.a.manager), enrollment, "praxis", ["sperren", "zettel"], "", sign=True,
        now=NOW + timedelta(days=3),
    )  # fmt: skip
    return enrollment, in_person


def test_attendance_and_sign_off_complete_the_module_and_the_certificate_names_both(
    app, db, world, course
):
    person = world.a.employees[0]
    enrollment, _in_person = complete_hybrid(db, world, course, person)
    assert learning.course_progress(db, enrollment, "de").complete
    completion = db.scalar(select(Completion).where(Completion.user_id == person.id))
    assert completion.completed_at == NOW + timedelta(days=3)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = certificate_text(completion, person, "en")
    assert text.evidence == [
        "Workshop: attended on 4 Nov 2026 with Trainerin Tina",
        "Arbeitsplatz sicher verlassen: signed off by Chef Alpha on 5 Nov 2026",
    ]


def csv_rows(response):
    import csv
    import io

    text = response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def test_the_proof_of_instruction_lists_each_part_and_only_the_own_company(
    client, db, world, login, course
):
    mine = world.a.employees[0]
    complete_hybrid(db, world, course, mine)
    foreign = world.b.employees[0]
    enrollment = learning.enroll(db, foreign, course, NOW)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    login(world.a.manager)
    query = {"course": course.id, "start": "2026-01-01", "end": "2026-12-31"}
    page = client.get("/team/proof", query_string=query, headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and mine.display_name in html
    rows = csv_rows(client.get("/team/proof", query_string={**query, "format": "csv"}, headers=EN))
    header, line = rows
    assert header[:4] == ["Name", "Department", "Version", "Online part done on"]
    assert "Knowledge check" not in header  # company A: status only
    assert line[0] == mine.display_name and line[2] == "1"
    assert line[4] == "2026-11-04 10:00" and line[5] == "Trainerin Tina"
    assert line[6] == "Chef Alpha on 5 Nov 2026" and line[7] == "2026-11-05"
    assert all(foreign.display_name not in cell for row in rows for cell in row)
    pdf = client.get("/team/proof", query_string={**query, "format": "pdf"})
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_the_proof_shows_results_only_where_the_works_agreement_allows(
    client, db, world, login, course
):
    world.a.company.privacy_level = "results"
    complete_hybrid(db, world, course, world.a.employees[0])
    login(world.a.manager)
    query = {"course": course.id, "start": "2026-01-01", "end": "2026-12-31", "format": "csv"}
    header, _line = csv_rows(client.get("/team/proof", query_string=query, headers=EN))
    assert "Knowledge check" in header


def test_a_period_without_completions_says_so(client, db, world, login, course):
    complete_hybrid(db, world, course, world.a.employees[0])
    login(world.a.manager)
    query = {"course": course.id, "start": "2025-01-01", "end": "2025-12-31"}
    html = client.get("/team/proof", query_string=query, headers=EN).get_data(as_text=True)
    assert "Nobody completed this module in this period." in html
