"""A session in the browser: a trainer plans it, an employee books it, checks in by QR code,
and attendance and completion of the in-person part appear."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, PageFactory
from tests.e2e.test_browser import log_in

UNIT = "IT-Sicherheit am Arbeitsplatz – Kurz-Workshop „Phishing erkennen“"
LEARNER = "tim.schroeder@mueller-metallbau.example"


def test_trainer_plans_learner_books_and_checks_in_by_qr_code(
    page: Page, new_page: PageFactory, live_server: LiveServer, screens
) -> None:
    # The session starts in 15 minutes, so check-in is open (from 30 minutes before).
    start = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(minutes=15)).replace(
        second=0, microsecond=0
    )
    log_in(page, live_server, "trainer@zukunftszentrum.example")
    page.get_by_role("link", name="Präsenztermine").click()
    page.get_by_role("link", name="Termin planen").click()
    page.get_by_label("Präsenzteil").select_option(label=UNIT)
    page.get_by_label("Datum", exact=True).fill(start.date().isoformat())
    page.get_by_label("Beginn").fill(start.strftime("%H:%M"))
    page.get_by_label("Dauer in Minuten (optional)").fill("30")
    page.get_by_label("Ort (optional)").fill("Werkhalle 2, Müller Metallbau")
    page.get_by_label("Plätze").fill("6")
    page.get_by_label("Buchbar bis (Datum) (optional)").fill(start.date().isoformat())
    page.get_by_label("Buchbar bis (Uhrzeit) (optional)").fill(start.strftime("%H:%M"))
    page.get_by_role("button", name="Termin planen").click()
    expect(page.get_by_role("status")).to_contain_text("Der Termin ist geplant.")
    expect(page.get_by_text("Noch niemand hat diesen Termin gebucht.")).to_be_visible()
    roster_url = page.url

    learner = new_page(phone=True)
    log_in(learner, live_server, LEARNER)
    learner.goto(live_server("/learn/courses/it-sicherheit"))
    learner.get_by_role("button", name="Lernmodul beginnen").click()
    learner.goto(live_server("/learn/courses/it-sicherheit/workshop-phishing"))
    learner.get_by_role("button", name="Diesen Termin buchen").click()
    expect(learner.get_by_role("status")).to_contain_text("Ihr Platz ist gebucht.")
    expect(learner.get_by_role("heading", name="Ihr Termin")).to_be_visible()
    screens(learner, "learner-booked-session")

    page.goto(roster_url)
    expect(page.get_by_role("row", name="Tim Schröder")).to_be_visible()
    page.get_by_role("link", name="QR-Code zum Einchecken zeigen").click()
    expect(page.get_by_role("img", name="QR-Code für den Check-in")).to_be_visible()
    screens(page, "trainer-check-in-code")
    check_in_url = page.locator("details code").text_content()
    assert check_in_url and "/learn/check-in/" in check_in_url

    learner.goto(check_in_url)
    learner.get_by_role("button", name="Ich bin da – einchecken").click()
    expect(learner.get_by_role("status")).to_contain_text("Sie sind eingecheckt.")
    screens(learner, "learner-checked-in")

    page.goto(roster_url)
    row = page.get_by_role("row", name="Tim Schröder")
    expect(row).to_contain_text("eingecheckt um")
    expect(row.get_by_label("anwesend", exact=True)).to_be_checked()

    learner.goto(live_server("/learn/courses/it-sicherheit"))
    workshop = learner.get_by_role("listitem").filter(has_text="Kurz-Workshop")
    expect(workshop).to_contain_text("teilgenommen")
