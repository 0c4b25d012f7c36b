"""Package units (SCORM, cmi5) on the pages that report: the proof of instruction (page, CSV,
PDF), the manager's team matrix and person page, the learner's data export and the
trainer's item statistics. Who may not see these pages is proven for every route by the
walk in tests/web/test_access.py."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.learn.routes import certificate_text
from lms.models import Completion, Course
from lms.services import assignments, learning
from tests.unit.test_booking import WORKSHOP
from tests.unit.test_course_parser import write_course
from tests.unit.test_package_reports import (
    NOW,
    UNIT,
    add_attempt,
    complete_with_package,
    package_course,
    six_learners,
)
from tests.web.test_hybrid_completion import complete_hybrid, csv_rows
from tests.web.test_login_cards import pdf_text
from tests.web.test_signoff import PRACTICAL

__all__ = ["package_course"]  # fixtures

EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}
STATS = "/author/courses/paketkurs/v1/stats/brandschutz"


def proof_query(version, **more):
    return {"course": version.course_id, "start": "2026-01-01", "end": "2026-12-31", **more}


def test_the_proof_names_the_package_and_the_state_and_no_scores_at_status_level(
    client, db, world, login, package_course
):
    person = world.a.employees[0]
    complete_with_package(db, person, package_course)
    login(world.a.manager)
    html = client.get("/team/proof", query_string=proof_query(package_course), headers=EN)
    page = html.get_data(as_text=True)
    assert html.status_code == 200 and person.display_name in page
    assert "Learning package" in page and "Package result" in page
    assert (
        "Brandschutz – Grundlagen: Brandschutz im Betrieb (Verlagsausgabe) "
        "(DE.VERLAG.BS-GRUND, version 1.2, SCORM 2004)"
    ) in page
    header, line = csv_rows(
        client.get(
            "/team/proof", query_string=proof_query(package_course, format="csv"), headers=EN
        )
    )
    column = header.index("Learning package")
    assert header[column + 1] == "Package result" and "Knowledge check" not in header
    assert "DE.VERLAG.BS-GRUND, version 1.2, SCORM 2004" in line[column]
    assert line[column + 1] == "passed"  # no score, time or attempts: status level
    assert header[-2:] == ["Completed on", "Certificate"] and line[-2] == "2026-11-02"
    pdf = client.get("/team/proof", query_string=proof_query(package_course, format="pdf"))
    text = " ".join(pdf_text(pdf.data).split())
    # No score (85 %): a certificate code or a time of day may hold the digits 85.
    assert "DE.VERLAG.BS-GRUND" in text and "SCORM 2004" in text
    assert not re.search(r"85\s*%", text)


def test_with_results_the_proof_adds_score_time_and_attempts(
    client, db, world, login, package_course
):
    world.a.company.privacy_level = "results"
    complete_with_package(db, world.a.employees[0], package_course)
    login(world.a.manager)
    header, line = csv_rows(
        client.get(
            "/team/proof", query_string=proof_query(package_course, format="csv"), headers=EN
        )
    )
    assert line[header.index("Package result")] == "passed · 85\u00a0% · 15 min. · 2 attempts"
    pdf = client.get("/team/proof", query_string=proof_query(package_course, format="pdf"))
    text = " ".join(pdf_text(pdf.data).split())
    assert "85" in text and "DE.VERLAG.BS-GRUND" in text


def test_a_module_without_packages_has_no_package_columns(client, db, world, login, tmp_path):
    folder = write_course(
        tmp_path, {"02-workshop.md": WORKSHOP, "03-praxis.md": PRACTICAL}, slug="hybridkurs"
    )
    with client.application.test_request_context():
        import_course(db, folder, NOW)
    course = db.scalar(select(Course).where(Course.slug == "hybridkurs"))
    complete_hybrid(db, world, course, world.a.employees[0])
    login(world.a.manager)
    query = {"course": course.id, "start": "2026-01-01", "end": "2026-12-31", "format": "csv"}
    header, _line = csv_rows(client.get("/team/proof", query_string=query, headers=EN))
    assert "Learning package" not in header


def test_a_completed_package_unit_counts_in_the_matrix_and_on_the_person_page(
    client, db, world, login, package_course
):
    person = world.a.employees[0]
    assignments.assign_course(
        db, Actor(world.a.manager), world.a.company, db.get(Course, package_course.course_id),
        people=[person], department=None, due_on=(NOW + timedelta(days=30)).date(), note="",
        now=NOW - timedelta(days=2), today=(NOW - timedelta(days=2)).date(),
    )  # fmt: skip
    complete_with_package(db, person, package_course)
    enrollment = learning.get_enrollment(db, person, db.get(Course, package_course.course_id))
    progress = learning.course_progress(db, enrollment, "de")
    package_state = next(s for s in progress.units if s.unit["id"] == UNIT)
    assert package_state.complete and progress.complete
    assert db.scalar(select(Completion.id).where(Completion.user_id == person.id))
    login(world.a.manager)
    page = client.get("/team/", headers=EN).get_data(as_text=True)
    row = page[page.index(person.display_name) :]
    row = row[: row.index("</tr>")]
    assert "completed" in row
    # At status level the person's page shows no package results.
    page = client.get(f"/team/people/{person.id}", headers=EN).get_data(as_text=True)
    assert "Learning package results" not in page


def test_with_results_the_person_page_lists_the_package_result(
    client, db, world, login, package_course
):
    world.a.company.privacy_level = "results"
    person = world.a.employees[0]
    complete_with_package(db, person, package_course)
    login(world.a.manager)
    page = client.get(f"/team/people/{person.id}", headers=EN).get_data(as_text=True)
    assert "Learning package results" in page
    section = page[page.index("Learning package results") :]
    assert "Brandschutz – Grundlagen" in section and "DE.VERLAG.BS-GRUND" in section
    assert "passed" in section and "85\u00a0%" in section and "15 min." in section
    assert ">2<" in section  # attempts


def test_the_learner_downloads_their_package_data(client, db, world, login, package_course):
    person = world.a.employees[0]
    complete_with_package(
        db, person, package_course, suspend_data="lesezeichen-42",
        interactions=[("frage-1", "incorrect", "b[,]c")],
    )  # fmt: skip
    complete_with_package(db, world.a.employees[1], package_course, suspend_data="fremd")
    login(person)
    page = client.get("/learn/my-data", headers=EN).get_data(as_text=True)
    section = page[page.index("Your learning packages") :]
    assert "Testkurs: <span" in section and "Brandschutz – Grundlagen" in section
    assert "passed" in section and "85\u00a0%" in section and "15 min." in section
    response = client.get("/learn/my-data.json")
    assert response.status_code == 200, response.status_code
    data = json.loads(response.get_data(as_text=True))
    assert [a["suspend_data"] for a in data["package_attempts"]] == ["", "lesezeichen-42"]
    assert data["package_attempts"][1]["interactions"][0]["response"] == "b[,]c"
    assert "fremd" not in response.get_data(as_text=True)


def test_the_trainer_sees_the_interactions_of_the_package(client, db, world, login, package_course):
    for enrollment in six_learners(db, package_course):
        add_attempt(
            db, enrollment,
            interactions=[("frage-1", "incorrect", "b[,]c"), ("frage-2", "correct", "a")],
        )  # fmt: skip
    login(world.trainer)
    response = client.get(STATS, headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Interactions from the learning package" in page
    assert "DE.VERLAG.BS-GRUND" in page and "SCORM 2004" in page
    assert "<code>frage-1</code>" in page and "Frage frage-1" in page
    assert "0\u00a0%" in page and "100\u00a0%" in page
    assert "b; c" in page and "(6 answers)" in page
    assert "Zacharias" not in page and "@example.com" not in page
    german = client.get(STATS, headers=DE).get_data(as_text=True)
    assert "Aufgabenanalyse" in german
    preview = client.get("/author/courses/paketkurs/v1/", headers=EN).get_data(as_text=True)
    assert f'href="{STATS}?lang=de"' in preview


def test_too_few_answers_show_no_figures_and_none_says_so(client, db, world, login, package_course):
    login(world.trainer)
    page = client.get(STATS, headers=EN).get_data(as_text=True)
    assert "has not reported any interactions for this version yet" in page
    for enrollment in six_learners(db, package_course)[:4]:
        add_attempt(db, enrollment, interactions=[("frage-1", "incorrect", "geheim")])
    page = client.get(STATS, headers=EN).get_data(as_text=True)
    assert "fewer than 5" in page and "geheim" not in page


def test_learners_and_managers_may_not_see_the_figures(client, world, login, package_course):
    login(world.a.employees[0])
    assert client.get(STATS).status_code == 403
    assert client.get("/author/courses/paketkurs/v1/stats/einstieg").status_code in (403, 404)


def test_the_trainers_preview_of_the_unit_names_the_package_and_its_parts(
    client, world, login, package_course
):
    login(world.trainer)
    page = client.get("/author/courses/paketkurs/v1/brandschutz", headers=EN).get_data(as_text=True)
    assert "Learning package" in page and "Brandschutz im Betrieb (Verlagsausgabe)" in page
    assert "<code>DE.VERLAG.BS-GRUND</code> · version 1.2" in page and "SCORM 2004" in page
    assert "<code>packages/brandschutz.zip</code>" in page
    assert "Parts of the package" in page and "pass mark 80\u00a0%" in page
    assert f'href="{STATS}?lang=de"' in page


def test_the_certificate_names_the_package_played(app, client, db, world, login, package_course):
    person = world.a.employees[0]
    complete_with_package(db, person, package_course)
    completion = db.scalar(select(Completion).where(Completion.user_id == person.id))
    with app.test_request_context(headers=EN):
        text = certificate_text(completion, person, "en")
    assert text.evidence == [
        "Brandschutz – Grundlagen: Brandschutz im Betrieb (Verlagsausgabe) "
        "(DE.VERLAG.BS-GRUND, version 1.2, SCORM 2004) – passed"
    ]
    login(person)
    pdf = client.get(f"/learn/certificates/{completion.code}.pdf", headers=EN)
    assert "DE.VERLAG.BS-GRUND, version 1.2, SCORM 2004" in " ".join(pdf_text(pdf.data).split())
