"""The manager's view of in-person sessions: approve bookings, book for the team, cancel."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from lms.audit.trail import current_actor
from lms.clock import now
from lms.content.importer import is_visible
from lms.db import db
from lms.in_person import booking, team_bookings
from lms.in_person.booking import BookingError
from lms.in_person.mail import queue_notices
from lms.in_person.texts import error_text
from lms.input_checks import number_arg
from lms.manage import bp
from lms.models import Booking, BookingStatus, Course, InPersonSession, User
from lms.models.in_person import ACTIVE
from lms.permissions import people_visible_to_manager
from lms.templating import page_language


def _manager() -> User:
    user: User = current_user._get_current_object()
    return user


def _team() -> dict[int, User]:
    manager = _manager()
    people = db.session.scalars(people_visible_to_manager(manager).where(User.is_active.is_(True)))
    return {person.id: person for person in people}


def _team_booking(booking_id: int) -> Booking:
    found = db.session.get(Booking, booking_id)
    if found is None or found.user_id not in _team():
        abort(404)
    return found


@bp.get("/bookings")
def bookings() -> ResponseReturnValue:
    """Bookings awaiting approval, the team's coming sessions, and sessions to book."""
    team = _team()
    moment = now()
    company_id = _manager().company_id
    rows = list(
        db.session.scalars(
            select(Booking)
            .join(InPersonSession, InPersonSession.id == Booking.date_id)
            .where(
                Booking.user_id.in_(list(team)),
                Booking.status.in_([str(s) for s in ACTIVE]),
                InPersonSession.starts_at > moment,
                InPersonSession.cancelled_at.is_(None),
            )
            .order_by(InPersonSession.starts_at, Booking.queued_at)
        )
    )
    waiting_for_me = [b for b in rows if b.status == BookingStatus.REQUESTED]
    visible = {
        course.id
        for course in db.session.scalars(select(Course))
        if is_visible(db.session, course, company_id)
    }
    dates = [
        d
        for d in db.session.scalars(
            select(InPersonSession)
            .where(
                InPersonSession.starts_at > moment,
                InPersonSession.cancelled_at.is_(None),
                booking.open_to(company_id),
            )
            .order_by(InPersonSession.starts_at)
        )
        if d.course_id in visible
    ]
    titles = booking.titles(db.session, [b.date for b in rows] + dates, page_language())
    return render_template(
        "manage/bookings.html",
        requested=waiting_for_me,
        rows=rows,
        dates=dates,
        titles=titles,
        team=team,
        now=moment,
    )


@bp.post("/bookings/<int:booking_id>/approve")
def approve(booking_id: int) -> ResponseReturnValue:
    return _decide(booking_id, approve=True)


@bp.post("/bookings/<int:booking_id>/decline")
def decline(booking_id: int) -> ResponseReturnValue:
    return _decide(booking_id, approve=False)


def _decide(booking_id: int, *, approve: bool) -> ResponseReturnValue:
    found = _team_booking(booking_id)
    notices = team_bookings.decide(db.session, current_actor(), found, approve=approve, now=now())
    queue_notices(db.session, notices, now())
    if notices:
        flash(
            _("The booking is approved.") if approve else _("The booking is declined."),
            "success",
        )
    return redirect(url_for("manage.bookings"))


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel_booking(booking_id: int) -> ResponseReturnValue:
    found = _team_booking(booking_id)
    try:
        notices = team_bookings.cancel(db.session, current_actor(), found, now=now())
    except BookingError as error:
        db.refuse(error.code)
        flash(error_text(error), "error")
    else:
        queue_notices(db.session, notices, now())
        flash(_("The booking is cancelled."), "success")
    return redirect(url_for("manage.bookings"))


def _open_date(date_id: int) -> InPersonSession:
    date = db.session.get(InPersonSession, date_id)
    company_id = _manager().company_id
    if date is None or date.cancelled or not booking.is_open_to(date, company_id):
        abort(404)
    course = db.session.get(Course, date.course_id)
    if course is None or not is_visible(db.session, course, company_id):
        abort(404)
    return date


@bp.route("/sessions/<int:date_id>", methods=["GET", "POST"])
def book_for_team(date_id: int) -> ResponseReturnValue:
    """Book one session for several people of the team at once."""
    date = _open_date(date_id)
    team = _team()
    already = {
        b.user_id: b
        for b in db.session.scalars(select(Booking).where(Booking.date_id == date.id))
        if b.active
    }
    if request.method == "POST":
        chosen = [team[i] for i in request.form.getlist("person", type=number_arg) if i in team]
        if not chosen:
            flash(_("Please choose at least one person."), "error")
        else:
            return _book_people(date, chosen)
    title = booking.titles(db.session, [date], page_language())[date.id]
    return render_template(
        "manage/book_session.html",
        date=date,
        title=title,
        people=sorted(team.values(), key=lambda p: p.display_name.casefold()),
        already=already,
        now=now(),
    )


def _book_people(date: InPersonSession, people: list[User]) -> ResponseReturnValue:
    course = db.session.get(Course, date.course_id)
    assert course is not None
    result = team_bookings.book_people(db.session, current_actor(), date, course, people, now())
    outcome = result.held
    problems = []
    for person, error in result.refused:
        if isinstance(error, BookingError) and error.code == "booked-elsewhere":
            text = _("has booked another session of this part already")
        elif isinstance(error, BookingError):
            text = error_text(error)
        else:
            text = _("cannot take this module (no company)")
        problems.append(f"{person.display_name}: {text}")
    if outcome["confirmed"]:
        flash(ngettext("%(num)d person booked.", "%(num)d people booked.", outcome["confirmed"]),
              "success")  # fmt: skip
    if outcome["waitlisted"]:
        flash(
            ngettext(
                "%(num)d person is on the waiting list.",
                "%(num)d people are on the waiting list.",
                outcome["waitlisted"],
            ),
            "success",
        )
    for problem in problems:
        flash(problem, "error")
    return redirect(url_for("manage.book_for_team", date_id=date.id))
