"""In-person sessions in the browser: plan, book, calendar files, roster, QR check-in, feed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.in_person import booking
from lms.models import Attendance, AuditEntry, Booking, InPersonSession
from lms.services import learning
from tests.unit.test_booking import fields, import_in_person_course, schedule

EN = {"Accept-Language": "en"}
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock(app):
    moment = {"now": NOW}
    app.config["CLOCK"] = lambda: moment["now"]
    return moment


@pytest.fixture
def course(app, db, tmp_path, clock):
    return import_in_person_course(app, db, tmp_path)


def plan(db, world, course, **kwargs):
    return schedule(db, world, course, now=NOW, **kwargs)


def enrol(db, person, course):
    return learning.enroll(db, person, course, NOW)


def form_of(db, **overrides):
    data = {
        "unit": "praesenzkurs/workshop",
        "day": "2026-03-29",
        "start": "09:00",
        "minutes": "90",
        "capacity": "8",
        "place": "Zukunftszentrum, Hafenstraße 1, Kiel",
        "room": "Raum 2",
        "online_url": "",
        "deadline_day": "2026-03-27",
        "deadline_time": "12:00",
        "note": "",
    }
    data.update(overrides)
    return data


def test_a_trainer_plans_a_session_in_german_time_across_the_clock_change(
    client, db, world, login, course
):
    login(world.trainer)
    page = client.get("/author/sessions/new", headers=EN).get_data(as_text=True)
    assert "Workshop" in page and "Seats" in page
    response = client.post("/author/sessions/new", data=form_of(db), headers=EN)
    assert response.status_code == 302
    in_person = db.scalar(select(InPersonSession))
    # 29 March 2026 is the first day of summer time: 09:00 in Kiel is 07:00 UTC.
    assert in_person.starts_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert in_person.booking_deadline == datetime(2026, 3, 27, 11, 0, tzinfo=UTC)  # still winter
    roster = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "29 Mar 2026, 9:00 AM–10:30 AM" in roster
    assert "Nobody has booked this session yet." in roster


def test_a_time_the_clock_skips_is_refused_and_the_form_keeps_what_was_typed(
    client, db, world, login, course
):
    login(world.trainer)
    response = client.post(
        "/author/sessions/new", data=form_of(db, start="02:30", room="Halle 7"), headers=EN
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "does not exist on that day because the clocks go forward" in html
    assert 'value="Halle 7"' in html
    assert db.scalar(select(InPersonSession)) is None


def test_missing_place_and_deadline_after_start_are_explained(client, db, world, login, course):
    login(world.trainer)
    html = client.post(
        "/author/sessions/new",
        data=form_of(db, place="", room="", deadline_day="2026-03-30"),
        headers=EN,
    ).get_data(as_text=True)
    assert "Enter a place or an online link." in html
    refused = client.post(
        "/author/sessions/new", data=form_of(db, deadline_day="2026-03-30"), headers=EN
    )
    assert refused.status_code == 422  # refused by the service: the form again
    assert "Booking must close before the session starts." in refused.get_data(as_text=True)
    assert db.scalar(select(InPersonSession)) is None


def test_a_refused_change_of_a_session_answers_422_and_keeps_the_session_as_it_was(
    client, db, world, login, course
):
    in_person = plan(db, world, course, starts_at=datetime(2026, 3, 30, 7, 0, tzinfo=UTC))
    login(world.trainer)
    refused = client.post(
        f"/author/sessions/{in_person.id}/edit",
        data=form_of(db, day="2026-03-30", capacity="3", deadline_day="2026-03-31"),
        headers=EN,
    )
    assert refused.status_code == 422
    assert "Booking must close before the session starts." in refused.get_data(as_text=True)
    db.refresh(in_person)
    assert in_person.capacity == 2


def test_a_learner_books_gets_a_calendar_file_and_cancels(client, db, world, login, course):
    in_person = plan(db, world, course, starts_at=datetime(2026, 3, 30, 7, 0, tzinfo=UTC))
    person = world.a.employees[0]
    enrol(db, person, course)
    login(person)
    unit_page = client.get("/learn/courses/praesenzkurs/workshop", headers=EN).get_data(
        as_text=True
    )
    assert "2 seats free" in unit_page and "Book this session" in unit_page

    response = client.post(f"/learn/sessions/{in_person.id}/book", headers=EN)
    assert response.status_code == 302 and response.location.endswith("/workshop#sessions")
    seat = db.scalar(select(Booking))
    assert seat.status == "confirmed"
    unit_page = client.get("/learn/courses/praesenzkurs/workshop", headers=EN).get_data(
        as_text=True
    )
    assert "Your session" in unit_page and "booked" in unit_page

    ics = client.get(f"/learn/bookings/{seat.id}.ics")
    assert ics.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(ics.data)
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)  # summer time: UTC+2
    assert str(event["status"]) == "CONFIRMED"
    assert "Workshop" in str(event["summary"]) and "Raum 2" in str(event["location"])
    assert calendar.walk("VTIMEZONE")

    client.post(f"/learn/bookings/{seat.id}/cancel", headers=EN)
    db.refresh(seat)
    assert seat.status == "cancelled"
    cancelled = icalendar.Calendar.from_ical(client.get(f"/learn/bookings/{seat.id}.ics").data)
    assert str(cancelled.walk("VEVENT")[0]["status"]) == "CANCELLED"


def test_nobody_sees_another_persons_booking_or_a_session_closed_to_their_company(
    client, db, world, login, course
):
    limited = booking.schedule(
        db,
        course,
        "workshop",
        fields(),
        trainers=[],
        companies=[world.a.company],
        by=world.trainer,
        now=NOW,
    )
    seat, _ = booking.book(db, limited, world.a.employees[0], by=world.a.employees[0], now=NOW)
    outsider = world.b.employees[0]
    enrol(db, outsider, course)
    login(outsider)
    assert client.get(f"/learn/bookings/{seat.id}.ics").status_code == 404
    assert client.post(f"/learn/bookings/{seat.id}/cancel").status_code == 404
    assert client.post(f"/learn/sessions/{limited.id}/book").status_code == 404
    page = client.get("/learn/courses/praesenzkurs/workshop", headers=EN).get_data(as_text=True)
    assert "No sessions are planned yet" in page
    # A trainer who does not run the session sees neither its roster nor its QR code.
    assert client.get(f"/author/sessions/{limited.id}").status_code == 403


def test_the_waiting_list_moves_up_and_the_person_gets_a_mail(
    client, other_client, db, world, login, course, mails
):
    in_person = plan(db, world, course, capacity=1)
    first, second = world.a.employees[0], world.a.employees[1]
    for person in (first, second):
        enrol(db, person, course)
    booking.book(db, in_person, first, by=first, now=NOW)
    login(second)
    client.post(f"/learn/sessions/{in_person.id}/book")
    waiting = db.scalar(select(Booking).where(Booking.user_id == second.id))
    assert waiting.status == "waitlisted"
    page = client.get("/learn/courses/praesenzkurs/workshop", headers=EN).get_data(as_text=True)
    assert "on the waiting list, position 1" in page

    login(first, target=other_client)
    seat = db.scalar(select(Booking).where(Booking.user_id == first.id))
    other_client.post(f"/learn/bookings/{seat.id}/cancel")

    db.refresh(waiting)
    assert waiting.status == "confirmed"
    (mail,) = mails
    assert mail.to == second.email
    assert "Platz" in mail.subject or "seat" in mail.subject
    assert "Workshop" in mail.body


def start_of_session(db, world, course, clock):
    in_person = plan(db, world, course, starts_at=NOW + timedelta(days=2))
    person = world.a.employees[0]
    enrol(db, person, course)
    seat, _ = booking.book(db, in_person, person, by=person, now=NOW)
    clock["now"] = in_person.starts_at + timedelta(minutes=5)
    return in_person, person, seat


def test_the_trainer_shows_a_qr_code_and_the_learner_checks_in(
    app, client, other_client, db, world, login, course, clock
):
    in_person, person, seat = start_of_session(db, world, course, clock)
    login(world.trainer)
    page = client.get(f"/author/sessions/{in_person.id}/check-in", headers=EN).get_data(
        as_text=True
    )
    assert "<svg" in page and 'http-equiv="refresh"' in page
    url = re.search(r"<code>(http[^<]+)</code>", page).group(1)
    path = url.split("localhost", 1)[1]
    # The address printed on check-in sheets and carried by QR codes keeps its form.
    assert path.startswith(f"/learn/check-in/{in_person.id}/")

    login(person, target=other_client)
    confirm = other_client.get(path, headers=EN).get_data(as_text=True)
    assert "I am here" in confirm
    assert seat.attendance is None  # opening the link alone changes nothing
    done = other_client.post(path, headers=EN).get_data(as_text=True)
    assert "You are checked in" in done
    db.refresh(seat)
    assert seat.attendance == "present" and seat.checked_in_at == clock["now"]

    enrollment = learning.get_enrollment(db, person, course)
    assert learning.course_progress(db, enrollment, "de").units[1].status == "attended"
    roster = client.get(f"/author/sessions/{in_person.id}", headers=EN).get_data(as_text=True)
    assert "checked in at" in roster


def test_a_code_used_by_someone_not_booked_is_refused_in_words(
    client, other_client, db, world, login, course, clock
):
    in_person, _person, _seat = start_of_session(db, world, course, clock)
    code = booking.check_in_code(client.application.config["SECRET_KEY"], in_person, clock["now"])
    stranger = world.a.employees[1]
    login(stranger, target=other_client)
    refused = other_client.post(f"/learn/check-in/{in_person.id}/{code}", headers=EN)
    assert refused.status_code == 422
    assert "You have no confirmed seat for this session" in refused.get_data(as_text=True)
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "attendance.check-in")) is None


def test_the_roster_records_attendance_for_everyone_at_once(
    client, db, world, login, course, clock
):
    in_person, person, seat = start_of_session(db, world, course, clock)
    other = world.b.employees[0]
    enrol(db, other, course)
    clock["now"] = NOW
    second, _ = booking.book(db, in_person, other, by=other, now=NOW)
    clock["now"] = in_person.starts_at + timedelta(minutes=5)
    login(world.trainer)
    page = client.get(f"/author/sessions/{in_person.id}", headers=EN).get_data(as_text=True)
    assert person.display_name in page and other.display_name in page
    client.post(
        f"/author/sessions/{in_person.id}/attendance",
        data={
            f"attendance-{seat.id}": "present",
            f"attendance-{second.id}": "excused",
            f"note-{second.id}": "Kind krank",
        },
    )
    db.refresh(seat)
    db.refresh(second)
    assert seat.attendance == "present" and second.attendance == "excused"
    assert second.attendance_note == "Kind krank"


def test_the_calendar_feed_shows_bookings_and_stops_when_revoked(
    client, other_client, db, world, login, course
):
    in_person = plan(db, world, course)
    person = world.a.employees[0]
    booking.book(db, in_person, person, by=person, now=NOW)
    login(person)
    client.post("/calendar/new")
    page = client.get("/calendar", headers=EN).get_data(as_text=True)
    url = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    path = url.split("localhost", 1)[1]
    assert "copy it now" in page
    # Shown once only.
    assert path not in client.get("/calendar").get_data(as_text=True)

    feed = other_client.get(path)  # no login: calendar apps have none
    assert feed.status_code == 200
    (event,) = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert str(event["status"]) == "CONFIRMED"
    # Subscribed calendars know the event by this UID: a new one would show it twice.
    assert str(event["uid"]) == f"lernwerk-date-{in_person.id}@localhost"

    booking.cancel_session(db, in_person, NOW)
    (event,) = icalendar.Calendar.from_ical(other_client.get(path).data).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"

    client.post("/calendar/stop")
    assert other_client.get(path).status_code == 404


def test_a_trainer_moves_then_cancels_a_session_and_everyone_is_told(
    client, db, world, login, course, mails
):
    in_person = plan(db, world, course)
    person = world.a.employees[0]
    booking.book(db, in_person, person, by=person, now=NOW)
    login(world.trainer)
    moved = client.post(f"/author/sessions/{in_person.id}/edit", data=form_of(db, day="2026-03-30"))
    assert moved.status_code == 302
    client.post(f"/author/sessions/{in_person.id}/cancel")
    db.refresh(in_person)
    assert in_person.cancelled
    changed, cancelled = mails
    assert changed.to == cancelled.to == person.email
    assert changed.subject == "Lernwerk: Ihr Präsenztermin hat sich geändert"
    assert "Zeit oder Ort Ihres Präsenztermins haben sich geändert" in changed.body
    assert "Mo., 30. März 2026" in changed.body and "/learn/sessions" in changed.body
    assert cancelled.subject == "Lernwerk: Ihr Präsenztermin ist abgesagt"
    assert "Ihr Präsenztermin wurde abgesagt" in cancelled.body


def test_without_deadline_and_duration_booking_closes_a_day_before_and_the_module_sets_the_length(
    client, db, world, login, course
):
    login(world.trainer)
    response = client.post(
        "/author/sessions/new",
        data=form_of(db, minutes="", deadline_day="", deadline_time="", day="2026-04-02"),
    )
    assert response.status_code == 302
    in_person = db.scalar(select(InPersonSession))
    assert in_person.minutes == 90  # the workshop unit's minutes
    assert in_person.booking_deadline == in_person.starts_at - timedelta(days=1)


def test_the_feed_keeps_the_german_hour_on_both_sides_of_the_october_clock_change(
    client, db, world, login, course
):
    """A trainer's feed: a session before and one after summer time ends (25 Oct 2026)."""
    for day in (24, 26):
        start = datetime(2026, 10, day, 9, 0, tzinfo=BERLIN).astimezone(UTC)
        in_person = booking.schedule(
            db, course, "workshop",
            fields(starts_at=start, booking_deadline=start - timedelta(days=2)),
            trainers=[world.trainer], companies=[], by=world.trainer, now=NOW,
        )  # fmt: skip
    booking.cancel_session(db, in_person, NOW)  # the second one
    login(world.trainer)
    client.post("/calendar/new")
    page = client.get("/calendar").get_data(as_text=True)
    path = re.search(r'value="(http[^"]+\.ics)"', page).group(1).split("localhost", 1)[1]
    calendar = icalendar.Calendar.from_ical(client.get(path).data)
    before, after = calendar.walk("VEVENT")
    assert before.decoded("dtstart") == datetime(2026, 10, 24, 9, 0, tzinfo=BERLIN)
    assert after.decoded("dtstart") == datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN)
    assert before.decoded("dtstart").astimezone(UTC).hour == 7  # summer time, UTC+2
    assert after.decoded("dtstart").astimezone(UTC).hour == 8  # winter time, UTC+1
    assert [str(e["status"]) for e in (before, after)] == ["CONFIRMED", "CANCELLED"]
    assert "TZID=Europe/Berlin" in calendar.to_ical().decode()


