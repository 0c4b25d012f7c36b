"""The learner's in-person dates: book, cancel, the calendar file, and the QR check-in."""

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
    """What the page of an in-person unit shows about its dates."""

    mine: Booking | None  # the booking that counts now (seat, request or waiting list)
    position: int | None  # on the waiting list
    attended: Booking | None
    upcoming: list[InPersonSession]
    now: Any

    def may_cancel(self) -> bool:
        return self.mine is not None and self.now <= self.mine.date.booking_deadline


def unit_context(enrollment: Enrollment, unit_id: str) -> InPersonContext:
    user = _user()
    moment = now()
    bookings = booking.bookings_of(db.session, user, enrollment.course_id, unit_id)
    mine = next(
        (b for b in bookings if b.active and not b.date.cancelled and b.date.ends_at > moment),
        None,
    )
    attended = next((b for b in bookings if b.attendance == "present"), None)
    upcoming = booking.upcoming(db.session, enrollment.course_id, unit_id, user.company_id, moment)
    position = (
        booking.waitlist_position(db.session, mine)
        if mine is not None and mine.status == "waitlisted"
        else None
    )
    return InPersonContext(mine, position, attended, upcoming, moment)


def _back_to_unit(date: InPersonSession) -> ResponseReturnValue:
    course = db.session.get(Course, date.course_id)
    assert course is not None
    return redirect(url_for("learn.unit", slug=course.slug, unit_id=date.unit_id) + "#dates")


@bp.post("/dates/<int:date_id>/book")
def book(date_id: int) -> ResponseReturnValue:
    date = db.session.get(InPersonSession, date_id)
    user = _user()
    if date is None or not booking.is_open_to(date, user.company_id):
        abort(404)
    course = db.session.get(Course, date.course_id)
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
        held, notices = booking.book(db.session, date, user, by=user, now=now())
    except BookingError as error:
        db.refuse(error.code)
        flash(error_text(error), "error")
        return _back_to_unit(date)
    queue_notices(db.session, notices, now())
    messages = {
        "confirmed": _("Your seat is booked. You will find the date under “My sessions”."),
        "requested": _("Your booking is requested. Your manager approves it; you get an e-mail."),
        "waitlisted": _(
            "The session is full; you are on the waiting list. If a seat becomes free, "
            "it is yours and you get an e-mail."
        ),
    }
    flash(messages[held.status], "success")
    return _back_to_unit(date)


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
        return _back_to_unit(mine.date)
    queue_notices(db.session, notices, now())
    flash(_("Your booking is cancelled."), "success")
    if request.form.get("back") == "dates":
        return redirect(url_for("learn.dates"))
    return _back_to_unit(mine.date)


@bp.get("/dates")
def dates() -> ResponseReturnValue:
    """My sessions: every booking, coming ones first, with calendar files."""
    user = _user()
    moment = now()
    bookings = booking.bookings_of(db.session, user)
    coming = sorted(
        (b for b in bookings if b.date.ends_at > moment and b.status != "declined"),
        key=lambda b: b.date.starts_at,
    )
    past = [b for b in bookings if b.date.ends_at <= moment and b.status == "confirmed"]
    return render_template(
        "learn/dates.html",
        coming=coming,
        past=past,
        titles=booking.titles(db.session, [b.date for b in bookings], page_language()),
        now=moment,
    )


@bp.get("/bookings/<int:booking_id>.ics")
def booking_ics(booking_id: int) -> ResponseReturnValue:
    mine = _own_booking(booking_id)
    title = booking.titles(db.session, [mine.date], page_language())[mine.date_id]
    course = db.session.get(Course, mine.date.course_id)
    assert course is not None
    entry = calendar.Entry(
        mine.date,
        title,
        calendar.booking_status(mine),
        max(mine.date.updated_at, mine.updated_at),
        url_for("learn.unit", slug=course.slug, unit_id=mine.date.unit_id, _external=True),
    )
    body = calendar.write([entry], title.unit, request.host)
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="lernwerk-termin-{mine.date_id}.ics"'
    )
    return response


@bp.route("/check-in/<int:date_id>/<code>", methods=["GET", "POST"])
def check_in(date_id: int, code: str) -> ResponseReturnValue:
    """Opened from the QR code: one button confirms that the learner is here."""
    date = db.session.get(InPersonSession, date_id)
    if date is None or not booking.is_open_to(date, _user().company_id):
        abort(404)
    title = booking.titles(db.session, [date], page_language())[date.id]
    error = None
    done = None
    if request.method == "POST":
        try:
            done = booking.check_in(
                db.session,
                current_actor(),
                date,
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
        "learn/check_in.html", date=date, title=title, code=code, error=error, done=done
    ), (422 if error else 200)
