"""People without an e-mail address in the browser (issue 19): an admin imports a sheet in
which two employees have none, finds them in the people list, their manager sees them in
the team matrix, and the admin downloads one's data and erases them."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.models import Company
from tests.e2e.conftest import LiveServer, PageFactory
from tests.e2e.test_browser import log_in

# Numbers of their own: the demo may have people without an address too.
SHEET = (
    "Personalnummer;Vorname;Nachname;E-Mail;Abteilung\r\n"
    "E2E-OE-1;Olga;Ohnemail;;Lager\r\n"
    "E2E-OE-2;Piet;Papierlos;;Lager\r\n"
)


def test_people_without_email_are_imported_listed_shown_exported_and_erased(
    page: Page, new_page: PageFactory, live_server: LiveServer, tmp_path
) -> None:
    with live_server.app.extensions["db"].begin() as session:
        company_id = session.scalar(
            select(Company.id).where(Company.short_name == "nordlicht-logistik")
        )
    people = live_server(f"/admin/companies/{company_id}/people")
    sheet = tmp_path / "halle.csv"
    sheet.write_bytes(SHEET.encode("cp1252"))

    log_in(page, live_server, "admin@zukunftszentrum.example")
    page.goto(live_server(f"/admin/companies/{company_id}/import"))
    page.get_by_label("Datei (CSV oder XLSX)").set_input_files(str(sheet))
    page.get_by_role("button", name="Datei prüfen").click()
    expect(page.get_by_role("row", name=re.compile("E2E-OE-1"))).to_be_visible()
    page.get_by_role("button", name="Jetzt importieren").click()
    expect(page.get_by_text(re.compile("Der Import ist fertig"))).to_be_visible()

    page.goto(people + "?q=e2e-oe")
    olga = page.get_by_role("row", name=re.compile("Olga Ohnemail"))
    expect(olga).to_contain_text("E2E-OE-1")
    expect(page.get_by_role("row", name=re.compile("Piet Papierlos"))).to_be_visible()

    manager = new_page()
    log_in(manager, live_server, "thomas.brandt@nordlicht-logistik.example")
    manager.goto(live_server("/team/"))
    expect(manager.get_by_role("link", name="Olga Ohnemail")).to_be_visible()

    olga.get_by_role("link", name="Olga Ohnemail").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Olga Ohnemail")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Olga Ohnemail.*JSON")).click()
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert data["profile"]["email"] is None
    assert data["profile"]["personnel_number"] == "E2E-OE-1"

    page.locator("details.danger-zone summary").click()
    page.locator("#confirm").fill("E2E-OE-1")
    page.locator("details.danger-zone button[type=submit]").click()
    expect(page.locator(".notice--success")).to_contain_text("Gelöschte Person")
    page.goto(people + "?q=e2e-oe")
    expect(page.get_by_role("row", name=re.compile("Olga Ohnemail"))).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile("Piet Papierlos"))).to_be_visible()