def test_a_trainer_who_does_not_run_a_session_sees_neither_roster_nor_code(
    client, db, world, login, course
):
    from lms.models import Role
    from tests.factories import make_user

    in_person = plan(db, world, course)
    colleague = make_user(db, None, Role.TRAINER, name="Kollege Kai")
    login(colleague)
    for path in (
        f"/author/sessions/{in_person.id}",
        f"/author/sessions/{in_person.id}/check-in",
        f"/author/sessions/{in_person.id}/edit",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/author/sessions/{in_person.id}/cancel").status_code == 404
    assert client.post(f"/author/sessions/{in_person.id}/attendance").status_code == 404
    listing = client.get("/author/sessions", headers=EN).get_data(as_text=True)
    assert "Sessions of other trainers" in listing
    assert f"/author/sessions/{in_person.id}" not in listing


def test_the_session_pages_live_under_sessions_in_the_navigation_and_the_old_paths_moved(
    client, other_client, db, world, login, course
):
    in_person = plan(db, world, course)
    person = world.a.employees[0]
    enrol(db, person, course)
    seat, _ = booking.book(db, in_person, person, by=person, now=NOW)
    login(person)
    start = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert 'href="/learn/sessions"' in start
    mine = client.get("/learn/sessions", headers=EN).get_data(as_text=True)
    assert "My sessions" in mine and "Workshop" in mine
    # Booking mails sent before the move link to the old address.
    moved = client.get("/learn/dates")
    assert moved.status_code == 301 and moved.location.endswith("/learn/sessions")
    # Cancelling on "My sessions" comes back to it.
    cancelled = client.post(f"/learn/bookings/{seat.id}/cancel", data={"back": "sessions"})
    assert cancelled.status_code == 302 and cancelled.location.endswith("/learn/sessions")

    login(world.trainer, target=other_client)
    authoring = other_client.get("/author/", headers=EN).get_data(as_text=True)
    assert 'href="/author/sessions"' in authoring
    listing = other_client.get("/author/sessions", headers=EN).get_data(as_text=True)
    assert f'href="/author/sessions/{in_person.id}"' in listing
    assert 'href="/author/sessions/new"' in listing
    assert other_client.get("/author/dates").status_code == 404
    assert other_client.get(f"/author/dates/{in_person.id}").status_code == 404


def test_the_trainer_records_partly_present_and_decides_whether_it_counts(
    client, other_client, db, world, login, course, clock
):
    in_person, person, seat = start_of_session(db, world, course, clock)
    other = world.a.employees[1]
    enrol(db, other, course)
    clock["now"] = NOW
    second, _ = booking.book(db, in_person, other, by=other, now=NOW)
    clock["now"] = in_person.ends_at + timedelta(hours=1)
    login(world.trainer)
    roster = client.get(f"/author/sessions/{in_person.id}", headers=EN).get_data(as_text=True)
    assert (
        "partly present" in roster and "Partial attendance counts for the in-person part" in roster
    )
    assert "does not count for the in-person part" in roster  # the session's rule, by default
    url = f"/author/sessions/{in_person.id}/attendance"

    # Partly present without minutes or a note: nothing is saved, the roster says why.
    refused = client.post(url, data={f"attendance-{seat.id}": "partial",
                                     f"attendance-{second.id}": "present"}, headers=EN)  # fmt: skip
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "For partly present, enter the minutes present or a note." in page
    assert f'href="#minutes-{seat.id}"' in page and 'role="alert"' in page
    db.refresh(second)
    assert second.attendance is None
    too_long = client.post(url, data={f"attendance-{seat.id}": "partial",
                                      f"minutes-{seat.id}": "120"}, headers=EN)  # fmt: skip
    assert too_long.status_code == 422
    assert "Enter the minutes present as a number from 1 to 90." in too_long.get_data(as_text=True)

    client.post(url, data={f"attendance-{seat.id}": "partial", f"minutes-{seat.id}": "60",
                           f"note-{seat.id}": "ab 10:30 Uhr",
                           f"attendance-{second.id}": "present"})  # fmt: skip
    db.refresh(seat)
    assert (seat.attendance, seat.minutes_present, seat.attendance_note) == (
        "partial",
        60,
        "ab 10:30 Uhr",
    )
    enrollment = learning.get_enrollment(db, person, course)
    assert learning.course_progress(db, enrollment, "de").units[1].status == "pending"

    # The learner sees it, and that the in-person part is still open for them.
    login(person, target=other_client)
    unit = other_client.get("/learn/courses/praesenzkurs/workshop", headers=EN)
    text = unit.get_data(as_text=True)
    assert "partly present: 60 of 90 min." in text
    assert "This does not count for the in-person part. Please book another session." in text
    mine = other_client.get("/learn/sessions", headers=EN).get_data(as_text=True)
    assert "partly present: 60 of 90 min." in mine and "does not count" in mine

    # The trainer counts partial attendance for this session: the unit is done.
    client.post(url, data={"partial_counts": "y", f"attendance-{seat.id}": "partial",
                           f"minutes-{seat.id}": "60", f"note-{seat.id}": "ab 10:30 Uhr",
                           f"attendance-{second.id}": "present"})  # fmt: skip
    db.refresh(in_person)
    assert in_person.partial_counts
    state = learning.course_progress(db, enrollment, "de").units[1]
    assert (state.status, state.completed_at) == ("attended", in_person.starts_at)
    roster = client.get(f"/author/sessions/{in_person.id}", headers=EN).get_data(as_text=True)
    assert 'name="partial_counts" value="y" checked' in roster
    text = other_client.get("/learn/courses/praesenzkurs/workshop", headers=EN).get_data(
        as_text=True
    )
    assert "attended on" in text and "partly present: 60 of 90 min." in text
    assert "Please book another session" not in text


def test_a_partly_present_that_counts_is_on_the_certificate_and_the_proof(
    app, client, db, world, login, course, clock
):
    from lms.learn.routes import certificate_text
    from lms.models import Completion

    in_person, person, seat = start_of_session(db, world, course, clock)
    enrollment = learning.get_enrollment(db, person, course)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    trainer = Actor(world.trainer)
    booking.set_partial_rule(db, trainer, in_person, True, now=clock["now"])
    booking.record_attendance(db, trainer, seat, Attendance.PARTIAL, "", minutes=75,
                              now=in_person.ends_at)  # fmt: skip
    completion = db.scalar(select(Completion).where(Completion.user_id == person.id))
    assert completion.completed_at == in_person.starts_at
    with app.test_request_context(headers=EN):
        text = certificate_text(completion, person, "en")
    assert text.evidence == [
        "Workshop: partly present on 22 Mar 2026 (75 of 90 min.) with Trainerin Tina"
    ]
    login(world.a.manager)
    query = {"course": course.id, "start": "2026-03-01", "end": "2026-03-31"}
    page = client.get("/team/proof", query_string=query, headers=EN).get_data(as_text=True)
    assert "22 Mar 2026, 9:00 AM (partly present: 75 of 90 min.)" in page
    csv = client.get("/team/proof", query_string={**query, "format": "csv"}, headers=EN)
    assert "2026-03-22 09:00 (partly present: 75 of 90 min.)" in csv.get_data(as_text=True)


def test_the_proof_lists_a_partial_that_did_not_count_beside_the_session_that_did(
    client, db, world, login, course, clock
):
    in_person, person, seat = start_of_session(db, world, course, clock)
    enrollment = learning.get_enrollment(db, person, course)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    trainer = Actor(world.trainer)
    booking.record_attendance(db, trainer, seat, Attendance.PARTIAL, "", minutes=30,
                              now=in_person.ends_at)  # fmt: skip
    later = plan(db, world, course, starts_at=in_person.starts_at + timedelta(days=3))
    again, _ = booking.book(db, later, person, by=person, now=in_person.ends_at)
    booking.record_attendance(db, trainer, again, Attendance.PRESENT, "", now=later.ends_at)
    login(world.a.manager)
    query = {"course": course.id, "start": "2026-03-01", "end": "2026-03-31", "format": "csv"}
    rows = client.get("/team/proof", query_string=query, headers=EN).get_data(as_text=True)
    assert "2026-03-22 09:00 (partly present: 30 of 90 min., not counted); 2026-03-25 09:00" in rows
    pdf = client.get("/team/proof", query_string={**query, "format": "pdf"}, headers=EN)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
