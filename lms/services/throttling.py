"""Sign-in throttling in the database: the guesser is slowed down, not the account's owner.

Every worker and every instance shares the database, so a count kept there is the
same for all of them with no extra server (Moodle's lockout works the same way).
Before a password is checked, `reserve` counts the recent failures for the typed
account and, if the budgets allow, writes a failure row at once; a right password
then takes the row back (`forget`). Writing first and counting under a per-account
lock makes the count exact however many workers check passwords at the same time.

Budgets (settings, each like "10 per hour" or "5 per 15 minutes;20 per day"):
- per account, from browsers the account has not signed in on before (the guessers'
  side): `LOGIN_LIMIT_PER_ACCOUNT`, counted over every network;
- per account and network (the shortened address, as in the login history):
  `LOGIN_LIMIT_PER_ACCOUNT_NETWORK`;
- per account from browsers it has signed in on before (a device cookie, see
  `lms.auth.devices`): `LOGIN_LIMIT_PER_ACCOUNT_DEVICE`, a budget of its own, so
  a burst of guesses from elsewhere does not lock the real person out.
Failures are kept for a day (`prune`, run by `lms retention`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import limits
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from lms.models import SignInFailure

log = logging.getLogger("lms.security")

KEEP_FAILURES = timedelta(days=1)


@dataclass(frozen=True)
class Budget:
    """At most `amount` failures within `window`."""

    amount: int
    window: timedelta


def budgets(spec: str) -> tuple[Budget, ...]:
    """Budgets from a limit text such as "5 per 15 minutes;20 per day"."""
    return tuple(
        Budget(item.amount, timedelta(seconds=item.get_expiry()))
        for item in limits.parse_many(spec)
    )


@dataclass(frozen=True)
class Budgets:
    per_account: tuple[Budget, ...]
    per_network: tuple[Budget, ...]
    per_device: tuple[Budget, ...]


@dataclass(frozen=True)
class Verdict:
    """`allowed`: the password may be checked; else `retry_after` says for how long not."""

    allowed: bool
    reservation: int | None = None
    retry_after: timedelta = timedelta(0)

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.retry_after.total_seconds()) // 60))


def account_key(secret: str, email: str) -> str:
    """A keyed hash of the typed address: the same for every worker, readable by nobody."""
    normalized = email.strip().lower().encode("utf-8")
    return hmac.new(secret.encode("utf-8"), b"sign-in:" + normalized, hashlib.sha256).hexdigest()


def _lock_account(session: Session, account: str) -> None:
    # SQLite: the write transaction (BEGIN IMMEDIATE) already runs alone. PostgreSQL:
    # a lock per account for this transaction, so two workers never count at once.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": account})


def _wait_for(
    session: Session, now: datetime, found: Sequence[tuple[Budget, Sequence[object]]]
) -> timedelta | None:
    """How long until every budget has room again, or None if all have room now."""
    wait: timedelta | None = None
    for budget, conditions in found:
        since = now - budget.window
        times = session.scalars(
            select(SignInFailure.at)
            .where(*conditions, SignInFailure.at > since)  # type: ignore[arg-type]
            .order_by(SignInFailure.at.desc())
            .limit(budget.amount)
        ).all()
        if len(times) >= budget.amount:
            # Room again once the oldest of the newest `amount` failures leaves the window.
            free_at = times[-1] + budget.window
            wait = max(wait or timedelta(0), free_at - now)
    return wait


def reserve(
    session: Session,
    *,
    kind: str,
    account: str,
    user_id: int | None,
    network: str,
    trusted: bool,
    limits_: Budgets,
    now: datetime,
) -> Verdict:
    """Count the account's recent failures and, if the budgets allow, write one more.

    The caller commits it before checking the password (the views write it in a
    transaction of its own, `db.writing()`, kept whatever the request answers) and
    calls `forget` when it matched. Flushes; does not commit.
    """
    _lock_account(session, account)
    mine = (SignInFailure.account == account, SignInFailure.kind == kind)
    checks: list[tuple[Budget, Sequence[object]]]
    if trusted:
        checks = [(b, (*mine, SignInFailure.trusted.is_(True))) for b in limits_.per_device]
    else:
        untrusted = (*mine, SignInFailure.trusted.is_(False))
        checks = [(b, untrusted) for b in limits_.per_account]
        checks += [(b, (*untrusted, SignInFailure.network == network)) for b in limits_.per_network]
    wait = _wait_for(session, now, checks)
    if wait is not None:
        log.warning(
            "Sign-in refused (%s): too many failures for %s, network %s",
            kind,
            f"user {user_id}" if user_id else "an unknown account",
            network or "unknown",
        )
        return Verdict(False, retry_after=wait)
    failure = SignInFailure(
        kind=kind, account=account, user_id=user_id, network=network, trusted=trusted, at=now
    )
    session.add(failure)
    session.flush()
    return Verdict(True, reservation=failure.id)


def forget(session: Session, verdict: Verdict) -> None:
    """The password matched: the reserved failure never happened. Flushes."""
    if verdict.reservation is not None:
        session.execute(delete(SignInFailure).where(SignInFailure.id == verdict.reservation))


def log_failure(kind: str, user_id: int | None, network: str) -> None:
    """A line for the operator: which account (by id, never the typed text) and network."""
    log.warning(
        "Failed %s for %s from network %s",
        {"login": "sign-in", "totp": "second-factor code"}.get(kind, "password check"),
        f"user {user_id}" if user_id else "an unknown account",
        network or "unknown",
    )


def recent_failures(session: Session, user_id: int, now: datetime) -> int:
    """Failed sign-ins and password checks of one person within the last day."""
    return (
        session.scalar(
            select(func.count())
            .select_from(SignInFailure)
            .where(SignInFailure.user_id == user_id, SignInFailure.at > now - KEEP_FAILURES)
        )
        or 0
    )


def prune(session: Session, now: datetime) -> int:
    """Delete failures older than a day; returns how many. Flushes."""
    result = session.execute(delete(SignInFailure).where(SignInFailure.at < now - KEEP_FAILURES))
    return int(getattr(result, "rowcount", 0) or 0)
