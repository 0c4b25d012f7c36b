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
            .join(InPersonSession, InPersonSession.id == Booking.session_id)
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
    bookable = [
        in_person
        for in_person in db.session.scalars(
            select(InPersonSession)
            .where(
                InPersonSession.starts_at > moment,
                InPersonSession.cancelled_at.is_(None),
                booking.open_to(company_id),
            )
            .order_by(InPersonSession.starts_at)
        )
        if in_person.course_id in visible
    ]
    titles = booking.titles(db.session, [b.in_person for b in rows] + bookable, page_language())
    return render_template(
        "manage/bookings.html",
        requested=waiting_for_me,
        rows=rows,
        bookable=bookable,
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
    try:
        notices = team_bookings.decide(
            db.session, current_actor(), found, approve=approve, now=now()
        )
    except BookingError as error:
        db.refuse(error.code)
        flash(error_text(error), "error")
        return redirect(url_for("manage.bookings"))
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


def _open_session(session_id: int) -> InPersonSession:
    in_person = db.session.get(InPersonSession, session_id)
    company_id = _manager().company_id
    if in_person is None or in_person.cancelled or not booking.is_open_to(in_person, company_id):
        abort(404)
    course = db.session.get(Course, in_person.course_id)
    if course is None or not is_visible(db.session, course, company_id):
        abort(404)
    return in_person


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
def book_for_team(session_id: int) -> ResponseReturnValue:
    """Book one session for several people of the team at once."""
    in_person = _open_session(session_id)
    team = _team()
    already = {
        b.user_id: b
        for b in db.session.scalars(select(Booking).where(Booking.session_id == in_person.id))
        if b.active
    }
    if request.method == "POST":
        chosen = [team[i] for i in request.form.getlist("person", type=number_arg) if i in team]
        if not chosen:
            flash(_("Please choose at least one person."), "error")
        else:
            return _book_people(in_person, chosen)
    title = booking.titles(db.session, [in_person], page_language())[in_person.id]
    return render_template(
        "manage/book_session.html",
        in_person=in_person,
        title=title,
        people=sorted(team.values(), key=lambda p: p.display_name.casefold()),
        already=already,
        now=now(),
    )


def _book_people(in_person: InPersonSession, people: list[User]) -> ResponseReturnValue:
    course = db.session.get(Course, in_person.course_id)
    assert course is not None
    result = team_bookings.book_people(
        db.session, current_actor(), in_person, course, people, now()
    )
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
    return redirect(url_for("manage.book_for_team", session_id=in_person.id))
