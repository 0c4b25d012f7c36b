"""A module with an in-person part and an on-the-job task: completion, certificate, proof."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.certificates import add_period
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


# --- The completion date does not depend on the order of recording -----------------------

KEY = "test-secret-key"


def workshop(db, world, course, starts_at=NOW + timedelta(days=2), now=NOW):
    return booking.schedule(
        db, course, "workshop", fields(starts_at=starts_at), trainers=[world.trainer],
        companies=[], by=world.trainer, now=now,
    )  # fmt: skip


def record_facts(db, world, course, person, in_person, *, lesson_at, signed_at, attendance_at):
    """Lesson, sign-off and attendance of `person`, each recorded at its time, in the
    order of those times (attendance is entered by the trainer at `attendance_at`)."""
    enrollment = learning.enroll(db, person, course, NOW)
    seat, _ = booking.book(db, in_person, person, by=person, now=NOW)
    steps = [
        (lesson_at, lambda: learning.mark_lesson_done(db, enrollment, "einstieg", lesson_at)),
        (signed_at, lambda: signoff.save(
            db, Actor(world.a.manager), enrollment, "praxis", ["sperren", "zettel"], "",
            sign=True, now=signed_at)),
        (attendance_at, lambda: booking.record_attendance(
            db, Actor(world.trainer), seat, Attendance.PRESENT, "", now=attendance_at)),
    ]  # fmt: skip
    for _at, step in sorted(steps, key=lambda step: step[0]):
        step()
    return db.scalar(select(Completion).where(Completion.user_id == person.id))


@pytest.mark.parametrize(
    ("lesson_at", "signed_at", "last"),
    [
        # The task is signed off the day after the session: it is the last requirement.
        (NOW, NOW + timedelta(days=3), "signoff"),
        # Everything else was done before the session: the session is the last.
        (NOW, NOW + timedelta(days=1), "session"),
        # The lesson is read three days after the session.
        (NOW + timedelta(days=5), NOW + timedelta(days=1), "lesson"),
    ],
)
def test_attendance_entered_during_the_session_or_a_week_later_gives_the_same_completion(
    db, world, course, lesson_at, signed_at, last
):
    in_person = workshop(db, world, course)
    live, late = world.a.employees[0], world.a.employees[1]
    during = in_person.starts_at + timedelta(minutes=20)
    week_later = in_person.starts_at + timedelta(days=7)
    first = record_facts(db, world, course, live, in_person, lesson_at=lesson_at,
                         signed_at=signed_at, attendance_at=during)  # fmt: skip
    second = record_facts(db, world, course, late, in_person, lesson_at=lesson_at,
                          signed_at=signed_at, attendance_at=week_later)  # fmt: skip
    # When the last requirement was met: the latest of lesson, session start and sign-off.
    expected = {"signoff": signed_at, "session": in_person.starts_at, "lesson": lesson_at}[last]
    assert first.completed_at == second.completed_at == expected
    assert first.valid_until == second.valid_until == add_period(expected, "12 months")
    # The enrolment agrees, and so does the start page's state of the module.
    for person in (live, late):
        assert learning.get_enrollment(db, person, course).completed_at == expected


def test_a_person_enrolled_by_late_attendance_completes_on_the_day_of_the_session(
    app, db, world, tmp_path
):
    """A module that is only its in-person part: entered a week late, the completion and
    the certificate still date from the session."""
    folder = write_course(tmp_path, {"01-einstieg.md": None, "02-workshop.md": WORKSHOP},
                          slug="nurpraesenz")  # fmt: skip
    with app.test_request_context():
        import_course(db, folder, NOW - timedelta(days=30))
    only = db.scalar(select(Course).where(Course.slug == "nurpraesenz"))
    in_person = workshop(db, world, only)
    person = world.a.employees[0]
    seat, _ = booking.book(db, in_person, person, by=person, now=NOW)
    booking.record_attendance(db, Actor(world.trainer), seat, Attendance.PRESENT, "",
                              now=in_person.starts_at + timedelta(days=7))  # fmt: skip
    completion = db.scalar(select(Completion).where(Completion.user_id == person.id))
    assert completion.completed_at == in_person.starts_at
    assert completion.valid_until == add_period(in_person.starts_at, "12 months")


def test_a_check_in_before_the_start_is_on_the_proof_and_the_certificate(
    app, client, db, world, login, course
):
    """Everything else done first, the learner checks in 20 minutes before the start: the
    module is complete then, and the session is its evidence."""
    person = world.a.employees[0]
    in_person = workshop(db, world, course)
    enrollment = learning.enroll(db, person, course, NOW)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    signoff.save(db, Actor(world.a.manager), enrollment, "praxis", ["sperren", "zettel"], "",
                 sign=True, now=NOW + timedelta(days=1))  # fmt: skip
    booking.book(db, in_person, person, by=person, now=NOW)
    early = in_person.starts_at - timedelta(minutes=20)
    code = booking.check_in_code(KEY, in_person, early)
    booking.check_in(db, Actor(person), in_person, person, code, key=KEY, now=early)
    completion = db.scalar(select(Completion).where(Completion.user_id == person.id))
    assert completion.completed_at == early < in_person.starts_at

    with app.test_request_context(headers=EN):
        text = certificate_text(completion, person, "en")
    assert "Workshop: attended on 4 Nov 2026 with Trainerin Tina" in text.evidence

    login(world.a.manager)
    query = {"course": course.id, "start": "2026-11-01", "end": "2026-11-30", "format": "csv"}
    _header, line = csv_rows(client.get("/team/proof", query_string=query, headers=EN))
    assert line[0] == person.display_name
    assert line[4] == "2026-11-04 10:00" and line[5] == "Trainerin Tina"
    assert line[6] == "Chef Alpha on 3 Nov 2026" and line[7] == "2026-11-04"


def test_each_completion_on_the_proof_keeps_its_own_session_after_a_renewal(
    app, client, db, world, login, course, tmp_path
):
    """A year later the module is taken again with another session: the first line still
    shows the first session, the second line the second, each with its own date."""
    person = world.a.employees[0]
    enrollment, _first_session = complete_hybrid(db, world, course, person)
    again = NOW + timedelta(days=400)
    folder = write_course(tmp_path / "v2", {"02-workshop.md": WORKSHOP + "\nNeu.\n",
                                            "03-praxis.md": PRACTICAL}, slug="hybridkurs")  # fmt: skip
    with app.test_request_context():
        import_course(db, folder, again - timedelta(days=1))  # the renewal is on version 2
    assert learning.start_new_round(db, enrollment, again)
    learning.mark_lesson_done(db, enrollment, "einstieg", again)
    second_session = workshop(db, world, course, starts_at=again + timedelta(days=2), now=again)
    seat, _ = booking.book(db, second_session, person, by=person, now=again)
    booking.record_attendance(db, Actor(world.trainer), seat, Attendance.PRESENT, "",
                              now=second_session.ends_at)  # fmt: skip
    signoff.save(db, Actor(world.a.manager), enrollment, "praxis", ["sperren", "zettel"], "",
                 sign=True, now=again + timedelta(days=3))  # fmt: skip
    assert len(db.scalars(select(Completion).where(Completion.user_id == person.id)).all()) == 2

    login(world.a.manager)
    query = {"course": course.id, "start": "2026-01-01", "end": "2027-12-31", "format": "csv"}
    _header, *lines = csv_rows(client.get("/team/proof", query_string=query, headers=EN))
    assert [(line[4], line[6], line[7]) for line in lines] == [
        ("2026-11-04 10:00", "Chef Alpha on 5 Nov 2026", "2026-11-05"),
        ("2027-12-09 10:00", "Chef Alpha on 10 Dec 2027", "2027-12-10"),
    ]
