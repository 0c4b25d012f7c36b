"""Results back to the platform (LTI Assignment and Grade Services): a score per grade
link when a learner completes a module, queued in the outbox and sent by `lms mail
send` with the outbox's retries.

`queue_scores` is called by `learning._complete_if_done` in the completion's own
transaction: one outbox row of kind "lti_score" per grade link of the learner and the
module (one indexed query; none more when the module was not launched from a
platform). The row's `recipient` is the line item's score address, its `body` the
JSON `{"link": <grade link id>, "score": {...}}`.

`deliver_due` claims due rows (`outbox.claim(kind="lti_score")`), asks the platform's
token endpoint for an access token (client credentials with a client assertion signed
by Lernwerk's key; kept in the one cache until it expires) and POSTs the score. A 2xx
answer: sent. Anything else: a failed try with the outbox's BACKOFF and TRIES; a 401
forgets the cached token first. A grade link or platform deleted meanwhile, an address
the server must not call, or a key no longer readable: failed at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lms import outbound
from lms.audit import service as audit
from lms.lti import keys, protocol
from lms.models import Enrollment, OutboxMessage, User
from lms.models.lti import LtiGradeLink, LtiPlatform
from lms.secret_box import SecretUnreadable, open_sealed
from lms.services import outbox
from lms.services.outbox import SendRun

log = logging.getLogger("lms.lti")

KIND = "lti_score"
BATCH = 50
# A completed module: full marks (Lernwerk's completion is pass or nothing).
SCORE_GIVEN = 1
SCORE_MAXIMUM = 1


def queue_scores(session: Session, enrollment: Enrollment, at: datetime, now: datetime) -> int:
    """Queue the completion's score for each grade link of the learner and module, in
    the caller's transaction; returns how many."""
    links = session.scalars(
        select(LtiGradeLink).where(
            LtiGradeLink.user_id == enrollment.user_id,
            LtiGradeLink.course_id == enrollment.course_id,
        )
    ).all()
    for link in links:
        score = protocol.score(link.subject, SCORE_GIVEN, SCORE_MAXIMUM, at)
        session.add(
            OutboxMessage(
                kind=KIND,
                company_id=link.company_id,
                user_id=link.user_id,
                lti_platform_id=link.platform_id,
                recipient=protocol.scores_url(link.lineitem)[:1000],
                subject="score",
                body=json.dumps({"link": link.id, "score": score}),
                created_at=now,
                send_after=now,
            )
        )
    if links:
        session.flush()
    return len(links)


@dataclass
class _Job:
    row: OutboxMessage
    score: dict[str, object]
    url: str
    token_url: str
    client_id: str
    kid: str
    private_key: str
    refusal: str | None


def deliver_due(
    session: Session,
    now: datetime,
    *,
    limit: int = BATCH,
    claimed: Callable[[], None] | None = None,
) -> SendRun:
    """Send one batch of due scores and record each outcome (flushes; the caller
    commits). `claimed` is called after the claim on SQLite only, as for webhooks."""
    return outbox.send_due_over_http(
        session,
        now,
        KIND,
        lambda rows: _prepare(session, rows, now),
        lambda http, job, run: _send(http, job, now, run),
        limit=limit,
        claimed=claimed,
    )


def _prepare(session: Session, rows: list[OutboxMessage], now: datetime) -> list[_Job]:
    key = keys.signing_key(session, now)
    jobs = []
    for row in rows:
        try:
            body = json.loads(row.body)
            link = session.get(LtiGradeLink, int(body["link"]))
            score = dict(body["score"])
        except (ValueError, KeyError, TypeError):
            link, score = None, {}
        platform = session.get(LtiPlatform, link.platform_id) if link is not None else None
        job = _Job(row, score, row.recipient, "", "", "", "", None)
        if link is None or platform is None:
            job.refusal = _("The platform or the employee's link to it no longer exists.")
            jobs.append(job)
            continue
        job.token_url, job.client_id, job.kid = platform.token_url, platform.client_id, key.kid
        try:
            job.private_key = open_sealed(key.private_key)
        except SecretUnreadable:
            job.refusal = _("Lernwerk's LTI key cannot be read (the encryption key was changed).")
            jobs.append(job)
            continue
        job.refusal = outbound.address_problem(job.url) or outbound.address_problem(job.token_url)
        jobs.append(job)
    return jobs


