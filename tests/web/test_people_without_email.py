"""People without an e-mail address (issue 19): learners may have none, and then sign in
with their personnel number; adding, editing, importing, exporting, erasing and the
team's reports work for them, and nothing is mailed to them."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.clock import today
from lms.content.importer import import_course
from lms.models import Course, OutboxMessage, Role, User
from lms.services import account_mail, accounts, assignments, companies
from lms.services.companies import CompanyError
from tests.factories import make_user
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}


def without_email(db, company, name="Kai Halle", number="H-100", **kwargs):
    """A learner of `company` without an address (the factory always gives one)."""
    person = make_user(db, company, name=name, personnel_number=number, password=None, **kwargs)
    person.email = None
    db.flush()
    return person


def people_url(company):
    return f"/admin/companies/{company.id}/people"


# --- Adding and editing --------------------------------------------------------------


def test_the_form_says_the_address_may_stay_empty(client, world, login):
    login(world.admin)
    html = client.get(f"{people_url(world.a.company)}/new", headers=EN).get_data(as_text=True)
    assert "Leave empty for employees without an e-mail address" in html
    assert 'id="personnel_number"' in html


def test_an_admin_adds_a_learner_without_an_address_who_gets_no_mail(
    client, db, world, login, mails
):
    company = world.a.company
    login(world.admin)
    data = {"display_name": "Kai Halle", "email": "", "personnel_number": " H-7 ",
            "department": world.a.departments[0].id, "roles": ["learner"], "language": "de"}  # fmt: skip
    response = client.post(f"{people_url(company)}/new", data=data, headers=EN)
    assert response.status_code == 302
    person = db.scalar(select(User).where(User.display_name == "Kai Halle"))
    assert person.email is None and person.personnel_number == "H-7"
    assert list(mails) == []  # no invitation: there is nowhere to send it
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Without an e-mail address no invitation is sent" in page
    assert "has no e-mail address and signs in with" in page and company.sign_in_code in page
    # Neither an invitation nor a password link is offered, nor answered.
    assert f"/people/{person.id}/invite" not in page
    assert client.post(f"{people_url(company)}/{person.id}/invite").status_code == 404
    assert list(mails) == []


def test_without_an_address_a_personnel_number_is_needed_and_a_manager_is_refused(
    client, db, world, login, mails
):
    company = world.a.company
    login(world.admin)
    url = f"{people_url(company)}/new"
    base = {"display_name": "Ohne Alles", "email": "", "department": 0, "language": "de"}
    no_number = client.post(url, data={**base, "roles": ["learner"]}, headers=EN)
    assert no_number.status_code == 422
    assert "Enter a personnel number or an e-mail address" in no_number.get_data(as_text=True)
    manager = client.post(
        url, data={**base, "personnel_number": "H-8", "roles": ["learner", "manager"]}, headers=EN
    )
    assert manager.status_code == 422
    assert "Managers, trainers and administrators need an e-mail address." in manager.get_data(
        as_text=True
    )
    taken = without_email(db, company, number="H-9")
    again = client.post(
        url, data={**base, "personnel_number": taken.personnel_number, "roles": ["learner"]},
        headers=EN,
    )  # fmt: skip
    assert again.status_code == 422
    assert "Someone in this company has this personnel number already." in again.get_data(
        as_text=True
    )
    assert db.scalar(select(User).where(User.display_name == "Ohne Alles")) is None
    assert list(mails) == []


def test_editing_removes_an_address_only_for_a_learner_with_a_personnel_number(
    client, db, world, login
):
    company = world.a.company
    person = world.a.employees[0]
    login(world.admin)
    url = f"{people_url(company)}/{person.id}/edit"
    data = {"display_name": person.display_name, "email": "", "personnel_number": "",
            "department": person.department_id or 0, "language": ""}  # fmt: skip
    refused = client.post(url, data=data, headers=EN)
    assert refused.status_code == 422
    assert "Enter a personnel number or an e-mail address" in refused.get_data(as_text=True)
    as_manager = client.post(url, data={**data, "personnel_number": "H-1", "manager": "y"},
                             headers=EN)  # fmt: skip
    assert as_manager.status_code == 422
    assert "A manager needs an e-mail address." in as_manager.get_data(as_text=True)
    db.refresh(person)
    assert person.email is not None and not person.has_role(Role.MANAGER)
    assert client.post(url, data={**data, "personnel_number": "H-1"}).status_code == 302
    db.refresh(person)
    assert person.email is None and person.personnel_number == "H-1"
    # The erase form now asks for the personnel number.
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "To confirm, type the personnel number H-1" in page


def test_a_manager_without_an_address_is_refused_by_the_services(db, world):
    actor = Actor(world.admin, None)
    with pytest.raises(accounts.AccountError) as refused:
        accounts.create_user(db, accounts.NewPerson(email=None, display_name="Chef",
                             roles=(Role.LEARNER, Role.MANAGER), company=world.a.company,
                             personnel_number="C-1"), datetime.now(UTC))  # fmt: skip
    assert refused.value.code == "email-required"
    staff = make_user(db, None, Role.TRAINER)
    staff.email = None  # as if it had been lost
    with pytest.raises(CompanyError) as no_roles:
        companies.set_staff_roles(db, actor, staff, admin=True, trainer=False, companies=(),
                                  now=datetime.now(UTC))  # fmt: skip
    assert no_roles.value.code == "email-required"


def test_the_people_list_shows_and_finds_a_person_without_an_address(client, db, world, login):
    company = world.a.company
    without_email(db, company, name="Kai Halle", number="H-4711")
    login(world.admin)
    html = client.get(people_url(company), headers=EN).get_data(as_text=True)
    row = html[html.index("Kai Halle") :]
    row = row[: row.index("</tr>")]
    assert "H-4711" in row and "no e-mail address" in row
    found = client.get(people_url(company), query_string={"q": "h-4711"}, headers=EN)
    assert "1 person" in found.get_data(as_text=True)


# --- Account mails --------------------------------------------------------------------


def test_account_mails_skip_a_person_without_an_address(app, db, world, mails):
    person = without_email(db, world.a.company)
    with app.test_request_context():
        account_mail.invite(db, person, datetime.now(UTC), timedelta(days=7))
        account_mail.send_reset_mail(db, person, "raw", datetime.now(UTC))
    db.flush()
    assert db.scalar(select(OutboxMessage).where(OutboxMessage.user_id == person.id)) is None


# --- Import ----------------------------------------------------------------------------

SHEET = (
    b"Personalnummer;Vorname;Nachname;E-Mail;Abteilung\n"
    b"H-1;Kai;Halle;;Lager\n"
    b"H-2;Lea;Lager;lea.lager@example.com;Lager\n"
)


def upload(client, company, data, name="halle.csv"):
    return client.post(
        f"/admin/companies/{company.id}/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers=EN,
    )


def test_an_import_with_an_empty_email_cell_adds_a_learner_found_again_by_number(
    client, db, world, login, mails
):
    company = world.a.company
    login(world.admin)
    html = upload(client, company, SHEET).get_data(as_text=True)
    assert "no e-mail address" in html and "H-1" in html and "lea.lager@example.com" in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    done = client.post(f"/admin/companies/{company.id}/import/apply", data={"token": token},
                       headers=EN)  # fmt: skip
    assert done.status_code == 302
    kai = db.scalar(select(User).where(User.personnel_number == "H-1"))
    assert kai.email is None and kai.department.name == "Lager" and kai.company_id == company.id
    assert [m.to for m in mails] == ["lea.lager@example.com"]  # only she is invited
    page = client.get(done.headers["Location"], headers=EN).get_data(as_text=True)
    assert "1 person without an e-mail address got no invitation" in page
    # Again, with a new name for Kai: matched by the personnel number, not added twice.
    renamed = SHEET.replace(b"H-1;Kai;Halle", b"H-1;Kai;Hallen")
    again = upload(client, company, renamed).get_data(as_text=True)
    assert "add and invite: <strong>0</strong>" in again and "Kai Hallen" in again
    # Later his address arrives: the import gives it to him.
    with_address = SHEET.replace(b"H-1;Kai;Halle;;", b"H-1;Kai;Halle;kai@example.com;")
    given = upload(client, company, with_address).get_data(as_text=True)
    assert "update" in given and "kai@example.com" in given


def test_import_rows_without_address_and_number_or_for_a_manager_are_refused_by_line(
    client, db, world, login
):
    company = world.a.company
    login(world.admin)
    sheet = (
        "Personalnummer;Vorname;Nachname;E-Mail;Rollen\n"
        ";Ohne;Alles;;Mitarbeitende\n"
        "H-3;Chef;Halle;;Führungskraft\n"
    ).encode()
    response = upload(client, company, sheet)
    html = response.get_data(as_text=True)
    assert "line 2: Neither an e-mail address nor a personnel number is given." in html
    assert "line 3: A manager needs an e-mail address." in html
    assert 'name="token"' not in html  # nothing to confirm


def test_a_training_record_import_finds_a_person_without_an_address_by_number(
    client, db, world, login
):
    company = world.a.company
    without_email(db, company, name="Kai Halle", number="H-55")
    login(world.admin)
    sheet = b"Personalnummer;Schulung;Abgeschlossen am\nH-55;Staplerschein;01.02.2026\n"
    response = client.post(
        f"/admin/companies/{company.id}/records/import",
        data={"file": (io.BytesIO(sheet), "nachweise.csv")},
        content_type="multipart/form-data",
        headers=EN,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Kai Halle" in html and 'name="token"' in html


# --- Export, erasure ------------------------------------------------------------------


def test_an_admin_exports_and_erases_a_person_without_an_address(client, db, world, login):
    company = world.a.company
    person = without_email(db, company, name="Kai Halle", number="H-66")
    base = f"{people_url(company)}/{person.id}"
    login(world.admin)
    data = json.loads(client.get(f"{base}/data.json").get_data(as_text=True))
    assert data["profile"]["email"] is None and data["profile"]["personnel_number"] == "H-66"
    assert data["profile"]["display_name"] == "Kai Halle"
    refused = client.post(f"{base}/erase", data={"confirm": ""}, headers=EN)
    assert refused.status_code == 302
    page = client.get(refused.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Type the person&#39;s personnel number to confirm the erasure." in page
    db.refresh(person)
    assert person.erased_at is None
    assert client.post(f"{base}/erase", data={"confirm": "h-66"}).status_code == 302
    db.refresh(person)
    assert person.erased_at is not None and person.personnel_number is None
    assert person.email is None and person.display_name.startswith("Gelöschte Person")


# --- The team's reports -----------------------------------------------------------------


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(tmp_path, {})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


def rows_of_csv(response):
    text = response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


def test_the_matrix_and_its_export_show_a_person_without_an_address(
    client, db, world, login, course
):
    a = world.a
    person = without_email(db, a.company, name="Kai Halle", number="H-77",
                           department=a.departments[0])  # fmt: skip
    assignments.assign_to_people(db, a.manager, course, [person], today() - timedelta(days=1),
                                 "", datetime.now(UTC))  # fmt: skip
    login(a.manager)
    html = client.get("/team/", headers=EN).get_data(as_text=True)
    assert "Kai Halle" in html
    rows = rows_of_csv(client.get("/team/matrix.csv", headers=EN))
    assert rows[0][:4] == ["Name", "E-mail address", "Personnel number", "Department"]
    (kai,) = [r for r in rows if r[0] == "Kai Halle"]
    assert kai[1:3] == ["", "H-77"] and kai[4].startswith("overdue")
    own_page = client.get(f"/team/people/{person.id}", headers=EN).get_data(as_text=True)
    assert "no e-mail address" in own_page and "H-77" in own_page


def test_a_session_moved_mails_only_the_people_with_an_address(app, db, world, tmp_path, mails):
    from lms.in_person import booking
    from lms.in_person.mail import queue_notices
    from tests.unit.test_booking import NOW, book, fields, import_in_person_course, schedule

    course = import_in_person_course(app, db, tmp_path)
    in_person = schedule(db, world, course, capacity=5)
    kai = without_email(db, world.a.company)
    book(db, in_person, kai)
    book(db, in_person, world.a.employees[0])
    notices = booking.change(
        db, in_person, fields(starts_at=NOW + timedelta(days=8), capacity=5),
        trainers=[world.trainer], companies=[], now=NOW,
    )  # fmt: skip
    with app.test_request_context():
        queue_notices(db, notices, NOW)
    db.flush()
    assert [m.to for m in mails] == [world.a.employees[0].email]


def test_the_completions_export_names_the_personnel_number(client, db, world, login, course):
    from tests.unit.test_assignments import complete

    a = world.a
    kai = without_email(db, a.company, name="Kai Halle", number="H-88")
    assignments.assign_to_people(db, a.manager, course, [kai], today(), "", datetime.now(UTC))
    complete(db, kai, course, datetime.now(UTC) - timedelta(hours=1))
    login(a.manager)
    response = client.get("/team/completions", query_string={"format": "csv"}, headers=EN)
    rows = rows_of_csv(response)
    assert rows[0][:4] == ["Name", "E-mail address", "Personnel number", "Department"]
    assert [r[:3] for r in rows if r[0] == "Kai Halle"] == [["Kai Halle", "", "H-88"]]


def test_deactivating_the_missing_keeps_people_listed_by_personnel_number(db, world):
    from lms.people import importing

    company = world.a.company
    kai = without_email(db, company, name="Kai Halle", number="H-90")
    gone = without_email(db, company, name="Ina Fort", number="H-91")
    lines = ["E-Mail;Vorname;Nachname;Personalnummer", ";Kai;Halle;H-90"]
    lines += [f"{p.email};{p.display_name};x;" for p in (*world.a.employees, world.a.manager)]
    data = "\n".join(lines).encode()
    plan = importing.plan(db, company, importing.read_file(data, "halle.csv"),
                          deactivate_missing=True)  # fmt: skip
    assert not plan.has_errors, [p.format() for p in plan.problems]
    deactivated = [c for c in plan.changes if c.action is importing.Action.DEACTIVATE]
    assert (gone.id, "H-91") in [(c.user_id, c.who) for c in deactivated]
    assert kai.id not in {c.user_id for c in deactivated}
    assert kai.id in {c.user_id for c in plan.changes}


def test_a_manager_gives_an_address_only_to_someone_without_a_pin(client, db, world, login):
    world.a.company.managers_manage_people = True
    fresh = without_email(db, world.a.company, name="Kai Halle", number="H-92",
                          department=world.a.manager.department)  # fmt: skip
    used = without_email(db, world.a.company, name="Ina Pin", number="H-93",
                         department=world.a.manager.department, pin_hash="x")  # fmt: skip
    login(world.a.manager)

    def give(person, address):
        data = {"display_name": person.display_name, "email": address,
                "personnel_number": person.personnel_number,
                "department": person.department_id or 0, "language": ""}  # fmt: skip
        return client.post(f"/team/people/{person.id}/edit", data=data, headers=EN)

    assert give(fresh, "kai@example.com").status_code == 302
    refused = give(used, "ina@example.com")
    assert refused.status_code == 422
    assert "Only an administrator changes the address" in refused.get_data(as_text=True)
    db.refresh(fresh)
    db.refresh(used)
    assert fresh.email == "kai@example.com" and used.email is None


def test_the_import_command_adds_people_without_an_address_and_invites_the_others(
    app, db, world, mails, tmp_path
):
    path = tmp_path / "halle.csv"
    path.write_bytes(SHEET)
    args = ["people", "import", str(path), "--company", world.a.company.short_name]
    dry = app.test_cli_runner().invoke(args=args)
    assert dry.exit_code == 0, dry.output
    assert (
        "line 2: create H-1" in dry.output and "line 3: create lea.lager@example.com" in dry.output
    )
    done = app.test_cli_runner().invoke(args=[*args, "--apply"])
    assert done.exit_code == 0, done.output
    assert "Invitations queued: 1" in done.output
    assert [m.to for m in mails] == ["lea.lager@example.com"]
    assert db.scalar(select(User).where(User.personnel_number == "H-1")).email is None
