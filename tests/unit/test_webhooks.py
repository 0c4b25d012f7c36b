"""Webhooks: events written with the change they announce, delivered signed to a real
receiver, tried again with the outbox's backoff, given up, sent again; addresses
into private networks refused at delivery."""

from __future__ import annotations

import json
import socket
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.service import Actor
from lms.models import (
    AuditEntry,
    ExternalRecord,
    OutboxMessage,
    ReminderSent,
    Role,
    WebhookEndpoint,
)
from lms.reports import compliance
from lms.secret_box import open_sealed
from lms.services import accounts, assignments, outbox, reminders
from lms.services.accounts import NewPerson
from lms.services.reminders import Links
from lms.webhooks import delivery, events, service
from tests.unit.test_assignments import complete
from tests.unit.test_reminders import make_course
from tests.webhook_receiver import WebhookReceiver, verify_signature

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
TODAY = date(2026, 11, 23)
LINKS = Links("https://lernen.example.de/learn/", "https://lernen.example.de/team/")


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


@pytest.fixture
def receiver():
    with WebhookReceiver(clock=NOW.timestamp()) as server:
        yield server


def add_endpoint(db, world, url, chosen=tuple(events.EVENTS), company=None):
    endpoint, secret = service.create_endpoint(
        db, Actor(world.admin), company or world.a.company, url, "HR", chosen, NOW
    )
    return endpoint, secret


def hooks(db, **where):
    query = select(OutboxMessage).where(OutboxMessage.kind == "webhook")
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return db.scalars(query.order_by(OutboxMessage.id)).all()


