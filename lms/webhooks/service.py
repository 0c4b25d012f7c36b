"""A company's webhook endpoints, and the events written for them.

`emit` is called by the services where things happen (accounts, learning, reminders):
it writes one outbox row of kind "webhook" per active endpoint of the company that
subscribes to the event, in the caller's transaction, so nothing is sent for a
change that is rolled back. A company without endpoints costs one indexed query.
The rows are delivered by `lms.webhooks.delivery` (`lms mail send`).

The endpoint's pages call the other functions: plain functions taking the session,
the actor and the clock, each writing its audit entry (never the secret) in the same
transaction.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import Company, OutboxMessage, WebhookEndpoint
from lms.secret_box import seal
from lms.webhooks import events

KIND = "webhook"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
DESCRIPTION_LENGTH = 200
URL_LENGTH = 2000
# How far back an endpoint's page lists deliveries (delivered ones are pruned after
# the outbox's KEEP_SENT_DAYS anyway).
SHOWN_DAYS = 7
SHOWN_DELIVERIES = 200

Data = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


class WebhookError(ValueError):
    """A change the service refuses; `code` names why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def address_for_log(url: str) -> str:
    """The address as the audit log keeps it: without its query, where receivers such
    as Power Automate carry a secret of their own (`sig=`)."""
    head, query, _rest = url.partition("?")
    return head + ("?…" if query else "")


def _record(
    session: Session,
    actor: Actor,
    action: str,
    endpoint: WebhookEndpoint,
    now: datetime,
    changes: dict[str, Any] | None = None,
) -> None:
    """The audit entry of a change to `endpoint` (never its secret; its address
    without the query)."""
    audit.record(session, actor, action, endpoint.company_id, now,
                 subject=address_for_log(endpoint.url), subject_id=endpoint.id,
                 changes=changes)  # fmt: skip


# --- Events ----------------------------------------------------------------------------


def new_event_id() -> str:
    """An event's id, the same on every try and re-send: receivers drop repeats by it."""
    return "evt_" + secrets.token_hex(16)


def subscribers(session: Session, company_id: int | None, event: str) -> list[WebhookEndpoint]:
    """The company's active endpoints that want `event` (one query on an indexed column)."""
    if company_id is None:
        return []
    found = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.company_id == company_id, WebhookEndpoint.active.is_(true())
        )
    )
    return [endpoint for endpoint in found if event in endpoint.event_list]


def emit(
    session: Session,
    company_id: int | None,
    event: str,
    data: Data,
    now: datetime,
    *,
    user_id: int | None = None,
) -> list[OutboxMessage]:
    """Write `event` for each of the company's endpoints that subscribe to it, in the
    caller's transaction. `data` may be a function: it is called only when some
    endpoint wants the event (building it may take queries). `user_id`: the person the
    event is about (erasing them deletes the deliveries not yet pruned)."""
    return emit_each(session, company_id, event, [(data, user_id)], now)


def emit_each(
    session: Session,
    company_id: int | None,
    event: str,
    items: Sequence[tuple[Data, int | None]],
    now: datetime,
) -> list[OutboxMessage]:
    """`emit` for many events of one kind and company (a bulk import): one query for
    the endpoints, whatever the number of events."""
    if not items:
        return []
    endpoints = subscribers(session, company_id, event)
    if not endpoints:
        return []
    assert company_id is not None
    rows = []
    for data, user_id in items:
        values = data() if callable(data) else data
        rows += _write(session, endpoints, company_id, event, dict(values), now, user_id)
    session.flush()
    return rows


def _write(
    session: Session,
    endpoints: Iterable[WebhookEndpoint],
    company_id: int,
    event: str,
    data: dict[str, Any],
    now: datetime,
    user_id: int | None,
) -> list[OutboxMessage]:
    event_id = new_event_id()
    body = payload(event_id, event, company_id, data, now)
    rows = [
        OutboxMessage(
            kind=KIND,
            company_id=company_id,
            user_id=user_id,
            recipient=endpoint.url,
            subject=event,
            body=body,
            webhook_id=endpoint.id,
            event_id=event_id,
            created_at=now,
            send_after=now,
            attempts=0,
        )
        for endpoint in endpoints
    ]
    session.add_all(rows)
    return rows


