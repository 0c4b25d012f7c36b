"""Admins find a company's people, add someone with an invitation, deactivate and reactivate."""

from __future__ import annotations

from sqlalchemy import select

from lms.models import User
from tests.factories import make_user

EN = {"Accept-Language": "en"}


def test_people_are_searched_filtered_and_paged_within_one_company(client, db, world, login):
    company = world.a.company
    for i in range(55):
        make_user(db, company, department=world.a.departments[1], name=f"Zeitarbeit {i:02d}")
    make_user(db, company, name="Ohne Anmeldung", personnel_number="P-4711")
    login(world.admin)
    url = f"/admin/companies/{company.id}/people"
    first = client.get(url, headers=EN).get_data(as_text=True)
    assert "61 people" in first and "Page 1 of 2" in first
    assert world.b.employees[0].display_name not in first
    second = client.get(url, query_string={"page": 2}, headers=EN).get_data(as_text=True)
    assert "Zeitarbeit 54" in second and "Zeitarbeit 00" not in second
    found = client.get(url, query_string={"q": "p-4711"}, headers=EN).get_data(as_text=True)
    assert "1 person" in found and "Ohne Anmeldung" in found
    managers = client.get(url, query_string={"role": "manager"}, headers=EN).get_data(as_text=True)
    assert world.a.manager.display_name in managers and "Zeitarbeit" not in managers
    warehouse = client.get(
        url, query_string={"department": world.a.departments[0].id}, headers=EN
    ).get_data(as_text=True)
    assert world.a.employees[0].display_name in warehouse and "Zeitarbeit" not in warehouse


def test_an_admin_adds_a_person_who_is_invited_in_their_language(client, db, world, login, mails):
    company = world.a.company
    login(world.admin)
    url = f"/admin/companies/{company.id}/people/new"
    data = {
        "display_name": "Neu Nina",
        "email": "nina.neu@example.com",
        "department": world.a.departments[0].id,
        "roles": ["learner"],
        "language": "en",
    }
    assert client.post(url, data=data).status_code == 302
    person = db.scalar(select(User).where(User.email == "nina.neu@example.com"))
    assert person.company_id == company.id and person.department_id == world.a.departments[0].id
    (mail,) = mails
    assert mail.to == "nina.neu@example.com" and "invitation" in mail.subject.lower()
    again = client.post(url, data={**data, "display_name": "Noch Mal"}, headers=EN)
    html = again.get_data(as_text=True)
    assert "Someone has this e-mail address already." in html and 'value="Noch Mal"' in html


def test_deactivating_logs_the_person_out_and_reactivating_lets_them_in_again(
    client, other_client, db, world, login
):
    person = world.a.employees[0]
    login(person, target=other_client)
    login(world.admin)
    base = f"/admin/companies/{world.a.company.id}/people/{person.id}"
    client.post(f"{base}/deactivate")
    assert other_client.get("/learn/").status_code == 302  # logged out
    db.refresh(person)
    assert not person.is_active
    client.post(f"{base}/reactivate")
    db.refresh(person)
    assert person.is_active
    login(person, target=client.application.test_client())
    # Another company's person is out of reach through this company.
    foreign = world.b.employees[0]
    url = f"/admin/companies/{world.a.company.id}/people/{foreign.id}/deactivate"
    assert client.post(url).status_code == 404


def test_a_password_link_or_a_new_invitation_goes_out_again(client, db, world, login, mails):
    invited = make_user(db, world.a.company, password=None, name="Noch Nie")
    login(world.admin)
    base = f"/admin/companies/{world.a.company.id}/people"
    client.post(f"{base}/{invited.id}/invite")
    client.post(f"{base}/{world.a.employees[0].id}/invite")
    assert [m.to for m in mails] == [invited.email, world.a.employees[0].email]
    assert "invitation" in mails[0].subject.lower() or "Einladung" in mails[0].subject
    assert "password" in mails[1].subject.lower() or "Passwort" in mails[1].subject


