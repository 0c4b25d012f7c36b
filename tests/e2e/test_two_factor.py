"""The second factor in Chromium: a new admin sets it up right after the password (QR
code and key, first code, recovery codes), then signs in with password and code."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyotp
import pytest

from lms.models import Role
from tests.e2e.conftest import LiveServer, PageFactory
from tests.factories import PASSWORD, make_user
from tests.two_factor_helpers import answer_for

if TYPE_CHECKING:
    from playwright.sync_api import Page


def new_admin(live_server: LiveServer, email: str) -> None:
    """An admin without a second factor (as every admin before this release)."""
    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        make_user(session, None, Role.ADMIN, name="Neue Admin", email=email, second_factor=False)


def log_in_with_password(page: Page, live_server: LiveServer, email: str) -> None:
    page.goto(live_server("/login"))
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.locator("main button[type=submit]").click()


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_new_admin_sets_up_the_second_factor_and_signs_in_with_it(
    new_page: PageFactory,
    live_server: LiveServer,
    screens: Callable[[Page, str], Path],
    phone: bool,
) -> None:
    from playwright.sync_api import expect

    width = 360 if phone else 1280
    email = f"neue.admin.{width}@zukunftszentrum.example"
    new_admin(live_server, email)
    page = new_page(phone=phone)

    log_in_with_password(page, live_server, email)
    expect(page).to_have_url(re.compile(r"/login/set-up$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    qr = page.locator(".two-factor__qr svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 150  # type: ignore[index]  # scannable
    secret = page.locator(".two-factor__secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    # Nothing else opens before it is set up.
    page.goto(live_server("/admin/"))
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.goto(live_server("/login/set-up"))
    assert page.locator(".two-factor__secret").inner_text().replace(" ", "") == secret
    code_field = page.locator("input[name=code]")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert code_field.get_attribute("inputmode") == "numeric"
    screens(page, f"two-factor-set-up-{width}")

    code_field.fill(pyotp.TOTP(secret).now())
    page.locator("main button[type=submit]").click()
    codes = page.locator(".two-factor-codes__list code")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", c) for c in codes.all_inner_texts())
    screens(page, f"two-factor-recovery-codes-{width}")
    page.locator("main a.button").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    # Signed out and in again: the password, then the code of the app.
    page.context.clear_cookies()
    log_in_with_password(page, live_server, email)
    expect(page).to_have_url(re.compile(r"/login/code$"))
    screens(page, f"two-factor-code-{width}")
    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        path, code = answer_for(session, email, datetime.now(UTC))
    if path != "/login/code":  # this moment's codes are used up: a recovery code
        page.goto(live_server(path))
    page.locator("input[name=code]").fill(code)
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
