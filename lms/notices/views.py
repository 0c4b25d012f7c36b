"""The notices page of every signed-in user (/notices): newest first, unread ones
marked in words; opening one (a small POST form, the notice's button) marks it read
and leads to its page; one button marks all read.

Reading is a POST on purpose: a GET that changes state could be triggered by any page
(a prefetch, an image), and the CSRF token keeps it the reader's own act.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from lms.clock import now
from lms.db import db
from lms.models import User
from lms.notices import service
from lms.reports.compliance import course_titles, title_languages
from lms.templating import page_language

bp = Blueprint("notices", __name__)


def _me() -> User:
    user = db.session.get(User, current_user.id)
    if user is None:
        abort(404)
    return user


@bp.get("/")
def index() -> ResponseReturnValue:
    me = _me()
    found = service.notices_of(db.session, me, now())
    course_ids = sorted(
        {n.params["course_id"] for n in found if isinstance(n.params.get("course_id"), int)}
    )
    return render_template(
        "notices/index.html",
        notices=found,
        titles=course_titles(db.session, course_ids, page_language()),
        title_langs=title_languages(db.session, course_ids, page_language()),
        unread=sum(1 for n in found if n.read_at is None),
        notice_day=service.day_of,
        notice_moment=service.moment_of,
    )


@bp.post("/read")
def read_all() -> ResponseReturnValue:
    changed = service.mark_all_read(db.session, _me(), now())
    if changed:
        flash(_("All notices are marked as read."), "success")
    return redirect(url_for(".index"))


@bp.post("/<int:notice_id>/open")
def open_notice(notice_id: int) -> ResponseReturnValue:
    notice = service.mark_read(db.session, _me(), notice_id, now())
    if notice is None:
        abort(404)
    endpoint, values = service.target(notice)
    return redirect(url_for(endpoint, **values))
