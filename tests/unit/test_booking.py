"""In-person sessions: booking, waiting list, approval, deadlines, attendance and QR check-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.in_person import booking
from lms.in_person.booking import BookingError, SessionFields
from lms.models import Attendance, AuditEntry, BookingStatus, Completion, Course, UnitProgress
from lms.services import learning
from tests.unit.test_course_parser import write_course

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KEY = "test-secret-key"

WORKSHOP = """\
---
type: in-person
title: Workshop
minutes: 90
---
Wir üben gemeinsam.

## Ziele
- Phishing erkennen
"""


def import_in_person_course(app, db, root, slug="praesenzkurs"):
    folder = write_course(root, {"02-workshop.md": WORKSHOP}, slug=slug)
    with app.test_request_context():
        import_course(db, folder, NOW - timedelta(days=30))
    return db.scalar(select(Course).where(Course.slug == slug))


@pytest.fixture
def course(app, db, tmp_path):
    return import_in_person_course(app, db, tmp_path)


def fields(starts_at=NOW + timedelta(days=7), capacity=2, **kwargs):
    values = {
        "starts_at": starts_at,
        "minutes": 90,
        "capacity": capacity,
        "booking_deadline": starts_at - timedelta(days=1),
        "place": "Zukunftszentrum, Hafenstraße 1",
        "room": "Raum 2",
    }
    values.update(kwargs)
    return SessionFields(**values)


def schedule(db, world, course, now=NOW, **kwargs):
    """A session of the workshop unit, run by the world's trainer, planned at `now`."""
    return booking.schedule(
        db,
        course,
        "workshop",
        fields(**kwargs),
        trainers=[world.trainer],
        companies=[],
        by=world.trainer,
        now=now,
    )


def book(db, in_person, user, by=None, now=NOW):
    return booking.book(db, in_person, user, by=by or user, now=now)


def test_only_in_person_units_get_sessions_and_bad_sessions_are_refused(db, world, course):
    with pytest.raises(BookingError) as lesson:
        booking.schedule(
            db, course, "einstieg", fields(), trainers=[], companies=[], by=world.trainer, now=NOW
        )
    assert lesson.value.code == "not-in-person"
    bad = {
        "starts-in-past": fields(starts_at=NOW - timedelta(hours=1)),
        "deadline-after-start": fields(booking_deadline=NOW + timedelta(days=8)),
        "bad-capacity": fields(capacity=0),
        "no-place": fields(place="", room=""),
    }
    for code, given in bad.items():
        with pytest.raises(BookingError) as error:
            booking.schedule(
                db, course, "workshop", given, trainers=[], companies=[], by=world.trainer, now=NOW
            )
        assert error.value.code == code


def test_seats_fill_then_the_waiting_list_moves_up_in_order_when_someone_cancels(db, world, course):
    in_person = schedule(db, world, course, capacity=2)
    first, second, third = world.a.employees
    fourth = world.b.employees[0]
    seats = [book(db, in_person, person)[0] for person in (first, second)]
    waiting = [
        book(db, in_person, person, now=NOW + timedelta(minutes=i))[0]
        for i, person in enumerate((third, fourth))
    ]
    assert [b.status for b in seats] == ["confirmed", "confirmed"]
    assert [b.status for b in waiting] == ["waitlisted", "waitlisted"]
    assert in_person.booked == 2 and in_person.free == 0
    assert [booking.waitlist_position(db, b) for b in waiting] == [1, 2]

    notices = booking.cancel(db, seats[0], now=NOW + timedelta(hours=1))

    assert notices == [booking.Notice("promoted", waiting[0].id)]
    assert waiting[0].status == "confirmed" and waiting[1].status == "waitlisted"
    assert booking.waitlist_position(db, waiting[1]) == 1
    assert in_person.booked == 2
    # Someone leaving the waiting list frees no seat and moves nobody.
    assert booking.cancel(db, waiting[1], now=NOW + timedelta(hours=1)) == []
    assert in_person.booked == 2


