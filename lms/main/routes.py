"""The start page, the language switch and the health check."""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text

from lms.db import db
from lms.main import bp
from lms.models import Role, User
from lms.permissions import public
from lms.redirects import safe_next

# The area a user lands on after logging in, by the first role they hold.
START_PAGES = (
    (Role.ADMIN, "admin.index"),
    (Role.TRAINER, "author.index"),
    (Role.MANAGER, "manage.index"),
    (Role.LEARNER, "learn.index"),
)


@bp.get("/")
def index() -> ResponseReturnValue:
    for role, endpoint in START_PAGES:
        if current_user.has_role(role):
            return redirect(url_for(endpoint))
    return redirect(url_for("auth.profile"))


@bp.post("/language")
@public
def set_language() -> ResponseReturnValue:
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            user = db.session.get(User, current_user.id)
            if user is not None:
                user.language = lang
                db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    """For a load balancer: 200 if the database answers; says nothing else."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means unhealthy, whatever the driver raises
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