def _send(http: requests.Session, job: _Job, now: datetime, run: SendRun) -> None:
    row = job.row
    row.response_status = None
    row.response_body = None
    if job.refusal is not None:
        outbox.failed_try(row, now, job.refusal, run, last=True)
        return

    def assertion() -> str:
        return protocol.client_assertion(
            job.private_key, job.kid, job.client_id, job.token_url, now
        )

    try:
        token = protocol.access_token(http, job.token_url, job.client_id, assertion)
    except protocol.LtiRefused as refused:
        outbox.failed_try(row, now, _token_problem(refused), run)
        return
    headers = {"Authorization": f"Bearer {token}", "Content-Type": protocol.SCORE_MEDIA_TYPE}
    try:
        response = http.post(
            job.url, data=json.dumps(job.score).encode(), headers=headers,
            timeout=outbound.timeout(), stream=True,
        )  # fmt: skip
    except requests.Timeout:
        waited = format(outbound.timeout(), "g")
        outbox.failed_try(row, now, _("No answer within %(seconds)s seconds.", seconds=waited), run)
        return
    except requests.RequestException as exc:
        outbox.failed_try(row, now, f"{type(exc).__name__}", run)
        return
    status = response.status_code
    row.response_status = status
    response.close()
    if 200 <= status < 300:
        row.sent_at = now
        row.last_error = None
        run.sent += 1
        return
    if status == 401:
        protocol.forget_access_token(job.token_url, job.client_id)
    outbox.failed_try(row, now, f"HTTP {status} {(response.reason or '')[:200]}".strip(), run)


def _token_problem(refused: protocol.LtiRefused) -> str:
    log.warning("LTI access token not given: %s %s", refused.code, refused.detail)
    if refused.code == "token-refused":
        return _("The platform's token endpoint refused Lernwerk's request (%(detail)s).",
                 detail=refused.detail)  # fmt: skip
    return _("The platform's token endpoint cannot be reached (%(detail)s).", detail=refused.detail)


# --- The platform's page -----------------------------------------------------------------

SHOWN_DAYS = 7
SHOWN_SCORES = 50


@dataclass(frozen=True)
class SentScore:
    """A score on its way to the platform, or sent, or given up, with whose it is."""

    row: OutboxMessage
    person: str


def recent_scores(
    session: Session, platform: LtiPlatform, now: datetime, limit: int = SHOWN_SCORES
) -> list[SentScore]:
    """The platform's scores of the last SHOWN_DAYS days (and older ones not sent yet),
    newest first."""
    since = now - timedelta(days=SHOWN_DAYS)
    rows = session.execute(
        select(OutboxMessage, User.display_name)
        .join(User, User.id == OutboxMessage.user_id)
        .where(
            OutboxMessage.lti_platform_id == platform.id,
            OutboxMessage.kind == KIND,
            or_(OutboxMessage.created_at >= since, OutboxMessage.sent_at.is_(None)),
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    return [SentScore(row, name) for row, name in rows]


def score_of_platform(session: Session, row_id: int, platform: LtiPlatform) -> OutboxMessage | None:
    return session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.id == row_id,
            OutboxMessage.kind == KIND,
            OutboxMessage.lti_platform_id == platform.id,
        )
    )


def send_again(
    session: Session, actor: audit.Actor, platform: LtiPlatform, row: OutboxMessage, now: datetime
) -> None:
    """Make a given-up score due now, with all its tries again. Flushes."""
    row.failed_at = None
    row.attempts = 0
    row.last_error = None
    row.response_status = None
    row.send_after = now
    session.flush()
    audit.record(session, actor, "lti_score.send_again", platform.company_id, now,
                 subject=platform.name, subject_id=row.id)  # fmt: skip