def test_booking_twice_counts_once_and_one_coming_session_per_unit(db, world, course):
    in_person = schedule(db, world, course, capacity=5)
    other = schedule(db, world, course, starts_at=NOW + timedelta(days=14))
    person = world.a.employees[0]
    once, _ = book(db, in_person, person)
    again, notices = book(db, in_person, person)
    assert once.id == again.id and notices == [] and in_person.booked == 1
    with pytest.raises(BookingError) as error:
        book(db, other, person)
    assert error.value.code == "booked-elsewhere"
    booking.cancel(db, once, now=NOW)
    assert book(db, other, person)[0].status == "confirmed"
    # Booking again after cancelling reuses the row and joins at the end of the queue.
    booking.cancel(db, booking.bookings_of(db, person, course.id)[0], now=NOW)
    rebooked, _ = book(db, in_person, person, now=NOW + timedelta(hours=2))
    assert rebooked.id == once.id and rebooked.status == "confirmed"
    assert rebooked.queued_at == NOW + timedelta(hours=2)


def test_the_booking_deadline_holds_for_learners_but_not_for_trainers(db, world, course):
    in_person = schedule(db, world, course)
    person = world.a.employees[0]
    held, _ = book(db, in_person, person)
    after = in_person.booking_deadline + timedelta(seconds=1)
    with pytest.raises(BookingError) as late_booking:
        book(db, in_person, world.a.employees[1], now=after)
    assert late_booking.value.code == "deadline-passed"
    with pytest.raises(BookingError) as late_cancel:
        booking.cancel(db, held, now=after)
    assert late_cancel.value.code == "deadline-passed"
    booking.cancel(db, held, now=after, staff=True)
    assert held.status == "cancelled" and in_person.booked == 0


def test_a_session_limited_to_companies_is_neither_shown_nor_bookable_for_others(db, world, course):
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
    open_session = schedule(db, world, course, starts_at=NOW + timedelta(days=9))
    seen_by_b = booking.upcoming(db, course.id, "workshop", world.b.company.id, NOW)
    seen_by_a = booking.upcoming(db, course.id, "workshop", world.a.company.id, NOW)
    assert seen_by_b == [open_session]
    assert seen_by_a == [limited, open_session]
    with pytest.raises(BookingError) as error:
        book(db, limited, world.b.employees[0])
    assert error.value.code == "not-open"


def test_with_approval_a_booking_holds_its_seat_until_the_manager_decides(db, world, course):
    world.a.company.booking_approval = True
    in_person = schedule(db, world, course, capacity=1)
    asking, notices = book(db, in_person, world.a.employees[0])
    assert asking.status == "requested" and notices == [
        booking.Notice("approval-needed", asking.id)
    ]
    waiting, _ = book(db, in_person, world.b.employees[0])
    assert waiting.status == "waitlisted"

    notices = booking.decide(db, asking, approve=False, by=world.a.manager, now=NOW)

    assert asking.status == "declined"
    assert notices == [
        booking.Notice("declined", asking.id),
        booking.Notice("promoted", waiting.id),
    ]
    assert waiting.status == "confirmed"  # company B asks for no approval
    assert booking.decide(db, asking, approve=True, by=world.a.manager, now=NOW) == []


def test_a_managers_booking_needs_no_approval(db, world, course):
    world.a.company.booking_approval = True
    in_person = schedule(db, world, course)
    booked, notices = book(db, in_person, world.a.employees[0], by=world.a.manager)
    assert booked.status == "confirmed" and notices == []
    approved_later, _ = book(db, in_person, world.a.employees[1])
    assert booking.decide(db, approved_later, approve=True, by=world.a.manager, now=NOW) == [
        booking.Notice("approved", approved_later.id)
    ]
    assert approved_later.status == BookingStatus.CONFIRMED


def test_more_seats_move_people_up_and_fewer_than_booked_are_refused(db, world, course):
    in_person = schedule(db, world, course, capacity=1)
    book(db, in_person, world.a.employees[0])
    waiting, _ = book(db, in_person, world.a.employees[1])
    with pytest.raises(BookingError):
        booking.change(db, in_person, fields(capacity=0), trainers=[], companies=[], now=NOW)
    notices = booking.change(db, in_person, fields(capacity=2), trainers=[], companies=[], now=NOW)
    assert notices == [booking.Notice("promoted", waiting.id)]
    assert waiting.status == "confirmed"


def test_moving_a_session_tells_everyone_with_a_seat(db, world, course):
    in_person = schedule(db, world, course)
    seated, _ = book(db, in_person, world.a.employees[0])
    later = NOW + timedelta(days=8)
    notices = booking.change(
        db, in_person, fields(starts_at=later), trainers=[world.trainer], companies=[], now=NOW
    )
    assert notices == [booking.Notice("session-changed", seated.id)]
    assert in_person.starts_at == later


