"""Kiosk mode in Chromium: a manager makes the break-room tablet a shared device; an
employee signs in there with personnel number and PIN, is signed out after the idle
time with a visible countdown, and "back" shows nothing of them; "Fertig" signs out
too, and the browser's storage of the person is cleared.

The idle time is cut to a few seconds for this test (`KIOSK_IDLE_SECONDS` of the live
server's app, put back afterwards). The texts of this feature are asserted through
structure (ids, addresses), not words, so that they hold before and after the German
translation is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from tests.e2e.conftest import LiveServer, PageFactory
from tests.e2e.test_browser import log_in

MANAGER = "sabine.krueger@mueller-metallbau.example"
COMPANY = "Müller Metallbau"
LEARNER_NAME = "Kira Kiosk"
NUMBER = "KIOSK-4711"
PIN = "582914"
DEVICE = "Tablet Pausenraum Halle 2"
IDLE_SECONDS = 12  # the countdown shows its last 6 seconds (half the idle time)


@pytest.fixture
def short_idle(live_server: LiveServer) -> Iterator[None]:
    config = live_server.app.config
    before = config["KIOSK_IDLE_SECONDS"]
    config["KIOSK_IDLE_SECONDS"] = IDLE_SECONDS
    try:
        yield
    finally:
        config["KIOSK_IDLE_SECONDS"] = before


@pytest.fixture(scope="module")
def pin_learner(live_server: LiveServer) -> Iterator[str]:
    """An employee of the company without e-mail address, with personnel number and PIN;
    removed afterwards with the devices set up here, so other tests see the demo as is."""
    from lms.audit.service import Actor
    from lms.models import Company, Role, User
    from lms.models.shop_floor import SharedDevice
    from lms.pins import service as pins
    from lms.reports import compliance

    app = live_server.app
    database = app.extensions["db"]
    with app.test_request_context(), database.begin() as session:
        company = session.scalars(select(Company).where(Company.name.contains("Müller"))).first()
        assert company is not None
        user = User(
            email=None,
            display_name=LEARNER_NAME,
            company=company,
            personnel_number=NUMBER,
            created_at=datetime.now(UTC),
        )
        user.grant(Role.LEARNER)
        session.add(user)
        session.flush()
        compliance.cells_changed(session, company.id)
        pins.set_pin(session, Actor.command(), user, PIN, datetime.now(UTC))
        user_id, company_id = user.id, company.id
    yield NUMBER
    with app.test_request_context(), database.begin() as session:
        session.execute(delete(User).where(User.id == user_id))
        session.execute(delete(SharedDevice).where(SharedDevice.name == DEVICE))
        compliance.cells_changed(session, company_id)


def _enrol_this_browser(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, MANAGER)
    page.goto(live_server("/team/"))
    page.locator(".team-menu summary").click()
    page.locator(".team-menu a[href$='/team/devices/']").click()
    expect(page).to_have_url(re.compile(r"/team/devices/$"))
    page.locator("#name").fill(DEVICE)
    page.locator("form[action$='/team/devices/enrol'] button[type=submit]").click()
    expect(page.locator(".device-table")).to_contain_text(DEVICE)
    expect(page.locator("#this-device .status--ok")).to_be_visible()


def _sign_out_manager(page: Page) -> None:
    page.locator(".user-nav form[action$='/logout'] button").click()
    expect(page).to_have_url(re.compile(r"/kiosk/$"))
    expect(page.locator(".kiosk-start h1")).to_be_visible()


def _sign_in_with_pin(page: Page, live_server: LiveServer, number: str) -> None:
    page.goto(live_server("/"))
    expect(page).to_have_url(re.compile(r"/kiosk/$"))
    page.locator("#kiosk-person").fill(number)
    page.locator("#kiosk-pin").fill(PIN)
    page.locator(".kiosk-choice form[action$='/pin/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/learn/"))
    expect(page.locator("main")).to_contain_text(LEARNER_NAME)


def _nothing_of_them(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/kiosk/$"))
    expect(page.locator(".kiosk-start")).to_be_visible()
    assert LEARNER_NAME not in page.content()


def test_idle_sign_out_with_countdown_leaves_nothing_behind(
    new_page: PageFactory, live_server: LiveServer, pin_learner: str, short_idle: None, screens
) -> None:
    page = new_page(phone=True)
    _enrol_this_browser(page, live_server)
    _sign_out_manager(page)
    screens(page, "kiosk-start-360")
    assert not page.locator("input[name=remember]").count()

    _sign_in_with_pin(page, live_server, pin_learner)
    expect(page.locator("#kiosk-done button")).to_be_visible()
    assert not page.locator(".user-nav form[action$='/logout']").count()
    page.evaluate("localStorage.setItem('kiosk-test', 'of the learner')")
    # A page the person opens, to go back to later.
    page.goto(live_server("/learn/certificates"))
    expect(page.locator("main")).to_be_visible()

    countdown = page.locator("#kiosk-countdown")
    expect(countdown).to_be_visible(timeout=IDLE_SECONDS * 1000)
    expect(countdown.locator(".kiosk-countdown__text")).to_have_text(re.compile(r"\d+"))
    assert countdown.locator("[aria-live]").count() == 1
    screens(page, "kiosk-countdown-360")
    # Input hides it again.
    page.locator(".kiosk-countdown__stay").click()
    expect(countdown).to_be_hidden()

    expect(countdown).to_be_visible(timeout=IDLE_SECONDS * 1000)
    expect(page).to_have_url(re.compile(r"/kiosk/$"), timeout=IDLE_SECONDS * 1000)
    _nothing_of_them(page)
    expect(page.locator(".flashes")).to_be_visible()
    assert page.evaluate("localStorage.getItem('kiosk-test')") is None

    # "Back" leads to the start screen again, never to the person's pages.
    page.go_back()
    page.wait_for_load_state()
    _nothing_of_them(page)
    page.go_back()
    page.wait_for_load_state()
    assert LEARNER_NAME not in page.content()
    assert not page.locator("#kiosk-done").count()


def test_done_signs_out_to_the_start_screen(
    new_page: PageFactory, live_server: LiveServer, pin_learner: str, screens
) -> None:
    page = new_page()
    _enrol_this_browser(page, live_server)
    _sign_out_manager(page)
    screens(page, "kiosk-start-1280")
    _sign_in_with_pin(page, live_server, pin_learner)
    page.goto(live_server("/learn/certificates"))
    page.locator("#kiosk-done button").click()
    _nothing_of_them(page)
    page.go_back()
    page.wait_for_load_state()
    assert LEARNER_NAME not in page.content()
    assert not page.locator("#kiosk-done").count()
