"""The admin's webhook pages: adding an endpoint (its secret shown once), addresses into
private networks refused, events from the real pages delivered by `lms mail send` to
a receiver that checks the signature, sending again, another company's ids refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from flask import render_template
from sqlalchemy import select

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.models import AuditEntry, OutboxMessage, User, WebhookEndpoint
from lms.secret_box import open_sealed
from lms.webhooks import events, service
from tests.unit.test_course_parser import write_course
from tests.web.test_learn import LESSON_2
from tests.webhook_receiver import WebhookReceiver

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def create(app, db, world, company, url, chosen=tuple(events.EVENTS)):
    """An endpoint made by the service (outside a request): (endpoint, secret)."""
    with app.app_context():
        return service.create_endpoint(db, Actor(world.admin), company, url, "", chosen, NOW)


def secret_of(app, endpoint):
    with app.app_context():
        return open_sealed(endpoint.secret)


@pytest.fixture
def course(app, db, tmp_path):
    """A module of two lessons, "einstieg" and "vertiefung"."""
    folder = write_course(tmp_path, {"02-vertiefung.md": LESSON_2})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))


@pytest.fixture
def receiver():
    with WebhookReceiver() as server:
        yield server


def base(company):
    return f"/admin/companies/{company.id}/webhooks"


def add(client, company, url, chosen=tuple(events.EVENTS), description="Personio"):
    return client.post(
        f"{base(company)}/new",
        data={"url": url, "description": description, "events": list(chosen)},
        headers=EN,
    )


def endpoint_of(db, company):
    return db.scalar(select(WebhookEndpoint).where(WebhookEndpoint.company_id == company.id))


def hooks(db, **where):
    query = select(OutboxMessage).where(OutboxMessage.kind == "webhook")
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return db.scalars(query.order_by(OutboxMessage.id)).all()


def send(app):
    return app.test_cli_runner().invoke(args=["mail", "send"])


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(app, client, db, world, login):
    login(world.admin)
    company = world.a.company
    form = client.get(f"{base(company)}/new", headers=EN).get_data(as_text=True)
    assert "A module was completed" in form and "checked" in form  # all events offered
    answer = add(client, company, "https://hr.example.com/lernwerk", [events.PERSON_CREATED])
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    endpoint = endpoint_of(db, company)
    secret = secret_of(app, endpoint)
    assert secret.startswith("whsec_") and secret in page and secret not in endpoint.secret
    assert "shown only this once" in page
    assert endpoint.events == "person.created" and endpoint.description == "Personio"
    # Nowhere again: not on the list, not on the endpoint's page.
    listed = client.get(f"{base(company)}/", headers=EN).get_data(as_text=True)
    detail = client.get(f"{base(company)}/{endpoint.id}/", headers=EN).get_data(as_text=True)
    assert "https://hr.example.com/lernwerk" in listed and secret not in listed
    assert "A person was added" in detail and secret not in detail
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.create"))
    assert "whsec_" not in json.dumps(entry.changes) and entry.subject == endpoint.url


def test_an_endpoint_needs_an_event(client, db, world, login):
    login(world.admin)
    answer = add(client, world.a.company, "https://hr.example.com/", chosen=[])
    assert answer.status_code == 422
    assert "Please choose at least one event." in answer.get_data(as_text=True)
    assert endpoint_of(db, world.a.company) is None


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
def test_an_address_into_a_private_network_is_refused_at_save(app, client, db, world, login, url):
    app.config["ALLOW_PRIVATE_ENDPOINTS"] = False
    login(world.admin)
    answer = add(client, world.a.company, url)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "points into a private network" in page or "must begin with https://" in page
    assert endpoint_of(db, world.a.company) is None


def test_events_of_the_admin_pages_are_delivered_signed_by_the_sender(
    app, client, db, world, login, receiver
):
    login(world.admin)
    company = world.a.company
    add(client, company, receiver.url)
    receiver.secret = secret_of(app, endpoint_of(db, company))
    people = f"/admin/companies/{company.id}/people"
    client.post(
        f"{people}/new",
        data={"display_name": "Neu Nina", "email": "nina.neu@example.com", "roles": ["learner"],
              "department": world.a.departments[0].id, "language": "de"},
    )  # fmt: skip
    person = db.scalar(select(User).where(User.email == "nina.neu@example.com"))
    client.post(f"{people}/{world.a.employees[0].id}/deactivate")
    result = send(app)
    assert result.exit_code == 0, result.output
    assert "Delivered 2 webhooks, 0 failed." in result.output
    created, deactivated = (d.event for d in receiver.deliveries)
    assert all(d.verified for d in receiver.deliveries)
    assert created["type"] == "person.created" and created["data"]["person"]["id"] == person.id
    assert created["data"]["person"]["department"]["name"] == "Lager"
    assert deactivated["type"] == "person.deactivated"
    assert deactivated["data"]["person"]["email"] == world.a.employees[0].email
    assert {created["company_id"], deactivated["company_id"]} == {company.id}
    page = client.get(f"{base(company)}/{endpoint_of(db, company).id}/", headers=EN)
    html = page.get_data(as_text=True)
    assert (
        html.count("delivered") >= 2 and "HTTP 200" in html and "A person was deactivated" in html
    )


@pytest.mark.parametrize("privacy", ["status", "results"])
def test_completing_a_module_is_told_with_scores_only_where_managers_see_them(
    app,
    client,
    db,
    world,
    login,
    course,
    receiver,
    privacy,
):
    company = world.a.company
    company.privacy_level = privacy
    _endpoint, secret = create(app, db, world, company, receiver.url, [events.COMPLETION_RECORDED])
    receiver.secret = secret
    learner = world.a.employees[0]
    login(learner)
    client.post("/learn/courses/testkurs/enroll")
    client.post("/learn/courses/testkurs/einstieg/done")
    assert hooks(db) == []  # not complete yet
    client.post("/learn/courses/testkurs/vertiefung/done")
    (row,) = hooks(db)
    assert send(app).exit_code == 0
    (got,) = receiver.deliveries
    data = got.event["data"]
    assert got.verified and got.event["type"] == "completion.recorded"
    assert data["person"]["id"] == learner.id and data["course"]["slug"] == "testkurs"
    assert data["course"]["title"] == "Testkurs"
    assert data["completion"]["certificate"]["code"]
    assert data["completion"]["certificate"]["verify_url"].endswith(
        "/verify/" + data["completion"]["certificate"]["code"]
    )
    assert ("quiz_results" in data) is (privacy == "results")
    assert row.user_id == learner.id


def test_test_event_sending_again_and_settings_from_the_endpoint_page(
    app, client, db, world, login, receiver
):
    login(world.admin)
    company = world.a.company
    add(client, company, receiver.url)
    endpoint = endpoint_of(db, company)
    receiver.secret = secret_of(app, endpoint)
    page = f"{base(company)}/{endpoint.id}"
    assert client.post(f"{page}/test").status_code == 302
    receiver.answers = [503]
    send(app)
    (ping,) = hooks(db)
    html = client.get(f"{page}/", headers=EN).get_data(as_text=True)
    assert "Test event" in html and "HTTP 503" in html and "waiting for the next try" in html
    ping.failed_at = datetime.now(UTC)  # as after the last try
    db.flush()
    assert client.post(f"{page}/deliveries/{ping.id}/resend").status_code == 302
    assert send(app).exit_code == 0
    first, again = hooks(db)
    assert again.event_id == first.event_id and again.sent_at is not None
    assert [d.headers["Lernwerk-Delivery"] for d in receiver.deliveries] == [first.event_id] * 2
    # What it receives and whether it is on: at least one event.
    refused = client.post(f"{page}/", data={"description": "BI", "active": "y"}, headers=EN)
    assert refused.status_code == 422 and "Please choose at least one event." in refused.text
    answer = client.post(
        f"{page}/",
        data={"events": [events.ASSIGNMENT_OVERDUE], "description": "BI", "active": ""},
    )
    assert answer.status_code == 302
    db.refresh(endpoint)
    assert (endpoint.events, endpoint.description, endpoint.active) == (
        "assignment.overdue",
        "BI",
        False,
    )
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.update"))
    assert entry.changes["active"] == [True, False]


def test_a_new_secret_and_deleting_need_the_box_ticked(app, client, db, world, login):
    login(world.admin)
    company = world.a.company
    add(client, company, "https://hr.example.com/")
    endpoint = endpoint_of(db, company)
    old = secret_of(app, endpoint)
    page = f"{base(company)}/{endpoint.id}"
    assert client.post(f"{page}/secret").status_code == 302
    db.refresh(endpoint)
    assert secret_of(app, endpoint) == old
    answer = client.post(f"{page}/secret", data={"confirm": "y"})
    db.refresh(endpoint)
    new = secret_of(app, endpoint)
    assert new != old and new in answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    client.post(f"{page}/delete")
    assert endpoint_of(db, company) is not None
    client.post(f"{page}/delete", data={"confirm": "y"})
    assert endpoint_of(db, company) is None


def test_another_companys_endpoints_and_deliveries_answer_404(app, client, db, world, login):
    own, _ = create(app, db, world, world.a.company, "https://a.example.com/")
    foreign, _ = create(app, db, world, world.b.company, "https://b.example.com/")
    foreign_delivery = service.send_test(db, Actor(world.admin), foreign, NOW)
    foreign_delivery.failed_at = NOW
    own_delivery = service.send_test(db, Actor(world.admin), own, NOW)
    own_delivery.failed_at = NOW
    db.flush()
    login(world.admin)
    a = base(world.a.company)
    gets = [f"{a}/{foreign.id}/", f"{a}/99999999999999999999/"]
    posts = [
        f"{a}/{foreign.id}/",
        f"{a}/{foreign.id}/secret",
        f"{a}/{foreign.id}/delete",
        f"{a}/{foreign.id}/test",
        f"{a}/{foreign.id}/deliveries/{foreign_delivery.id}/resend",
        f"{a}/{own.id}/deliveries/{foreign_delivery.id}/resend",  # mixed: own endpoint
        f"{base(world.b.company)}/{own.id}/deliveries/{own_delivery.id}/resend",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, data={"confirm": "y"}).status_code == 404, url
    assert client.get("/admin/companies/99999/webhooks/").status_code == 404
    assert db.get(WebhookEndpoint, foreign.id) is not None
    assert len(hooks(db)) == 2  # nothing sent again


def test_managers_have_no_webhook_pages(client, world, login):
    login(world.a.manager)
    assert client.get(f"{base(world.a.company)}/").status_code == 403


def test_the_company_section_lists_the_endpoints_with_their_last_delivery(app, db, world):
    endpoint, _ = create(app, db, world, world.a.company, "https://hr.example.com/x")
    delivery = service.send_test(db, Actor(world.admin), endpoint, NOW)
    delivery.sent_at = NOW
    db.flush()
    with app.test_request_context(headers=EN):
        html = render_template(
            "webhooks/_company_section.html",
            company=world.a.company,
            webhook_endpoints=service.company_endpoints(db, world.a.company.id),
        )
        empty = render_template(
            "webhooks/_company_section.html", company=world.b.company, webhook_endpoints=[]
        )
    assert "https://hr.example.com/x" in html and "delivered" in html
    assert "No webhooks yet" in empty
