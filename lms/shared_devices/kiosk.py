"""Kiosk mode: a session begun on a shared device of the person's company.

Such a session (`session["kiosk_device"]`) never offers "remember me", ends after
`KIOSK_IDLE_SECONDS` without input (checked on the server at every request; a
countdown in `static/js/kiosk.js` shows the last minute) and with "Fertig". Every
answer on a shared device is `no-store`, and every sign-out asks the browser to drop
what it cached and stored of the person (`Clear-Site-Data`), never the device cookie.
"""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from lms.clock import now
from lms.db import db
from lms.models.shop_floor import SharedDevice
from lms.shared_devices import service
from lms.shared_devices.cookie import COOKIE_NAME, current_device

DEVICE_KEY = "kiosk_device"
ACTIVE_KEY = "kiosk_active"  # the last input, seconds since the epoch

# What a sign-out asks the browser to forget: the HTTP cache (and the back/forward
# cache with it) and the site's storage (service worker caches, local storage).
# Never "cookies": the shared-device cookie must stay.
CLEAR_SITE_DATA = '"cache", "storage"'

# Pages whose form, sent after the session ended, is kept for the person's next
# sign-in (their CSRF error handler keeps it).
_KEEPS_LATE_PAGES = frozenset({"learn.attempt"})

# Pages an anonymous visitor of a shared device is sent from to the start screen.
_START_INSTEAD = frozenset({"main.index", "auth.login"})


def begin(device: SharedDevice) -> None:
    """Mark the session being started (`signing_in.start_session`) as a kiosk session."""
    session[DEVICE_KEY] = device.id
    session[ACTIVE_KEY] = int(now().timestamp())


def in_kiosk_session() -> bool:
    return DEVICE_KEY in session and bool(current_user and current_user.is_authenticated)


def idle_seconds() -> int:
    return max(int(current_app.config.get("KIOSK_IDLE_SECONDS", 180)), 10)


def warning_seconds() -> int:
    """How long the countdown shows before the idle sign-out: a minute, or half the
    idle time when that is shorter."""
    return min(60, idle_seconds() // 2)


def end_session() -> None:
    """Sign out of this browser's session only (the person may be signed in on their
    own phone), keeping the chosen language."""
    logout_user()
    keep = session.get("lang")
    session.clear()
    if keep:
        session["lang"] = keep


def forget_person(response: Response) -> Response:
    """What every sign-out answer carries: nothing of the person stays in the browser."""
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    response.headers["Cache-Control"] = "no-store"
    return response


def signed_out() -> Response:
    """The answer to a sign-out: a shared device's start screen, else the login page,
    with nothing of the person left in the browser."""
    target = "kiosk.start" if current_device() is not None else "auth.login"
    return forget_person(redirect(url_for(target)))


def idle_message() -> str:
    seconds = idle_seconds()
    if seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext(
            "You were logged out after %(num)d minute without input.",
            "You were logged out after %(num)d minutes without input.",
            minutes,
        )
    return ngettext(
        "You were logged out after %(num)d second without input.",
        "You were logged out after %(num)d seconds without input.",
        seconds,
    )


def _counts_as_input() -> bool:
    """Whether this request was made by the person: a page they opened or a form they
    sent (or kiosk.js reporting input), not a script's background request."""
    if request.endpoint == "kiosk.active":
        return True
    mode = request.headers.get("Sec-Fetch-Mode")
    return mode is None or mode == "navigate"


def _device_of_request() -> SharedDevice | None:
    """The shared device of this request, read (and its "last seen" written when due)
    before the view runs, so later calls (`start_session`) find it in `g`."""
    if not request.cookies.get(COOKIE_NAME):
        return None
    with db.reading():
        device = current_device()
    moment = now()
    if device is not None and service.seen_due(device, moment):
        with db.writing() as writing:
            service.touch(writing, device.id, moment)
        device.last_seen_at = moment
    return device


def check_request() -> ResponseReturnValue | None:
    """App-wide before_request: the shared device, the kiosk session's idle sign-out,
    and the start screen for anonymous visitors of a shared device."""
    if request.endpoint == "static":
        return None
    device = _device_of_request()
    if DEVICE_KEY in session:
        if not current_user.is_authenticated:
            session.pop(DEVICE_KEY, None)
            session.pop(ACTIVE_KEY, None)
            return None
        if device is None or device.id != session[DEVICE_KEY]:
            # The device was revoked (or its cookie lost) during the session.
            end_session()
            flash(_("This browser is no longer a shared device. You are logged out."), "info")
            return forget_person(redirect(url_for("auth.login")))
        moment = int(now().timestamp())
        last = session.get(ACTIVE_KEY)
        if not isinstance(last, int) or moment - last > idle_seconds():
            end_session()
            if request.method == "POST" and request.endpoint in _KEEPS_LATE_PAGES:
                # A quiz page sent after the sign-out: as after any session's end, the
                # quiz keeps what it sent for the learner's next sign-in (lms.learn.quiz).
                raise CSRFError(_("The session has ended."))
            flash(idle_message(), "info")
            return forget_person(redirect(url_for("kiosk.start")))
        if _counts_as_input() and moment != last:
            session[ACTIVE_KEY] = moment
        return None
    if (
        device is not None
        and request.method == "GET"
        and request.endpoint in _START_INSTEAD
        and not request.args.get("email")
        and not current_user.is_authenticated
    ):
        return redirect(url_for("kiosk.start"))
    return None
