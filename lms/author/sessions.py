"""The trainer's in-person dates: plan and change them, the roster with attendance, QR check-in.

Every trainer may plan a date. Changing it, its roster and its check-in code
belong to the trainers named on the date and to the one who planned it.
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
from lms.author.forms import DateForm
from lms.clock import local_zone, now
from lms.content.importer import live_versions
from lms.db import db
from lms.in_person import booking
from lms.in_person.booking import BookingError, DateFields
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


def _runs(date: InPersonSession, user: User) -> bool:
    return date.created_by_id == user.id or any(t.id == user.id for t in date.trainers)


def _own_date(date_id: int) -> InPersonSession:
    """A date the current trainer runs; 404 for any other."""
    date = db.session.get(InPersonSession, date_id)
    if date is None or not _runs(date, current_trainer()):
        abort(404)
    return date


@bp.get("/dates")
def dates() -> ResponseReturnValue:
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
    mine = [d for d in found if _runs(d, me)]
    others = [d for d in found if not _runs(d, me) and d.starts_at >= now()]
    return render_template(
        "author/dates.html",
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


def _form(date: InPersonSession | None) -> DateForm:
    form = DateForm(zone=local_zone())
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
        if date is None:
            form.unit.data = request.args.get("unit")
            form.trainers.data = [current_user.id]
            form.capacity.data = 12
        else:
            course = db.session.get(Course, date.course_id)
            assert course is not None
            form.unit.data = f"{course.slug}/{date.unit_id}"
            start = date.starts_at.astimezone(zone)
            deadline = date.booking_deadline.astimezone(zone)
            form.day.data, form.start.data = start.date(), start.time()
            form.deadline_day.data, form.deadline_time.data = deadline.date(), deadline.time()
            form.minutes.data = date.minutes
            form.capacity.data = date.capacity
            form.place.data, form.room.data = date.place, date.room
            form.online_url.data, form.note.data = date.online_url, date.note
            form.trainers.data = [t.id for t in date.trainers]
            form.companies.data = [c.id for c in date.companies]
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
    "date-cancelled": "day",
}


def _fields(form: DateForm, unit_minutes: int) -> DateFields | None:
    starts_at = form.starts_at()
    deadline = form.booking_deadline(starts_at) if starts_at is not None else None
    if starts_at is None or deadline is None:
        return None
    return DateFields(
        starts_at=starts_at,
        minutes=form.minutes.data or unit_minutes,
        capacity=form.capacity.data or 0,
        booking_deadline=deadline,
        place=form.place.data or "",
        room=form.room.data or "",
        online_url=form.online_url.data or "",
        note=form.note.data or "",
    )


def _chosen(form: DateForm) -> tuple[list[User], list[Company]]:
    trainers = [u for u in (db.session.get(User, i) for i in form.trainers.data or []) if u]
    companies = [c for c in (db.session.get(Company, i) for i in form.companies.data or []) if c]
    return trainers, companies


@bp.route("/dates/new", methods=["GET", "POST"])
def new_date() -> ResponseReturnValue:
    form = _form(None)
    if form.validate_on_submit():
        slug, _sep, unit_id = (form.unit.data or "").partition("/")
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        fields = _fields(form, _unit_minutes(course, unit_id))
        if fields is not None and course is not None:
            trainers, companies = _chosen(form)
            try:
                date = booking.schedule(
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
                return render_template("author/date_form.html", form=form, date=None), 422
            flash(_("The date is planned. Participants can book it now."), "success")
            return redirect(url_for("author.date", date_id=date.id))
    return render_template("author/date_form.html", form=form, date=None)


def _show(form: DateForm, error: BookingError) -> None:
    field = getattr(form, _ERROR_FIELDS.get(error.code, "day"))
    field.errors = [*field.errors, error_text(error)]


@bp.route("/dates/<int:date_id>/edit", methods=["GET", "POST"])
def edit_date(date_id: int) -> ResponseReturnValue:
    date = _own_date(date_id)
    if date.cancelled:
        abort(404)
    form = _form(date)
    if form.validate_on_submit():
        fields = _fields(form, date.minutes)
        if fields is not None:
            trainers, companies = _chosen(form)
            try:
                notices = booking.change(
                    db.session, date, fields, trainers=trainers, companies=companies, now=now()
                )
            except BookingError as error:
                _show(form, error)
                return render_template("author/date_form.html", form=form, date=date), 422
            queue_notices(db.session, notices, now())
            flash(_("The date is saved."), "success")
            return redirect(url_for("author.date", date_id=date.id))
    return render_template("author/date_form.html", form=form, date=date)


@bp.post("/dates/<int:date_id>/cancel")
def cancel_date(date_id: int) -> ResponseReturnValue:
    date = _own_date(date_id)
    notices = booking.cancel_date(db.session, date, now())
    queue_notices(db.session, notices, now())
    flash(
        _("The date is cancelled. %(num)d people were told by e-mail.", num=len(notices)),
        "success",
    )
    return redirect(url_for("author.date", date_id=date_id))


@bp.get("/dates/<int:date_id>")
def date(date_id: int) -> ResponseReturnValue:
    date = _own_date(date_id)
    moment = now()
    opens, closes = booking.check_in_window(date)
    people = booking.roster(db.session, date)
    seated = [b for b in people if b.status in (BookingStatus.CONFIRMED, BookingStatus.REQUESTED)]
    waiting = [b for b in people if b.status == BookingStatus.WAITLISTED]
    return render_template(
        "author/date.html",
        date=date,
        title=booking.titles(db.session, [date], page_language())[date.id],
        seated=seated,
        waiting=waiting,
        attendance_choices=_attendance_choices(),
        now=moment,
        opens=opens,
        check_in_open=opens <= moment <= closes,
    )


def _attendance_choices() -> list[tuple[str, str]]:
    return [
        (Attendance.PRESENT.value, _("present")),
        (Attendance.ABSENT.value, _("absent")),
        (Attendance.EXCUSED.value, _("excused")),
    ]


@bp.post("/dates/<int:date_id>/attendance")
def save_attendance(date_id: int) -> ResponseReturnValue:
    """The whole roster in one form: each person's attendance and a note."""
    date = _own_date(date_id)
    actor = current_actor()
    moment = now()
    if moment < date.starts_at - booking.CHECK_IN_EARLY:
        flash(_("Attendance can be recorded once the date has begun."), "error")
        return redirect(url_for("author.date", date_id=date_id))
    for person in booking.roster(db.session, date):
        given = request.form.get(f"attendance-{person.id}")
        if person.status != BookingStatus.CONFIRMED or given is None:
            continue  # no seat, or not on the roster when the page was loaded
        value = Attendance(given) if given in {a.value for a in Attendance} else None
        note = request.form.get(f"note-{person.id}", "")
        booking.record_attendance(db.session, actor, person, value, note, now=moment)
    flash(_("Attendance is saved."), "success")
    return redirect(url_for("author.date", date_id=date_id))


