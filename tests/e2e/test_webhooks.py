"""An admin in the browser connects a company's system by webhook: adds the endpoint,
copies the signing secret shown once, sends a test event, and sees the receiver's
answer after the sender ran; deactivating a person on the people page is told too.

Selectors are ids and structure, not words: the pages' texts are translated."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.models import Company
from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import log_in
from tests.webhook_receiver import WebhookReceiver


def _company_id(live_server: LiveServer) -> int:
    with live_server.app.extensions["db"].begin() as session:
        return int(
            session.scalar(select(Company.id).where(Company.name == "Müller Metallbau GmbH"))
        )


def _send(live_server: LiveServer) -> str:
    result = live_server.app.test_cli_runner().invoke(args=["mail", "send"])
    return str(result.output)


def test_admin_connects_a_system_and_its_deliveries_are_signed(
    page: Page, live_server: LiveServer, screens
) -> None:
    company_id = _company_id(live_server)
    hooks = live_server(f"/admin/companies/{company_id}/webhooks/")
    with WebhookReceiver() as receiver:
        log_in(page, live_server, "admin@zukunftszentrum.example")
        page.goto(hooks + "new")
        page.locator("#url").fill(receiver.url)
        page.locator("#description").fill("Personio")
        page.locator("main form button[type=submit]").click()
        secret = page.locator("#signing-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        screens(page, "webhook-secret-shown-once")
        page.locator("main a.button").click()
        expect(page.locator("#deliveries")).to_be_visible()
        assert secret not in page.content()

        page.locator("#deliveries form button[type=submit]").first.click()
        _send(live_server)
        page.reload()
        expect(page.locator("#deliveries tbody tr")).to_have_count(1)
        expect(page.locator("#deliveries tbody .status--ok")).to_be_visible()
        expect(page.locator("#deliveries tbody")).to_contain_text("HTTP 200")
        screens(page, "webhook-endpoint-deliveries")
        (ping,) = receiver.deliveries
        assert ping.verified and ping.event["type"] == "ping"

        # A person added and deactivated on the people page: the company's system is
        # told of both.
        people = live_server(f"/admin/companies/{company_id}/people")
        page.goto(people + "/new")
        page.locator("#display_name").fill("Wilma Webhook")
        page.locator("#email").fill("wilma.webhook@mueller-metallbau.example")
        page.locator("main form button[type=submit]").click()
        page.goto(people + "?q=Wilma")
        page.get_by_role("link", name="Wilma Webhook").click()
        page.locator("form[action$='/deactivate'] button[type=submit]").click()
        _send(live_server)
        created, deactivated = receiver.deliveries[-2:]
        assert created.event["type"] == "person.created"
        assert deactivated.event["type"] == "person.deactivated"
        assert created.verified and deactivated.verified
        person = deactivated.event["data"]["person"]
        assert person["email"] == "wilma.webhook@mueller-metallbau.example"
        assert deactivated.event["company_id"] == company_id

        page.goto(hooks)
        expect(page.locator("main table tbody tr")).to_have_count(1)
        screens(page, "webhook-endpoints")
