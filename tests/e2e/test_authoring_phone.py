"""A trainer on a 360 px phone: the draft's units listed by their titles, the editor
with the learner's preview shown from the start (also without JavaScript), the saved
file's warning gone once the live check is clean, and no page wider than the screen."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PHONE, LiveServer, PageFactory
from tests.e2e.test_browser import log_in, scroll_width

SLUG = "pausen-phone"
LONG_NAME = "03-sicheres-arbeiten-mit-flurfoerderzeugen-im-hochregallager.md"


def fits(page: Page) -> None:
    """Nothing on the page is wider than the phone (no sideways scrolling)."""
    page.wait_for_load_state()
    assert scroll_width(page) <= PHONE["width"], page.url


def test_a_trainer_edits_a_draft_on_a_phone(
    new_page: PageFactory, browser: Browser, live_server: LiveServer, screens
) -> None:
    page = new_page(phone=True)
    log_in(page, live_server, "trainer@zukunftszentrum.example")
    page.goto(live_server("/author/drafts"))
    fits(page)
    page.get_by_label("Titel", exact=True).fill("Pausen richtig nutzen")
    page.get_by_label("Kurzname (Ordner)", exact=True).fill(SLUG)
    page.get_by_role("button", name="Mit der Vorlage beginnen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Entwurf von {SLUG}")
    # A unit with a long file name: it wraps instead of widening the page.
    page.get_by_label("Neue Lektionsdatei").fill(LONG_NAME)
    page.get_by_role("button", name="Hinzufügen", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Neue Lektion")
    fits(page)
    # Empty, the new lesson has an error: no preview yet, and the page says so. Typed
    # text shows in the preview as learners will see it.
    expect(page.locator("#preview-waiting")).to_be_visible()
    page.get_by_label(f"Markdown von {LONG_NAME}").fill(
        "---\ntype: lesson\ntitle: Sicher im Hochregallager\n---\n\nDen **Gurt** anlegen.\n"
    )
    expect(page.locator("#live-preview").locator("strong")).to_have_text("Gurt")
    expect(page.locator("#preview-waiting")).to_be_hidden()
    page.get_by_role("button", name="Speichern", exact=True).click()

    expect(page.get_by_text("Keine Probleme gefunden.")).to_be_visible()
    fits(page)
    units = page.get_by_role("list", name="Lerneinheiten")
    expect(units.locator(".unit-order__title")).to_have_text(
        ["Einstieg", "Wissenscheck", "Sicher im Hochregallager"]
    )
    expect(units.get_by_text("01-einstieg.md")).to_be_visible()  # the file, secondary
    screens(page, "authoring-phone-draft")

    # The editor: the unit as learners see it is there at once, below the editor.
    units.get_by_role("link", name="Einstieg").click()
    preview = page.locator("#live-preview")
    expect(preview.get_by_role("heading", name="Worum es geht")).to_be_visible()
    fits(page)
    editor = page.get_by_label("Markdown von 01-einstieg.md")
    editor.fill(editor.input_value().replace("minutes: 5", "minutes: viele"))
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(page.get_by_role("link", name="01-einstieg.md:4")).to_be_visible()
    fits(page)

    # The saved file's warning stays while the problem does, and goes once it is fixed.
    page.get_by_role("link", name="01-einstieg.md:4").click()
    saved = page.locator("#saved-problems")
    expect(page.get_by_role("button", name="Zeile 4")).to_be_visible()
    expect(saved).to_be_visible()
    editor = page.get_by_label("Markdown von 01-einstieg.md")
    editor.fill(editor.input_value().replace("minutes: viele", "minutes: 5"))
    expect(page.get_by_text("Keine Probleme in dieser Datei.")).to_be_visible()
    expect(saved).to_be_hidden()
    expect(preview.get_by_role("heading", name="Worum es geht")).to_be_visible()
    fits(page)
    screens(page, "authoring-phone-editor")
    page.get_by_role("button", name="Speichern", exact=True).click()

    # The learner's preview of the draft fits the phone too.
    page.get_by_role("link", name="Vorschau als Lernende:r").click()
    fits(page)
    page.get_by_role("link", name="Wissenscheck").click()
    fits(page)

    # Without JavaScript: the preview is filled by the server; the live check is absent.
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, locale="de-DE", java_script_enabled=False,
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
    )  # fmt: skip
    try:
        plain = context.new_page()
        log_in(plain, live_server, "trainer@zukunftszentrum.example")
        plain.goto(live_server(f"/author/drafts/{SLUG}/files/02-wissenscheck.md"))
        expect(plain.locator("#live-preview")).to_contain_text("Welche Antwort ist richtig?")
        expect(plain.locator("#live-check")).to_be_hidden()
        fits(plain)
    finally:
        context.close()
