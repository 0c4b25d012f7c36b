"""Importing people in the browser: upload, dry run, apply, invitations; mistakes change nothing."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from lms.models import AuditEntry, User

EN = {"Accept-Language": "en"}

WINDOWS_CSV = (
    "E-Mail;Vorname;Nachname;Personalnummer;Abteilung;Rollen;Sprache\r\n"
    "jörg.müller@example.com;Jörg;Müller;P-1;Lager;Mitarbeitende;de\r\n"
    "anna.schütz@example.com;Anna;Schütz;P-2;Büro;Führungskraft;en\r\n"
).encode("cp1252")


def upload(client, company, data, name="leute.csv", **form):
    return client.post(
        f"/admin/companies/{company.id}/import",
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
        headers=EN,
    )


def count(db, company):
    return db.scalar(select(func.count()).select_from(User).where(User.company_id == company.id))


def test_an_admin_checks_a_windows_csv_then_imports_it_and_people_are_invited(
    client, db, world, login, mails
):
    company = world.a.company
    before = count(db, company)
    login(world.admin)
    checked = upload(client, company, WINDOWS_CSV)
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "jörg.müller@example.com" in html and "add and invite" in html
    assert count(db, company) == before  # the dry run changes nothing
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)

    done = client.post(f"/admin/companies/{company.id}/import/apply", data={"token": token})
    assert done.status_code == 302
    assert count(db, company) == before + 2
    anna = db.scalar(select(User).where(User.email == "anna.schütz@example.com"))
    assert anna.personnel_number == "P-2" and anna.department.name == "Büro"
    assert sorted(m.to for m in mails) == ["anna.schütz@example.com", "jörg.müller@example.com"]
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "people.import")).all()
    assert entry.subject == "leute.csv" and entry.changes == {"create": [None, 2]}
    # The same file again: nothing to do.
    again = upload(client, company, WINDOWS_CSV).get_data(as_text=True)
    assert "nothing to import" in again
    # A used token is gone.
    reused = client.post(
        f"/admin/companies/{company.id}/import/apply", data={"token": token}, headers=EN
    )
    assert reused.status_code == 302 and count(db, company) == before + 2


def test_a_file_with_problems_names_each_line_and_changes_nothing(client, db, world, login):
    company = world.a.company
    before = count(db, company)
    bad = (
        "E-Mail;Vorname;Nachname;Abteilung\n"
        "ok@example.com;Ok;Person;Lager\n"
        "=HYPERLINK(1);Böse;Zelle;Lager\n"
        "ok@example.com;Doppelt;Person;Gibtsnicht\n"
    ).encode()
    login(world.admin)
    checked = upload(client, company, bad)
    html = checked.get_data(as_text=True)
    assert checked.status_code == 422
    assert "line 3:" in html and "like a spreadsheet formula" in html
    assert "line 4:" in html and "listed twice" in html and "no department Gibtsnicht" in html
    assert 'name="token"' not in html and count(db, company) == before


def test_a_token_is_bound_to_its_company(client, db, world, login):
    login(world.admin)
    html = upload(client, world.a.company, WINDOWS_CSV).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    other = client.post(
        f"/admin/companies/{world.b.company.id}/import/apply", data={"token": token}
    )
    assert other.status_code == 302 and count(db, world.b.company) == 5
    assert db.scalar(select(User).where(User.email == "anna.schütz@example.com")) is None