def test_moving_a_person_keeps_their_assignments_and_adds_the_new_departments(
    app, client, db, world, login, tmp_path
):
    from datetime import UTC, datetime, timedelta

    from lms.clock import today
    from lms.content.importer import import_course
    from lms.models import Assignment, Course
    from lms.services import assignments
    from tests.unit.test_course_parser import write_course

    with app.test_request_context():
        import_course(db, write_course(tmp_path, {}), datetime.now(UTC))
    course = db.scalar(select(Course))
    a = world.a
    person, office = a.employees[0], a.departments[1]
    assignments.assign_to_group(
        db, a.manager, a.company, course, office, today() + timedelta(days=30), "",
        datetime.now(UTC), today=today(),
    )  # fmt: skip
    assert db.scalar(select(Assignment).where(Assignment.user_id == person.id)) is None
    login(world.admin)
    url = f"/admin/companies/{a.company.id}/people/{person.id}/edit"
    form = client.get(url, headers=EN).get_data(as_text=True)
    assert person.email in form
    assert f"<title>{person.display_name} – Lernwerk</title>" in form
    data = {
        "display_name": person.display_name,
        "email": person.email,
        "personnel_number": "P-9",
        "department": office.id,
        "manager": "y",
        "managed_departments": [office.id],
        "language": "en",
    }
    assert client.post(url, data=data).status_code == 302
    db.refresh(person)
    assert person.department_id == office.id and person.personnel_number == "P-9"
    assert [d.id for d in person.managed_departments] == [office.id]
    assert db.scalar(select(Assignment).where(Assignment.user_id == person.id)) is not None
    # The e-mail of someone else is refused, and what was typed stays.
    taken = client.post(url, data={**data, "email": a.employees[1].email}, headers=EN)
    html = taken.get_data(as_text=True)
    assert taken.status_code == 422 and "Someone has this e-mail address already." in html
    assert 'value="P-9"' in html


def _list_queries(client, count_queries, url, **query):
    count_queries.statements.clear()
    response = client.get(url, query_string=query)
    assert response.status_code == 200
    return count_queries.count, response.get_data(as_text=True)


def test_the_people_list_takes_the_same_queries_for_any_company_size(
    client, db, world, login, count_queries
):
    from lms.models import Role

    company = world.a.company
    login(world.admin)
    url = f"/admin/companies/{company.id}/people"
    client.get(url)  # the first page after the login also counts the header's unread notices
    small, _ = _list_queries(client, count_queries, url)
    small_search, _ = _list_queries(client, count_queries, url, q="a")
    for i in range(60):
        roles = (Role.LEARNER, Role.MANAGER) if i % 7 == 0 else (Role.LEARNER,)
        make_user(db, company, *roles, department=world.a.departments[i % 2], name=f"Neu {i:02d}")
    large, html = _list_queries(client, count_queries, url)
    assert large == small <= 8, count_queries.statements
    assert _list_queries(client, count_queries, url, q="a")[0] == small_search <= small
    assert _list_queries(client, count_queries, url, page=2)[0] == small
    # Each row links to its person's page, which has the actions, and names its department.
    person = db.scalar(select(User).where(User.display_name == "Neu 01"))
    base = f"/admin/companies/{company.id}/people/{person.id}"
    assert f'"{base}/edit"' in html
    assert world.a.departments[1].name in html
    assert '<span class="tag">Führungskraft</span>' in html  # a role, as a tag
    page = client.get(f"{base}/edit").get_data(as_text=True)
    for action in ("invite", "deactivate"):
        assert f'"{base}/{action}"' in page


def test_an_admin_downloads_a_persons_data_and_erases_them_after_typing_the_address(
    client, db, world, login
):
    person = world.a.employees[0]
    base = f"/admin/companies/{world.a.company.id}/people/{person.id}"
    login(world.admin)
    data = client.get(f"{base}/data.json")
    assert data.mimetype == "application/json" and person.email in data.get_data(as_text=True)
    refused = client.post(f"{base}/erase", data={"confirm": "falsch@example.com"})
    assert refused.status_code == 302
    db.refresh(person)
    assert person.is_active
    email = person.email
    client.post(f"{base}/erase", data={"confirm": email.upper()})
    db.refresh(person)
    assert person.display_name.startswith("Gelöschte Person") and person.email != email
    foreign = world.b.employees[0]
    other = f"/admin/companies/{world.a.company.id}/people/{foreign.id}"
    assert client.post(f"{other}/erase", data={"confirm": foreign.email}).status_code == 404
    assert client.get(f"{other}/data.json").status_code == 404


