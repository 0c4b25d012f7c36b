"""Managers add, edit and deactivate their own people where their company allows it:
only employees (and, managing the whole company, managers), only in their departments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.clock import today
from lms.models import AuditEntry, Role, User
from lms.services import companies
from lms.services.accounts import NewPerson
from lms.services.companies import CompanyError, PersonFields
from tests.factories import make_user

EN = {"Accept-Language": "en"}


@pytest.fixture
def allowed(db, world):
    world.a.company.managers_manage_people = True
    db.flush()
    return world


def test_the_pages_exist_only_where_the_company_allows_them(client, db, world, login):
    login(world.a.manager)
    assert client.get("/team/people").status_code == 404
    assert client.get("/team/people/new").status_code == 404
    assert '/team/people"' not in client.get("/team/").get_data(as_text=True)
    world.a.company.managers_manage_people = True
    db.flush()
    assert client.get("/team/people").status_code == 200


def test_only_the_admins_list_offers_the_import_from_a_spreadsheet(
    client, other_client, db, allowed, login
):
    company = allowed.a.company
    login(allowed.a.manager)
    assert "Import people" not in client.get("/team/people", headers=EN).get_data(as_text=True)
    admin = login(allowed.admin, target=other_client)
    page = admin.get(f"/admin/companies/{company.id}/people", headers=EN).get_data(as_text=True)
    assert f'href="/admin/companies/{company.id}/import">Import people' in page


def test_an_admin_lets_a_companys_managers_manage_their_people(client, db, world, login):
    company = world.a.company
    login(world.admin)
    form = {"name": company.name, "short_name": company.short_name, "default_language": "de",
            "managers_manage_people": "y"}  # fmt: skip
    assert client.post(f"/admin/companies/{company.id}/edit", data=form).status_code == 302
    db.refresh(company)
    assert company.managers_manage_people
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "company.update"))
    assert entry.changes["managers_manage_people"] == [False, True]


def test_a_manager_sees_their_people_but_not_the_providers_staff(client, db, allowed, login):
    a = allowed.a
    trainer = make_user(db, a.company, Role.TRAINER, Role.LEARNER, name="Trainerin im Haus")
    login(a.manager)
    page = client.get("/team/people", headers=EN).get_data(as_text=True)
    for person in a.employees:
        assert person.display_name in page
    assert a.limited_manager.display_name in page
    assert trainer.display_name not in page
    assert allowed.b.employees[0].display_name not in page
    assert client.get(f"/team/people/{trainer.id}/edit").status_code == 404
    assert client.get("/team/").get_data(as_text=True).count('href="/team/people"') == 1


def test_a_manager_adds_an_employee_who_is_invited(client, db, allowed, login, mails):
    a = allowed.a
    login(a.manager)
    data = {
        "display_name": "Neu Nina",
        "email": "nina.neu@example.com",
        "department": a.departments[0].id,
        "roles": ["learner"],
        "language": "de",
    }
    assert client.post("/team/people/new", data=data).status_code == 302
    person = db.scalar(select(User).where(User.email == "nina.neu@example.com"))
    assert person.company_id == a.company.id and person.roles == frozenset({Role.LEARNER})
    (mail,) = mails
    assert mail.to == "nina.neu@example.com"
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "person.create"))
    assert entry.actor_id == a.manager.id


def test_a_limited_manager_manages_only_employees_of_their_departments(client, db, allowed, login):
    a = allowed.a
    warehouse, office = a.departments
    login(a.limited_manager)  # manages the warehouse only
    page = client.get("/team/people", headers=EN).get_data(as_text=True)
    assert a.employees[0].display_name in page and a.employees[2].display_name not in page
    assert a.manager.display_name not in page
    assert client.get(f"/team/people/{a.employees[2].id}/edit").status_code == 404
    assert client.post(f"/team/people/{a.employees[2].id}/deactivate").status_code == 404
    assert client.get(f"/team/people/{a.manager.id}/edit").status_code == 404
    # Not into another department, not as a manager, not without a department.
    base = {"display_name": "Neu Nina", "email": "nina@example.com", "language": "de"}
    for extra in (
        {"department": office.id, "roles": ["learner"]},
        {"department": warehouse.id, "roles": ["manager"]},
        {"department": 0, "roles": ["learner"]},
    ):
        response = client.post("/team/people/new", data={**base, **extra}, headers=EN)
        assert response.status_code == 200, extra  # the form again, with its error
        assert 'value="Neu Nina"' in response.get_data(as_text=True)
    assert db.scalar(select(User).where(User.email == "nina@example.com")) is None
    # Moving someone out of their reach is refused the same way.
    worker = a.employees[0]
    edit = {"display_name": worker.display_name, "email": worker.email,
            "department": office.id, "language": ""}  # fmt: skip
    assert client.post(f"/team/people/{worker.id}/edit", data=edit).status_code == 422
    db.refresh(worker)
    assert worker.department_id == warehouse.id


def test_a_limited_manager_cannot_make_someone_a_manager_by_editing(client, db, allowed, login):
    a = allowed.a
    worker = a.employees[0]
    login(a.limited_manager)
    data = {"display_name": "Neuer Name", "email": worker.email,
            "department": a.departments[0].id, "manager": "y", "language": ""}  # fmt: skip
    assert client.post(f"/team/people/{worker.id}/edit", data=data).status_code == 302
    db.refresh(worker)
    assert worker.display_name == "Neuer Name" and not worker.has_role(Role.MANAGER)


def test_nobody_deactivates_themselves_or_another_companys_people(client, db, allowed, login):
    a = allowed.a
    login(a.manager)
    assert client.post(f"/team/people/{a.manager.id}/deactivate").status_code == 403
    db.refresh(a.manager)
    assert a.manager.is_active
    assert client.post(f"/team/people/{allowed.b.employees[0].id}/deactivate").status_code == 404
    worker = a.employees[0]
    assert client.post(f"/team/people/{worker.id}/deactivate").status_code == 302
    db.refresh(worker)
    assert not worker.is_active
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "person.deactivate"))
    assert entry.actor_id == a.manager.id


def test_a_manager_changes_no_address_of_an_account_in_use_nor_revives_an_erased_one(
    client, db, allowed, login
):
    from datetime import UTC, datetime

    from lms.services.erasure import erase_person

    a = allowed.a
    worker = a.employees[0]  # has a password: an account in use
    login(a.manager)
    data = {"display_name": worker.display_name, "email": "chef@example.com",
            "department": worker.department_id, "language": ""}  # fmt: skip
    response = client.post(f"/team/people/{worker.id}/edit", data=data, headers=EN)
    assert response.status_code == 422
    assert "Only an administrator changes the address" in response.get_data(as_text=True)
    db.refresh(worker)
    assert worker.email != "chef@example.com"
    erased = a.employees[1]
    erase_person(db, erased, datetime.now(UTC))
    assert client.post(f"/team/people/{erased.id}/reactivate").status_code == 404


def test_the_count_of_a_managers_list_covers_only_the_people_in_reach(client, db, allowed, login):
    a = allowed.a
    warehouse, office = a.departments
    for i in range(3):
        make_user(db, a.company, department=warehouse, name=f"Lager Neu {i}")
    make_user(db, a.company, department=office, name="Büro Neu")
    make_user(db, a.company, Role.MANAGER, Role.LEARNER, department=warehouse, name="Lager Chefin")
    make_user(db, a.company, Role.TRAINER, Role.LEARNER, department=warehouse, name="Lager Trainer")
    hidden = {Role.MANAGER.value, Role.TRAINER.value, Role.ADMIN.value}
    in_reach = [
        person
        for person in db.scalars(select(User).where(User.department_id == warehouse.id))
        if not any(role.value in hidden for role in person.roles)
    ]
    login(a.limited_manager)  # manages the warehouse only

    def count(**query: str) -> str:
        page = client.get("/team/people", query_string=query, headers=EN).get_data(as_text=True)
        return page.split('<p role="status">')[1].split("</p>")[0]

    assert count() == f"{len(in_reach)} people"
    # A search counts within reach too: not the warehouse's manager nor its trainer.
    lager = [p for p in in_reach if "lager" in f"{p.display_name} {p.email}".lower()]
    assert len(lager) >= 3 and count(q="lager") == f"{len(lager)} people"
    assert count(role="learner") == f"{len(in_reach)} people"
    assert count(page="99") == f"{len(in_reach)} people"  # past the last page, still counted


def test_a_person_refused_for_a_taken_address_answers_422_and_keeps_nothing(
    client, db, allowed, login, mails
):
    a = allowed.a
    login(a.manager)
    taken = a.employees[0].email
    data = {"display_name": "Doppelt", "email": taken, "roles": ["learner"], "language": "de"}
    data["department"] = a.departments[0].id
    response = client.post("/team/people/new", data=data, headers=EN)
    assert response.status_code == 422
    assert "Someone has this e-mail address already." in response.get_data(as_text=True)
    assert db.scalar(select(User).where(User.display_name == "Doppelt")) is None
    assert db.scalars(select(AuditEntry)).all() == [] and list(mails) == []


NETWORK = "198.51.100.0/24"


def test_the_people_services_record_who_changed_what_from_which_network(app, db, world, mails):
    a = world.a
    warehouse, office = a.departments
    actor = Actor(world.admin, NETWORK)
    moment = datetime.now(UTC)
    new = NewPerson("nina@alpha.example", "Nina Neu", (Role.LEARNER,), a.company, warehouse)
    with app.test_request_context():  # the invitation is written from its template
        nina = companies.add_person(db, actor, new, moment, timedelta(days=14))
    moved = PersonFields(
        display_name="Nina Neu", email=nina.email, personnel_number="7", department=office,
        manager=False, managed_departments=(), language=None,
    )  # fmt: skip
    assert companies.update_person(db, actor, nina, moved, moment, today(moment))
    companies.deactivate_person(db, actor, nina, moment)
    companies.reactivate_person(db, actor, nina, moment, today(moment))
    logged = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in logged] == [
        "person.create", "person.update", "person.deactivate", "person.reactivate",
    ]  # fmt: skip
    assert {(e.actor_id, e.address, e.company_id, e.subject_id) for e in logged} == {
        (world.admin.id, NETWORK, a.company.id, nina.id)
    }
    assert logged[0].changes["email"] == [None, "nina@alpha.example"]
    assert logged[0].changes["role_names"] == [None, "learner"]
    assert logged[1].changes == {
        "personnel_number": [None, "7"], "department_id": [warehouse.id, office.id],
    }  # fmt: skip
    assert [m.to for m in mails] == ["nina@alpha.example"]
    # A change the service refuses writes nothing.
    taken = PersonFields(
        display_name="Nina Neu", email=a.employees[0].email, personnel_number="7",
        department=office, manager=False, managed_departments=(), language=None,
    )  # fmt: skip
    with pytest.raises(CompanyError, match="email-taken"):
        companies.update_person(db, actor, nina, taken, moment, today(moment))
    assert len(db.scalars(select(AuditEntry)).all()) == 4
