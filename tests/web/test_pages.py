"""The UI shell and each role's start page, as a user sees them."""

from __future__ import annotations

import pytest

EN = {"Accept-Language": "en"}


@pytest.mark.parametrize(
    "who,path,heading,nav",
    [
        ("employee", "/learn/", "Meine Lernmodule", ["Meine Lernmodule"]),
        ("manager", "/team/", "Mein Team", ["Meine Lernmodule", "Mein Team"]),
        ("trainer", "/author/", "Lernmodule erstellen", ["Lernmodule erstellen"]),
        ("admin", "/admin/", "Verwaltung", ["Verwaltung"]),
    ],
)
def test_start_page_of_each_role_in_german(client, world, login, who, path, heading, nav):
    user = {
        "employee": world.a.employees[0],
        "manager": world.a.manager,
        "trainer": world.trainer,
        "admin": world.admin,
    }[who]
    login(user)
    page = client.get(path).get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in page
    nav_html = page.split('aria-label="Hauptnavigation"')[1].split("</nav>")[0]
    for label in nav:
        assert label in nav_html
    assert page.count("<h1>") == 1


def test_layout_has_landmarks_skip_link_and_language_switch(client, world, login):
    login(world.a.manager)
    page = client.get("/team/").get_data(as_text=True)
    assert page.index('class="skip-link" href="#main"') < page.index("<header")
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in page
    assert 'name="lang" value="de"' in page and 'name="lang" value="en"' in page
    assert "Müller" not in page  # world companies, not demo ones
    assert world.a.company.name in page  # company name in the header


def test_manager_team_page_counts_people_and_departments(client, world, login):
    login(world.a.manager)
    page = client.get("/team/", headers=EN).get_data(as_text=True)
    for person in world.a.employees:
        assert person.display_name in page
    assert "Lager" in page and "Büro" in page


def test_admin_sees_all_companies_with_counts(client, world, login):
    login(world.admin)
    page = client.get("/admin/", headers=EN).get_data(as_text=True)
    assert world.a.company.name in page and world.b.company.name in page
    detail = client.get(f"/admin/companies/{world.b.company.id}", headers=EN).get_data(as_text=True)
    assert world.b.manager.display_name in detail and world.a.manager.display_name not in detail
    assert client.get("/admin/companies/999999").status_code == 404


def test_trainer_sees_the_companies_they_serve(client, world, login):
    login(world.trainer)
    page = client.get("/author/").get_data(as_text=True)
    assert world.a.company.name in page and world.b.company.name not in page


def test_profile_saves_name_and_language(client, db, world, login):
    user = world.a.employees[0]
    login(user)
    response = client.post("/profile", data={"display_name": "Neuer Name", "language": "en"})
    assert response.status_code == 302
    page = client.get("/profile").get_data(as_text=True)
    assert 'value="Neuer Name"' in page and 'lang="en"' in page
    db.refresh(user)
    assert (user.display_name, user.language) == ("Neuer Name", "en")


def test_profile_error_keeps_what_was_typed_and_is_translated(client, world, login):
    login(world.a.employees[0])
    page = client.post("/profile", data={"display_name": "", "language": "xx"}).get_data(
        as_text=True
    )
    assert "Bitte korrigieren Sie Folgendes:" in page
    assert 'href="#display_name"' in page  # the summary links to the field
    assert 'aria-describedby="display_name-error"' in page


def test_profile_rejects_an_overlong_name(client, world, login):
    login(world.a.employees[0])
    long_name = "N" * 201
    page = client.post("/profile", data={"display_name": long_name, "language": "de"}).get_data(
        as_text=True
    )
    assert f'value="{long_name}"' in page and 'aria-invalid="true"' in page


def test_healthz_answers_without_revealing_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "disk": "ok"},
    }


def test_static_assets_ship_with_the_package(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and b"--color-accent" in response.data
    response.close()


def test_pages_need_few_queries_whatever_the_team_size(client, db, world, login, count_queries):
    """One query loads the user with company, department and roles; pages add a fixed few."""
    from lms.models import Role
    from tests.factories import make_user

    login(world.a.manager)
    count_queries.statements.clear()
    client.get("/learn/")
    # user, enrolments, assignments, completions, catalogue, learning paths; and the header's
    # count of unread notices, on the first page (then from the cache)
    assert count_queries.count <= 7, count_queries.statements
    count_queries.statements.clear()
    client.get("/team/")
    small_team = count_queries.count
    for i in range(20):
        make_user(
            db, world.a.company, Role.LEARNER, department=world.a.departments[0], name=f"Neu {i}"
        )
    count_queries.statements.clear()
    client.get("/team/")
    assert count_queries.count == small_team <= 12, count_queries.statements


def test_a_modules_validity_reads_in_the_page_language(app):
    from lms.templating import validity_filter

    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert validity_filter("12 months") == "12 Monate"
        assert validity_filter("1 years") == "1 Jahr"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert validity_filter("30 days") == "30 days"
    assert validity_filter(None) == ""
