"""Admins run companies in the browser: create, edit, suspend and reactivate, departments."""

from __future__ import annotations

from html.parser import HTMLParser

from sqlalchemy import select

from lms.models import Company, Department
from tests.conftest import PASSWORD

EN = {"Accept-Language": "en"}


def test_an_admin_creates_a_company_and_mistakes_keep_what_was_typed(client, db, world, login):
    login(world.admin)
    form = {"name": "Hafen Werft GmbH", "short_name": "Hafen Werft", "default_language": "de"}
    bad = client.post("/admin/companies/new", data=form, headers=EN)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "lower case letters, digits and -" in html
    assert 'value="Hafen Werft GmbH"' in html
    taken = client.post(
        "/admin/companies/new",
        data={**form, "short_name": world.a.company.short_name},
        headers=EN,
    )
    assert "Another company has this short name already." in taken.get_data(as_text=True)
    created = client.post(
        "/admin/companies/new",
        data={**form, "short_name": "hafen-werft", "self_enrolment": "y"},
    )
    assert created.status_code == 302
    company = db.scalar(select(Company).where(Company.short_name == "hafen-werft"))
    assert company.name == "Hafen Werft GmbH" and company.self_enrolment and company.is_active
    page = client.get(created.location, headers=EN).get_data(as_text=True)
    assert "No departments yet" in page


def test_an_admin_edits_a_company(client, db, world, login):
    login(world.admin)
    company = world.a.company
    url = f"/admin/companies/{company.id}/edit"
    # The settings are a section of the company's page; an old link leads there.
    old_link = client.get(url)
    assert old_link.status_code == 302
    assert old_link.location.endswith(f"/admin/companies/{company.id}#settings")
    page = client.get(f"/admin/companies/{company.id}").get_data(as_text=True)
    assert f'action="{url}"' in page and f'value="{company.name}"' in page
    client.post(
        url,
        data={"name": "Alpha Neu GmbH", "short_name": company.short_name, "default_language": "en"},
    )
    db.refresh(company)
    assert (company.name, company.default_language, company.self_enrolment) == (
        "Alpha Neu GmbH",
        "en",
        False,
    )


def test_a_suspended_company_cannot_log_in_until_it_is_reactivated(
    client, other_client, db, world, login
):
    person = world.a.employees[0]
    login(person, target=other_client)
    assert other_client.get("/learn/").status_code == 200
    login(world.admin)
    client.post(f"/admin/companies/{world.a.company.id}/suspend")
    db.refresh(world.a.company)
    assert not world.a.company.is_active
    # Logged out at the next click, and no new login.
    assert other_client.get("/learn/").status_code == 302
    refused = other_client.post("/login", data={"email": person.email, "password": PASSWORD})
    assert refused.status_code == 200  # the login page again, with its message
    # The other company goes on.
    assert world.b.company.is_active
    client.post(f"/admin/companies/{world.a.company.id}/reactivate")
    login(person, target=other_client.application.test_client())


def test_departments_are_added_renamed_and_deleted_only_when_empty(client, db, world, login):
    company = world.a.company
    login(world.admin)
    base = f"/admin/companies/{company.id}/departments"
    client.post(base, data={"name": "Versand"})
    versand = db.scalar(select(Department).where(Department.name == "Versand"))
    assert versand is not None and versand.company_id == company.id
    twice = client.post(base, data={"name": "versand"}, follow_redirects=True, headers=EN)
    assert "has a department of this name already" in twice.get_data(as_text=True)
    client.post(f"{base}/{versand.id}/rename", data={"name": "Versand & Logistik"})
    db.refresh(versand)
    assert versand.name == "Versand & Logistik"
    busy = world.a.departments[0]
    refused = client.post(f"{base}/{busy.id}/delete", follow_redirects=True, headers=EN)
    assert "People still belong to this department" in refused.get_data(as_text=True)
    client.post(f"{base}/{versand.id}/delete")
    assert db.scalar(select(Department.id).where(Department.id == versand.id)) is None
    # Another company's department is not reachable through this company.
    foreign = world.b.departments[0]
    assert client.post(f"{base}/{foreign.id}/rename", data={"name": "X"}).status_code == 404
    assert client.post(f"{base}/{foreign.id}/delete").status_code == 404


