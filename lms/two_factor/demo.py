"""The second factor in `lms demo`: the demo admin has one, with a fixed key printed by
`lms demo`, so whoever tries the demo adds it to an authenticator app (or computes the
code with pyotp, as README.md shows). A demo value, like the demo password. Safe to run
again; the recovery codes are printed the first time only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.models import User
from lms.two_factor import service

# 32 base32 characters (160 bits), as an authenticator app takes them.
DEMO_TOTP_SECRET = "LERNWERKDEMOLERNWERKDEMOLERNWERK"  # noqa: S105


@dataclass(frozen=True)
class TwoFactorDemo:
    email: str
    key: str  # in groups of four, as typed into an app
    recovery_codes: tuple[str, ...]  # only when they were just made


def seed_two_factor(session: Session, email: str, now: datetime) -> TwoFactorDemo | None:
    admin = session.scalar(select(User).where(User.email == email))
    if admin is None:
        return None
    codes: list[str] = []
    if not service.is_on(admin):
        # Set up ten minutes ago, so the code of this very moment signs in at once.
        earlier = now - timedelta(minutes=10)
        codes = service.confirm_setup(
            session, Actor.command(), admin, DEMO_TOTP_SECRET,
            service.code_at(DEMO_TOTP_SECRET, earlier), earlier,
        ) or []  # fmt: skip
    return TwoFactorDemo(email, service.grouped(DEMO_TOTP_SECRET), tuple(codes))
