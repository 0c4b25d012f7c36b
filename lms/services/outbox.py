"""The outbox's sender: delivers the mails that are due, retries with backoff, gives up.

`send_due` takes a batch of due mails, sends them over one transport (for SMTP one
connection) and writes down what happened to each:

- sent: `sent_at`;
- refused by the server (that mail alone, e.g. an unknown recipient): `last_error`,
  and the next try after the backoff; the rest of the batch goes on;
- the connection failed (server unreachable, login refused, connection lost): the
  batch stops, and each mail not yet sent counts the try and waits for the backoff;
- after `TRIES` tries a mail is given up (`failed_at`) and waits on the admin's
  platform page, where "Send again" makes it due once more (`send_again`).

Two senders never send one mail twice. A batch is claimed before it is sent: each row's
try is counted and `send_after` moved `LEASE` ahead, so no other sender finds it due.
On PostgreSQL the claim takes the rows `FOR UPDATE SKIP LOCKED` and keeps them locked
until the results are written: another sender skips them, and if a sender dies its
rows are free at once. On SQLite the claim is a write transaction (BEGIN IMMEDIATE),
which the caller commits before sending (`claimed`): holding SQLite's single write lock
while mails travel would stop every writer of the app. A sender that dies after its
claim leaves its rows for the lease; the next sender tries them then.

Webhook deliveries (kind "webhook") and LTI scores (kind "lti_score") are rows of the
same outbox, claimed the same way and retried with the same BACKOFF and TRIES; both
are sent by `send_due_over_http` (`lms.webhooks.delivery`, `lms.lti.grades` say how
each is sent). The platform page's counts and lists are the mails'.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import requests
from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from lms import outbound
from lms.audit import service as audit
from lms.mail import Mail, MailRefused, Transport
from lms.models import OutboxMessage

log = logging.getLogger("lms.outbox")

MAIL = "mail"
WEBHOOK = "webhook"  # deliveries of lms/webhooks (lms/webhooks/delivery.py sends them)
# The waits after the 1st, 2nd, … failed try; after the last wait comes the last try.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
TRIES = len(BACKOFF) + 1
# Mails per batch (and SMTP connection).
BATCH = 100
# How long a claimed batch stays away from other senders: far longer than a batch takes
# (each answer of the server is awaited 30 s at most).
LEASE = timedelta(hours=1)
# Sent mails (recipient and subject; their text only in development) are kept this long.
KEEP_SENT_DAYS = 7
# The longest error text kept (the column's length).
ERROR_LENGTH = 500

Job = TypeVar("Job")  # what a sender reads of a claimed row before it sends it


@dataclass
class SendRun:
    """What one batch did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0  # failed this time, tried again later
    given_up: int = 0  # failed for the last time
    connection_failed: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.retrying + self.given_up


def pending() -> ColumnElement[bool]:
    """Neither sent nor given up (the condition of the index `ix_outbox_due`)."""
    return and_(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))