def test_a_cancelled_session_tells_everyone_and_takes_no_more_bookings(db, world, course):
    in_person = schedule(db, world, course, capacity=1)
    seated, _ = book(db, in_person, world.a.employees[0])
    waiting, _ = book(db, in_person, world.a.employees[1])
    notices = booking.cancel_session(db, in_person, NOW)
    assert {n.booking_id for n in notices} == {seated.id, waiting.id}
    assert booking.upcoming(db, course.id, "workshop", world.a.company.id, NOW) == []
    with pytest.raises(BookingError) as error:
        book(db, in_person, world.a.employees[2])
    assert error.value.code == "session-cancelled"


def enrollment_of(db, person, course):
    return learning.get_enrollment(db, person, course)


def test_attendance_completes_the_unit_and_the_module_and_can_be_corrected(db, world, course):
    in_person = schedule(db, world, course)
    person = world.a.employees[0]
    seat, _ = book(db, in_person, person)
    enrollment = learning.enroll(db, person, course, NOW)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    after = in_person.ends_at + timedelta(hours=3)

    booking.record_attendance(db, Actor(world.trainer), seat, Attendance.ABSENT, "krank", now=after)
    assert learning.course_progress(db, enrollment, "de").done == 1

    booking.record_attendance(db, Actor(world.trainer), seat, Attendance.PRESENT, "", now=after)
    progress = learning.course_progress(db, enrollment, "de")
    assert progress.complete
    attended = progress.units[1]
    # Dated by the session (its start), not by when the attendance was entered.
    assert attended.status == "attended" and attended.completed_at == in_person.starts_at
    completion = db.scalar(select(Completion).where(Completion.user_id == person.id))
    assert completion is not None and seat.attendance_by_id == world.trainer.id


def test_taking_back_present_reopens_the_unit_while_the_module_is_not_complete(db, world, course):
    in_person = schedule(db, world, course)
    person = world.a.employees[0]
    seat, _ = book(db, in_person, person)
    booking.record_attendance(db, Actor(world.trainer), seat, Attendance.PRESENT, "", now=NOW)
    enrollment = enrollment_of(db, person, course)  # enrolled by the attendance
    assert enrollment is not None
    assert learning.course_progress(db, enrollment, "de").units[1].status == "attended"
    booking.record_attendance(db, Actor(world.trainer), seat, Attendance.EXCUSED, "", now=NOW)
    assert learning.course_progress(db, enrollment, "de").units[1].status == "pending"
    assert (
        db.scalar(select(UnitProgress).where(UnitProgress.enrollment_id == enrollment.id)) is None
    )


def audit_entries(db, action):
    return db.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


def test_recording_attendance_writes_its_audit_entry_when_something_changed(db, world, course):
    in_person = schedule(db, world, course)
    person = world.a.employees[0]
    seat, _ = book(db, in_person, person)
    trainer = Actor(world.trainer, "192.0.2.0/24")
    booking.record_attendance(db, trainer, seat, Attendance.ABSENT, "krank", now=NOW)
    booking.record_attendance(db, trainer, seat, Attendance.ABSENT, "krank", now=NOW)  # the same

    (entry,) = audit_entries(db, "attendance.record")
    assert (entry.actor_id, entry.address) == (world.trainer.id, "192.0.2.0/24")
    assert (entry.company_id, entry.subject, entry.subject_id) == (
        person.company_id,
        person.display_name,
        seat.id,
    )
    assert entry.changes == {"attendance": [None, "absent"], "attendance_note": ["", "krank"]}
    assert seat.attendance_by_id == world.trainer.id


def test_attendance_only_for_people_with_a_confirmed_seat(db, world, course):
    in_person = schedule(db, world, course, capacity=1)
    book(db, in_person, world.a.employees[0])
    waiting, _ = book(db, in_person, world.a.employees[1])
    with pytest.raises(BookingError):
        booking.record_attendance(
            db, Actor(world.trainer), waiting, Attendance.PRESENT, "", now=NOW
        )


# --- QR check-in ---------------------------------------------------------------------


@pytest.fixture
def session_today(db, world, course):
    return schedule(db, world, course, starts_at=NOW + timedelta(days=2))


def check_in(db, in_person, person, code, now):
    return booking.check_in(db, Actor(person), in_person, person, code, key=KEY, now=now)


