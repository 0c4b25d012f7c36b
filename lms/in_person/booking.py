"""In-person sessions: scheduling, booking with a waiting list, approval, attendance, check-in.

Plain functions over a session; they flush and never commit. Capacity holds
under concurrency because every change to who holds a seat happens while the
session's row is locked: `SELECT … FOR UPDATE` on PostgreSQL; on SQLite the write
transaction itself is the lock (BEGIN IMMEDIATE, one writer at a time, see
lms/db.py). Of two people booking the last seat at once, the second waits for
the first and then finds the session full.

Functions that change who holds a seat return the `Notice`s to send once the
transaction is committed: a mail must not announce what a rollback undid.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.content.importer import latest_version, live_versions
from lms.models import (
    Attendance,
    Booking,
    BookingStatus,
    Company,
    Course,
    CourseVersion,
    InPersonSession,
    UnitProgress,
    User,
)
from lms.models.in_person import ACTIVE, HOLDS_SEAT, WAS_THERE, attendance_counts
from lms.services import learning

# The code shown for check-in changes this often; the one before still works,
# so a code read just before the change does not fail.
CHECK_IN_SLOT = timedelta(minutes=10)


class BookingError(ValueError):
    """A booking action that cannot be done; `code` names why."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Notice:
    """A message to send after commit: `kind` about `booking_id`."""

    # promoted, approved, declined, approval-needed, session-changed, session-cancelled
    kind: str
    booking_id: int


@dataclass(frozen=True)
class SessionFields:
    """What a trainer enters for a session (times aware, in UTC or any zone)."""

    starts_at: datetime
    minutes: int
    capacity: int
    booking_deadline: datetime
    place: str = ""
    room: str = ""
    online_url: str = ""
    note: str = ""


def in_person_units(session: Session, course: Course) -> list[dict[str, Any]]:
    """The in-person units of the course's live version (main language)."""
    version = latest_version(session, course)
    return in_person_units_of(version) if version is not None else []


def in_person_units_of(version: CourseVersion) -> list[dict[str, Any]]:
    units = learning.rendered_units(version, version.language)
    return [unit for unit in units if unit["type"] == "in-person"]


def _check(fields: SessionFields, now: datetime, *, booked: int = 0, new: bool = True) -> None:
    if new and fields.starts_at <= now:
        raise BookingError("starts-in-past")
    if not 1 <= fields.minutes <= 24 * 60:
        raise BookingError("bad-duration")
    if fields.capacity < 1:
        raise BookingError("bad-capacity")
    if fields.capacity < booked:
        raise BookingError("capacity-below-booked", booked=booked)
    if fields.booking_deadline > fields.starts_at:
        raise BookingError("deadline-after-start")
    if not (fields.place.strip() or fields.online_url.strip()):
        raise BookingError("no-place")


def schedule(
    session: Session,
    course: Course,
    unit_id: str,
    fields: SessionFields,
    *,
    trainers: Sequence[User],
    companies: Sequence[Company],
    by: User,
    now: datetime,
) -> InPersonSession:
    """Add a session to an in-person unit of the course's live version."""
    if unit_id not in {unit["id"] for unit in in_person_units(session, course)}:
        raise BookingError("not-in-person")
    _check(fields, now)
    in_person = InPersonSession(
        course_id=course.id,
        unit_id=unit_id,
        check_in_secret=secrets.token_hex(16),
        created_by_id=by.id,
        created_at=now,
        trainers=list(trainers),
        companies=list(companies),
    )
    _apply(in_person, fields, now)
    session.add(in_person)
    session.flush()
    return in_person


def _apply(in_person: InPersonSession, fields: SessionFields, now: datetime) -> None:
    in_person.starts_at = fields.starts_at
    in_person.minutes = fields.minutes
    in_person.capacity = fields.capacity
    in_person.booking_deadline = fields.booking_deadline
    in_person.place = fields.place.strip()
    in_person.room = fields.room.strip()
    in_person.online_url = fields.online_url.strip()
    in_person.note = fields.note.strip()
    in_person.updated_at = now


