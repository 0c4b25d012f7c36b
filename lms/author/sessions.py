"""The trainer's in-person sessions: plan and change them, the roster with attendance, QR check-in.

Every trainer may plan a session. Changing it, its roster and its check-in code
belong to the trainers named on the session and to the one who planned it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import segno
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.audit.trail import current_actor
from lms.author import bp
from lms.author.forms import AttendanceEntry, SessionForm
from lms.clock import local_zone, now
from lms.content.importer import live_versions
from lms.db import db
from lms.in_person import booking
from lms.in_person.booking import BookingError, SessionFields
from lms.in_person.mail import queue_notices
from lms.in_person.texts import error_text
from lms.models import (
    Attendance,
    BookingStatus,
    Company,
    Course,
    InPersonSession,
    Role,
    User,
    UserRole,
)
from lms.templating import page_language

# How often the check-in page reloads itself to show the current code.
CHECK_IN_REFRESH_S = 60


def current_trainer() -> User:
    user = db.session.get(User, current_user.id)
    assert user is not None
    return user


def _runs(in_person: InPersonSession, user: User) -> bool:
    return in_person.created_by_id == user.id or any(t.id == user.id for t in in_person.trainers)


def _own_session(session_id: int) -> InPersonSession:
    """A session the current trainer runs; 404 for any other."""
    in_person = db.session.get(InPersonSession, session_id)
    if in_person is None or not _runs(in_person, current_trainer()):
        abort(404)
    return in_person


@bp.get("/sessions")
def sessions() -> ResponseReturnValue:
    me = current_trainer()
    since = now() - timedelta(days=30)
    found = list(
        db.session.scalars(
            select(InPersonSession)
            .where(InPersonSession.starts_at >= since)
            .options(
                selectinload(InPersonSession.trainers), selectinload(InPersonSession.companies)
            )
            .order_by(InPersonSession.starts_at, InPersonSession.id)
        )
    )
    mine = [s for s in found if _runs(s, me)]
    others = [s for s in found if not _runs(s, me) and s.starts_at >= now()]
    return render_template(
        "author/sessions.html",
        mine=mine,
        others=others,
        titles=booking.titles(db.session, found, page_language()),
        now=now(),
    )


def _unit_choices() -> list[tuple[str, str]]:
    choices = []
    for course, version in live_versions(db.session):
        for unit in booking.in_person_units_of(version):
            choices.append((f"{course.slug}/{unit['id']}", f"{version.title} – {unit['title']}"))
    return choices


def _unit_minutes(course: Course | None, unit_id: str) -> int:
    units = booking.in_person_units(db.session, course) if course else []
    return next((int(u["minutes"]) for u in units if u["id"] == unit_id), 60)


def _form(in_person: InPersonSession | None) -> SessionForm:
    form = SessionForm(zone=local_zone())
    form.unit.choices = _unit_choices()
    trainers = db.session.scalars(
        select(User)
        .where(User.is_active.is_(True), User.role_rows.any(UserRole.role == Role.TRAINER.value))
        .order_by(User.display_name)
    ).all()
    form.trainers.choices = [(t.id, t.display_name) for t in trainers]
    companies = db.session.scalars(
        select(Company).where(Company.is_active.is_(True)).order_by(Company.name)
    ).all()
    form.companies.choices = [(c.id, c.name) for c in companies]
    if request.method == "GET":
        zone = local_zone()
        if in_person is None:
            form.unit.data = request.args.get("unit")
            form.trainers.data = [current_user.id]
            form.capacity.data = 12
        else:
            course = db.session.get(Course, in_person.course_id)
            assert course is not None
            form.unit.data = f"{course.slug}/{in_person.unit_id}"
            start = in_person.starts_at.astimezone(zone)
            deadline = in_person.booking_deadline.astimezone(zone)
            form.day.data, form.start.data = start.date(), start.time()
            form.deadline_day.data, form.deadline_time.data = deadline.date(), deadline.time()
            form.minutes.data = in_person.minutes
            form.capacity.data = in_person.capacity
            form.place.data, form.room.data = in_person.place, in_person.room
            form.online_url.data, form.note.data = in_person.online_url, in_person.note
            form.trainers.data = [t.id for t in in_person.trainers]
            form.companies.data = [c.id for c in in_person.companies]
    return form


# Where a service error shows in the form.
_ERROR_FIELDS = {
    "starts-in-past": "day",
    "bad-duration": "minutes",
    "bad-capacity": "capacity",
    "capacity-below-booked": "capacity",
    "deadline-after-start": "deadline_day",
    "no-place": "place",
    "not-in-person": "unit",
    "session-cancelled": "day",
}


def _fields(form: SessionForm, unit_minutes: int) -> SessionFields | None:
    starts_at = form.starts_at()
    deadline = form.booking_deadline(starts_at) if starts_at is not None else None
    if starts_at is None or deadline is None:
        return None
    return SessionFields(
        starts_at=starts_at,
        minutes=form.minutes.data or unit_minutes,
        capacity=form.capacity.data or 0,
        booking_deadline=deadline,
        place=form.place.data or "",
        room=form.room.data or "",
        online_url=form.online_url.data or "",
        note=form.note.data or "",
    )


def _chosen(form: SessionForm) -> tuple[list[User], list[Company]]:
    trainers = [u for u in (db.session.get(User, i) for i in form.trainers.data or []) if u]
    companies = [c for c in (db.session.get(Company, i) for i in form.companies.data or []) if c]
    return trainers, companies


@bp.route("/sessions/new", methods=["GET", "POST"])
def new_session() -> ResponseReturnValue:
    form = _form(None)
    if form.validate_on_submit():
        slug, _sep, unit_id = (form.unit.data or "").partition("/")
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        fields = _fields(form, _unit_minutes(course, unit_id))
        if fields is not None and course is not None:
            trainers, companies = _chosen(form)
            try:
                in_person = booking.schedule(
                    db.session,
                    course,
                    unit_id,
                    fields,
                    trainers=trainers,
                    companies=companies,
                    by=current_trainer(),
                    now=now(),
                )
            except BookingError as error:
                _show(form, error)
                return render_template("author/session_form.html", form=form, in_person=None), 422
            flash(_("The session is planned. Participants can book it now."), "success")
            return redirect(url_for("author.session", session_id=in_person.id))
    return render_template("author/session_form.html", form=form, in_person=None)


def _show(form: SessionForm, error: BookingError) -> None:
    field = getattr(form, _ERROR_FIELDS.get(error.code, "day"))
    field.errors = [*field.errors, error_text(error)]


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(session_id: int) -> ResponseReturnValue:
    in_person = _own_session(session_id)
    if in_person.cancelled:
        abort(404)
    form = _form(in_person)
    if form.validate_on_submit():
        fields = _fields(form, in_person.minutes)
        if fields is not None:
            trainers, companies = _chosen(form)
            try:
                notices = booking.change(
                    db.session,
                    in_person,
                    fields,
                    trainers=trainers,
                    companies=companies,
                    now=now(),
                )
            except BookingError as error:
                _show(form, error)
                return render_template(
                    "author/session_form.html", form=form, in_person=in_person
                ), 422
            queue_notices(db.session, notices, now())
            flash(_("The session is saved."), "success")
            return redirect(url_for("author.session", session_id=in_person.id))
    return render_template("author/session_form.html", form=form, in_person=in_person)


@bp.post("/sessions/<int:session_id>/cancel")
def cancel_session(session_id: int) -> ResponseReturnValue:
    in_person = _own_session(session_id)
    notices = booking.cancel_session(db.session, in_person, now())
    queue_notices(db.session, notices, now())
    flash(
        _("The session is cancelled. %(num)d people were told by e-mail.", num=len(notices)),
        "success",
    )
    return redirect(url_for("author.session", session_id=session_id))


@bp.get("/sessions/<int:session_id>")
def session(session_id: int) -> ResponseReturnValue:
    return _roster_page(_own_session(session_id))


def _roster_page(
    in_person: InPersonSession,
    entries: dict[int, AttendanceEntry] | None = None,
    partial_counts: bool | None = None,
) -> str:
    """The session with its roster; `entries` and `partial_counts`: what was posted, shown
    again with its errors."""
    moment = now()
    opens, closes = booking.check_in_window(in_person)
    people = booking.roster(db.session, in_person)
    seated = [b for b in people if b.status in (BookingStatus.CONFIRMED, BookingStatus.REQUESTED)]
    waiting = [b for b in people if b.status == BookingStatus.WAITLISTED]
    return render_template(
        "author/session.html",
        in_person=in_person,
        title=booking.titles(db.session, [in_person], page_language())[in_person.id],
        seated=seated,
        waiting=waiting,
        attendance_choices=_attendance_choices(),
        entries=entries or {},
        partial_counts=in_person.partial_counts if partial_counts is None else partial_counts,
        now=moment,
        opens=opens,
        check_in_open=opens <= moment <= closes,
    )


def _attendance_choices() -> list[tuple[str, str]]:
    return [
        (Attendance.PRESENT.value, _("present")),
        (Attendance.ABSENT.value, _("absent")),
        (Attendance.EXCUSED.value, _("excused")),
        # Last, so the field for the minutes present follows it.
        (Attendance.PARTIAL.value, _("partly present")),
    ]


@bp.post("/sessions/<int:session_id>/attendance")
def save_attendance(session_id: int) -> ResponseReturnValue:
    """The whole roster in one form: each person's attendance (partly present with the
    minutes or a note) and a note, and whether partial attendance counts for the unit.
    A row with an error saves nothing: the roster comes back with what was typed."""
    in_person = _own_session(session_id)
    actor = current_actor()
    moment = now()
    if moment < in_person.attendance_opens:
        flash(_("Attendance can be recorded once the session has begun."), "error")
        return redirect(url_for("author.session", session_id=session_id))
    people, entries = booking.roster(db.session, in_person), {}
    for person in people:
        entry = AttendanceEntry.posted(request.form, person)
        if person.status == BookingStatus.CONFIRMED and entry is not None:
            entries[person.id] = entry  # else no seat, or not on the roster when shown
    partial_counts = request.form.get("partial_counts") == "y"
    if any(entry.error for entry in entries.values()):
        return _roster_page(in_person, entries, partial_counts), 422
    booking.set_partial_rule(db.session, actor, in_person, partial_counts, now=moment)
    for person in people:
        entry = entries.get(person.id)
        if entry is not None:
            booking.record_attendance(db.session, actor, person, entry.attendance, entry.note,
                                      minutes=entry.minutes, now=moment)  # fmt: skip
    flash(_("Attendance is saved."), "success")
    return redirect(url_for("author.session", session_id=session_id))


@bp.get("/sessions/<int:session_id>/check-in")
def check_in(session_id: int) -> ResponseReturnValue:
    """The QR code learners scan to check in; the page shows the current code."""
    in_person = _own_session(session_id)
    moment = now()
    opens, closes = booking.check_in_window(in_person)
    open_now = opens <= moment <= closes and not in_person.cancelled
    qr: Any = None
    url = None
    if open_now:
        code = booking.check_in_code(current_app.config["SECRET_KEY"], in_person, moment)
        url = url_for("learn.check_in", session_id=in_person.id, code=code, _external=True)
        qr = segno.make(url, error="m").svg_inline(
            scale=1, border=2, omitsize=True, title=_("QR code for the check-in")
        )
    return render_template(
        "author/check_in.html",
        in_person=in_person,
        title=booking.titles(db.session, [in_person], page_language())[in_person.id],
        qr=qr,
        url=url,
        opens=opens,
        closes=closes,
        open_now=open_now,
        present=sum(
            1 for b in booking.roster(db.session, in_person) if b.attendance == Attendance.PRESENT
        ),
        refresh=CHECK_IN_REFRESH_S,
    )


@bp.post("/sessions/<int:session_id>/check-in/new-code")
def new_check_in_code(session_id: int) -> ResponseReturnValue:
    in_person = _own_session(session_id)
    booking.new_check_in_secret(db.session, in_person)
    flash(_("A new code is shown; the earlier one no longer works."), "success")
    return redirect(url_for("author.check_in", session_id=session_id))