def new_person(company, name="Neu Nina", email="nina@example.com", number="P-7"):
    return NewPerson(
        email=email,
        display_name=name,
        roles=(Role.LEARNER,),
        company=company,
        personnel_number=number,
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- Events ----------------------------------------------------------------------------


def test_an_event_is_written_once_per_subscribed_active_endpoint_of_the_company(db, world):
    wants, _ = add_endpoint(db, world, "https://hr.example.com/a", [events.PERSON_CREATED])
    add_endpoint(db, world, "https://bi.example.com/b", [events.COMPLETION_RECORDED])
    off, _ = add_endpoint(db, world, "https://old.example.com/c", [events.PERSON_CREATED])
    off.active = False
    add_endpoint(db, world, "https://b.example.com/", company=world.b.company)
    person = accounts.create_user(db, new_person(world.a.company), NOW)
    (row,) = hooks(db)
    assert (row.webhook_id, row.recipient, row.subject) == (wants.id, wants.url, "person.created")
    assert (row.company_id, row.user_id, row.attempts, row.send_after) == (
        world.a.company.id,
        person.id,
        0,
        NOW,
    )
    sent = json.loads(row.body)
    assert sent["id"] == row.event_id and row.event_id.startswith("evt_")
    assert sent["type"] == "person.created" and sent["created"] == "2026-11-23T09:00:00Z"
    assert sent["company_id"] == world.a.company.id
    assert sent["data"]["person"] == {
        "id": person.id,
        "name": "Neu Nina",
        "email": "nina@example.com",
        "personnel_number": "P-7",
        "external_id": None,
        "department": None,
        "active": True,
    }


def test_one_event_has_one_id_across_endpoints(db, world):
    add_endpoint(db, world, "https://hr.example.com/a")
    add_endpoint(db, world, "https://bi.example.com/b")
    accounts.create_user(db, new_person(world.a.company), NOW)
    first, second = hooks(db)
    assert first.event_id == second.event_id and first.body == second.body


def test_nothing_is_written_for_a_change_that_is_rolled_back(db, world):
    add_endpoint(db, world, "https://hr.example.com/a")
    with db.begin_nested() as change:
        accounts.create_user(db, new_person(world.a.company), NOW)
        accounts.deactivate_user(db, world.a.employees[0], NOW)
        assert len(hooks(db)) == 2  # written in the change's transaction …
        change.rollback()
    assert hooks(db) == []  # … and gone with it


def test_a_company_without_endpoints_costs_one_query(db, world, count_queries):
    count_queries.statements.clear()
    assert service.emit(db, world.a.company.id, events.PERSON_CREATED, dict, NOW) == []
    assert count_queries.count == 1, count_queries.statements


def test_a_bulk_import_asks_for_the_endpoints_once(db, world, count_queries):
    add_endpoint(db, world, "https://hr.example.com/a", [events.PERSON_CREATED])
    people = [new_person(world.a.company, f"P {i}", f"p{i}@example.com", None) for i in range(3)]
    count_queries.statements.clear()
    accounts.create_users(db, people, NOW)
    asked = [s for s in count_queries.statements if "webhook_endpoints" in s]
    assert len(asked) == 1, asked
    rows = hooks(db)
    assert len(rows) == 3 and len({row.event_id for row in rows}) == 3


def test_deactivating_tells_once_and_staff_are_no_event(db, world):
    add_endpoint(db, world, "https://hr.example.com/a")
    person = world.a.employees[0]
    accounts.deactivate_user(db, person, NOW)
    accounts.deactivate_user(db, person, NOW)  # already inactive: nothing new
    accounts.deactivate_user(db, world.trainer, NOW)
    (row,) = hooks(db)
    data = json.loads(row.body)["data"]["person"]
    assert row.subject == "person.deactivated" and data["id"] == person.id
    assert data["active"] is False and data["department"]["name"] == "Lager"


def test_overdue_and_expiring_are_told_once_whatever_the_reminder_settings(
    app, db, world, tmp_path
):
    course = make_course(app, db, tmp_path)
    late, expiring, elsewhere = world.a.employees
    world.a.company.remind_overdue = world.a.company.remind_expiry = False
    assignments.assign_to_people(db, None, course, [late], TODAY - timedelta(days=3), "", NOW)
    assignments.assign_to_people(
        db, None, course, [expiring, elsewhere], TODAY - timedelta(days=300), "", NOW
    )
    complete(db, expiring, course, NOW - timedelta(days=300), NOW + timedelta(days=10))
    # Training recorded elsewhere expires too, but is no certificate of Lernwerk's.
    db.add(
        ExternalRecord(
            company_id=world.a.company.id,
            user_id=elsewhere.id,
            course_id=course.id,
            title="Erste Hilfe",
            completed_at=NOW - timedelta(days=300),
            valid_until=NOW + timedelta(days=12),
        )
    )
    compliance.cells_changed(db, world.a.company.id)
    add_endpoint(db, world, "https://hr.example.com/a")
    summary = reminders.send_reminders(db, NOW, LINKS)
    rows = {row.subject: row for row in hooks(db)}
    assert set(rows) == {"assignment.overdue", "certificate.expiring"}
    assert summary.events == {"assignment.overdue": 1, "certificate.expiring": 1}
    overdue = json.loads(rows["assignment.overdue"].body)["data"]
    assert overdue["person"]["id"] == late.id and overdue["person"]["email"] == late.email
    assert overdue["course"] == {"id": course.id, "slug": "testkurs", "title": "Testkurs"}
    assert overdue["assignment"]["due_on"] == "2026-11-20"
    soon = json.loads(rows["certificate.expiring"].body)["data"]
    assert soon["person"]["id"] == expiring.id
    assert soon["certificate"]["valid_until"] == "2026-12-03"
    assert rows["certificate.expiring"].user_id == expiring.id
    # Recorded like the reminders: the next run (next week too) writes nothing new.
    reminders.send_reminders(db, NOW + timedelta(days=8), LINKS)
    assert len(hooks(db)) == 2
    kinds = db.scalars(select(ReminderSent.kind).where(ReminderSent.kind.like("hook-%"))).all()
    assert sorted(kinds) == ["hook-expiring", "hook-overdue"]


def test_a_dry_run_and_a_company_without_endpoints_write_no_events(app, db, world, tmp_path):
    course = make_course(app, db, tmp_path)
    assignments.assign_to_people(
        db, None, course, world.a.employees[:1], TODAY - timedelta(days=3), "", NOW
    )
    reminders.send_reminders(db, NOW, LINKS)
    add_endpoint(db, world, "https://hr.example.com/a")
    summary = reminders.send_reminders(db, NOW, LINKS, dry_run=True)
    assert summary.events == {"assignment.overdue": 1} and hooks(db) == []
    # Once an endpoint wants it, the next run tells of what is overdue now.
    reminders.send_reminders(db, NOW, LINKS)
    assert [row.subject for row in hooks(db)] == ["assignment.overdue"]


# --- Delivery --------------------------------------------------------------------------


def test_a_delivery_is_signed_as_documented_and_recorded(db, world, receiver):
    _endpoint, secret = add_endpoint(db, world, receiver.url)
    receiver.secret = secret
    receiver.answer_body = "danke"
    accounts.create_user(db, new_person(world.a.company), NOW)
    run = delivery.deliver_due(db, NOW)
    assert (run.claimed, run.sent, run.failed) == (1, 1, 0)
    (got,) = receiver.deliveries
    (row,) = hooks(db)
    assert got.verified and got.body == row.body.encode()
    assert got.headers["Lernwerk-Event"] == "person.created"
    assert got.headers["Lernwerk-Delivery"] == row.event_id == got.event["id"]
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Lernwerk-Signature"].startswith(f"t={int(NOW.timestamp())},v1=")
    assert (row.sent_at, row.response_status, row.response_body) == (NOW, 200, "danke")
    assert row.attempts == 1 and row.last_error is None
    assert delivery.deliver_due(db, NOW + timedelta(hours=1)).claimed == 0  # sent once


def test_the_documented_check_refuses_a_wrong_secret_a_changed_body_and_an_old_signature():
    body = b'{"id":"evt_1"}'
    header = delivery.signature("whsec_right", 1_700_000_000, body)
    assert verify_signature("whsec_right", header, body, now=1_700_000_100)
    assert not verify_signature("whsec_wrong", header, body, now=1_700_000_100)
    assert not verify_signature("whsec_right", header, body + b" ", now=1_700_000_100)
    assert not verify_signature("whsec_right", header, body, now=1_700_000_000 + 301)
    assert not verify_signature("whsec_right", "v1=abc", body, now=1_700_000_000)


def test_a_failing_receiver_gets_retries_with_backoff_then_the_delivery_fails(db, world, receiver):
    _endpoint, secret = add_endpoint(db, world, receiver.url)
    receiver.secret = secret
    receiver.answers = [500] * outbox.TRIES
    receiver.answer_body = "kaputt"
    accounts.deactivate_user(db, world.a.employees[0], NOW)
    (row,) = hooks(db)
    at = NOW
    for attempt, wait in enumerate(outbox.BACKOFF, start=1):
        receiver.clock = at.timestamp()
        assert delivery.deliver_due(db, at).retrying == 1
        assert (row.attempts, row.send_after, row.failed_at) == (attempt, at + wait, None)
        assert row.last_error == "HTTP 500 Internal Server Error" and row.response_body == "kaputt"
        assert delivery.deliver_due(db, at + wait - timedelta(seconds=1)).claimed == 0  # not yet
        at += wait
    receiver.clock = at.timestamp()
    assert delivery.deliver_due(db, at).given_up == 1
    assert (row.attempts, row.failed_at, row.sent_at) == (outbox.TRIES, at, None)
    assert delivery.deliver_due(db, at + timedelta(days=1)).claimed == 0
    # Every try carried the same event id, each signed afresh and verified.
    assert {d.headers["Lernwerk-Delivery"] for d in receiver.deliveries} == {row.event_id}
    assert len(receiver.deliveries) == outbox.TRIES and all(d.verified for d in receiver.deliveries)


def test_timeouts_refused_connections_and_redirects_are_failed_tries(app, db, world, receiver):
    _endpoint, secret = add_endpoint(db, world, receiver.url)
    receiver.secret = secret
    accounts.deactivate_user(db, world.a.employees[0], NOW)
    (row,) = hooks(db)
    app.config["OUTBOUND_TIMEOUT_SECONDS"] = 0.05
    receiver.delay = 0.15
    delivery.deliver_due(db, NOW)
    assert row.sent_at is None and row.attempts == 1 and row.failed_at is None
    assert "0.05" in row.last_error and row.response_status is None
    receiver.delay = 0
    receiver.answers = [302]
    delivery.deliver_due(db, row.send_after)
    assert row.response_status == 302 and "Weiterleitungen werden nicht verfolgt" in row.last_error, row.last_error
    assert row.sent_at is None and row.attempts == 2
    db.get(WebhookEndpoint, row.webhook_id).url = f"http://127.0.0.1:{closed_port()}/x"
    delivery.deliver_due(db, row.send_after)
    assert row.last_error.startswith("ConnectionError") and row.attempts == 3


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://localhost/hook",
        "http://hr.example.com/hook",
    ],
)
def test_an_address_into_a_private_network_is_refused_at_delivery(app, db, world, url):
    _endpoint, _secret = add_endpoint(db, world, url)
    accounts.deactivate_user(db, world.a.employees[0], NOW)
    app.config["ALLOW_PRIVATE_ENDPOINTS"] = False
    run = delivery.deliver_due(db, NOW)
    (row,) = hooks(db)
    assert run.given_up == 1 and row.failed_at == NOW and row.sent_at is None
    assert row.response_status is None
    assert "privates Netz" in row.last_error or "https://" in row.last_error


