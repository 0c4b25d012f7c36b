"""The personal calendar feed: its secret address, made and revoked by its owner, and the
feed itself, which calendar apps fetch without a login."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from lms.clock import now
from lms.db import db
from lms.in_person import calendar
from lms.main import bp
from lms.models import Booking, CalendarFeed, Course, InPersonSession, User
from lms.permissions import public
from lms.security import limiter

# The new address is shown once, on the page after it was made (only its hash is kept).
_SHOW_ONCE = "calendar_feed_token"


def _me() -> User:
    user = db.session.get(User, current_user.id)
    assert user is not None
    return user


@bp.get("/calendar")
def calendar_page() -> ResponseReturnValue:
    token = session.pop(_SHOW_ONCE, None)
    feed = db.session.get(CalendarFeed, current_user.id)
    url = url_for("main.calendar_feed", token=token, _external=True) if token else None
    return render_template("main/calendar.html", feed=feed, url=url)


@bp.post("/calendar/new")
def new_feed() -> ResponseReturnValue:
    token = calendar.new_feed_token(db.session, _me(), now())
    session[_SHOW_ONCE] = token
    return redirect(url_for("main.calendar_page"))


@bp.post("/calendar/stop")
def stop_feed() -> ResponseReturnValue:
    calendar.stop_feed(db.session, _me())
    flash(_("Your calendar feed is switched off; its address no longer works."), "success")
    return redirect(url_for("main.calendar_page"))


@bp.get("/calendar/<token>.ics")
@public
@limiter.limit("60 per minute")
def calendar_feed(token: str) -> ResponseReturnValue:
    owner = calendar.feed_owner(db.session, token)
    if owner is None:
        return current_app.response_class("Not found\n", status=404, mimetype="text/plain")
    language = owner.language or (owner.company.default_language if owner.company else "de")

    def link(in_person: InPersonSession, booking: Booking | None) -> str:
        if booking is None:
            return url_for("author.session", session_id=in_person.id, _external=True)
        course = db.session.get(Course, in_person.course_id)
        slug = course.slug if course else ""
        return url_for("learn.unit", slug=slug, unit_id=in_person.unit_id, _external=True)

    entries = calendar.feed_entries(db.session, owner, language, now(), link)
    body = calendar.write(entries, "Lernwerk", request.host)
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
