"""Device cookies: a browser an account has signed in on gets its own throttling budget.

OWASP's answer to lock-outs by guessers ("Slow Down Online Guessing Attacks with
Device Cookies"): after a right password the browser keeps a signed cookie naming
the account (by the keyed hash `throttling.account_key`, never the address). A
sign-in from such a browser counts against the account's device budget, which
guesses from elsewhere cannot use up. A shared tablet keeps up to `KEEP` accounts.
The cookie proves only that this account signed in here before; it opens nothing.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

KEEP = 20
LIFETIME = timedelta(days=180)
_SALT = "lms-device"
# Enough of the account hash to tell accounts apart, short enough for 20 in a cookie.
_PREFIX = 24


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.secret_key), salt=_SALT)


def _cookie_name() -> str:
    return str(current_app.config["DEVICE_COOKIE_NAME"])


def _known() -> list[str]:
    value = request.cookies.get(_cookie_name())
    if not value:
        return []
    try:
        accounts = _serializer().loads(value, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:
        return []
    return [str(item) for item in accounts] if isinstance(accounts, list) else []


def is_trusted(account: str) -> bool:
    """Whether this browser has signed in to `account` before."""
    return account[:_PREFIX] in _known()


def remember(response: Response, account: str) -> None:
    """Mark this browser as one `account` signs in on (newest last, at most `KEEP`)."""
    known = [item for item in _known() if item != account[:_PREFIX]]
    known = [*known, account[:_PREFIX]][-KEEP:]
    config = current_app.config
    response.set_cookie(
        _cookie_name(),
        _serializer().dumps(known),
        max_age=int(LIFETIME.total_seconds()),
        path="/",
        secure=bool(config["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Lax",
    )
