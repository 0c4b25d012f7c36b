"""The app in a real browser: logging in per role, language, logging out, keyboard, phones.

The live server holds the demo data (`lms demo`); every test starts in a fresh
browser context, so no cookies leak from one test to the next. Tests that
change an account (language, logging out everywhere) use an account of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import PHONE, LiveServer, PageFactory

try:
    from playwright.sync_api import Page, expect
except ModuleNotFoundError:  # conftest skips every test (or fails them with LMS_E2E_REQUIRED=1)
    Page = expect = None  # type: ignore[assignment,misc]


@dataclass(frozen=True)
class RoleCase:
    role: str
    email: str
    start_path: str
    heading: str
    nav: tuple[str, ...]


ROLES = (
    RoleCase(
        "learner",
        "jonas.becker@mueller-metallbau.example",
        "/learn/",
        "Meine Lernmodule",
        ("Meine Lernmodule", "Meine Termine", "Meine Zertifikate"),
    ),
    RoleCase(
        # A manager is also a learner, and lands on the team page.
        "manager",
        "sabine.krueger@mueller-metallbau.example",
        "/team/",
        "Mein Team",
        ("Meine Lernmodule", "Meine Termine", "Meine Zertifikate", "Mein Team", "Praxisaufgaben"),
    ),
    RoleCase(
        "trainer",
        "trainer@zukunftszentrum.example",
        "/author/",
        "Lernmodule erstellen",
        ("Lernmodule erstellen", "Präsenztermine", "Praxisaufgaben", "Zu bewerten"),
    ),
    RoleCase(
        "admin",
        "admin@zukunftszentrum.example",
        "/admin/",
        "Verwaltung",
        ("Verwaltung",),
    ),
)
BY_ROLE = {case.role: case for case in ROLES}

WRONG_LOGIN = "E-Mail-Adresse oder Passwort ist nicht richtig."


# --- Helpers ------------------------------------------------------------------


def fill_login(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.locator("main").get_by_role("button", name="Anmelden", exact=True).click()


def log_in(page: Page, live_server: LiveServer, email: str, password: str | None = None) -> None:
    """Log in through the form and wait until the start page is shown (an admin enters
    the code of their authenticator app after the password)."""
    page.goto(live_server("/login"))
    fill_login(page, email, password or live_server.password)
    expect(page).not_to_have_url(re.compile(r"/login(\?|$)"))
    if "/login/code" in page.url:
        enter_second_factor(page, live_server, email)
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.wait_for_load_state()


def enter_second_factor(page: Page, live_server: LiveServer, email: str) -> None:
    """The step after the password: the code the person's app shows now (or, when this
    moment's codes are used up, a recovery code), typed as a person would."""
    from tests.two_factor_helpers import answer_for

    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        path, code = answer_for(session, email, datetime.now(UTC))
    if path != "/login/code":
        page.goto(live_server(path))
    page.locator("input[name=code]").fill(code)
    page.locator("main button[type=submit]").click()


def nav_links(page: Page, label: str = "Hauptnavigation") -> list[str]:
    nav = page.get_by_role("navigation", name=label)
    expect(nav).to_be_visible()
    # A link's first line is its name; a count ("Zu bewerten (2)") follows it.
    return [
        text.strip().split("\n")[0].strip() for text in nav.get_by_role("link").all_inner_texts()
    ]


def scroll_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def path_of(page: Page, live_server: LiveServer) -> str:
    return page.url.removeprefix(live_server.url).split("?")[0]


# --- Logging in -----------------------------------------------------------------


def test_demo_accounts_are_seeded(live_server: LiveServer) -> None:
    emails = {account.email for account in live_server.accounts}
    assert {case.email for case in ROLES} <= emails