@bp.get("/dates/<int:date_id>/check-in")
def check_in(date_id: int) -> ResponseReturnValue:
    """The QR code learners scan to check in; the page shows the current code."""
    date = _own_date(date_id)
    moment = now()
    opens, closes = booking.check_in_window(date)
    open_now = opens <= moment <= closes and not date.cancelled
    qr: Any = None
    url = None
    if open_now:
        code = booking.check_in_code(current_app.config["SECRET_KEY"], date, moment)
        url = url_for("learn.check_in", date_id=date.id, code=code, _external=True)
        qr = segno.make(url, error="m").svg_inline(
            scale=1, border=2, omitsize=True, title=_("QR code for the check-in")
        )
    return render_template(
        "author/check_in.html",
        date=date,
        title=booking.titles(db.session, [date], page_language())[date.id],
        qr=qr,
        url=url,
        opens=opens,
        closes=closes,
        open_now=open_now,
        present=sum(
            1 for b in booking.roster(db.session, date) if b.attendance == Attendance.PRESENT
        ),
        refresh=CHECK_IN_REFRESH_S,
    )


@bp.post("/dates/<int:date_id>/check-in/new-code")
def new_check_in_code(date_id: int) -> ResponseReturnValue:
    date = _own_date(date_id)
    booking.new_check_in_secret(db.session, date)
    flash(_("A new code is shown; the earlier one no longer works."), "success")
    return redirect(url_for("author.check_in", date_id=date_id))
