"""PINs of people who sign in without an e-mail address: which PINs are acceptable,
choosing one, a manager's reset, and finding the person a sign-in names.

A PIN is hashed like a password (argon2id, `lms.services.passwords`). Only people who
can sign in at all are found: active people of an active company. Checking a typed
PIN, with its throttling and lock, is `lms.pins.checking`.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import Company, Role, User
from lms.services.passwords import hash_password

PIN_MIN_LENGTH = 6
PIN_MAX_LENGTH = 12

# The PINs people pick first when they may pick six digits or more (lists of leaked
# PINs); runs, one repeated digit and repeated patterns are refused by rule below.
COMMON_PINS = frozenset(
    {
        "102030", "010203", "112233", "123321", "123654", "147258", "147852", "159357",
        "159753", "258369", "258456", "321654", "369258", "456123", "456654", "520520",
        "654123", "696969", "741852", "753159", "789456", "852456", "963852", "987456",
        "102938", "112358", "131313", "142536", "101010", "110110", "100200", "123789",
        "1234567", "12345678", "123456789", "1234567890", "0987654321", "11223344",
        "12341234", "19891989", "20202020", "13579", "135790", "246810", "24680",
    }
)  # fmt: skip


# Holders of these roles see other people's data: they sign in with their e-mail address
# and a password, never with six digits.
ROLES_WITHOUT_PIN = frozenset({Role.MANAGER, Role.TRAINER, Role.ADMIN})


def may_use_pin(user: User) -> bool:
    """Whether `user` may sign in with a PIN: an employee of a company holding no role
    beyond the learner's."""
    return user.company_id is not None and not (user.roles & ROLES_WITHOUT_PIN)


class PinRejected(ValueError):
    """The PIN is not acceptable; `problems` says why, translated."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _is_run(pin: str) -> bool:
    """Ascending or descending digits, also across 9/0: 123456, 654321, 890123."""
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(pin)}
    return steps in ({1}, {9})


def _is_repeated(pin: str) -> bool:
    """One short block again and again: 111111, 121212, 123123."""
    return any(
        len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size)
        for size in range(1, len(pin) // 2 + 1)
    )


def pin_problems(pin: str, user: User | None = None) -> list[str]:
    """Translated reasons why `pin` is not acceptable for `user`; empty if it is."""
    if not pin.isascii() or not pin.isdigit():
        return [_("Use digits only (0 to 9).")]
    if len(pin) < PIN_MIN_LENGTH:
        return [_("Use at least %(n)d digits.", n=PIN_MIN_LENGTH)]
    if len(pin) > PIN_MAX_LENGTH:
        return [_("Use at most %(n)d digits.", n=PIN_MAX_LENGTH)]
    if _is_repeated(pin) or _is_run(pin):
        return [
            _(
                "This PIN is too easy to guess (one digit repeated, a run like 123456 or a"
                " repeated pattern). Choose another one."
            )
        ]
    if pin in COMMON_PINS:
        return [_("This PIN is among the most common ones. Choose another one.")]
    number = (user.personnel_number or "").strip() if user is not None else ""
    digits = "".join(ch for ch in number if ch.isdigit())
    if number and pin in (number, digits):
        return [_("Your PIN must not be your personnel number.")]
    return []


def set_pin(session: Session, actor: Actor, user: User, pin: str, now: datetime) -> None:
    """Give `user` the PIN `pin` (raises `PinRejected`), lifting a lock. A PIN the person
    chose themselves is not audited; one set by someone else is ("pin.set"). Flushes."""
    problems = pin_problems(pin, user)
    if problems:
        raise PinRejected(problems)
    user.pin_hash = hash_password(pin)
    user.pin_set_at = now
    user.pin_locked_at = None
    if actor.user_id != user.id:
        audit.record_about(session, actor, "pin.set", user, now)
    session.flush()


def reset_pin(session: Session, actor: Actor, user: User, now: datetime) -> None:
    """Remove `user`'s PIN and its lock (a manager, HR or an admin): the person signs in
    with a login card or letter next and chooses a new PIN. Audit "pin.reset". Flushes."""
    was_locked = user.pin_locked_at is not None
    had_pin = user.pin_hash is not None
    user.pin_hash = None
    user.pin_set_at = None
    user.pin_locked_at = None
    changes: dict[str, list[object]] = {"pin": [had_pin, False]}
    if was_locked:  # only what changed: "locked: yes → no"
        changes["pin_locked"] = [True, False]
    audit.record_about(session, actor, "pin.reset", user, now, changes=changes)
    session.flush()


def lock_pin(session: Session, actor: Actor, user: User, failures: int, now: datetime) -> None:
    """Lock `user`'s PIN after `failures` wrong PINs in a row (audit "pin.locked";
    `actor` is whoever typed them: nobody signed in, their network). Flushes."""
    user.pin_locked_at = now
    failed = {"failures": [None, failures]}
    audit.record_about(session, actor, "pin.locked", user, now, changes=failed)
    session.flush()


def normalize_code(sign_in_code: str) -> str:
    """A company's sign-in code as stored: upper case, no spaces."""
    return "".join(sign_in_code.split()).upper()


def normalize_number(personnel_number: str) -> str:
    """A typed personnel number or user name as compared: trimmed, lower case."""
    return personnel_number.strip().lower()


def find_company(session: Session, sign_in_code: str) -> Company | None:
    """The active company with this sign-in code (any case, spaces ignored), or None."""
    code = normalize_code(sign_in_code)
    if not code:
        return None
    return session.scalar(
        select(Company).where(Company.sign_in_code == code, Company.is_active.is_(True))
    )


def find_person(session: Session, sign_in_code: str, personnel_number: str) -> User | None:
    """The person a PIN sign-in names: an active person of the active company with this
    sign-in code and personnel number (or user name; any case, trimmed). None if there
    is none, or more than one (two numbers differing only in case)."""
    company = find_company(session, sign_in_code)
    return find_in_company(session, company, personnel_number) if company else None


def find_in_company(session: Session, company: Company, personnel_number: str) -> User | None:
    """`find_person` within a company already known (a shared device's)."""
    number = normalize_number(personnel_number)
    if not number or not company.is_active:
        return None
    found = session.scalars(
        select(User)
        .where(
            User.company_id == company.id,
            func.lower(User.personnel_number) == number,
            User.is_active.is_(True),
            User.erased_at.is_(None),
        )
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None