def test_merging_departments_moves_people_keeps_history_and_joins_standing_assignments(
    client, db, world, login, tmp_path
):
    from datetime import UTC, date, datetime

    from lms.content.importer import import_course
    from lms.models import Assignment, AuditEntry, Course
    from lms.services.assignments import assign_to_group
    from tests.unit.test_course_parser import write_course

    with client.application.test_request_context():
        import_course(db, write_course(tmp_path, {}), datetime.now(UTC))
    course = db.scalar(select(Course).where(Course.slug == "testkurs"))
    a = world.a
    warehouse, office = a.departments  # "Lager" (two people), "Büro" (one, and the manager)
    from lms.models import User

    warehouse_people = db.scalars(select(User).where(User.department_id == warehouse.id)).all()
    office_people = db.scalars(select(User).where(User.department_id == office.id)).all()
    assert len(warehouse_people) == 3 and office_people
    # The warehouse requires the course; its people have it, the office's do not.
    assign_to_group(db, a.manager, a.company, course, warehouse, date(2099, 1, 1), "",
                    datetime.now(UTC), today=date(2026, 1, 1))  # fmt: skip
    held = {p.id for p in warehouse_people}
    login(world.admin)
    base = f"/admin/companies/{a.company.id}/departments"
    response = client.post(f"{base}/{warehouse.id}/merge", data={"into": office.id}, headers=EN)
    assert response.status_code == 302
    assert db.scalar(select(Department.id).where(Department.id == warehouse.id)) is None
    for person in warehouse_people:
        db.refresh(person)
        assert person.department_id == office.id
    # History kept: the warehouse people's assignments stay open, not doubled; the
    # office's people now have the merged department's standing assignment too.
    open_rows = db.scalars(select(Assignment).where(Assignment.ended_at.is_(None))).all()
    assert sorted(r.user_id for r in open_rows) == sorted([*held, *(p.id for p in office_people)])
    kept = {r.user_id: r for r in open_rows}
    assert all(kept[i].reason != "newcomer" for i in held)
    # The manager limited to the warehouse now manages the merged department.
    db.refresh(a.limited_manager)
    assert [d.id for d in a.limited_manager.managed_departments] == [office.id]
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "department.merge"))
    assert entry.changes["people"] == [None, 3]
    assert entry.changes["managers_now_of_it"] == [None, [a.limited_manager.display_name]]
    # Into itself or into another company's department: refused.
    same = client.post(f"{base}/{office.id}/merge", data={"into": office.id},
                       follow_redirects=True, headers=EN)  # fmt: skip
    assert "Choose another department" in same.get_data(as_text=True)
    foreign = world.b.departments[0]
    assert client.post(f"{base}/{office.id}/merge", data={"into": foreign.id}).status_code == 404


def test_a_company_is_deleted_only_after_an_export_and_with_its_name_typed(
    client, db, world, login
):
    from sqlalchemy import func

    from lms.models import User

    company = world.a.company
    base = f"/admin/companies/{company.id}"
    login(world.admin)
    client.post(f"{base}/delete", data={"confirm": company.name})
    assert db.scalar(select(Company.id).where(Company.id == company.id)) is not None
    export = client.get(f"{base}/export.json")
    assert export.mimetype == "application/json"
    assert world.a.employees[0].email in export.get_data(as_text=True)
    assert world.b.employees[0].email not in export.get_data(as_text=True)
    client.post(f"{base}/delete", data={"confirm": "falscher Name"})
    assert db.scalar(select(Company.id).where(Company.id == company.id)) is not None

    company_id, other_id, other_person = company.id, world.b.company.id, world.b.employees[0].id
    client.post(f"{base}/delete", data={"confirm": company.name})
    db.expunge_all()
    assert db.scalar(select(Company.id).where(Company.id == company_id)) is None
    people = db.scalar(select(func.count()).select_from(User).where(User.company_id == company_id))
    assert people == 0
    assert db.scalar(select(Company.id).where(Company.id == other_id)) is not None
    assert db.get(User, other_person) is not None


