"""The manager's pages: the matrix, assigning, one person, privacy levels, exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.clock import today
from lms.content.importer import import_course
from lms.models import (
    Assignment,
    Course,
    Enrollment,
    QuizAttempt,
    ReportAccess,
)
from lms.services import accounts, assignments
from tests.factories import make_user
from tests.unit.test_assignments import complete
from tests.unit.test_course_parser import COURSE_MD, write_course

EN = {"Accept-Language": "en"}


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(tmp_path, {})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


def assign(db, setup, course, people, due):
    assignments.assign_to_people(db, setup.manager, course, people, due, "", datetime.now(UTC))


def page(client, url="/team/", **params):
    response = client.get(url, query_string=params, headers=EN)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def rows_of_csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_the_matrix_shows_each_persons_state_in_words(client, db, world, login, course):
    a = world.a
    overdue, waiting = a.employees[0], a.employees[1]
    assign(db, a, course, [overdue], today() - timedelta(days=1))
    assign(db, a, course, [waiting], today() + timedelta(days=10))
    login(a.manager)
    html = page(client)
    assert "Testkurs" in html
    assert "✕</span> overdue" in html and "○</span> not started" in html
    assert world.b.employees[0].display_name not in html


def test_an_empty_team_gets_the_next_step(client, world, login):
    login(world.a.manager)
    html = page(client)
    assert "No assignments yet" in html and "/team/assign" in html


def test_filters_by_department_state_and_course_and_ignores_foreign_departments(
    client, db, world, login, course
):
    a = world.a
    assign(db, a, course, a.employees, today() + timedelta(days=3))
    complete(db, a.employees[2], course, datetime.now(UTC) - timedelta(days=1))
    login(a.manager)
    warehouse = page(client, department=a.departments[0].id)
    assert a.employees[0].display_name in warehouse
    assert a.employees[2].display_name not in warehouse
    done = page(client, state="completed")
    assert a.employees[2].display_name in done and a.employees[0].display_name not in done
    # Another company's department is no filter at all for this manager.
    foreign = page(client, department=world.b.departments[0].id)
    assert a.employees[0].display_name in foreign and a.employees[2].display_name in foreign
    assert page(client, course=999999).count('class="c--') == 0
    assert page(client).count('class="c--') > 0


def test_sorting_by_problems_puts_overdue_people_first(client, db, world, login, course):
    a = world.a
    late = make_user(db, a.company, name="Zacharias Zuletzt")
    assign(db, a, course, a.employees, today() + timedelta(days=3))
    assign(db, a, course, [late], today() - timedelta(days=3))
    login(a.manager)
    by_name = page(client)
    by_problems = page(client, sort="problems")
    assert by_name.index(late.display_name) > by_name.index(a.employees[0].display_name)
    assert by_problems.index(late.display_name) < by_problems.index(a.employees[0].display_name)


def test_the_matrix_pages_fifty_people_at_a_time(client, db, world, login, course):
    a = world.a
    people = [make_user(db, a.company, name=f"Mitarbeiter {i:03d}") for i in range(55)]
    assign(db, a, course, people, today() + timedelta(days=3))
    login(a.manager)
    first = page(client)
    assert "Page 1 of 2" in first and "Mitarbeiter 000" in first
    second = page(client, page=2)
    assert "Mitarbeiter 054" in second and "Mitarbeiter 000" not in second


def _matrix_queries(client, count_queries):
    before = count_queries.count
    page(client)
    return count_queries.count - before


def test_the_matrix_takes_the_same_number_of_queries_for_any_team_size(
    client, db, world, login, course, count_queries
):
    a = world.a
    assign(db, a, course, a.employees, today() + timedelta(days=3))
    login(a.manager)
    _matrix_queries(client, count_queries)  # reads the course's content into the cache
    cached_small = _matrix_queries(client, count_queries)  # figures from the cache
    complete(db, a.employees[0], course, datetime.now(UTC))  # a change: computed again
    fresh_small = _matrix_queries(client, count_queries)
    people = [make_user(db, a.company) for _ in range(40)]
    assign(db, a, course, people, today() - timedelta(days=3))
    for person in people[:10]:
        complete(db, person, course, datetime.now(UTC))
    assert _matrix_queries(client, count_queries) == fresh_small
    assert _matrix_queries(client, count_queries) == cached_small < fresh_small <= 10


# A cell of the matrix (the table per module has the same words in its headings), with
# its module's title for the card a phone shows: on these English pages the German-only
# title is an element of its own, marked lang="de".
TITLE = '<span class="matrix__module" lang="de">Testkurs</span>'
DONE = f'<td class="c--ok" data-label="">{TITLE}<span aria-hidden="true">✓</span> completed'
LATE = f'<td class="c--danger" data-label="">{TITLE}<span aria-hidden="true">✕</span> overdue'


def test_the_kept_matrix_shows_a_change_on_the_next_page_load(client, db, world, login, course):
    a = world.a
    assign(db, a, course, a.employees, today() + timedelta(days=3))
    login(a.manager)
    assert page(client).count(DONE) == 0
    assert page(client).count(DONE) == 0  # now from the cache
    complete(db, a.employees[0], course, datetime.now(UTC))
    assert page(client).count(DONE) == 1
    # Renaming a department changes no cell, but the rows show its name.
    a.departments[1].name = "Verwaltung"
    db.flush()
    assert "<td>Verwaltung</td>" in page(client)


def test_the_kept_matrix_shows_a_new_versions_title(
    app, client, db, world, login, course, tmp_path
):
    a = world.a
    assign(db, a, course, a.employees, today() + timedelta(days=3))
    login(a.manager)
    assert "Testkurs" in page(client)
    renamed = COURSE_MD.replace("title: Testkurs", "title: Testkurs neu gefasst")
    folder = write_course(tmp_path / "v2", {"course.md": renamed})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    assert "Testkurs neu gefasst" in page(client)


def test_a_cell_due_today_reads_overdue_on_the_next_day(
    app, client, db, world, login, course, monkeypatch
):
    a = world.a
    moment = datetime.now(UTC)
    monkeypatch.setitem(app.config, "CLOCK", lambda: moment)
    assign(db, a, course, a.employees, today(moment))
    login(a.manager)
    assert LATE not in page(client)
    assert LATE not in page(client)  # now from the cache
    monkeypatch.setitem(app.config, "CLOCK", lambda: moment + timedelta(days=1))
    assert page(client).count(LATE) == len(a.employees)


def test_a_kept_matrix_is_shown_only_to_managers_of_the_same_scope(
    app, client, db, world, login, course
):
    a, b = world.a, world.b
    assign(db, a, course, a.employees, today() + timedelta(days=3))
    in_office = a.employees[-1]  # the one employee outside the limited manager's department
    managers = (a.manager, a.limited_manager, b.manager)
    whole, limited, foreign = (login(m, target=app.test_client()) for m in managers)
    for first in (whole, limited):  # whichever looks first, the page is kept for its scope
        complete(db, a.employees[0], course, datetime.now(UTC))  # a new revision: nothing kept
        page(first)
        assert in_office.display_name in page(whole)
        assert in_office.display_name not in page(limited)
    html = page(foreign)
    assert all(person.display_name not in html for person in a.employees)


def test_the_export_has_the_screens_rows_in_the_screens_order(client, db, world, login, course):
    a = world.a
    people = [make_user(db, a.company, name=f"Person {i:02d}") for i in range(60)]
    assign(db, a, course, people[:30], today() - timedelta(days=1))
    assign(db, a, course, people[30:], today() + timedelta(days=5))
    login(a.manager)
    filters = {"state": "overdue", "sort": "problems"}
    html = page(client, **filters)
    response = client.get("/team/matrix.csv", query_string=filters, headers=EN)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = rows_of_csv(response)
    assert rows[0][:4] == ["Name", "E-mail address", "Personnel number", "Department"]
    names = [r[0] for r in rows[1:]]
    assert len(names) == 30  # every page, not just the first 50 shown
    on_screen = [n for n in names if f">{n}</a>" in html]
    assert on_screen == names[: len(on_screen)] and len(on_screen) == 30
    assert all(r[4].startswith("overdue (due on") for r in rows[1:])

    xlsx = client.get("/team/matrix.xlsx", query_string=filters, headers=EN)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == names


def test_exports_neutralise_spreadsheet_formulas(client, db, world, login, course):
    a = world.a
    evil = make_user(db, a.company, name='=HYPERLINK("http://evil.example","Klick")')
    assign(db, a, course, [evil], today())
    login(a.manager)
    rows = rows_of_csv(client.get("/team/matrix.csv", headers=EN))
    assert rows[1][0] == "'" + evil.display_name
    sheet = load_workbook(io.BytesIO(client.get("/team/matrix.xlsx").data)).active
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s" and cell.value.startswith("'=")


def scored(db, person, course, percent):
    """A completed course with a submitted knowledge check of `percent`."""
    complete(db, person, course, datetime.now(UTC))
    enrollment = db.scalar(select(Enrollment).where(Enrollment.user_id == person.id))
    db.add(
        QuizAttempt(
            company_id=person.company_id,
            user_id=person.id,
            enrollment_id=enrollment.id,
            version_id=enrollment.version_id,
            unit_id="wissenscheck",
            language="de",
            number=1,
            status="submitted",
            layout=[],
            responses={},
            submitted_at=datetime.now(UTC),
            score=Decimal(percent),
            max_score=Decimal(100),
            percent=Decimal(percent),
            passed=True,
        )
    )
    db.flush()


def test_status_only_hides_scores_on_every_page_and_export(client, db, world, login, course):
    a = world.a
    person = a.employees[0]
    assign(db, a, course, a.employees, today())
    scored(db, person, course, 87)
    login(a.manager)
    urls = ["/team/", f"/team/people/{person.id}", "/team/reports"]
    # The score as pages and exports would write it (ids and e-mail addresses may
    # contain 87 too, so look for the score's own forms).
    shown_score = ("87\u00a0%", "87 %")
    for url in urls:
        html = page(client, url)
        assert not any(score in html for score in shown_score), url
        assert "best result" not in html.lower(), url
    response = client.get("/team/matrix.csv", headers=EN)
    assert "Best result" not in response.get_data(as_text=True)
    cells = {cell for row in rows_of_csv(response) for cell in row}
    assert not cells & {"87", "87.00", "87,00"}
    assert "status only" in page(client)

    a.company.privacy_level = "results"
    db.flush()
    assert "best result 87" in page(client)
    assert "Knowledge check results" in page(client, f"/team/people/{person.id}")
    assert "Best result: Testkurs" in client.get("/team/matrix.csv", headers=EN).get_data(
        as_text=True
    )
    # An average over fewer than five people would give away one person's score.
    assert "from 5 people" in page(client)
    for other, percent in zip(
        [*a.employees[1:], a.manager, a.limited_manager], (70, 80, 90, 93), strict=True
    ):
        scored(db, other, course, percent)
    assert "84" in page(client)  # (87 + 70 + 80 + 90 + 93) / 5 = 84


def test_viewing_a_person_and_exporting_is_logged(client, db, world, login, course):
    a = world.a
    assign(db, a, course, a.employees[:1], today())
    login(a.manager)
    page(client, f"/team/people/{a.employees[0].id}")
    client.get("/team/matrix.csv", query_string={"state": "overdue"})
    log = db.scalars(select(ReportAccess).order_by(ReportAccess.id)).all()
    assert [(e.kind, e.subject_id) for e in log] == [
        ("person", a.employees[0].id),
        ("matrix-csv", None),
    ]
    assert log[0].viewer_name == a.manager.display_name
    assert "overdue" in log[1].detail or "überfällig" in log[1].detail


def test_a_manager_assigns_a_module_to_a_department(client, db, world, login, course):
    a = world.a
    login(a.manager)
    form = page(client, "/team/assign")
    assert "Testkurs" in form and a.departments[0].name in form
    due = today() + timedelta(days=14)
    response = client.post(
        "/team/assign",
        data={
            "course": course.id,
            "target": "department",
            "department": a.departments[0].id,
            "due_on": due.isoformat(),
            "note": "Pflicht für alle im Lager",
        },
        headers=EN,
    )
    assert response.status_code == 302
    followed = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "assigned to 3 people" in followed
    rows = db.scalars(select(Assignment).where(Assignment.ended_at.is_(None))).all()
    assert {r.user_id for r in rows} == {a.employees[0].id, a.employees[1].id, a.limited_manager.id}
    assert {r.due_on for r in rows} == {due}


def test_a_bad_assignment_keeps_what_was_typed(client, db, world, login, course):
    login(world.a.manager)
    response = client.post(
        "/team/assign",
        data={
            "course": course.id,
            "target": "people",
            "due_on": (today() - timedelta(days=1)).isoformat(),
            "note": "Mein Hinweis",
        },
        headers=EN,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "must not lie in the past" in html and "Please choose at least one person" in html
    assert "Mein Hinweis" in html
    assert db.scalar(select(func.count()).select_from(Assignment)) == 0


def test_a_limited_manager_cannot_assign_outside_their_departments(
    client, db, world, login, course
):
    a = world.a
    login(a.limited_manager)
    form = page(client, "/team/assign")
    assert "The whole company" not in form and a.departments[1].name not in form
    data = {"course": course.id, "due_on": (today() + timedelta(days=3)).isoformat()}
    office = client.post(
        "/team/assign", data=dict(data, target="department", department=a.departments[1].id)
    )
    company = client.post("/team/assign", data=dict(data, target="company"))
    person = client.post("/team/assign", data=dict(data, target="people", people=a.employees[2].id))
    assert {office.status_code, company.status_code, person.status_code} == {422}
    assert db.scalar(select(func.count()).select_from(Assignment)) == 0


def test_withdrawing_keeps_the_history(client, db, world, login, course):
    a = world.a
    rule, _ = assignments.assign_to_group(
        db,
        a.manager,
        a.company,
        course,
        a.departments[0],
        today(),
        "",
        datetime.now(UTC),
        today=today(),
    )
    login(a.manager)
    listing = page(client, "/team/assignments")
    assert a.departments[0].name in listing and "Withdraw" in listing
    client.post(f"/team/assignments/rules/{rule.id}/withdraw")
    db.refresh(rule)
    assert rule.withdrawn_at is not None
    person = page(client, f"/team/people/{a.employees[0].id}")
    assert "No modules are assigned to this person." in person
    assert "withdrawn on" in person


def test_completions_in_a_period_on_screen_and_as_csv(client, db, world, login, course):
    a = world.a
    complete(db, a.employees[0], course, datetime(2026, 3, 5, 10, tzinfo=UTC))
    complete(
        db, a.employees[1], course, datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    )  # 1 Jan in Berlin
    complete(db, world.b.employees[0], course, datetime(2026, 3, 5, 10, tzinfo=UTC))
    login(a.manager)
    period = {"start": "2026-01-01", "end": "2026-12-31"}
    html = page(client, "/team/completions", **period)
    assert a.employees[0].display_name in html and a.employees[1].display_name in html
    assert world.b.employees[0].display_name not in html
    rows = rows_of_csv(client.get("/team/completions", query_string=dict(period, format="csv")))
    assert sorted(r[0] for r in rows[1:]) == sorted(
        [a.employees[0].display_name, a.employees[1].display_name]
    )
    bad = client.get("/team/completions", query_string={"start": "2026-05-01", "end": "2026-01-01"})
    assert bad.status_code == 422


def test_charts_page_has_svg_and_a_table(client, db, world, login, course):
    a = world.a
    assign(db, a, course, a.employees, today())
    complete(db, a.employees[0], course, datetime.now(UTC))
    login(a.manager)
    html = page(client, "/team/reports")
    assert "<svg" in html and 'role="img"' in html
    assert "<table" in html and "Testkurs" in html


def test_an_admin_switches_the_privacy_level_and_sees_the_access_log(
    app, client, other_client, db, world, login, course
):
    a = world.a
    assign(db, a, course, a.employees[:1], today())
    login(a.manager)
    page(client, f"/team/people/{a.employees[0].id}")
    login(world.b.manager, target=other_client)
    other_client.get(f"/team/people/{world.b.employees[0].id}")

    admin = login(world.admin, target=app.test_client())
    bad = admin.post(
        f"/admin/companies/{a.company.id}/reporting",
        data={"privacy_level": "results", "recertification_lead_days": "400"},
        headers=EN,
    )
    assert bad.status_code == 422 and 'value="400"' in bad.get_data(as_text=True)
    assert a.company.privacy_level == "status"
    ok = admin.post(
        f"/admin/companies/{a.company.id}/reporting",
        data={"privacy_level": "results", "recertification_lead_days": "60"},
    )
    assert ok.status_code == 302
    db.refresh(a.company)
    assert (a.company.privacy_level, a.company.recertification_lead_days) == ("results", 60)

    log = admin.get(f"/admin/companies/{a.company.id}/access-log", headers=EN)
    html = log.get_data(as_text=True)
    assert a.manager.display_name in html and a.employees[0].display_name in html
    assert world.b.manager.display_name not in html


def test_the_team_figures_follow_every_change_at_once(client, db, world, login, course):
    """The counts are cached per company revision: a completion or a new assignment shows at
    once, also within the same minute."""
    a = world.a
    assign(db, a, course, a.employees[:2], today() + timedelta(days=5))
    login(a.manager)
    assert "completed: 0" in page(client) and "not started: 2" in page(client)
    complete(db, a.employees[0], course, datetime.now(UTC))
    html = page(client)
    assert "completed: 1" in html and "not started: 1" in html
    assign(db, a, course, [a.employees[2]], today() + timedelta(days=5))
    assert "not started: 2" in page(client)
    accounts.deactivate_user(db, a.employees[1])
    assert "not started: 1" in page(client)


def test_an_admin_assigns_within_one_company(app, db, world, login, course):
    a, b = world.a, world.b
    admin = login(world.admin, target=app.test_client())
    form = admin.get(f"/admin/companies/{a.company.id}/assign", headers=EN).get_data(as_text=True)
    assert "The whole company" in form and a.employees[0].display_name in form
    assert b.employees[0].display_name not in form
    data = {"course": course.id, "due_on": (today() + timedelta(days=9)).isoformat()}
    done = admin.post(f"/admin/companies/{a.company.id}/assign", data=dict(data, target="company"))
    assert done.status_code == 302
    assigned = set(db.scalars(select(Assignment.user_id).where(Assignment.ended_at.is_(None))))
    assert assigned == {p.id for p in (a.manager, a.limited_manager, *a.employees)}
    # Another company's department or person, sent to this company's page: refused.
    other = admin.post(
        f"/admin/companies/{b.company.id}/assign",
        data=dict(data, target="department", department=a.departments[0].id),
    )
    assert other.status_code == 422  # not among the choices of company B
    person = admin.post(
        f"/admin/companies/{b.company.id}/assign",
        data=dict(data, target="people", people=a.employees[0].id),
    )
    assert person.status_code == 422
    assert set(db.scalars(select(Assignment.user_id))) == assigned


# --- The team page on a phone, and the assign form (issue 18) ---------------------------


def test_the_team_page_keeps_its_other_pages_in_one_menu_and_the_overview_first(
    client, db, world, login, course
):
    a = world.a
    assign(db, a, course, a.employees[:1], today() - timedelta(days=1))
    assign(db, a, course, a.employees[1:], today() + timedelta(days=10))
    login(a.manager)
    html = page(client)
    menu = html[html.index('<details class="team-menu">') : html.index("</details>")]
    for url in ("/team/assign-path", "/team/assignments", "/team/bookings", "/team/records",
                "/team/proof", "/team/completions", "/team/reports", "/team/audit"):  # fmt: skip
        assert f'href="{url}' in menu, url
    assert '/team/assign"' not in menu  # the one primary action stays outside
    assert html.index("</details>") < html.index('id="overview-heading"') < html.index("matrix")
    # Each state's figure leads to the people with an assignment in that state.
    overview = html[html.index('id="overview-heading"') : html.index('class="chart"')]
    assert '<a href="/team/?state=overdue">' in overview
    assert '<span class="state-count__figure">1</span>' in overview
    assert '<span class="state-count__figure">2</span>' in overview  # not started
    late = page(client, state="overdue")
    assert a.employees[0].display_name in late and a.employees[1].display_name not in late


def test_each_assigned_cell_names_its_module_for_the_phones_card(
    app, client, db, world, login, course, tmp_path
):
    a = world.a
    other_md = COURSE_MD.replace("title: Testkurs", "title: Zweiter <Kurs>")
    with app.test_request_context():
        import_course(db, write_course(tmp_path / "b", {"course.md": other_md}, "zweiter"),
                      datetime.now(UTC))  # fmt: skip
    second = db.scalar(select(Course).where(Course.slug == "zweiter"))
    assign(db, a, course, a.employees, today() + timedelta(days=3))
    assign(db, a, second, a.employees[:1], today() + timedelta(days=3))
    login(a.manager)
    html = page(client)
    start = html.index(f">{a.employees[0].display_name}</a></th>")
    row = html[start : html.index("</tr>", start)]
    # German-only titles on an English page: marked with lang (generated content from
    # data-label could not be), escaped once, like every title.
    assert '<span class="matrix__module" lang="de">Testkurs</span>' in row
    assert '<span class="matrix__module" lang="de">Zweiter &lt;Kurs&gt;</span>' in row
    assert 'data-label=""' in row
    # So are the module filter's options, also when the filter shows one module.
    filtered = client.get(f"/team/?course={course.id}", headers=EN).get_data(as_text=True)
    assert f'<option value="{second.id}" lang="de">Zweiter &lt;Kurs&gt;</option>' in filtered
    german = client.get("/team/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    start = german.index(f">{a.employees[0].display_name}</a></th>")
    row_de = german[start : german.index("</tr>", start)]
    # On a German page the titles are the page's language: the card's label says them.
    assert 'data-label="Testkurs"' in row_de and "matrix__module" not in row_de
    assert 'data-label="Zweiter &lt;Kurs&gt;"' in row_de
    start = html.index(f">{a.employees[1].display_name}</a></th>")
    row = html[start : html.index("</tr>", start)]
    # Not assigned: no title, and the card leaves it out.
    assert row.count("data-label=") == 1 and '<td class="c--none">' in row


def assign_data(course, **changes):
    data = {
        "course": course.id,
        "target": "people",
        "due_on": (today() + timedelta(days=20)).isoformat(),
        "note": "Bitte bis Monatsende",
    }
    data.update(changes)
    return data


def test_the_assign_form_shows_each_target_and_module_its_own_fields(
    app, client, db, world, login, course, tmp_path
):
    once_md = COURSE_MD.replace("title: Testkurs", "title: Einmalkurs").replace(
        "valid_for: 12 months\n", ""
    )
    with app.test_request_context():
        import_course(db, write_course(tmp_path / "o", {"course.md": once_md}, "einmal"),
                      datetime.now(UTC))  # fmt: skip
    login(world.a.manager)
    html = page(client, "/team/assign")
    # The department's field and the people's list each in the block of their target
    # (app.css shows the block of the chosen radio button only).
    department = html.index('class="assign-for assign-for--department"')
    assert department < html.index('id="department"') < html.index('id="people"')
    assert html.index("assign-for assign-for--people") < html.index('id="people-0"')
    assert 'class="muted assign-for assign-for--department assign-for--company"' in html
    # Modules renewed when their certificate runs out apart from those taken once.
    assert '<optgroup label="Renewed regularly"><option data-renews' in html
    assert "Testkurs (valid for 12 months)" in html
    assert '<optgroup label="Taken once"><option data-once' in html
    assert "you need not assign it again" in html


def test_searching_people_keeps_what_was_typed_and_who_was_selected(
    client, db, world, login, course
):
    a = world.a
    # No digit of a factory's counter in an address: "1" would match it.
    for letter, person in zip("abcde", [*a.employees, a.limited_manager, a.manager], strict=True):
        person.email = f"{letter}@a.example"
    db.commit()
    login(a.manager)
    kept, found = a.employees[2], a.employees[0]
    response = client.post("/team/assign", headers=EN, data=assign_data(
        course, people=[kept.id], search="lager 1", step="search"))  # fmt: skip
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    listed = html[html.index('<ul class="choices">') : html.index("</ul>", html.index("choices"))]
    assert found.display_name not in listed  # "Alpha Lager 0" does not match "lager 1"
    assert a.employees[1].display_name in listed  # "Alpha Lager 1" does
    checked = f'<input checked id="people-0" name="people" type="checkbox" value="{kept.id}">'
    assert kept.display_name in listed and checked in listed  # still selected (first by name)
    assert "Bitte bis Monatsende" in html and 'value="lager 1"' in html
    assert "1 person found · 1 selected" in html
    assert db.scalar(select(func.count()).select_from(Assignment)) == 0


def test_select_everyone_found_then_assign(client, db, world, login, course):
    a = world.a
    login(a.manager)
    chosen = client.post("/team/assign", headers=EN, data=assign_data(
        course, search="Lager", step="all"))  # fmt: skip
    html = chosen.get_data(as_text=True)
    assert chosen.status_code == 200 and "3 people found · 3 selected" in html
    ids = {a.employees[0].id, a.employees[1].id, a.limited_manager.id}  # "Lager" in every one
    assert html.count('<input checked id="people-') == 3
    cleared = client.post("/team/assign", headers=EN, data=assign_data(
        course, people=sorted(ids), step="none"))  # fmt: skip
    assert "0 selected" in cleared.get_data(as_text=True)
    done = client.post("/team/assign", headers=EN, data=assign_data(course, people=sorted(ids)))
    assert done.status_code == 302
    rows = db.scalars(select(Assignment).where(Assignment.ended_at.is_(None))).all()
    assert {r.user_id for r in rows} == ids


def test_the_people_search_works_as_a_link_and_never_widens_the_scope(
    client, db, world, login, course
):
    a = world.a
    login(a.limited_manager)
    html = page(client, "/team/assign", search="Alpha", course=course.id)
    assert (
        '<input checked id="target-1" name="target" required type="radio" value="people">' in html
    )
    assert a.employees[0].display_name in html
    assert a.employees[2].display_name not in html  # the office is not theirs
    # Selecting everyone found takes only the people in reach.
    everyone = client.post("/team/assign", headers=EN, data=assign_data(
        course, search="", step="all")).get_data(as_text=True)  # fmt: skip
    assert a.employees[2].display_name not in everyone
    refused = client.post("/team/assign", data=assign_data(course, people=[a.employees[2].id]))
    assert refused.status_code == 422


def test_an_admins_assign_form_searches_people_the_same_way(client, db, world, login, course):
    a = world.a
    login(world.admin)
    url = f"/admin/companies/{a.company.id}/assign"
    response = client.post(url, headers=EN, data=assign_data(course, search="Büro", step="all"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "2 people found · 2 selected" in html
    assert world.b.employees[0].display_name not in html
    assert db.scalar(select(func.count()).select_from(Assignment)) == 0


def test_enter_in_the_assign_form_searches_and_never_assigns(client, db, world, login, course):
    # The search button is the form's first: a browser presses it for Enter in any field.
    a = world.a
    login(a.manager)
    data = assign_data(course, target="department", department=a.departments[0].id)
    response = client.post("/team/assign", headers=EN, data=dict(data, step="search"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Please correct" not in html
    assert 'checked id="target-0" name="target" required type="radio" value="department"' in html
    assert f'<option selected value="{a.departments[0].id}">' in html
    assert db.scalar(select(func.count()).select_from(Assignment)) == 0