def claim(
    session: Session, now: datetime, limit: int = BATCH, *, kind: str = MAIL
) -> list[OutboxMessage]:
    """Take up to `limit` due rows of `kind` ("mail", or "webhook" for
    lms/webhooks/delivery.py), oldest first: count their try, move them out of reach
    of other senders for `LEASE` (and on PostgreSQL lock them)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.kind == kind, pending(), OutboxMessage.send_after <= now)
        .order_by(OutboxMessage.send_after, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    for row in rows:
        row.attempts += 1
        row.send_after = now + LEASE
    session.flush()
    return rows


def send_due_over_http(
    session: Session,
    now: datetime,
    kind: str,
    prepare: Callable[[list[OutboxMessage]], list[Job]],
    send: Callable[[requests.Session, Job, SendRun], None],
    *,
    limit: int = BATCH,
    claimed: Callable[[], None] | None = None,
) -> SendRun:
    """Send one batch of due rows of `kind` to a company's systems (webhooks, LTI
    scores) and record each outcome: claim the rows, read what each needs (`prepare`,
    while the claim is not yet committed), call `claimed` on SQLite only (the command
    commits there, so no write lock is held while receivers answer), then `send` each
    over one HTTP session of lms.outbound. Flushes; the caller commits."""
    rows = claim(session, now, limit, kind=kind)
    run = SendRun(claimed=len(rows))
    if not rows:
        return run
    jobs = prepare(rows)
    if claimed is not None and session.get_bind().dialect.name != "postgresql":
        claimed()
    http = outbound.session()
    try:
        for job in jobs:
            send(http, job, run)
    finally:
        http.close()
    session.flush()
    return run


def send_due(
    session: Session,
    now: datetime,
    transport: Callable[[], AbstractContextManager[Transport]],
    *,
    limit: int = BATCH,
    claimed: Callable[[], None] | None = None,
    keep_text: bool = False,
) -> SendRun:
    """Send one batch of due mails through one `transport()` and record each outcome.

    `claimed` is called after the claim on SQLite only: the command commits there, so
    SQLite's write lock is not held while mails travel (see the module's docstring).
    A sent mail's text is deleted unless `keep_text` (development): it may hold a
    reset or invitation link, which the database otherwise keeps only as a hash.
    Flushes; the caller commits.
    """
    rows = claim(session, now, limit)
    run = SendRun(claimed=len(rows))
    if not rows:
        return run
    if claimed is not None and session.get_bind().dialect.name != "postgresql":
        claimed()
    waiting = list(rows)
    try:
        with transport() as opened:
            while waiting:
                row = waiting[0]
                try:
                    opened.send(Mail(to=row.recipient, subject=row.subject, body=row.body))
                except MailRefused as refused:
                    failed_try(row, now, str(refused), run)
                else:
                    row.sent_at = now
                    row.last_error = None
                    if not keep_text:
                        row.body = ""
                    run.sent += 1
                waiting.pop(0)
    except OSError as exc:  # smtplib's errors, refused connections, timeouts, TLS
        reason = f"{type(exc).__name__}: {exc}".strip()
        log.warning("Mail connection failed, %d mails wait: %s", len(waiting), reason)
        run.connection_failed = bool(waiting)
        for row in waiting:
            failed_try(row, now, reason, run)
    session.flush()
    return run


def failed_try(
    row: OutboxMessage, now: datetime, reason: str, run: SendRun, *, last: bool = False
) -> None:
    """Record a failed try: wait for the backoff, or give up after the last try (or at
    once with `last`: a try again could not go otherwise)."""
    row.last_error = reason[:ERROR_LENGTH]
    if last or row.attempts >= TRIES:
        row.failed_at = now
        row.send_after = now
        run.given_up += 1
        log.warning(
            "Outbox %s %d given up after %d tries: %s", row.kind, row.id, row.attempts, reason
        )
    else:
        row.send_after = now + BACKOFF[max(row.attempts, 1) - 1]
        run.retrying += 1
    if reason not in run.errors:
        run.errors.append(reason)


def send_again(session: Session, actor: audit.Actor, message: OutboxMessage, now: datetime) -> None:
    """Make a given-up mail due now, with all its tries again (the platform page)."""
    message.failed_at = None
    message.attempts = 0
    message.last_error = None
    message.send_after = now
    session.flush()
    audit.record(session, actor, "mail.send_again", message.company_id, now,
                 subject=message.subject, subject_id=message.id)  # fmt: skip


def given_up(session: Session, limit: int = 100) -> Sequence[OutboxMessage]:
    """The mails given up, newest first (webhooks' are on their endpoint's page)."""
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.failed_at.is_not(None), OutboxMessage.kind == MAIL)
        .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()


def waiting_count(session: Session) -> int:
    """How many mails wait to be sent (due now or later)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(pending(), OutboxMessage.kind == MAIL)
        )
        or 0
    )


def given_up_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.failed_at.is_not(None), OutboxMessage.kind == MAIL)
        )
        or 0
    )


def latest(session: Session, limit: int = 50) -> Sequence[OutboxMessage]:
    """The newest mails, whatever their state (the development outbox page)."""
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == MAIL)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()


def prune_sent(session: Session, now: datetime, keep_days: int = KEEP_SENT_DAYS) -> int:
    """Delete the mails and webhook deliveries sent more than `keep_days` ago, and the
    webhook deliveries given up as long ago (their endpoint's page lists the last
    `keep_days` days; a failed mail waits for the admin); returns how many."""
    before = now - timedelta(days=keep_days)
    old = or_(
        OutboxMessage.sent_at < before,
        and_(OutboxMessage.kind == WEBHOOK, OutboxMessage.failed_at < before),
    )
    count = session.scalar(select(func.count()).select_from(OutboxMessage).where(old)) or 0
    if count:
        session.execute(delete(OutboxMessage).where(old))
    return count