class _Page(HTMLParser):
    """What a browser makes of the company page: the section around each form, the
    controls in it in order, and the links of the table of contents."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.forms: list[dict] = []
        self.toc: list[str] = []
        self._open: list[str] = []
        self._form: dict | None = None
        self._in_toc = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._open.append(attrs.get("id") or "")
            self.sections.append(attrs.get("id") or "")
        elif tag == "nav" and "page-toc" in (attrs.get("class") or ""):
            self._in_toc = True
        elif tag == "a" and self._in_toc:
            self.toc.append(attrs.get("href") or "")
        elif tag == "form":
            where = self._open[-1] if self._open else ""
            self._form = {"action": attrs.get("action"), "section": where, "controls": []}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea", "button"):
            kind = attrs.get("type") or ("submit" if tag == "button" else tag)
            if kind != "hidden":
                self._form["controls"].append(kind)

    def handle_endtag(self, tag):
        if tag == "section" and self._open:
            self._open.pop()
        elif tag == "nav":
            self._in_toc = False
        elif tag == "form":
            self._form = None


def parsed(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_the_company_page_has_separate_sections_each_form_ending_in_its_one_button(
    client, db, world, login
):
    company = world.a.company
    login(world.admin)
    html = client.get(f"/admin/companies/{company.id}", headers=EN).get_data(as_text=True)
    page = parsed(html)
    sections = ["settings", "look", "departments", "people", "privacy", "reminders"]
    sections += ["shared-devices", "sso", "tokens", "rest-api", "webhooks", "lti", "danger"]
    assert page.sections == sections
    assert page.toc == [f"#{name}" for name in sections]  # the table of contents
    ours = [form for form in page.forms if form["section"]]  # not the header's
    assert len(ours) >= 8
    for form in ours:
        # One button per form, after every field of it.
        assert form["controls"].count("submit") == 1, form
        assert form["controls"][-1] == "submit", form
    base = f"/admin/companies/{company.id}"
    where = {form["action"].split("#")[0]: form["section"] for form in page.forms}
    assert where[f"{base}/edit"] == "settings"
    assert where[f"{base}/departments"] == "departments"
    assert where[f"{base}/reporting"] == "privacy"
    assert where[f"{base}/reminders/"] == "reminders"
    assert where[f"{base}/look/logo"] == where[f"{base}/look/accent"] == "look"
    # Suspending and deleting only in the section set apart (with the export).
    assert where[f"{base}/suspend"] == where[f"{base}/delete"] == "danger"
    assert "danger-section" in html and f'href="{base}/export.json"' in html
    assert html.index('id="danger"') > html.index(f'href="{base}/access-log"')


def test_a_refused_form_on_the_company_page_keeps_what_was_typed(client, db, world, login):
    company = world.a.company
    login(world.admin)
    base = f"/admin/companies/{company.id}"
    name, short_name = company.name, company.short_name

    # Settings: the typed values stay, the error under its field; the other forms
    # show the company, not the fields the settings form sent.
    bad = client.post(
        f"{base}/edit",
        data={"name": "Alpha Neu GmbH", "short_name": "Alpha Neu", "default_language": "en"},
        headers=EN,
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'value="Alpha Neu GmbH"' in html and 'value="Alpha Neu"' in html
    assert "lower case letters, digits and -" in html
    assert 'id="new-department" name="name" value=""' in html
    assert '<input checked id="privacy_level-0"' in html  # the privacy level as it is
    db.refresh(company)
    assert (company.name, company.short_name) == (name, short_name)

    # A department of a name the company has: the name stays in the field.
    taken = world.a.departments[0].name
    again = client.post(f"{base}/departments", data={"name": taken.upper()}, headers=EN)
    html = again.get_data(as_text=True)
    assert again.status_code == 422
    assert f'value="{taken.upper()}"' in html and "has a department of this name already" in html

    # Renaming to another department's name: the typed name stays in that row.
    first, second = world.a.departments
    renamed = client.post(
        f"{base}/departments/{first.id}/rename", data={"name": second.name}, headers=EN
    )
    html = renamed.get_data(as_text=True)
    assert renamed.status_code == 422
    assert f'id="department-{first.id}" name="name" value="{second.name}"' in html
    assert f'id="department-{first.id}-error"' in html
    db.refresh(first)
    assert first.name != second.name

    # Deleting: a wrong name stays typed in the open confirmation, with the reason.
    client.get(f"{base}/export.json")
    wrong = client.post(f"{base}/delete", data={"confirm": f"{name} AG"}, headers=EN)
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert f'name="confirm" autocomplete="off" value="{name} AG"' in html
    assert (
        "name exactly to confirm the deletion" in html
        and '<details class="danger-zone" open>' in html
    )
    assert db.get(Company, company.id) is not None
