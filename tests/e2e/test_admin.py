"""An admin in the browser: a new company, 30 people imported from a Windows-1252 CSV through
the dry run, and one of them accepts the invitation and sees their start page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.models import OutboxMessage
from tests.e2e.conftest import LiveServer, PageFactory
from tests.e2e.test_browser import log_in

PEOPLE = [(f"Person{i:02d}", "Müller" if i % 2 else "Schröder") for i in range(30)]


def windows_csv(tmp_path):
    lines = ["E-Mail;Vorname;Nachname;Abteilung;Rollen"]
    for first, last in PEOPLE:
        lines.append(f"{first.lower()}@werft.example;{first};{last};Werkstatt;Mitarbeitende")
    path = tmp_path / "mitarbeitende.csv"
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return path


def test_admin_onboards_a_company_from_a_csv_and_a_new_person_logs_in(
    page: Page, new_page: PageFactory, live_server: LiveServer, tmp_path, screens
) -> None:
    log_in(page, live_server, "admin@zukunftszentrum.example")
    page.get_by_role("link", name="Neues Unternehmen").click()
    page.get_by_label("Name", exact=True).fill("Werft Nord GmbH")
    page.get_by_label("Kurzname").fill("werft-nord")
    page.get_by_role("button", name="Unternehmen anlegen").click()
    expect(page.get_by_role("status")).to_contain_text("Werft Nord GmbH ist angelegt")
    page.get_by_label("Neue Abteilung").fill("Werkstatt")
    page.get_by_role("button", name="Abteilung hinzufügen").click()
    expect(page.get_by_role("status")).to_contain_text("Die Abteilung ist hinzugefügt.")

    page.get_by_role("link", name="Personen suchen und verwalten").click()
    page.get_by_role("link", name="Personen aus Excel oder CSV importieren").click()
    page.get_by_label("Datei (CSV oder XLSX)").set_input_files(str(windows_csv(tmp_path)))
    page.get_by_role("button", name="Datei prüfen").click()
    expect(page.get_by_text("anlegen und einladen: 30")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("person07@werft.example"))).to_be_visible()
    screens(page, "admin-import-check")
    page.get_by_role("button", name="Jetzt importieren").click()
    expect(page.get_by_text("Der Import ist fertig: 30 angelegt und eingeladen")).to_be_visible()
    expect(page.get_by_text("30 Personen")).to_be_visible()

    with live_server.app.extensions["db"].begin() as session:
        body = session.scalar(
            select(OutboxMessage.body).where(OutboxMessage.recipient == "person07@werft.example")
        )
    link = re.search(r"http\S+/invitation/\S+", body).group(0)
    newcomer = new_page(phone=True)
    newcomer.goto(link)
    newcomer.get_by_label("Neues Passwort", exact=True).fill("Werft am Meer 2026!")
    newcomer.get_by_label("Neues Passwort wiederholen").fill("Werft am Meer 2026!")
    newcomer.get_by_role("button", name="Konto aktivieren").click()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Meine Lernmodule")
    expect(newcomer.get_by_text("Werft Nord GmbH")).to_be_visible()
    screens(newcomer, "newcomer-start-page")
