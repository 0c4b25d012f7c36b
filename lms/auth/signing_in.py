"""Starting a signed-in session, whichever way the person proved who they are
(password, PIN, login card): one place records the login, saves quiz pages kept while
signed out, and starts the session (kiosk mode on a shared device hooks in here).
"""

from __future__ import annotations

from datetime import timedelta

from flask import flash, request, session
from flask_babel import gettext as _
from flask_login import login_user

from lms.clock import now
from lms.db import db
from lms.models import User
from lms.services import accounts, quizzes
from lms.shared_devices import kiosk
from lms.shared_devices.cookie import current_device


def start_session(user: User, remember: bool) -> None:
    """Begin a fresh session for `user` (nothing of an earlier session is kept but the
    chosen language)."""
    keep = {key: session[key] for key in ("lang",) if key in session}
    session.clear()
    session.update(keep)
    session.permanent = True
    device = current_device()
    if device is not None and device.company_id == user.company_id:
        # A shared device of the person's company: kiosk mode, never "remember me".
        remember = False
        kiosk.begin(device)
    login_user(user, remember=remember, duration=timedelta(days=14))


def sign_in(user: User, remember: bool) -> None:
    """Sign `user` in, in the caller's writing transaction: the login history, quiz
    pages sent after the learner's last session had ended, then the session."""
    accounts.record_login(
        db.session, user, now(), request.remote_addr, request.headers.get("User-Agent")
    )
    kept = quizzes.save_kept_pages(db.session, user.id)
    start_session(user, remember)
    if kept:
        flash(_("The answers you entered before your session ended are saved."), "success")