def test_a_booked_learner_checks_in_with_the_current_code_once(db, world, session_today):
    in_person = session_today
    person = world.a.employees[0]
    seat, _ = book(db, in_person, person)
    during = in_person.starts_at + timedelta(minutes=20)
    code = booking.check_in_code(KEY, in_person, during)
    assert check_in(db, in_person, person, code, during).attendance == "present"
    assert seat.checked_in_at == during and seat.attendance_by_id == person.id
    # Scanning again is fine and changes nothing.
    later = during + timedelta(minutes=5)
    assert check_in(db, in_person, person, code, later).checked_in_at == during
    # Each check-in is in the audit log, written by the check-in itself.
    entries = audit_entries(db, "attendance.check-in")
    assert [(e.actor_id, e.subject, e.subject_id) for e in entries] == [
        (person.id, person.display_name, seat.id)
    ] * 2
    assert entries[0].changes == {"attendance": [None, "present"]}
    assert audit_entries(db, "attendance.record") == []


def test_a_code_read_just_before_it_changed_still_works(db, world, session_today):
    in_person = session_today
    person = world.a.employees[0]
    book(db, in_person, person)
    shown = in_person.starts_at + timedelta(minutes=9, seconds=59)
    code = booking.check_in_code(KEY, in_person, shown)
    assert (
        check_in(db, in_person, person, code, shown + timedelta(seconds=2)).attendance == "present"
    )


@pytest.mark.parametrize(
    ("shown_at", "used_at", "expected"),
    [
        # A code from earlier in the session, reused much later (e.g. a photo sent on).
        (timedelta(minutes=0), timedelta(minutes=45), "code-expired"),
        # Before the window opens (30 minutes before the start).
        (timedelta(minutes=-31), timedelta(minutes=-31), "check-in-not-yet"),
        # After the end.
        (timedelta(minutes=89), timedelta(minutes=91), "check-in-over"),
    ],
)
def test_codes_work_only_in_their_time(db, world, session_today, shown_at, used_at, expected):
    in_person = session_today
    person = world.a.employees[0]
    book(db, in_person, person)
    code = booking.check_in_code(KEY, in_person, in_person.starts_at + shown_at)
    with pytest.raises(BookingError) as error:
        check_in(db, in_person, person, code, in_person.starts_at + used_at)
    assert error.value.code == expected


def test_a_code_works_neither_for_another_session_nor_for_someone_not_booked(
    db, world, course, session_today
):
    in_person = session_today
    other = schedule(db, world, course, starts_at=in_person.starts_at)
    booked, not_booked = world.a.employees[0], world.a.employees[1]
    book(db, other, booked)
    book(db, in_person, world.a.employees[2])
    during = in_person.starts_at + timedelta(minutes=5)
    with pytest.raises(BookingError) as wrong_session:
        check_in(db, other, booked, booking.check_in_code(KEY, in_person, during), during)
    assert wrong_session.value.code == "code-invalid"
    with pytest.raises(BookingError) as unbooked:
        check_in(db, in_person, not_booked, booking.check_in_code(KEY, in_person, during), during)
    assert unbooked.value.code == "not-booked"


def test_a_new_code_makes_the_shown_one_invalid(db, world, session_today):
    in_person = session_today
    person = world.a.employees[0]
    book(db, in_person, person)
    during = in_person.starts_at + timedelta(minutes=5)
    leaked = booking.check_in_code(KEY, in_person, during)
    booking.new_check_in_secret(db, in_person)
    with pytest.raises(BookingError) as error:
        check_in(db, in_person, person, leaked, during)
    assert error.value.code == "code-invalid"
    fresh = booking.check_in_code(KEY, in_person, during)
    assert check_in(db, in_person, person, fresh, during).attendance == "present"


# --- Partial attendance -----------------------------------------------------------------


def unit_status(db, person, course):
    return learning.course_progress(db, enrollment_of(db, person, course), "de").units[1]


