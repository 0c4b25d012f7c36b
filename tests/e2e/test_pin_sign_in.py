"""PIN sign-in in Chromium (issue 19): wrong PINs are throttled and lock the PIN, the
page never says more than "the details are not correct", the manager resets the PIN
on the person's page, and the new PIN signs in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import log_in

try:
    from playwright.sync_api import Page, expect
except ModuleNotFoundError:  # conftest skips every test (or fails them with LMS_E2E_REQUIRED=1)
    Page = expect = None  # type: ignore[assignment,misc]

MANAGER = "sabine.krueger@mueller-metallbau.example"
PIN, NEW_PIN = "482913", "950274"
NUMBER = "E2E-PIN-7"
# The generic answer, in German or (before the translations) in English.
WRONG = re.compile(r"Die Angaben stimmen nicht|The details are not correct")
TOO_MANY = re.compile(r"Zu viele|Too many wrong attempts")


@pytest.fixture
def shop_floor_person(live_server: LiveServer) -> Iterator[dict[str, Any]]:
    """A learner of the manager's company without an e-mail address, with a PIN; the PIN
    locks after 3 wrong ones here (the budgets per account are wider for this test)."""
    from lms.models import Role, User
    from lms.services.passwords import hash_password

    app = live_server.app
    saved = {key: app.config[key] for key in ("PIN_LOCK_AFTER", "PIN_LIMIT_PER_ACCOUNT")}
    app.config.update(PIN_LOCK_AFTER=3, PIN_LIMIT_PER_ACCOUNT="100 per hour")
    database = app.extensions["db"]
    with app.app_context(), database.begin() as session:
        manager = session.scalars(select(User).where(User.email == MANAGER)).one()
        departments = manager.managed_departments or [manager.department]
        person = User(
            email=None,
            display_name="Erik Werkbank",
            personnel_number=NUMBER,
            company_id=manager.company_id,
            department_id=departments[0].id if departments[0] else None,
            pin_hash=hash_password(PIN),
            pin_set_at=datetime.now(UTC),
            created_at=datetime.now(UTC),
        )
        person.grant(Role.LEARNER)
        session.add(person)
        session.flush()
        facts = {"id": person.id, "code": manager.company.sign_in_code}
    try:
        yield facts
    finally:
        app.config.update(saved)
        with app.app_context(), database.begin() as session:
            found = session.get(User, facts["id"])
            if found is not None:
                session.delete(found)


def type_pin(page: Page, live_server: LiveServer, code: str, number: str, pin: str) -> None:
    if not page.url.endswith("/pin/"):
        page.goto(live_server("/pin/"))
    page.locator("#code").fill(code)
    page.locator("#number").fill(number)
    page.locator("#pin").fill(pin)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def test_wrong_pins_lock_the_pin_until_the_manager_resets_it(
    new_page, live_server: LiveServer, shop_floor_person: dict[str, Any]
) -> None:
    from lms.models import User
    from lms.services.passwords import hash_password

    code, person_id = shop_floor_person["code"], shop_floor_person["id"]
    tablet = new_page(phone=True)
    # The login page leads to the PIN sign-in.
    tablet.goto(live_server("/login"))
    tablet.locator("a[href='/pin/']").click()
    expect(tablet).to_have_url(re.compile(r"/pin/$"))
    expect(tablet.locator("#pin")).to_have_attribute("inputmode", "numeric")

    for wrong in ("111222", "333444", "555666"):
        type_pin(tablet, live_server, code, NUMBER, wrong)
        expect(tablet.locator("#error-summary")).to_contain_text(WRONG)
        expect(tablet.locator("#pin")).to_have_value("")  # the PIN is never sent back
    # Locked: the right PIN now gets the same answer, and the page stays.
    type_pin(tablet, live_server, code, NUMBER, PIN)
    expect(tablet.locator("#error-summary")).to_contain_text(WRONG)
    expect(tablet).to_have_url(re.compile(r"/pin/$"))
    expect(tablet.locator("#pin-lock-hint")).to_be_visible()

    # The manager sees the lock on the person's page and resets the PIN.
    desk = new_page()
    log_in(desk, live_server, MANAGER)
    desk.goto(live_server(f"/team/people/{person_id}"))
    expect(desk.locator(".pin-status__state--locked")).to_be_visible()
    desk.locator(".pin-status button[type=submit]").click()
    expect(desk.locator(".flashes")).to_be_visible()
    expect(desk.locator(".pin-status__state--locked")).to_have_count(0)
    expect(desk.locator(".pin-status button[type=submit]")).to_have_count(0)

    # The person chooses a new PIN at their next card sign-in (lms/login_cards); here
    # it is set directly, and the tablet signs them in with it.
    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        person = session.get(User, person_id)
        assert person is not None and person.pin_hash is None and person.pin_locked_at is None
        person.pin_hash, person.pin_set_at = hash_password(NEW_PIN), datetime.now(UTC)
    type_pin(tablet, live_server, code, NUMBER, NEW_PIN)
    expect(tablet).to_have_url(re.compile(r"/learn/"))


def test_a_guesser_is_throttled_whether_or_not_the_number_exists(
    page: Page, live_server: LiveServer
) -> None:
    from lms.models import Company

    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        code = session.scalars(select(Company.sign_in_code)).first()
    assert code
    for attempt in range(5):
        type_pin(page, live_server, code, "E2E-NOBODY", f"95027{attempt}")
        expect(page.locator("#error-summary")).to_contain_text(WRONG)
    type_pin(page, live_server, code, "E2E-NOBODY", "950279")
    expect(page.locator("#error-summary")).to_contain_text(TOO_MANY)