def test_a_search_for_percent_or_underscore_means_those_characters(client, db, world, login):
    company = world.a.company
    make_user(db, company, name="Anna_Bein", email="anna.bein@example.com")
    login(world.admin)
    url = f"/admin/companies/{company.id}/people"
    found = client.get(url, query_string={"q": "a_b"}).get_data(as_text=True)
    assert "Anna_Bein" in found
    nobody = client.get(url, query_string={"q": "%"}).get_data(as_text=True)
    assert "Anna_Bein" not in nobody and world.a.employees[0].display_name not in nobody


def test_the_search_ignores_case_follows_changes_and_stays_within_one_field(
    client, db, world, login
):
    company = world.a.company
    person = make_user(db, company, name="Jörg Schmidt", email="joerg.s@example.com")
    login(world.admin)
    url = f"/admin/companies/{company.id}/people"

    def names(q: str) -> str:
        return client.get(url, query_string={"q": q}, headers=EN).get_data(as_text=True)

    assert "Jörg Schmidt" in names("SCHMIDT") and "Jörg Schmidt" in names("jörg")
    assert "Jörg Schmidt" in names("JOERG.S@")  # the address, whatever the case
    # Name and address are not one text: the end of one and the start of the other.
    assert "Nobody matches these filters." in names("schmidtjoerg")
    # A new name is found at once, the old one no longer.
    person.display_name = "Jörg Schmitt-Berger"
    db.commit()
    assert "Jörg Schmitt-Berger" in names("berger")
    assert "Nobody matches these filters." in names("schmidt")


def test_a_row_shows_a_person_escaped_with_roles_status_and_last_login(client, db, world, login):
    from datetime import UTC, datetime

    from lms.models import Role

    company = world.a.company
    person = make_user(
        db, company, Role.MANAGER, Role.LEARNER, name="<b>Fett</b> & Co", personnel_number='P"1'
    )
    person.is_active = False
    person.last_login_at = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # 29 March in Berlin
    db.commit()
    login(world.admin)
    url = f"/admin/companies/{company.id}/people"
    for language, words in (("en", ("29 Mar 2026", "deactivated", "Employee", "Manager")),
                            ("de", ("29.03.2026", "deaktiviert", "Mitarbeiter:in",
                                    "Führungskraft"))):  # fmt: skip
        html = client.get(url, query_string={"q": "fett"}, headers={"Accept-Language": language})
        row = html.get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]
        assert row.count("<tr>") == 1  # one row, whatever the number of roles
        assert "&lt;b&gt;Fett&lt;/b&gt; &amp; Co" in row and "<b>" not in row
        assert "P&#34;1" in row
        when, status, first, second = words
        assert f">{when}</td>" in row and f'<span class="tag">{status}</span>' in row
        assert row.index(f'<span class="tag">{first}</span>') < row.index(
            f'<span class="tag">{second}</span>'
        )


def test_the_pages_keep_their_addresses_in_the_admin_and_the_managers_area(app):
    from flask import url_for

    with app.test_request_context():
        assert url_for("admin.people.index", company_id=3) == "/admin/companies/3/people"
        assert url_for("admin.people.new", company_id=3) == "/admin/companies/3/people/new"
        assert url_for("manage.people.index") == "/team/people"
        assert url_for("manage.people.new") == "/team/people/new"
        for name in ("edit", "deactivate", "reactivate", "invite"):
            admin = url_for(f"admin.people.{name}", company_id=3, user_id=7)
            assert admin == f"/admin/companies/3/people/7/{name}"
            assert url_for(f"manage.people.{name}", user_id=7) == f"/team/people/7/{name}"