def change(
    session: Session,
    in_person: InPersonSession,
    fields: SessionFields,
    *,
    trainers: Sequence[User],
    companies: Sequence[Company],
    now: datetime,
) -> list[Notice]:
    """Change a session. More seats move people up from the waiting list; a new time or
    place is announced to everyone booked."""
    in_person = lock(session, in_person.id)
    if in_person.cancelled:
        raise BookingError("session-cancelled")
    _check(fields, now, booked=in_person.booked, new=fields.starts_at != in_person.starts_at)
    moved = (fields.starts_at, fields.minutes, fields.place.strip(), fields.room.strip()) != (
        in_person.starts_at,
        in_person.minutes,
        in_person.place,
        in_person.room,
    ) or fields.online_url.strip() != in_person.online_url
    _apply(in_person, fields, now)
    in_person.trainers = list(trainers)
    in_person.companies = list(companies)
    session.flush()
    notices = _promote(session, in_person, now)
    if moved:
        promoted = {notice.booking_id for notice in notices}
        notices += [
            Notice("session-changed", booking.id)
            for booking in _bookings(session, in_person, HOLDS_SEAT)
            if booking.id not in promoted
        ]
    return notices


def cancel_session(session: Session, in_person: InPersonSession, now: datetime) -> list[Notice]:
    """Call a session off; everyone booked or waiting is told. Bookings stay on record."""
    in_person = lock(session, in_person.id)
    if in_person.cancelled:
        return []
    in_person.cancelled_at = now
    in_person.updated_at = now
    session.flush()
    return [
        Notice("session-cancelled", booking.id) for booking in _bookings(session, in_person, ACTIVE)
    ]


def new_check_in_secret(session: Session, in_person: InPersonSession) -> None:
    """Make every check-in code shown so far for this session invalid."""
    in_person.check_in_secret = secrets.token_hex(16)
    session.flush()


# --- Finding sessions ------------------------------------------------------------


def open_to(company_id: int | None) -> Any:
    """Sessions open to a company: those not limited to some companies, or limited to it."""
    if company_id is None:
        return ~InPersonSession.companies.any()
    return or_(
        ~InPersonSession.companies.any(), InPersonSession.companies.any(Company.id == company_id)
    )


def upcoming(
    session: Session, course_id: int, unit_id: str, company_id: int | None, now: datetime
) -> list[InPersonSession]:
    """The sessions of a unit a company's people may still book or join, soonest first."""
    return list(
        session.scalars(
            select(InPersonSession)
            .where(
                InPersonSession.course_id == course_id,
                InPersonSession.unit_id == unit_id,
                InPersonSession.cancelled_at.is_(None),
                InPersonSession.starts_at > now,
                open_to(company_id),
            )
            .order_by(InPersonSession.starts_at, InPersonSession.id)
        )
    )


def bookings_of(
    session: Session, user: User, course_id: int | None = None, unit_id: str | None = None
) -> list[Booking]:
    """A person's bookings (of one unit, if given), newest session first."""
    query = (
        select(Booking)
        .join(InPersonSession, InPersonSession.id == Booking.session_id)
        .where(Booking.user_id == user.id)
        .order_by(InPersonSession.starts_at.desc(), Booking.id)
    )
    if course_id is not None:
        query = query.where(InPersonSession.course_id == course_id)
    if unit_id is not None:
        query = query.where(InPersonSession.unit_id == unit_id)
    return list(session.scalars(query))


def waitlist_position(session: Session, booking: Booking) -> int:
    """1 for the first person on the waiting list, and so on."""
    ahead = session.scalars(
        select(Booking.id).where(
            Booking.session_id == booking.session_id,
            Booking.status == BookingStatus.WAITLISTED,
            or_(
                Booking.queued_at < booking.queued_at,
                and_(Booking.queued_at == booking.queued_at, Booking.id < booking.id),
            ),
        )
    ).all()
    return len(ahead) + 1