def test_login_page_is_german(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server("/"))
    # Anonymous visitors are sent to the login page.
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page).to_have_title("Anmelden – Lernwerk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    expect(page.get_by_role("button", name="Deutsch")).to_have_attribute("aria-pressed", "true")
    # No navigation before logging in.
    expect(page.get_by_role("navigation")).to_have_count(0)


@pytest.mark.parametrize("case", ROLES, ids=lambda case: case.role)
def test_each_role_logs_in_and_sees_german_start_page(
    page: Page, live_server: LiveServer, case: RoleCase
) -> None:
    log_in(page, live_server, case.email)

    assert path_of(page, live_server) == case.start_path
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text(case.heading)
    assert nav_links(page) == list(case.nav)
    expect(
        page.get_by_role("navigation", name="Hauptnavigation").locator("[aria-current=page]")
    ).to_have_text(case.heading)
    account_nav = page.get_by_role("navigation", name="Ihr Konto")
    expect(account_nav.get_by_role("link", name="Profil")).to_be_visible()
    expect(account_nav.get_by_role("button", name="Abmelden")).to_be_visible()


def test_wrong_password_shows_german_error_and_keeps_email(
    page: Page, live_server: LiveServer
) -> None:
    email = BY_ROLE["learner"].email
    page.goto(live_server("/login"))
    fill_login(page, email, "not-the-password")

    expect(page.get_by_role("alert")).to_contain_text(WRONG_LOGIN)
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value(email)
    expect(page.get_by_label("Passwort", exact=True)).to_have_value("")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert path_of(page, live_server) == "/login"


def test_empty_form_names_the_missing_fields(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server("/login"))
    page.locator("main").get_by_role("button", name="Anmelden", exact=True).click()

    summary = page.get_by_role("alert")
    expect(summary.locator(".notice__title")).to_have_text("Bitte korrigieren Sie Folgendes:")
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link").first).to_have_text(
        "E-Mail-Adresse: Bitte füllen Sie dieses Feld aus."
    )
    expect(page.get_by_label("E-Mail-Adresse")).to_have_attribute("aria-invalid", "true")

    # An address whose company has no single sign-on needs the password, and the
    # address typed stays.
    page.get_by_label("E-Mail-Adresse").fill(BY_ROLE["trainer"].email)
    page.locator("main").get_by_role("button", name="Anmelden", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link").first).to_have_text(
        "Passwort: Bitte füllen Sie dieses Feld aus."
    )
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value(BY_ROLE["trainer"].email)
    expect(page.get_by_label("Passwort", exact=True)).to_have_attribute("aria-invalid", "true")

    # The links of the summary lead to the fields.
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Passwort", exact=True)).to_be_focused()


