"""Checking a typed PIN in a request: throttled, locked after repeated failures, and
one answer for every kind of failure.

The budgets (settings, counting failures only, shared by every worker through the
`sign_in_failures` table, `lms.services.throttling`):
- per account, `PIN_LIMIT_PER_ACCOUNT`: the account is the typed company code and
  personnel number, whether or not anybody has them;
- per network, `PIN_LIMIT_PER_NETWORK`, over every account: what one address may get
  wrong, generous enough for a shared tablet signing in a whole shift.
A failure is written in a transaction of its own before the PIN is checked and taken
back when it matched, as the password sign-in does. After `PIN_LOCK_AFTER` wrong PINs
in a row the PIN is locked until a manager resets it.

The answer never tells whether a personnel number exists: an unknown number, a wrong
PIN, no PIN yet and a locked PIN give the same message, and the PIN is checked against
a dummy hash when there is nothing to check it against, so the time is the same too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.audit.trail import request_network
from lms.clock import now
from lms.db import db
from lms.models import SignInFailure, User
from lms.pins import service
from lms.services import throttling
from lms.services.passwords import verify_password

log = logging.getLogger("lms.security")

KIND = "pin"


@dataclass(frozen=True)
class PinCheck:
    """`ok`: the PIN matched and `user` may sign in; else `message` says what to tell
    the person and `status` how to answer (200 a wrong PIN, 429 too many)."""

    ok: bool
    user: User | None = None
    status: int = 200
    message: str = ""


def account_key(sign_in_code: str, personnel_number: str) -> str:
    """A keyed hash of the typed company code and personnel number: the account whose
    failures are counted, the same for every worker, readable by nobody."""
    code, number = service.normalize_code(sign_in_code), service.normalize_number(personnel_number)
    typed = f"pin:{code}:{number}"
    return throttling.account_key(str(current_app.secret_key), typed)


def account_key_of(user: User) -> str:
    """The account key of a known person: what typing their code and number gives."""
    code = user.company.sign_in_code if user.company is not None else None
    if code and user.personnel_number:
        return account_key(code, user.personnel_number)
    return throttling.account_key(str(current_app.secret_key), f"pin-user:{user.id}")


def wrong_details_message() -> str:
    return _(
        "The details are not correct. Check the company's sign-in code, the personnel"
        " number and the PIN."
    )


def locked_message() -> str:
    return _("Your PIN is locked after several wrong entries. Your manager can reset it.")


def too_many_message(minutes: int) -> str:
    return ngettext(
        "Too many wrong attempts. Please wait %(num)d minute and try again.",
        "Too many wrong attempts. Please wait %(num)d minutes and try again.",
        minutes,
    )


def _budgets() -> throttling.Budgets:
    return throttling.Budgets(
        per_account=throttling.budgets(current_app.config["PIN_LIMIT_PER_ACCOUNT"]),
        per_network=(),
        per_device=(),
    )


def _network_verdict(session: Session, network: str, at: datetime) -> throttling.Verdict | None:
    """A refusal if this network got too many PINs wrong lately (any account), else None."""
    wait = None
    for budget in throttling.budgets(current_app.config["PIN_LIMIT_PER_NETWORK"]):
        times = session.scalars(
            select(SignInFailure.at)
            .where(
                SignInFailure.kind == KIND,
                SignInFailure.network == network,
                SignInFailure.at > at - budget.window,
            )
            .order_by(SignInFailure.at.desc())
            .limit(budget.amount)
        ).all()
        if len(times) >= budget.amount:
            free_at = times[-1] + budget.window
            wait = free_at - at if wait is None else max(wait, free_at - at)
    if wait is None:
        return None
    log.warning("PIN sign-in refused: too many failures from network %s", network or "unknown")
    return throttling.Verdict(False, retry_after=wait)


def failures_in_a_row(session: Session, user: User) -> int:
    """Wrong PINs for `user` since their PIN was set or they last signed in."""
    since = max((t for t in (user.pin_set_at, user.last_login_at) if t is not None), default=None)
    query = select(func.count()).where(SignInFailure.user_id == user.id, SignInFailure.kind == KIND)
    if since is not None:
        query = query.where(SignInFailure.at > since)
    return session.scalar(query) or 0


def check_pin(user: User | None, pin: str, key: str | None = None) -> PinCheck:
    """Check the PIN typed for `user` (None: nobody has the typed code and number).

    `key` is the account whose failures count (`account_key` of what was typed). Without
    it the caller knows the person already (their login card, their own session): the
    key is `account_key_of(user)`, and a wrong answer may then say "wrong PIN" or
    "locked" instead of the sign-in page's one answer for everything.

    Call it with the request's transaction ended (read `user` inside `with
    db.reading():`): it counts and locks in transactions of its own. On success it
    takes the counted failure back in the request's transaction, where the caller then
    signs the person in (`lms.auth.signing_in.sign_in`).
    """
    known = key is None
    if key is None:
        if user is None:
            raise ValueError("check_pin needs a user or an account key")
        key = account_key_of(user)
    where, at = request_network(), now()
    with db.reading():  # what is read of the person (roles, company), before any writing
        pin_hash = user.pin_hash if user is not None else None
        usable = user is not None and user.pin_locked_at is None and _may_sign_in(user)
    with db.writing() as writing:
        verdict = _network_verdict(writing, where, at) or throttling.reserve(
            writing,
            kind=KIND,
            account=key,
            user_id=user.id if user is not None else None,
            network=where,
            trusted=False,
            limits_=_budgets(),
            now=at,
        )
    if not verdict.allowed:
        return PinCheck(False, status=429, message=too_many_message(verdict.minutes))
    # Checked against a dummy hash when there is no PIN: the same time for everybody.
    matches = verify_password(pin_hash, pin)
    if user is not None and matches and usable:
        # In the request's transaction, with the sign-in the caller writes next.
        throttling.forget(db.session, verdict)
        return PinCheck(True, user=user)
    log.warning(
        "Wrong PIN for %s from network %s",
        f"user {user.id}" if user is not None else "an unknown account",
        where or "unknown",
    )
    locked = user is not None and user.pin_locked_at is not None
    if user is not None and pin_hash is not None and not locked:
        locked = _lock_if_too_many(user.id, where, at)
    if not known:
        return PinCheck(False, message=wrong_details_message())
    if locked:
        return PinCheck(False, message=locked_message())
    return PinCheck(False, message=_("The PIN is not correct."))


def _may_sign_in(user: User) -> bool:
    company = user.company
    active = user.is_active and company is not None and company.is_active
    return active and service.may_use_pin(user)


def _lock_if_too_many(user_id: int, where: str, at: datetime) -> bool:
    """Lock the PIN if it was wrong too often in a row; whether it is locked now."""
    with db.writing() as writing:
        user = writing.get(User, user_id, with_for_update=True)
        if user is None or user.pin_hash is None:
            return False
        if user.pin_locked_at is not None:
            return True
        failures = failures_in_a_row(writing, user)
        if failures < current_app.config["PIN_LOCK_AFTER"]:
            return False
        service.lock_pin(writing, Actor(None, where), user, failures, at)
        log.warning("PIN of user %s locked after %d wrong PINs", user_id, failures)
        return True
