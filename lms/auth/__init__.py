"""Logging in and out, passwords, invitations, and the own profile."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from lms.db import db, write_intent
from lms.models import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"
# Flask-Login's own session protection would log users out when their IP
# changes (a tablet moving between Wi-Fi and mobile data); the session version
# already ends sessions when it matters.
login_manager.session_protection = None

# Built once: building a statement and its cache key costs more than running it,
# and this one runs on every request of a logged-in user.
_USER_BY_ID = (
    select(User)
    .where(User.id == bindparam("user_id"))
    .options(joinedload(User.company), joinedload(User.department), joinedload(User.role_rows))
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Load the user of a session; a stale session version logs them out."""
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    session = db.session
    if session.in_transaction() or not write_intent.get():
        user = session.scalars(_USER_BY_ID, {"user_id": int(user_id)}).unique().one_or_none()
    else:
        # A request that may write reads its user first, in a reading transaction
        # ended at once: on SQLite the write lock (BEGIN IMMEDIATE, taken by the
        # view's first statement) is then held for the view's work only, and
        # requests that write queue for less time (issue 4).
        with db.reading():
            user = session.scalars(_USER_BY_ID, {"user_id": int(user_id)}).unique().one_or_none()
    if user is None or user.session_version != int(version):
        return None
    from lms.services.accounts import can_log_in

    return user if can_log_in(user) else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    from lms.auth import routes  # noqa: F401  (registers the views)

    app.register_blueprint(bp)