def test_a_switched_off_endpoint_gets_nothing_but_its_test_event(db, world, receiver):
    endpoint, secret = add_endpoint(db, world, receiver.url)
    receiver.secret = secret
    accounts.deactivate_user(db, world.a.employees[0], NOW)
    service.update_endpoint(db, Actor(world.admin), endpoint, "", endpoint.event_list, False, NOW)
    ping = service.send_test(db, Actor(world.admin), endpoint, NOW)
    run = delivery.deliver_due(db, NOW)
    assert (run.sent, run.given_up) == (1, 1)
    assert [d.event["type"] for d in receiver.deliveries] == ["ping"]
    (refused,) = hooks(db, subject="person.deactivated")
    assert "ausgeschaltet" in refused.last_error and ping.sent_at == NOW


def test_sending_again_makes_a_new_delivery_of_the_same_event(db, world, receiver):
    _endpoint, secret = add_endpoint(db, world, receiver.url)
    receiver.secret = secret
    receiver.answers = [500] * outbox.TRIES
    accounts.deactivate_user(db, world.a.employees[0], NOW)
    (first,) = hooks(db)
    at = NOW
    while first.failed_at is None:
        receiver.clock = at.timestamp()
        delivery.deliver_due(db, at)
        at = first.send_after
    again = service.resend(db, Actor(world.admin), first, at)
    assert again.id != first.id and again.event_id == first.event_id and again.body == first.body
    assert (again.attempts, again.send_after, again.failed_at) == (0, at, None)
    receiver.clock = at.timestamp()
    assert delivery.deliver_due(db, at).sent == 1
    assert first.failed_at is not None and again.sent_at == at  # the failed one stays as it was
    assert receiver.deliveries[-1].headers["Lernwerk-Delivery"] == first.event_id
    service.resend(db, Actor(world.admin), again, at)  # a delivered one may go again too
    assert len(hooks(db)) == 3
    waiting = hooks(db)[-1]
    with pytest.raises(service.WebhookError):
        service.resend(db, Actor(world.admin), waiting, at)
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "webhook.resend")).first()
    assert first.event_id in entry.subject


