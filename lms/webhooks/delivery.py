"""Delivering the outbox's webhook rows: signed POSTs with the outbox's retries.

`deliver_due` takes a batch of due rows of kind "webhook" through the outbox's claim
(`lms.services.outbox.claim`: PostgreSQL locks them FOR UPDATE SKIP LOCKED; on SQLite
the caller commits the claim before anything is sent, `claimed`), posts each one and
writes down what happened:

- an answer 2xx: delivered (`sent_at`), with the status and the first 2,000
  characters of the answer;
- any other answer, a timeout or a connection error: a failed try, tried again after
  the outbox's BACKOFF (1 and 5 minutes, 30 minutes, 2 and 12 hours); after the last
  of the TRIES it shows as failed on the endpoint's page, which can send it again;
- an address the server must not call (`lms.outbound.address_problem`, checked again
  before every delivery since a name may resolve elsewhere by now), an endpoint
  switched off, or a secret no key opens: failed at once, with the reason.

Signing (as Stripe and GitHub do): the header
`Lernwerk-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
endpoint's secret; the receiver recomputes it over the raw body and refuses old
timestamps (docs/integration.md).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import requests
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms import outbound
from lms.models import OutboxMessage, WebhookEndpoint
from lms.secret_box import SecretUnreadable, open_sealed
from lms.services import outbox
from lms.services.outbox import SendRun
from lms.webhooks import events
from lms.webhooks.service import KIND

log = logging.getLogger("lms.webhooks")

# Deliveries per batch: each waits for its receiver (LMS_OUTBOUND_TIMEOUT_SECONDS at
# most), so a batch stays far inside the outbox's LEASE.
BATCH = 50
# How much of a receiver's answer is kept (the column's length).
ANSWER_LENGTH = 2000
SIGNATURE_HEADER = "Lernwerk-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the Lernwerk-Signature header for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def headers(secret: str, row: OutboxMessage, body: bytes, now: datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Lernwerk-Event": row.subject,
        "Lernwerk-Delivery": row.event_id or "",
        SIGNATURE_HEADER: signature(secret, int(now.timestamp()), body),
    }


@dataclass
class _Job:
    """One claimed row and what it needs, read before the claim is committed."""

    row: OutboxMessage
    url: str
    secret: str | None
    refusal: str | None  # why it is not sent at all (then failed at once)


def deliver_due(
    session: Session,
    now: datetime,
    *,
    limit: int = BATCH,
    claimed: Callable[[], None] | None = None,
) -> SendRun:
    """Deliver one batch of due webhook rows and record each outcome (flushes; the
    caller commits). `claimed` is called after the claim on SQLite only (the command
    commits there, so no write lock is held while receivers answer)."""
    return outbox.send_due_over_http(
        session,
        now,
        KIND,
        lambda rows: _prepare(session, rows),
        lambda http, job, run: _deliver(http, job, now, run),
        limit=limit,
        claimed=claimed,
    )


def _prepare(session: Session, rows: list[OutboxMessage]) -> list[_Job]:
    ids = {row.webhook_id for row in rows if row.webhook_id is not None}
    endpoints = {
        endpoint.id: endpoint
        for endpoint in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids)))
    }
    jobs = []
    for row in rows:
        endpoint = endpoints.get(row.webhook_id) if row.webhook_id is not None else None
        if endpoint is None:  # not possible while the foreign key cascades; be safe
            jobs.append(_Job(row, row.recipient, None, _("The endpoint no longer exists.")))
            continue
        if not endpoint.active and row.subject != events.PING:
            refusal = _("The endpoint is switched off. Switch it on and send the event again.")
            jobs.append(_Job(row, endpoint.url, None, refusal))
            continue
        try:
            secret = open_sealed(endpoint.secret)
        except SecretUnreadable:
            refusal = _(
                "The signing secret cannot be read (the encryption key was changed). "
                "Generate a new secret on the endpoint's page."
            )
            jobs.append(_Job(row, endpoint.url, None, refusal))
            continue
        # The address is checked again at each delivery: a name may point into a
        # private network by now.
        jobs.append(_Job(row, endpoint.url, secret, outbound.address_problem(endpoint.url)))
    return jobs


def _deliver(http: requests.Session, job: _Job, now: datetime, run: SendRun) -> None:
    row = job.row
    row.response_status = None
    row.response_body = None
    if job.refusal is not None or job.secret is None:
        outbox.failed_try(row, now, job.refusal or "", run, last=True)
        return
    body = row.body.encode("utf-8")
    try:
        response = _post(http, job.url, body, headers(job.secret, row, body, now))
    except requests.Timeout:
        waited = format(outbound.timeout(), "g")
        reason = _("No answer within %(seconds)s seconds.", seconds=waited)
        outbox.failed_try(row, now, reason, run)
        return
    except requests.RequestException as exc:
        reason = f"{type(exc).__name__}: {_readable(_first_line(exc))}"
        outbox.failed_try(row, now, reason, run)
        return
    try:
        row.response_status = response.status_code
        row.response_body = _answer(response)
    finally:
        response.close()
    if 200 <= response.status_code < 300:
        row.sent_at = now
        row.last_error = None
        run.sent += 1
        return
    if 300 <= response.status_code < 400:
        reason = _("HTTP %(status)s: redirects are not followed.", status=response.status_code)
    else:
        reason = f"HTTP {response.status_code} {_readable(response.reason or '')[:200]}".strip()
    outbox.failed_try(row, now, reason, run)


def _post(http: requests.Session, url: str, body: bytes, sent: dict[str, str]) -> requests.Response:
    # outbound.session() follows no redirect: a 3xx is the receiver's answer.
    return http.post(url, data=body, headers=sent, timeout=outbound.timeout(), stream=True)


def _answer(response: requests.Response) -> str:
    """The start of the receiver's answer, however long or undecodable it is."""
    try:
        start = next(response.iter_content(chunk_size=ANSWER_LENGTH * 4), b"")
    except requests.RequestException:
        return ""
    try:
        text = start.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:  # an encoding Python does not know
        text = start.decode("utf-8", errors="replace")
    return _readable(text)[:ANSWER_LENGTH]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _readable(text: str) -> str:
    """`text` without control characters (tabs and line breaks stay): a receiver may
    answer anything, and PostgreSQL stores no NUL in text."""
    return _CONTROL.sub("\ufffd", text)


_QUERY = re.compile(r"\?[^\s'\")]*")


def _first_line(exc: Exception) -> str:
    """The error's first line, without the address's query: receivers such as Power
    Automate carry their own secret there (`sig=`), and this line is logged."""
    text = str(exc).strip().splitlines()
    return _QUERY.sub("?…", text[0])[:300] if text else ""
