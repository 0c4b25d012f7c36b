"""A manager on a 360 px phone: the team page (overview first, the other pages in a menu,
a card per person) and the assign form showing only what the chosen target needs."""

from __future__ import annotations

import re

from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_browser import BY_ROLE, log_in, scroll_width

try:
    from playwright.sync_api import Page, expect
except ModuleNotFoundError:  # conftest skips every test (or fails them with LMS_E2E_REQUIRED=1)
    Page = expect = None  # type: ignore[assignment,misc]

MANAGER = BY_ROLE["manager"].email


def bottom(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["y"] + box["height"]


def test_the_team_page_reads_as_cards_on_a_phone(
    phone_page: Page, live_server: LiveServer, screens
) -> None:
    log_in(phone_page, live_server, MANAGER)
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Mein Team")

    # The first screen holds the overview: the figure of overdue assignments is on it.
    overdue = phone_page.get_by_role("link", name=re.compile(r"^\d+ überfällig$"))
    expect(overdue).to_be_visible()
    assert bottom(overdue) <= PHONE["height"]
    # The team's other pages wait in a menu that opens without JavaScript.
    proof = phone_page.get_by_role("link", name="Unterweisungsnachweis")
    expect(proof).to_be_hidden()
    phone_page.locator(".team-menu > summary").click()
    expect(proof).to_be_visible()
    phone_page.locator(".team-menu > summary").click()
    expect(proof).to_be_hidden()

    # A card per person: each module's title beside its state, nothing off to the right.
    card = phone_page.get_by_role("row").filter(
        has=phone_page.get_by_role("link", name="Dennis Wagner")
    )
    # (The title is the cell's `data-label`, shown before the state and read with it.)
    done = card.get_by_role(
        "cell", name=re.compile(r"^IT-Sicherheit am Arbeitsplatz abgeschlossen")
    )
    expect(done).to_be_visible()
    title = done.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert title == '"IT-Sicherheit am Arbeitsplatz"'
    box = card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert scroll_width(phone_page) <= PHONE["width"]
    screens(phone_page, "team-phone-360")

    # Tapping a state's figure lists the people with such an assignment.
    overdue.click()
    expect(phone_page).to_have_url(re.compile(r"state=overdue"))
    cards = phone_page.locator(".matrix tbody tr")
    expect(cards.first).to_be_visible()
    for found in cards.all():
        expect(found).to_contain_text("überfällig")


def test_the_assign_form_shows_only_what_the_target_needs(
    phone_page: Page, live_server: LiveServer, screens
) -> None:
    log_in(phone_page, live_server, MANAGER)
    phone_page.goto(live_server("/team/assign"))
    department = phone_page.get_by_label("Abteilung", exact=True)
    search = phone_page.locator("input[name=search]")
    # A department by default: its field, not the list of people.
    expect(department).to_be_visible()
    expect(search).to_be_hidden()

    phone_page.get_by_label("Ausgewählten Personen").check()
    expect(department).to_be_hidden()
    expect(search).to_be_visible()
    phone_page.get_by_label("Fällig am").fill("2099-03-31")
    phone_page.get_by_label("Ayşe Yılmaz").check()
    # Searching (a step that assigns nothing) keeps what was typed and who was selected.
    search.fill("Schweiß")
    phone_page.locator("button[name=step][value=search]").click()
    expect(phone_page.get_by_label("Marco Rossi")).not_to_be_checked()
    expect(phone_page.get_by_label("Ayşe Yılmaz")).to_be_checked()
    expect(phone_page.get_by_label("Nina Lange")).to_have_count(0)  # Fertigung: not found
    expect(phone_page.get_by_label("Fällig am")).to_have_value("2099-03-31")
    # Selecting everyone found adds them to the selection.
    phone_page.locator("button[name=step][value=all]").click()
    expect(phone_page.get_by_label("Marco Rossi")).to_be_checked()
    expect(phone_page.get_by_label("Ayşe Yılmaz")).to_be_checked()
    assert scroll_width(phone_page) <= PHONE["width"]
    screens(phone_page, "assign-phone-360")