def payload(event_id: str, event: str, company_id: int, data: dict[str, Any], now: datetime) -> str:
    """The JSON every endpoint receives (the exact bytes that are signed)."""
    document = {
        "id": event_id,
        "type": event,
        "created": events.timestamp(now),
        "company_id": company_id,
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


# --- Endpoints -------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def clean_events(chosen: Iterable[str]) -> str:
    """The known events of `chosen`, in the catalogue's order, space-separated."""
    wanted = set(chosen)
    return " ".join(event for event in events.EVENTS if event in wanted)


def create_endpoint(
    session: Session,
    actor: Actor,
    company: Company,
    url: str,
    description: str,
    chosen: Iterable[str],
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its signing secret (shown once; stored encrypted).
    The caller has checked the address (`lms.outbound.address_problem`)."""
    subscribed = clean_events(chosen)
    if not subscribed:
        raise WebhookError("no-events")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        company_id=company.id,
        url=url.strip()[:URL_LENGTH],
        description=" ".join(description.split())[:DESCRIPTION_LENGTH],
        events=subscribed,
        secret=seal(secret),
        active=True,
        created_at=now,
        created_by_id=actor.user_id,
    )
    session.add(endpoint)
    session.flush()
    created = audit.created(endpoint, ("events", "description", "active"))
    _record(session, actor, "webhook.create", endpoint, now,
            changes={**created, "url": [None, address_for_log(endpoint.url)]})  # fmt: skip
    return endpoint, secret


def update_endpoint(
    session: Session,
    actor: Actor,
    endpoint: WebhookEndpoint,
    description: str,
    chosen: Iterable[str],
    active: bool,
    now: datetime,
) -> bool:
    """Change what the endpoint receives and whether it is on; False if nothing changed."""
    subscribed = clean_events(chosen)
    if not subscribed:
        raise WebhookError("no-events")
    before = audit.snapshot(endpoint, ("events", "description", "active"))
    endpoint.events = subscribed
    endpoint.description = " ".join(description.split())[:DESCRIPTION_LENGTH]
    endpoint.active = active
    changes = audit.changed(before, endpoint)
    if not changes:
        return False
    session.flush()
    _record(session, actor, "webhook.update", endpoint, now, changes=changes)
    return True


def renew_secret(session: Session, actor: Actor, endpoint: WebhookEndpoint, now: datetime) -> str:
    """A new signing secret (shown once); the old one signs nothing from now on,
    deliveries still waiting included."""
    secret = new_secret()
    endpoint.secret = seal(secret)
    session.flush()
    _record(session, actor, "webhook.secret", endpoint, now)
    return secret


def delete_endpoint(
    session: Session, actor: Actor, endpoint: WebhookEndpoint, now: datetime
) -> None:
    """Remove the endpoint and its deliveries (sent, waiting and failed)."""
    _record(session, actor, "webhook.delete", endpoint, now,
            changes={"url": [address_for_log(endpoint.url), None],
                     "events": [endpoint.events, None]})  # fmt: skip
    session.delete(endpoint)
    session.flush()


def send_test(
    session: Session, actor: Actor, endpoint: WebhookEndpoint, now: datetime
) -> OutboxMessage:
    """The button "Test senden": a `ping` event to this endpoint alone, delivered like
    any other."""
    data = {"endpoint": {"id": endpoint.id, "url": endpoint.url}, "message": "Lernwerk test"}
    (row,) = _write(session, [endpoint], endpoint.company_id, events.PING, data, now, None)
    session.flush()
    _record(session, actor, "webhook.test", endpoint, now)
    return row


def resend(session: Session, actor: Actor, delivery: OutboxMessage, now: datetime) -> OutboxMessage:
    """The button "Erneut senden": a delivered or failed delivery goes out again as a new delivery
    with the same event (same id and body; signed afresh when sent). The old one stays
    in the list as it was."""
    if not (delivery.sent_at or delivery.failed_at):
        raise WebhookError("still-waiting")
    again = OutboxMessage(
        kind=KIND,
        company_id=delivery.company_id,
        user_id=delivery.user_id,
        recipient=delivery.recipient,
        subject=delivery.subject,
        body=delivery.body,
        webhook_id=delivery.webhook_id,
        event_id=delivery.event_id,
        created_at=now,
        send_after=now,
        attempts=0,
    )
    session.add(again)
    session.flush()
    audit.record(
        session,
        actor,
        "webhook.resend",
        delivery.company_id,
        now,
        subject=f"{delivery.subject} {delivery.event_id}",
        subject_id=delivery.webhook_id,
    )
    return again


# --- Reading ---------------------------------------------------------------------------


def endpoint_of_company(
    session: Session, endpoint_id: int, company_id: int
) -> WebhookEndpoint | None:
    return session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.company_id == company_id
        )
    )


def delivery_of_endpoint(
    session: Session, delivery_id: int, endpoint: WebhookEndpoint
) -> OutboxMessage | None:
    return session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.id == delivery_id,
            OutboxMessage.kind == KIND,
            OutboxMessage.webhook_id == endpoint.id,
            OutboxMessage.company_id == endpoint.company_id,
        )
    )


@dataclass(frozen=True)
class EndpointRow:
    """An endpoint in the company's list, with its newest delivery (None: none yet)."""

    endpoint: WebhookEndpoint
    last: OutboxMessage | None


def company_endpoints(session: Session, company_id: int) -> list[EndpointRow]:
    """The company's endpoints, oldest first, each with its newest delivery (2 queries)."""
    endpoints = session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.company_id == company_id)
        .order_by(WebhookEndpoint.id)
    ).all()
    if not endpoints:
        return []
    newest = (
        select(func.max(OutboxMessage.id))
        .where(OutboxMessage.webhook_id.in_([e.id for e in endpoints]))
        .group_by(OutboxMessage.webhook_id)
    )
    last = {
        row.webhook_id: row
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(newest)))
    }
    return [EndpointRow(endpoint, last.get(endpoint.id)) for endpoint in endpoints]


def deliveries(
    session: Session, endpoint: WebhookEndpoint, now: datetime, days: int = SHOWN_DAYS
) -> Sequence[OutboxMessage]:
    """The endpoint's deliveries of the last `days` days, newest first."""
    return session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.kind == KIND,
            OutboxMessage.webhook_id == endpoint.id,
            OutboxMessage.created_at >= now - timedelta(days=days),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(SHOWN_DELIVERIES)
    ).all()


def subscribed_events(session: Session, company_id: int) -> set[str]:
    """Every event some active endpoint of the company wants (one query)."""
    rows = session.scalars(
        select(WebhookEndpoint.events).where(
            WebhookEndpoint.company_id == company_id, WebhookEndpoint.active.is_(true())
        )
    )
    return {event for events_ in rows for event in events_.split()}