def test_partly_present_leaves_the_unit_open_unless_the_session_counts_it(db, world, course):
    in_person = schedule(db, world, course)
    person = world.a.employees[0]
    learning.enroll(db, person, course, NOW)
    seat, _ = book(db, in_person, person)
    after = in_person.ends_at + timedelta(days=1)
    trainer = Actor(world.trainer)
    booking.record_attendance(db, trainer, seat, Attendance.PARTIAL, "", minutes=60, now=after)
    assert (seat.attendance, seat.minutes_present, seat.counts) == ("partial", 60, False)
    assert unit_status(db, person, course).status == "pending"  # by default it does not count

    # The trainer decides it counts: the unit is recorded like "present", dated by the session.
    booking.set_partial_rule(db, trainer, in_person, True, now=after)
    state = unit_status(db, person, course)
    assert (state.status, state.completed_at) == ("attended", in_person.starts_at)
    (entry,) = audit_entries(db, "attendance.record")[-1:]
    assert entry.changes == {"partial_counts": [False, True]} and entry.subject_id == seat.id

    # And back: the unit is open again (the module is not complete: the lesson is missing).
    booking.set_partial_rule(db, trainer, in_person, False, now=after)
    assert unit_status(db, person, course).status == "pending"


def test_a_counting_partial_attendance_completes_the_module_like_present(db, world, course):
    in_person = schedule(db, world, course)
    in_person.partial_counts = True
    person = world.a.employees[0]
    seat, _ = book(db, in_person, person)
    enrollment = learning.enroll(db, person, course, NOW)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    booking.record_attendance(db, Actor(world.trainer), seat, Attendance.PARTIAL, "ab 10:30 Uhr",
                              now=in_person.ends_at)  # fmt: skip
    completion = db.scalar(select(Completion).where(Completion.user_id == person.id))
    assert completion is not None and completion.completed_at == in_person.starts_at
    assert seat.minutes_present is None and seat.attendance_note == "ab 10:30 Uhr"


def test_partly_present_needs_the_minutes_or_a_note_and_minutes_within_the_session(
    db, world, course
):
    in_person = schedule(db, world, course)  # 90 minutes
    seat, _ = book(db, in_person, world.a.employees[0])
    trainer = Actor(world.trainer)
    for minutes, note, code in ((None, "  ", "partial-needs-detail"),
                                (0, "", "bad-minutes-present"),
                                (91, "", "bad-minutes-present")):  # fmt: skip
        with pytest.raises(BookingError) as error:
            booking.record_attendance(db, trainer, seat, Attendance.PARTIAL, note,
                                      minutes=minutes, now=NOW)  # fmt: skip
        assert error.value.code == code
    assert seat.attendance is None
    # Minutes belong to partial attendance only.
    booking.record_attendance(db, trainer, seat, Attendance.PRESENT, "", minutes=45, now=NOW)
    assert (seat.attendance, seat.minutes_present) == ("present", None)


def test_after_a_partial_that_does_not_count_another_session_completes_the_unit(db, world, course):
    first = schedule(db, world, course)
    person = world.a.employees[0]
    learning.enroll(db, person, course, NOW)
    seat, _ = book(db, first, person)
    trainer = Actor(world.trainer)
    booking.record_attendance(db, trainer, seat, Attendance.PARTIAL, "", minutes=30,
                              now=first.ends_at)  # fmt: skip
    # The person may book another session of the unit once the first is over.
    second = schedule(db, world, course, starts_at=first.starts_at + timedelta(days=14),
                      now=first.ends_at)  # fmt: skip
    again, _ = book(db, second, person, now=first.ends_at + timedelta(hours=1))
    assert again.status == "confirmed"
    booking.record_attendance(db, trainer, again, Attendance.PRESENT, "", now=second.ends_at)
    state = unit_status(db, person, course)
    assert (state.status, state.completed_at) == ("attended", second.starts_at)
    # The first session's rule changing now keeps the unit, dated by the earliest that counts.
    booking.set_partial_rule(db, trainer, first, True, now=second.ends_at)
    booking.record_attendance(db, trainer, again, Attendance.ABSENT, "", now=second.ends_at)
    state = unit_status(db, person, course)
    assert (state.status, state.completed_at) == ("attended", first.starts_at)


def test_a_scan_does_not_overwrite_the_trainers_partly_present(db, world, session_today):
    in_person = session_today
    person = world.a.employees[0]
    seat, _ = book(db, in_person, person)
    during = in_person.starts_at + timedelta(minutes=40)
    booking.record_attendance(db, Actor(world.trainer), seat, Attendance.PARTIAL, "",
                              minutes=50, now=during)  # fmt: skip
    check_in(db, in_person, person, booking.check_in_code(KEY, in_person, during), during)
    assert (seat.attendance, seat.minutes_present) == ("partial", 50)