def roster(session: Session, in_person: InPersonSession) -> list[Booking]:
    """Everyone with a seat, by name; then the waiting list in its order."""
    seated = sorted(
        _bookings(session, in_person, HOLDS_SEAT), key=lambda b: b.user.display_name.casefold()
    )
    return seated + _bookings(session, in_person, {BookingStatus.WAITLISTED})


def _bookings(session: Session, in_person: InPersonSession, statuses: Any) -> list[Booking]:
    return list(
        session.scalars(
            select(Booking)
            .where(
                Booking.session_id == in_person.id, Booking.status.in_([str(s) for s in statuses])
            )
            .order_by(Booking.queued_at, Booking.id)
        )
    )


# --- Booking -----------------------------------------------------------------------


def lock(session: Session, session_id: int) -> InPersonSession:
    """The session, re-read and locked until the transaction ends."""
    in_person = session.scalar(
        select(InPersonSession)
        .where(InPersonSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if in_person is None:
        raise BookingError("unknown-session")
    return in_person


def is_open_to(in_person: InPersonSession, company_id: int | None) -> bool:
    return not in_person.companies or any(
        company.id == company_id for company in in_person.companies
    )


def book(
    session: Session, in_person: InPersonSession, user: User, *, by: User, now: datetime
) -> tuple[Booking, list[Notice]]:
    """Book a seat for `user` (by themselves or their manager), or a place on the waiting list.

    Booking twice changes nothing. Someone with a place at another coming session of
    the same unit must cancel that first.
    """
    in_person = lock(session, in_person.id)
    if in_person.cancelled:
        raise BookingError("session-cancelled")
    if now > in_person.booking_deadline:
        raise BookingError("deadline-passed")
    if user.company_id is None or not is_open_to(in_person, user.company_id):
        raise BookingError("not-open")
    booking = session.scalar(
        select(Booking)
        .where(Booking.session_id == in_person.id, Booking.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    if booking is not None and booking.active:
        return booking, []
    elsewhere = _active_elsewhere(session, in_person, user, now)
    if elsewhere is not None:
        raise BookingError("booked-elsewhere", in_person=elsewhere.in_person)
    if in_person.booked < in_person.capacity:
        in_person.booked += 1
        status = _seat_status(session, user, by.id)
    else:
        status = BookingStatus.WAITLISTED
    if booking is None:
        booking = Booking(company_id=user.company_id, session_id=in_person.id, user_id=user.id)
        session.add(booking)
    booking.status = status
    booking.queued_at = now
    booking.booked_by_id = by.id
    booking.updated_at = now
    booking.attendance = None
    booking.checked_in_at = None
    session.flush()
    notices = [Notice("approval-needed", booking.id)] if status == BookingStatus.REQUESTED else []
    return booking, notices


def _seat_status(session: Session, user: User, booked_by_id: int | None) -> BookingStatus:
    """Confirmed, or awaiting approval when the company asks for it and the person booked
    themselves (a manager's booking is its own approval)."""
    company = session.get(Company, user.company_id)
    if company is not None and company.booking_approval and booked_by_id == user.id:
        return BookingStatus.REQUESTED
    return BookingStatus.CONFIRMED


def _active_elsewhere(
    session: Session, in_person: InPersonSession, user: User, now: datetime
) -> Booking | None:
    return session.scalar(
        select(Booking)
        .join(InPersonSession, InPersonSession.id == Booking.session_id)
        .where(
            Booking.user_id == user.id,
            Booking.status.in_([str(s) for s in ACTIVE]),
            InPersonSession.id != in_person.id,
            InPersonSession.course_id == in_person.course_id,
            InPersonSession.unit_id == in_person.unit_id,
            InPersonSession.cancelled_at.is_(None),
            InPersonSession.starts_at > now,
        )
        .limit(1)
    )


def cancel(
    session: Session, booking: Booking, *, now: datetime, staff: bool = False
) -> list[Notice]:
    """Give up a seat or a place on the waiting list; the next person waiting moves up.

    Learners and managers may cancel until the booking deadline; trainers (`staff`)
    at any time.
    """
    in_person = lock(session, booking.session_id)
    session.refresh(booking)
    if not booking.active:
        return []
    if not staff and now > in_person.booking_deadline:
        raise BookingError("deadline-passed")
    held = booking.holds_seat
    booking.status = BookingStatus.CANCELLED
    booking.updated_at = now
    if held:
        in_person.booked -= 1
    session.flush()
    return _promote(session, in_person, now) if held else []


def decide(
    session: Session, booking: Booking, *, approve: bool, by: User | None, now: datetime
) -> list[Notice]:
    """A manager (`by`) approves or declines a booking awaiting approval; twice changes
    nothing. Nobody decides on their own booking: BookingError("own-booking")."""
    if by is not None and by.id == booking.user_id:
        raise BookingError("own-booking")
    in_person = lock(session, booking.session_id)
    session.refresh(booking)
    if booking.status != BookingStatus.REQUESTED:
        return []
    booking.updated_at = now
    if approve:
        booking.status = BookingStatus.CONFIRMED
        session.flush()
        return [Notice("approved", booking.id)]
    booking.status = BookingStatus.DECLINED
    in_person.booked -= 1
    session.flush()
    return [Notice("declined", booking.id), *_promote(session, in_person, now)]


def _promote(session: Session, in_person: InPersonSession, now: datetime) -> list[Notice]:
    """Fill free seats from the waiting list, first come first served (session locked)."""
    if in_person.cancelled or now >= in_person.starts_at:
        return []
    notices = []
    while in_person.booked < in_person.capacity:
        waiting = session.scalar(
            select(Booking)
            .where(Booking.session_id == in_person.id, Booking.status == BookingStatus.WAITLISTED)
            .order_by(Booking.queued_at, Booking.id)
            .limit(1)
        )
        if waiting is None:
            break
        waiting.status = _seat_status(session, waiting.user, waiting.booked_by_id)
        waiting.updated_at = now
        in_person.booked += 1
        session.flush()
        notices.append(Notice("promoted", waiting.id))
        if waiting.status == BookingStatus.REQUESTED:
            notices.append(Notice("approval-needed", waiting.id))
    return notices


# --- Attendance --------------------------------------------------------------------


# The fields of a booking the audit log follows when attendance is recorded.
ATTENDANCE_FIELDS = ("attendance", "minutes_present", "attendance_note")


def attendance_moment(in_person: InPersonSession, recorded_at: datetime) -> datetime:
    """When attending `in_person` completes its unit: at the session's start, whenever the
    attendance is entered (during the session or a week later). Attendance recorded
    before the start (a check-in or the roster, possible 30 minutes before) counts from
    that moment, so nothing is dated in the future."""
    return min(recorded_at, in_person.starts_at)


def record_attendance(
    session: Session,
    actor: Actor,
    booking: Booking,
    attendance: Attendance | None,
    note: str,
    *,
    minutes: int | None = None,
    now: datetime,
) -> None:
    """Record whether a person with a seat was there (by `actor`, the trainer).

    Present completes the unit. Partly present needs the `minutes` present or a `note`;
    it completes the unit only where the session's rule says partial attendance counts
    (`InPersonSession.partial_counts`), otherwise the unit stays open and the person
    books another session. A change that makes the attendance no longer count takes
    the unit back, unless the module was completed meanwhile (its completion and
    certificate stay). A change is written to the audit log; recording the same again
    writes nothing.
    """
    before = audit.snapshot(booking, ATTENDANCE_FIELDS)
    _set_attendance(
        session, booking, attendance, note, minutes=minutes, by_id=actor.user_id, now=now
    )
    difference = audit.changed(before, booking)
    if difference:
        audit.record(session, actor, "attendance.record", booking.company_id, now,
                     subject=booking.user.display_name, subject_id=booking.id,
                     changes=difference)  # fmt: skip


def set_partial_rule(
    session: Session, actor: Actor, in_person: InPersonSession, counts: bool, *, now: datetime
) -> None:
    """Say whether partial attendance at `in_person` completes the unit. Everyone already
    marked partly present gains or loses the unit with it (a completed module stays
    complete); each of them gets an audit entry in their company's log."""
    if in_person.partial_counts == counts:
        return
    in_person.partial_counts = counts
    session.flush()
    for booking in _bookings(session, in_person, {BookingStatus.CONFIRMED}):
        if booking.attendance != Attendance.PARTIAL:
            continue
        if counts:
            _complete_unit(session, booking, now)
        else:
            _take_back_unit(session, booking, now)
        audit.record(session, actor, "attendance.record", booking.company_id, now,
                     subject=booking.user.display_name, subject_id=booking.id,
                     changes={"partial_counts": [not counts, counts]})  # fmt: skip


def partial_problem(in_person: InPersonSession, minutes: int | None, note: str) -> str | None:
    """Why a partial attendance cannot be recorded like this, or None.

    "partial-needs-detail": neither minutes nor a note; "bad-minutes-present": minutes
    outside 1 to the session's length."""
    if minutes is None and not note.strip():
        return "partial-needs-detail"
    if minutes is not None and not 1 <= minutes <= in_person.minutes:
        return "bad-minutes-present"
    return None


def _set_attendance(
    session: Session,
    booking: Booking,
    attendance: Attendance | None,
    note: str,
    *,
    minutes: int | None = None,
    by_id: int | None,
    now: datetime,
) -> None:
    if booking.status != BookingStatus.CONFIRMED:
        raise BookingError("not-booked")
    value = attendance.value if attendance is not None else None
    note = note.strip()[:500]
    if value == Attendance.PARTIAL:
        problem = partial_problem(booking.in_person, minutes, note)
        if problem is not None:
            raise BookingError(problem, minutes=booking.in_person.minutes)
    else:
        minutes = None
    counted = booking.counts
    if (value, minutes, note) != (booking.attendance, booking.minutes_present,
                                  booking.attendance_note):  # fmt: skip
        booking.attendance = value
        booking.minutes_present = minutes
        booking.attendance_note = note
        booking.attendance_by_id = by_id
        booking.attendance_at = now
        if value not in WAS_THERE:
            booking.checked_in_at = None
    session.flush()
    if booking.counts and not counted:
        _complete_unit(session, booking, now)
    elif counted and not booking.counts:
        _take_back_unit(session, booking, now)


def _complete_unit(session: Session, booking: Booking, now: datetime) -> None:
    """Record the unit for `booking`'s person (enrolling them if needed), dated by
    `attendance_moment`; `now` is when the attendance was recorded."""
    in_person = booking.in_person
    course = session.get(Course, in_person.course_id)
    assert course is not None
    moment = attendance_moment(in_person, now)
    enrollment = learning.get_enrollment(session, booking.user, course)
    if enrollment is None:
        enrollment = learning.enroll(session, booking.user, course, moment)
    at = max(moment, enrollment.counts_from)
    # If the learner's version no longer has this unit, the attendance stays on record.
    with contextlib.suppress(learning.LearningError):
        learning.record_outcome(session, enrollment, in_person.unit_id, at)


def _take_back_unit(session: Session, booking: Booking, now: datetime) -> None:
    """The unit is open again, unless the module was completed meanwhile or another
    session of the unit that the person attended still counts (then the unit is dated
    by that one)."""
    course = session.get(Course, booking.in_person.course_id)
    assert course is not None
    enrollment = learning.get_enrollment(session, booking.user, course)
    if enrollment is None or enrollment.completed_at is not None:
        return
    for progress in session.scalars(
        select(UnitProgress).where(
            UnitProgress.enrollment_id == enrollment.id,
            UnitProgress.unit_id == booking.in_person.unit_id,
            UnitProgress.status == learning.UnitStatus.ATTENDED,
            UnitProgress.completed_at >= enrollment.counts_from,
        )
    ):
        session.delete(progress)
    session.flush()
    still = session.scalars(
        select(Booking)
        .join(InPersonSession, InPersonSession.id == Booking.session_id)
        .where(
            Booking.user_id == booking.user_id,
            Booking.id != booking.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.attendance.in_([str(a) for a in WAS_THERE]),
            InPersonSession.course_id == booking.in_person.course_id,
            InPersonSession.unit_id == booking.in_person.unit_id,
        )
        .order_by(InPersonSession.starts_at)
    )
    other = next((b for b in still if attendance_counts(b.attendance, b.in_person)), None)
    if other is not None:
        _complete_unit(session, other, other.checked_in_at or other.attendance_at or now)


# --- Check-in by QR code -----------------------------------------------------------


def check_in_window(in_person: InPersonSession) -> tuple[datetime, datetime]:
    return in_person.attendance_opens, in_person.ends_at


def _slot(at: datetime) -> int:
    return int(at.timestamp() // CHECK_IN_SLOT.total_seconds())


def _code(key: str, in_person: InPersonSession, slot: int) -> str:
    message = f"check-in:{in_person.id}:{in_person.check_in_secret}:{slot}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def check_in_code(key: str, in_person: InPersonSession, now: datetime) -> str:
    """The code to show now for `in_person` (`key`: the app's secret key)."""
    return _code(key, in_person, _slot(now))


def check_in(
    session: Session,
    actor: Actor,
    in_person: InPersonSession,
    user: User,
    code: str,
    *,
    key: str,
    now: datetime,
) -> Booking:
    """Mark a booked learner (`user`) present who shows the current code during the session.

    A code works only for its session, for the slot it was shown in (and the one
    after), and inside the check-in window; checking in twice changes nothing (but
    each check-in is written to the audit log).
    """
    opens, closes = check_in_window(in_person)
    if in_person.cancelled:
        raise BookingError("session-cancelled")
    if now < opens:
        raise BookingError("check-in-not-yet", opens=opens)
    if now > closes:
        raise BookingError("check-in-over")
    current = _slot(now)
    if not any(hmac.compare_digest(code, _code(key, in_person, s)) for s in (current, current - 1)):
        first = _slot(opens)
        shown_before = any(
            hmac.compare_digest(code, _code(key, in_person, s)) for s in range(first, current - 1)
        )
        raise BookingError("code-expired" if shown_before else "code-invalid")
    booking = session.scalar(
        select(Booking).where(Booking.session_id == in_person.id, Booking.user_id == user.id)
    )
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        raise BookingError("not-booked")
    # A trainer's "partly present" (came late, left early) is not overwritten by a scan.
    if booking.attendance not in WAS_THERE:
        _set_attendance(
            session, booking, Attendance.PRESENT, booking.attendance_note, by_id=user.id, now=now
        )
        booking.checked_in_at = now
        session.flush()
    audit.record(session, actor, "attendance.check-in", booking.company_id, now,
                 subject=user.display_name, subject_id=booking.id,
                 changes={"attendance": [None, "present"]})  # fmt: skip
    return booking


# --- Titles ------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionTitle:
    unit: str
    course: str
    slug: str


def titles(
    session: Session, in_person_sessions: Sequence[InPersonSession], language: str
) -> dict[int, SessionTitle]:
    """Unit and module title of each session in `language` (from the live version)."""
    course_ids = {in_person.course_id for in_person in in_person_sessions}
    if not course_ids:
        return {}
    versions = {
        course.id: (course, version)
        for course, version in live_versions(session, Course.id.in_(course_ids))
    }
    result = {}
    for in_person in in_person_sessions:
        course, version = versions[in_person.course_id]
        texts = version.content["texts"]
        course_title = (texts.get(language) or texts[version.language])["title"]
        units = {u["id"]: u for u in learning.rendered_units(version, language)}
        unit = units.get(in_person.unit_id)
        result[in_person.id] = SessionTitle(
            unit["title"] if unit else in_person.unit_id, course_title, course.slug
        )
    return result
