"""The learner's in-person sessions: book, cancel, the calendar file, and the QR check-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.evaluation import service as evaluation
from lms.in_person import booking, calendar
from lms.in_person.booking import BookingError
from lms.in_person.mail import queue_notices
from lms.in_person.texts import error_text
from lms.learn import bp
from lms.models import Booking, Course, Enrollment, InPersonSession, User
from lms.templating import page_language


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


@dataclass(frozen=True)
class InPersonContext:
    """What the page of an in-person unit shows about its sessions."""

    mine: Booking | None  # the booking that counts now (seat, request or waiting list)
    position: int | None  # on the waiting list
    attended: Booking | None
    upcoming: list[InPersonSession]
    now: Any

    def may_cancel(self) -> bool:
        return self.mine is not None and self.now <= self.mine.in_person.booking_deadline


def unit_context(enrollment: Enrollment, unit_id: str) -> InPersonContext:
    user = _user()
    moment = now()
    bookings = booking.bookings_of(db.session, user, enrollment.course_id, unit_id)
    mine = next(
        (
            b
            for b in bookings
            if b.active and not b.in_person.cancelled and b.in_person.ends_at > moment
        ),
        None,
    )
    # The session that counts for the unit, else one attended partly that does not count.
    attended = next((b for b in bookings if b.counts), None) or next(
        (b for b in bookings if b.attendance == "partial"), None
    )
    upcoming = booking.upcoming(db.session, enrollment.course_id, unit_id, user.company_id, moment)
    position = (
        booking.waitlist_position(db.session, mine)
        if mine is not None and mine.status == "waitlisted"
        else None
    )
    return InPersonContext(mine, position, attended, upcoming, moment)


def _back_to_unit(in_person: InPersonSession) -> ResponseReturnValue:
    course = db.session.get(Course, in_person.course_id)
    assert course is not None
    unit = url_for("learn.unit", slug=course.slug, unit_id=in_person.unit_id)
    return redirect(unit + "#sessions")


@bp.post("/sessions/<int:session_id>/book")
def book(session_id: int) -> ResponseReturnValue:
    in_person = db.session.get(InPersonSession, session_id)
    user = _user()
    if in_person is None or not booking.is_open_to(in_person, user.company_id):
        abort(404)
    course = db.session.get(Course, in_person.course_id)
    assert course is not None
    if (
        db.session.scalar(
            select(Enrollment.id).where(
                Enrollment.user_id == user.id, Enrollment.course_id == course.id
            )
        )
        is None
    ):
        abort(404)
    try:
        held, notices = booking.book(db.session, in_person, user, by=user, now=now())
    except BookingError as error:
        db.refuse(error.code)
        flash(error_text(error), "error")
        return _back_to_unit(in_person)
    queue_notices(db.session, notices, now())
    messages = {
        "confirmed": _("Your seat is booked. You will find the session under “My sessions”."),
        "requested": _("Your booking is requested. Your manager approves it; you get an e-mail."),
        "waitlisted": _(
            "The session is full; you are on the waiting list. If a seat becomes free, "
            "it is yours and you get an e-mail."
        ),
    }
    flash(messages[held.status], "success")
    return _back_to_unit(in_person)


def _own_booking(booking_id: int) -> Booking:
    found = db.session.get(Booking, booking_id)
    if found is None or found.user_id != _user().id:
        abort(404)
    return found


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel(booking_id: int) -> ResponseReturnValue:
    mine = _own_booking(booking_id)
    try:
        notices = booking.cancel(db.session, mine, now=now())
    except BookingError as error:
        db.refuse(error.code)
        flash(error_text(error), "error")
        return _back_to_unit(mine.in_person)
    queue_notices(db.session, notices, now())
    flash(_("Your booking is cancelled."), "success")
    if request.form.get("back") == "sessions":
        return redirect(url_for("learn.sessions"))
    return _back_to_unit(mine.in_person)


@bp.get("/sessions")
def sessions() -> ResponseReturnValue:
    """My sessions: every booking, coming ones first, with calendar files."""
    user = _user()
    moment = now()
    bookings = booking.bookings_of(db.session, user)
    coming = sorted(
        (b for b in bookings if b.in_person.ends_at > moment and b.status != "declined"),
        key=lambda b: b.in_person.starts_at,
    )
    past = [b for b in bookings if b.in_person.ends_at <= moment and b.status == "confirmed"]
    return render_template(
        "learn/sessions.html",
        coming=coming,
        past=past,
        titles=booking.titles(db.session, [b.in_person for b in bookings], page_language()),
        now=moment,
        to_evaluate=evaluation.sessions_to_evaluate(db.session, user, past, moment),
    )


@bp.get("/dates")
def sessions_moved() -> ResponseReturnValue:
    """The page's first address: every booking mail sent before the move links to it."""
    return redirect(url_for("learn.sessions"), 301)


@bp.get("/bookings/<int:booking_id>.ics")
def booking_ics(booking_id: int) -> ResponseReturnValue:
    mine = _own_booking(booking_id)
    title = booking.titles(db.session, [mine.in_person], page_language())[mine.session_id]
    course = db.session.get(Course, mine.in_person.course_id)
    assert course is not None
    entry = calendar.Entry(
        mine.in_person,
        title,
        calendar.booking_status(mine),
        max(mine.in_person.updated_at, mine.updated_at),
        url_for("learn.unit", slug=course.slug, unit_id=mine.in_person.unit_id, _external=True),
    )
    body = calendar.write([entry], title.unit, request.host)
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="lernwerk-termin-{mine.session_id}.ics"'
    )
    return response


# The path is printed on check-in sheets and carried by QR codes: it stays as it is.
@bp.route("/check-in/<int:session_id>/<code>", methods=["GET", "POST"])
def check_in(session_id: int, code: str) -> ResponseReturnValue:
    """Opened from the QR code: one button confirms that the learner is here."""
    in_person = db.session.get(InPersonSession, session_id)
    if in_person is None or not booking.is_open_to(in_person, _user().company_id):
        abort(404)
    title = booking.titles(db.session, [in_person], page_language())[in_person.id]
    error = None
    done = None
    if request.method == "POST":
        try:
            done = booking.check_in(
                db.session,
                current_actor(),
                in_person,
                _user(),
                code,
                key=current_app.config["SECRET_KEY"],
                now=now(),
            )
        except BookingError as failed:
            error = (
                _("You have no confirmed seat for this session. Please speak to the trainer.")
                if failed.code == "not-booked"
                else error_text(failed)
            )
    return render_template(
        "learn/check_in.html",
        in_person=in_person,
        title=title,
        code=code,
        error=error,
        done=done,
    ), (422 if error else 200)