def test_a_new_secret_signs_the_deliveries_still_waiting(db, world, receiver):
    endpoint, old = add_endpoint(db, world, receiver.url)
    accounts.deactivate_user(db, world.a.employees[0], NOW)
    new = service.renew_secret(db, Actor(world.admin), endpoint, NOW)
    assert new != old and new.startswith("whsec_") and open_sealed(endpoint.secret) == new
    receiver.secret = new
    assert delivery.deliver_due(db, NOW).sent == 1 and receiver.deliveries[0].verified


def test_secrets_are_stored_encrypted_and_never_audited(db, world):
    endpoint, secret = add_endpoint(db, world, "https://hr.example.com/a")
    renewed = service.renew_secret(db, Actor(world.admin), endpoint, NOW)
    service.delete_endpoint(db, Actor(world.admin), endpoint, NOW)
    assert secret not in endpoint.secret
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action.like("webhook.%"))).all()
    assert [e.action for e in entries] == ["webhook.create", "webhook.secret", "webhook.delete"]
    for entry in entries:
        text = json.dumps(entry.changes) + entry.subject
        assert secret not in text and renewed not in text and "whsec_" not in text


def test_deleting_an_endpoint_deletes_its_deliveries(db, world):
    endpoint, _ = add_endpoint(db, world, "https://hr.example.com/a")
    accounts.deactivate_user(db, world.a.employees[0], NOW)
    service.delete_endpoint(db, Actor(world.admin), endpoint, NOW)
    db.expire_all()
    count = db.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "webhook")
    )
    assert count == 0


def test_old_deliveries_are_pruned_and_mail_pages_leave_webhooks_out(db, world, receiver):
    _endpoint, secret = add_endpoint(db, world, receiver.url)
    receiver.secret = secret
    accounts.deactivate_user(db, world.a.employees[0], NOW)
    assert outbox.waiting_count(db) == 0 and outbox.latest(db) == []
    delivery.deliver_due(db, NOW)
    assert outbox.prune_sent(db, NOW + timedelta(days=6)) == 0
    assert outbox.prune_sent(db, NOW + timedelta(days=8)) == 1


def test_a_secret_in_the_receivers_query_stays_out_of_the_audit_log(db, world):
    # Power Automate and similar receivers carry their own secret in the address.
    endpoint, _ = add_endpoint(db, world, "https://flow.example.com/hook?sig=TopSecret42&v=1")
    service.delete_endpoint(db, Actor(world.admin), endpoint, NOW)
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action.like("webhook.%"))).all()
    assert [e.subject for e in entries] == ["https://flow.example.com/hook?…"] * 2
    assert all("TopSecret42" not in json.dumps(e.changes) for e in entries)
