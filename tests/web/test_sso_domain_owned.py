"""An address at a domain a company signs its people in for (single sign-on) belongs to
that company: no other company may have a person with it, whichever way the person
would be added (a page, the import, an edit), or the real person could no longer sign
in through their own company."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lms.models import SsoDomain, User
from lms.services.accounts import AccountError, NewPerson, Role, create_user
from tests.unit.test_people_import import codes, csv_file, plan_of

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
REFUSED = "This address is at a domain another company signs its people in for"


@pytest.fixture
def a_owns_its_domain(db, world):
    db.add(SsoDomain(company_id=world.a.company.id, domain="firma-a.example"))
    db.flush()


def test_another_companys_admin_page_refuses_an_address_at_the_domain(
    client, db, world, login, a_owns_its_domain
):
    login(world.admin)
    url = f"/admin/companies/{world.b.company.id}/people/new"
    data = {"display_name": "Chefin Falsch", "email": "chefin@firma-a.example",
            "department": world.b.departments[0].id, "roles": ["learner"], "language": "en"}  # fmt: skip
    answer = client.post(url, data=data, headers=EN)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and REFUSED in html and 'value="Chefin Falsch"' in html
    assert db.scalar(select(User).where(User.email == "chefin@firma-a.example")) is None
    # The company that owns the domain adds her.
    own = f"/admin/companies/{world.a.company.id}/people/new"
    data["department"] = world.a.departments[0].id
    assert client.post(own, data=data).status_code == 302


def test_an_edit_may_not_move_an_address_onto_another_companys_domain(
    client, db, world, login, a_owns_its_domain
):
    login(world.admin)
    person = world.b.employees[0]
    url = f"/admin/companies/{world.b.company.id}/people/{person.id}/edit"
    data = {"display_name": person.display_name, "email": "jemand@firma-a.example",
            "department": world.b.departments[0].id, "roles": ["learner"], "language": "en"}  # fmt: skip
    answer = client.post(url, data=data, headers=EN)
    assert answer.status_code == 422 and REFUSED in answer.get_data(as_text=True)
    db.refresh(person)
    assert person.email != "jemand@firma-a.example"


def test_the_import_names_the_line_with_another_companys_domain(db, world, a_owns_its_domain):
    data = csv_file("chefin@firma-a.example;Chefin;Falsch;;;;")
    assert codes(plan_of(db, world.b.company, data).problems) == [(2, "email-sso-domain")]
    assert codes(plan_of(db, world.a.company, data).problems) == []


def test_the_service_refuses_it_for_every_other_way_in(db, world, a_owns_its_domain):
    stranger = NewPerson("x@firma-a.example", "X", (Role.LEARNER,), company=world.b.company)
    with pytest.raises(AccountError) as refused:
        create_user(db, stranger, NOW)
    assert refused.value.code == "email-sso-domain"
