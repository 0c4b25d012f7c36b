"""The catalogue's search and topic filter on a phone without JavaScript (issue 18, point 17):
a plain GET form whose filters stay in the address and in the fields."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_browser import log_in, scroll_width

EMAIL = "karl.katalog@katalog.example"


@pytest.fixture(scope="module")
def learner(live_server: LiveServer) -> str:
    """A learner of a company of their own: nothing assigned or begun, so every module
    of the shared catalogue is offered."""
    from tests.factories import make_company, make_user

    app = live_server.app
    with app.test_request_context(), app.extensions["db"].begin() as session:
        company = make_company(session, "Katalog GmbH")
        make_user(session, company, email=EMAIL, password=live_server.password, name="Karl Katalog")
    return EMAIL


def test_search_and_topic_filter_work_on_a_phone_without_javascript(
    browser: Browser, live_server: LiveServer, learner: str, screens
) -> None:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, locale="de-DE", java_script_enabled=False,
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
    )  # fmt: skip
    try:
        page = context.new_page()
        log_in(page, live_server, learner)
        cards = page.locator("section.catalogue .course-card h3")
        # The demo's modules and the browser tests' own; others publish more on the way.
        expect(cards.nth(3)).to_be_visible()
        every_module = cards.count()

        # Lower case and umlaut: "prüfkurs" finds "Prüfkurs"; the words stay in the field
        # and in the address.
        page.locator("#catalogue-q").fill("prüfkurs")
        page.locator(".catalogue__filters button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/learn/\?q=pr%C3%BCfkurs.*#catalogue-heading$"))
        expect(cards).to_have_text(["Prüfkurs für Browsertests"])
        expect(page.locator(".catalogue__count")).to_have_text(re.compile(r"^1 "))
        expect(page.locator("#catalogue-q")).to_have_value("prüfkurs")
        assert scroll_width(page) <= PHONE["width"]
        screens(page, "catalogue-phone-search")

        # A topic from the list, with the number of modules it has.
        page.locator("#catalogue-q").fill("")
        page.locator("#catalogue-topic").select_option("Datenschutz")
        page.locator(".catalogue__filters button[type=submit]").click()
        expect(cards).to_have_text(
            ["Datenschutz im Arbeitsalltag", "KI im Betrieb – Grundlagen für Beschäftigte"]
        )
        expect(page.locator("#catalogue-topic option:checked")).to_have_text("Datenschutz (2)")

        # A topic on a card filters by it; nothing found leads back to the whole catalogue.
        page.locator(".course-card .topics a", has_text="Digitale Werkzeuge").first.click()
        expect(cards).to_have_text(
            ["IT-Sicherheit am Arbeitsplatz", "KI im Betrieb – Grundlagen für Beschäftigte"]
        )
        expect(page.locator("#catalogue-topic")).to_have_value("Digitale Werkzeuge")
        page.locator("#catalogue-q").fill("Gabelstapler")
        page.locator(".catalogue__filters button[type=submit]").click()
        expect(cards).to_have_count(0)
        expect(page.locator(".catalogue__count")).to_have_text(re.compile(r"^0 "))
        assert scroll_width(page) <= PHONE["width"]
        screens(page, "catalogue-phone-nothing-found")
        page.locator("section.catalogue > p a").click()
        expect(cards).to_have_count(every_module)
    finally:
        context.close()