def test_login_returns_to_the_page_asked_for(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server("/profile"))
    expect(page).to_have_url(re.compile(r"/login\?next="))
    fill_login(page, BY_ROLE["trainer"].email, live_server.password)
    expect(page).to_have_url(live_server("/profile"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Profil")


# --- Language ---------------------------------------------------------------------


def test_language_switch_to_english_and_back(page: Page, live_server: LiveServer) -> None:
    # The choice is stored on the account: use one that no other test needs in German.
    log_in(page, live_server, "lena.hoffmann@mueller-metallbau.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Lernmodule")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("My modules")
    assert nav_links(page, "Main navigation") == ["My modules", "My sessions", "My certificates"]
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    assert path_of(page, live_server) == "/learn/"

    # The choice sticks on the next page.
    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")

    page.get_by_role("button", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Profil")
    assert path_of(page, live_server) == "/profile"
    page.get_by_role("link", name="Meine Lernmodule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Lernmodule")


def test_language_switch_before_logging_in(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server("/login"))
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_label("E-mail address")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")

    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    expect(page.locator("html")).to_have_attribute("lang", "de")


# --- Logging out ------------------------------------------------------------------


def test_logout(page: Page, live_server: LiveServer) -> None:
    log_in(page, live_server, BY_ROLE["learner"].email)
    page.get_by_role("button", name="Abmelden").click()

    expect(page.get_by_role("status")).to_have_text("Sie sind abgemeldet.")
    assert path_of(page, live_server) == "/login"
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)

    page.goto(live_server("/"))
    assert path_of(page, live_server) == "/login"
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")

    # The pages of the learning area are closed as well.
    page.goto(live_server("/learn/"))
    assert path_of(page, live_server) == "/login"


def test_logout_ends_the_session_on_other_devices(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    email = "piotr.nowak@mueller-metallbau.example"
    desk, phone = new_page(), new_page(phone=True)
    log_in(desk, live_server, email)
    log_in(phone, live_server, email)

    desk.get_by_role("button", name="Abmelden").click()
    expect(desk.get_by_role("status")).to_have_text("Sie sind abgemeldet.")

    phone.reload()
    assert path_of(phone, live_server) == "/login"


# --- Keyboard ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["login", "start"])
def test_skip_link_is_first_focusable_element(
    page: Page, live_server: LiveServer, where: str
) -> None:
    if where == "start":
        log_in(page, live_server, BY_ROLE["manager"].email)
    else:
        page.goto(live_server("/login"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({text: document.activeElement.textContent.trim(),"
        " href: document.activeElement.getAttribute('href'),"
        " top: document.activeElement.getBoundingClientRect().top})"
    )
    assert focused["text"] == "Zum Inhalt springen"
    assert focused["href"] == "#main"
    assert focused["top"] >= 0, "the focused skip link must be visible"

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


# --- Phones -------------------------------------------------------------------------


def test_login_page_fits_a_phone(phone_page: Page, live_server: LiveServer) -> None:
    phone_page.goto(live_server("/login"))
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert scroll_width(phone_page) <= PHONE["width"]


def test_team_page_fits_a_phone(phone_page: Page, live_server: LiveServer) -> None:
    log_in(phone_page, live_server, BY_ROLE["manager"].email)
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Mein Team")
    expect(phone_page.get_by_role("link", name="Jonas Becker")).to_be_visible()
    assert scroll_width(phone_page) <= PHONE["width"]


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("learner", "/learn/"),
        ("trainer", "/author/"),
        ("admin", "/admin/"),
        ("admin", "link:Müller Metallbau GmbH"),
        ("learner", "/profile"),
        ("manager", "link:Jonas Becker"),
    ],
)
def test_more_pages_fit_a_phone(
    phone_page: Page, live_server: LiveServer, role: str, target: str
) -> None:
    log_in(phone_page, live_server, BY_ROLE[role].email)
    if target.startswith("link:"):
        phone_page.get_by_role("link", name=target.removeprefix("link:")).click()
        expect(phone_page.get_by_role("heading", level=1)).to_have_text(
            target.removeprefix("link:")
        )
    else:
        phone_page.goto(live_server(target))
        expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    assert scroll_width(phone_page) <= PHONE["width"]


def test_phone_user_can_log_in_with_touch(phone_page: Page, live_server: LiveServer) -> None:
    phone_page.goto(live_server("/login"))
    phone_page.get_by_label("E-Mail-Adresse").fill(BY_ROLE["learner"].email)
    phone_page.get_by_label("Passwort", exact=True).fill(live_server.password)
    phone_page.locator("main").get_by_role("button", name="Anmelden", exact=True).tap()
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Meine Lernmodule")


# --- Screenshots for people to look at ------------------------------------------


@pytest.mark.parametrize("phone", [True, False], ids=["360", "1280"])
def test_screenshots(
    new_page: PageFactory,
    live_server: LiveServer,
    screens: Callable[[Page, str], Path],
    phone: bool,
) -> None:
    """Not a check of looks: saves the main pages to tests/e2e/artifacts/screens/."""
    width = 360 if phone else 1280
    saved = []

    page = new_page(phone=phone)
    page.goto(live_server("/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    saved.append(screens(page, f"login-{width}"))

    # Another account than the other tests, to stay clear of the login throttle.
    fill_login(page, "nina.lange@mueller-metallbau.example", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text(WRONG_LOGIN)
    saved.append(screens(page, f"login-error-{width}"))

    for case in ROLES:
        page.context.clear_cookies()  # log in afresh as the next role
        log_in(page, live_server, case.email)
        expect(page.get_by_role("heading", level=1)).to_have_text(case.heading)
        saved.append(screens(page, f"start-{case.role}-{width}"))
        if case.role == "learner":
            page.get_by_role("link", name="Profil").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Profil")
            saved.append(screens(page, f"profile-{case.role}-{width}"))

    assert all(path.stat().st_size > 0 for path in saved)
