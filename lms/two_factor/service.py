"""The second factor of the provider's staff: a time-based one-time code (TOTP, RFC 6238)
from an authenticator app, and ten recovery codes for a lost phone.

Admins must have it (they see every company's people); trainers may turn it on. The
seed is stored encrypted (`lms.secret_box`) and only once the first code from the app
matched (`totp_confirmed_at`); until then it lives, sealed, in the set-up page's
session. A code is taken once: its time step must be later than the last one taken
(`totp_last_step`), so a code seen over someone's shoulder does not sign in again.
Recovery codes are stored as SHA-256 digests and each works once; new ones replace
all earlier ones.

Plain functions taking the session, the actor and `now`; every change writes its
audit entry, never the seed or a code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lms import secret_box
from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import Role, User
from lms.models.integration import RecoveryCode
from lms.services import accounts

DIGITS = 6
STEP_SECONDS = 30
# Codes of the step before and after the server's are taken too: phones' clocks drift.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# No 0/O, 1/I/L: the codes are read from paper (as login cards' and certificates').
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECOVERY_CODE_LENGTH = 8  # "4F7K-9QXM": about 40 bits, and the tries are throttled


class TwoFactorError(Exception):
    """A change that is not allowed; `code` says which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def may_use(user: User) -> bool:
    """Whether `user` is staff who may have a second factor: an admin or a trainer."""
    return user.has_role(Role.ADMIN) or user.has_role(Role.TRAINER)


def is_required(user: User) -> bool:
    """Admins must have a second factor; they cannot turn it off."""
    return user.has_role(Role.ADMIN)


def is_on(user: User) -> bool:
    return user.totp_confirmed_at is not None and bool(user.totp_secret)


def is_asked(user: User) -> bool:
    """Whether signing in needs a second step after the password: a code, or (an
    admin without one) setting it up."""
    return is_on(user) or is_required(user)


def new_secret() -> str:
    """A new seed: 32 base32 characters (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32()


def grouped(secret: str) -> str:
    """The seed in groups of four, to type by hand: "JBSW Y3DP EHPK 3PXP …"."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def setup_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// address the set-up page's QR code holds."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def normalize_code(typed: str) -> str:
    """The six digits of a typed code (spaces and dashes dropped), or "" if it is none."""
    cleaned = re.sub(r"[\s\-]", "", typed or "")
    return cleaned if len(cleaned) == DIGITS and cleaned.isascii() and cleaned.isdigit() else ""


def _matching_step(secret: str, typed: str, now: datetime, after: int | None) -> int | None:
    """The time step whose code is `typed` (within the drift), if it is later than
    `after`; None otherwise."""
    code = normalize_code(typed)
    if not code:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator app shows at `moment` (for the demo and the tests)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(moment)


# --- Recovery codes ----------------------------------------------------------


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_recovery_code(typed: str) -> str:
    """The code as stored ("4F7K-9QXM") from what was typed: any case, with or without
    the dash and spaces; "" when it cannot be one."""
    cleaned = re.sub(r"[\s\-–—_.]", "", typed or "").upper()
    if len(cleaned) != RECOVERY_CODE_LENGTH or any(c not in RECOVERY_ALPHABET for c in cleaned):
        return ""
    return f"{cleaned[:4]}-{cleaned[4:]}"


def _issue_recovery_codes(session: Session, user: User, now: datetime) -> list[str]:
    """Ten new codes; every earlier code of `user` stops working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_digest(code), created_at=now) for code in codes
    )
    session.flush()
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


# --- Changes -----------------------------------------------------------------


def confirm_setup(
    session: Session, actor: Actor, user: User, secret: str, typed: str, now: datetime
) -> list[str] | None:
    """Turn the second factor on with `secret` if `typed` is its current code: the seed
    is stored (encrypted), the code's step taken, and ten recovery codes made (returned,
    to be shown once). None, and nothing changed, if the code does not match.

    A person who had a second factor (a new phone) gets the new seed and new codes."""
    if not may_use(user):
        raise TwoFactorError("not-staff")
    step = _matching_step(secret, typed, now, after=None)
    if step is None:
        return None
    again = is_on(user)
    user.totp_secret = secret_box.seal(secret)
    user.totp_confirmed_at = now
    user.totp_last_step = step
    codes = _issue_recovery_codes(session, user, now)
    audit.record_about(
        session, actor, "two_factor.set_up", user, now, {"again": [None, True]} if again else None
    )
    return codes


def check_code(session: Session, user: User, typed: str, now: datetime) -> bool:
    """Whether `typed` is a code of `user`'s app not taken before; a match is taken
    (its step stored, so the same code never works twice)."""
    if not is_on(user):
        return False
    try:
        secret = secret_box.open_sealed(user.totp_secret or "")
    except secret_box.SecretUnreadable:
        return False  # the key was changed: only a recovery code or an admin's reset helps
    step = _matching_step(secret, typed, now, after=user.totp_last_step)
    if step is None:
        return False
    # Taken only if no other request took this step (or a later one) meanwhile.
    taken = session.execute(
        update(User)
        .where(
            User.id == user.id,
            (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
        )
        # Not a change of the person's data: `updated_at` (the API's updated_since) stays.
        .values(totp_last_step=step, updated_at=User.updated_at)
        .execution_options(synchronize_session=False)
    )
    if not getattr(taken, "rowcount", 0):
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def use_recovery_code(
    session: Session, actor: Actor, user: User, typed: str, now: datetime
) -> int | None:
    """Take one of `user`'s recovery codes: how many are left afterwards, or None if
    `typed` is none of their unused codes. Flushes."""
    code = normalize_recovery_code(typed)
    if not code or not is_on(user):
        return None
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(used, "rowcount", 0):
        return None
    left = recovery_codes_left(session, user)
    audit.record_about(
        session, actor, "two_factor.recovery_code_used", user, now, {"left": [None, left]}
    )
    return left


def renew_recovery_codes(session: Session, actor: Actor, user: User, now: datetime) -> list[str]:
    """Ten new recovery codes (returned, to be shown once); the earlier ones stop working."""
    if not is_on(user):
        raise TwoFactorError("not-on")
    codes = _issue_recovery_codes(session, user, now)
    audit.record_about(session, actor, "two_factor.recovery_codes", user, now)
    return codes


def _clear(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def turn_off(session: Session, actor: Actor, user: User, now: datetime) -> None:
    """A trainer turns their second factor off. Admins cannot."""
    if is_required(user):
        raise TwoFactorError("required")
    if not is_on(user):
        raise TwoFactorError("not-on")
    _clear(session, user)
    audit.record_about(session, actor, "two_factor.turn_off", user, now)


def reset(session: Session, actor: Actor, person: User, now: datetime) -> None:
    """An admin resets a staff member's second factor (a lost phone): the seed and the
    recovery codes are gone and every session of the person ends; an admin sets it up
    anew at the next sign-in, a trainer may. Not one's own (that is set up again on
    one's own page)."""
    if actor.user_id == person.id:
        raise TwoFactorError("own")
    if not is_on(person):
        raise TwoFactorError("not-on")
    _clear(session, person)
    accounts.end_all_sessions(person)
    audit.record_about(session, actor, "two_factor.reset", person, now)


@dataclass(frozen=True)
class Status:
    """What the person's own page shows."""

    on: bool
    required: bool
    codes_left: int


def status(session: Session, user: User) -> Status:
    return Status(
        on=is_on(user),
        required=is_required(user),
        codes_left=recovery_codes_left(session, user) if is_on(user) else 0,
    )
