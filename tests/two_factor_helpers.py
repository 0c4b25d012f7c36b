"""Test helper: the second factor of admins (required, lms/two_factor), as the person's
authenticator app and printed recovery codes would give it.

Admins made by `factories.make_user` have a confirmed second factor with the seed
`TOTP_SECRET`; the login helpers (tests/conftest.py `login`, tests/e2e/test_browser.py
`log_in`) enter its current code after the password, just as a person does. Nothing
switches the requirement off for the tests.

    code = next_code(session, user_id, at)   # the app's code, or None (all codes taken)

A code works once per 30-second step; within the app's drift of one step before and
after, three sign-ins at the same moment (a frozen clock) find a code. After that,
`recovery_code` gives one of a fresh set of recovery codes, as a person with their
printout would use one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from cryptography.fernet import Fernet, MultiFernet
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import TestingConfig
from lms import secret_box
from lms.audit.service import Actor
from lms.models import User, UserRole
from lms.two_factor import service

# The seed of every admin the factories make (a person's app would hold it).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def sealed(secret: str) -> str:
    """`secret` encrypted as the app stores it: with the app's keys in an app context,
    else with the testing profile's (the key derived from its secret key)."""
    if has_app_context():
        return secret_box.seal(secret)
    keys = secret_box.keys(
        {"SECRET_KEY": TestingConfig.SECRET_KEY, "ENCRYPTION_KEYS": TestingConfig.ENCRYPTION_KEYS}
    )
    return MultiFernet([Fernet(key) for key in keys]).encrypt(secret.encode()).decode()


def give_second_factor(user: User, secret: str = TOTP_SECRET) -> None:
    """Set up `user`'s second factor with `secret`, confirmed (as after the set-up)."""
    user.totp_secret = sealed(secret)
    user.totp_confirmed_at = datetime.now(UTC)
    user.totp_last_step = None


def next_code(session: Session, user_id: int, at: datetime) -> str | None:
    """The code the person's app offers at `at` that the server still takes (its step
    later than the last one taken), or None when the three steps of the drift are
    used up. Needs an app context (the seed is opened with the app's keys)."""
    user = session.get(User, user_id)
    assert user is not None and user.totp_secret, "the person has no second factor"
    session.refresh(user, ["totp_secret", "totp_last_step"])
    secret = secret_box.open_sealed(user.totp_secret)
    current = _step(at)
    last = user.totp_last_step
    # This step's code first, then the next one's, the previous one's last: the server
    # checks a moment later, perhaps in the next step, where the previous code is out
    # of its drift already (a test sign-in that crossed a step's end failed so).
    drift = range(1, service.DRIFT_STEPS + 1)
    for step in [current, *(current + n for n in drift), *(current - n for n in drift)]:
        if last is None or step > last:
            return service.code_at(secret, datetime.fromtimestamp(step * service.STEP_SECONDS, UTC))
    return None


def _step(at: datetime) -> int:
    return int(at.timestamp()) // service.STEP_SECONDS


def recovery_code(session: Session, user_id: int, at: datetime) -> str:
    """One recovery code of `user` (a fresh set is made, as the person would on their
    page; the earlier ones stop working). Flushes."""
    user = session.get(User, user_id)
    assert user is not None
    return service.renew_recovery_codes(session, Actor.command(), user, at)[0]


def set_up_at_sign_in(client: FlaskClient, at: datetime | None = None) -> FlaskClient:
    """An admin without a second factor, after the password: open the set-up page, read
    the seed from it as the app would scan it, and confirm with the app's first code.
    The client is then signed in."""
    page = client.get("/login/set-up").get_data(as_text=True)
    match = re.search(r'class="two-factor__secret"[^>]*>([A-Z2-7 ]+)<', page)
    assert match is not None, "no set-up page"
    secret = match.group(1).replace(" ", "")
    moment = at or datetime.now(UTC)
    response = client.post("/login/set-up", data={"code": service.code_at(secret, moment)})
    assert response.status_code == 200, "the set-up was not confirmed"
    return client


def answer_for(session: Session, email: str, at: datetime) -> tuple[str, str]:
    """What a person types at the second step, by address: the page and the code
    ("/login/code" and the app's code, or "/login/recovery-code" and a recovery code
    when this moment's codes are used up). Needs an app context."""
    user_id = session.scalar(select(User.id).where(User.email == email))
    assert user_id is not None, f"no account {email}"
    code = next_code(session, user_id, at)
    if code is not None:
        return "/login/code", code
    return "/login/recovery-code", recovery_code(session, user_id, at)


def give_admins_a_second_factor(session: Session) -> None:
    """Admins without a second factor get one with `TOTP_SECRET` (the demo data of the
    browser tests, unless the demo gave its admin one). Flushes."""
    admins = session.scalars(select(User).join(User.role_rows).where(UserRole.role == "admin"))
    for admin in admins:
        if not service.is_on(admin):
            give_second_factor(admin)
    session.flush()
