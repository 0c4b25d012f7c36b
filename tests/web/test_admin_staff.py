"""The provider's staff: admins grant roles; nobody locks themselves or the platform out."""

from __future__ import annotations

from sqlalchemy import select

from lms.models import Role, User
from tests.factories import make_user

EN = {"Accept-Language": "en"}


def test_an_admin_adds_a_trainer_who_serves_chosen_companies(client, db, world, login, mails):
    login(world.admin)
    client.post(
        "/admin/staff", data={"display_name": "Theo Trainer", "email": "theo@zz.example",
                              "trainer": "y"},
    )  # fmt: skip
    theo = db.scalar(select(User).where(User.email == "theo@zz.example"))
    assert theo.company_id is None and theo.has_role(Role.TRAINER) and not theo.has_role(Role.ADMIN)
    assert [m.to for m in mails] == ["theo@zz.example"]
    client.post(
        f"/admin/staff/{theo.id}/roles", data={"trainer": "y", "company": [world.b.company.id]}
    )
    db.refresh(theo)
    assert [c.id for c in theo.trainer_companies] == [world.b.company.id]


def test_nobody_removes_their_own_admin_role_or_the_last_admin(client, db, world, login):
    admin = world.admin
    login(admin)
    page = client.post(f"/admin/staff/{admin.id}/roles", data={}, follow_redirects=True, headers=EN)
    assert "You cannot take your own admin role away." in page.get_data(as_text=True)
    db.refresh(admin)
    assert admin.has_role(Role.ADMIN)
    page = client.post(f"/admin/staff/{admin.id}/deactivate", follow_redirects=True, headers=EN)
    assert "You cannot deactivate your own account." in page.get_data(as_text=True)
    # With a second admin, the first may lose the role – but not the other way round
    # once only one is left.
    second = make_user(db, None, Role.ADMIN, name="Zweite Admin")
    client.post(f"/admin/staff/{second.id}/roles", data={"trainer": "y"})
    db.refresh(second)
    assert not second.has_role(Role.ADMIN) and second.has_role(Role.TRAINER)


def test_an_admin_deactivates_another_admin_and_stays_the_active_one(
    client, other_client, db, world, login
):
    colleague = make_user(db, None, Role.ADMIN, name="Kollegin Admin")
    login(colleague, target=other_client)
    login(world.admin)
    client.post(f"/admin/staff/{colleague.id}/deactivate")
    db.refresh(colleague)
    assert not colleague.is_active
    assert other_client.get("/admin/").status_code == 302  # logged out at once
    assert client.get("/admin/").status_code == 200


def test_company_people_are_not_staff(client, world, login):
    login(world.admin)
    person = world.a.employees[0]
    assert client.post(f"/admin/staff/{person.id}/roles", data={"admin": "y"}).status_code == 404
    listing = client.get("/admin/staff", headers=EN).get_data(as_text=True)
    assert world.trainer.display_name in listing and person.display_name not in listing
