"""The learner's learning paths: where they stand, and starting to follow one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.clock import now
from lms.db import db
from lms.learn import bp
from lms.models import LearningPath, User
from lms.services import paths
from lms.templating import page_language


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _path(slug: str) -> paths.PathState:
    """Where the learner stands on a path they follow or one open to their company (all
    its modules are in the catalogue)."""
    path = db.session.scalar(select(LearningPath).where(LearningPath.slug == slug))
    if path is None:
        abort(404)
    user = _user()
    state = paths.path_state(db.session, user, path, page_language())
    if not (state.following or paths.is_offered(db.session, path, user.company_id)):
        abort(404)
    return state


@bp.get("/paths/<slug>")
def path(slug: str) -> ResponseReturnValue:
    state = _path(slug)
    company = _user().company
    return render_template(
        "learn/path.html",
        state=state,
        may_follow=bool(company and company.self_enrolment),
    )


@bp.post("/paths/<slug>/follow")
def follow(slug: str) -> ResponseReturnValue:
    learning_path = _path(slug).path
    company = _user().company
    if company is None or not company.self_enrolment:
        abort(404)
    paths.follow(db.session, _user(), learning_path, now())
    flash(_("You follow this learning path now. Start with its first open module."), "success")
    return redirect(url_for("learn.path", slug=slug))
