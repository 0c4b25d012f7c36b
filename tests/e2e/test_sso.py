"""Single sign-on in Chromium, end to end through a real OpenID provider
(`oidc-provider` on loopback): a Müller Metallbau employee types only their address,
signs in at the company's provider, lands on their modules, and signing out ends the
session at the provider too and comes back to Lernwerk's login page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import delete, select

from lms.audit.service import Actor
from lms.models import User
from lms.models.integration import SsoDomain, SsoIdentity, SsoSettings
from lms.sso import service
from tests.e2e.conftest import LiveServer
from tests.oidc_fixture import (
    CLIENT_ID,
    CLIENT_SECRET,
    RunningProvider,
    client_settings,
    start_provider,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

EMAIL = "jonas.becker@mueller-metallbau.example"


@pytest.fixture(scope="module")
def company_provider(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningProvider]:
    """A provider that knows Jonas and sends browsers back to the live server, set up
    as Müller Metallbau's; the company's settings are removed afterwards, so the
    other browser tests sign in with passwords as before."""
    provider = start_provider(
        client_settings(
            [live_server("/sso/callback")],
            [live_server("/login")],
            [{"sub": "mm-0001", "email": EMAIL, "name": "Jonas Becker"}],
        ),
        tmp_path_factory.mktemp("oidc-e2e"),
    )
    app = live_server.app
    database = app.extensions["db"]
    with app.test_request_context(), database.begin() as session:
        person = session.scalar(select(User).where(User.email == EMAIL))
        assert person is not None and person.company is not None
        company_id = person.company.id
        fields = service.SettingsFields(
            enabled=True, issuer=provider.issuer, client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET, domains=("mueller-metallbau.example",),
            required=False, create_people=False, group_claim="", provider_logout=True,
        )  # fmt: skip
        service.save_settings(session, Actor.command(), person.company, fields, datetime.now(UTC))
    try:
        yield provider
    finally:
        with database.begin() as session:
            for model in (SsoIdentity, SsoDomain, SsoSettings):
                session.execute(delete(model).where(model.company_id == company_id))
        provider.stop()
        print(provider.log())  # shown when a test failed


def test_an_employee_signs_in_through_the_company_provider_and_out_again(
    page: Page, live_server: LiveServer, company_provider: RunningProvider
) -> None:
    page.goto(live_server("/login"))
    page.fill("#email", EMAIL)
    page.click("main button[type=submit]")  # no password: the company signs them in
    # The provider's sign-in form, the address already filled in (login_hint).
    page.wait_for_url(re.compile(re.escape(company_provider.issuer) + "/interaction/"))
    assert page.input_value("input[name=login]") == EMAIL
    page.fill("input[name=password]", "at the provider")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(live_server("/learn/"))))
    assert page.get_by_role("heading", level=1).count() == 1
    assert "Jonas" in page.content()
    with live_server.app.app_context(), live_server.app.extensions["db"].begin() as session:
        subjects = session.scalars(
            select(SsoIdentity.subject).join(User).where(User.email == EMAIL)
        ).all()
    assert subjects == ["mm-0001"]  # linked by the provider's subject, not the address

    page.get_by_role("button", name="Abmelden").click()
    # The provider asks to confirm its own sign-out, then sends the browser back.
    page.wait_for_url(re.compile(re.escape(company_provider.issuer) + "/session/end"))
    page.click("button[value=yes]")
    page.wait_for_url(re.compile(re.escape(live_server("/login"))))
    page.goto(live_server("/learn/"))
    assert "/login" in page.url
