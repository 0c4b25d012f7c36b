"""Certificates: issued on completion, downloaded as PDF, verified publicly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.certificates import add_period, new_code, normalize_code
from lms.content.importer import import_course
from lms.models import Completion
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}


@pytest.mark.parametrize(
    "start,period,expected",
    [
        (datetime(2026, 1, 31, tzinfo=UTC), "1 months", datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), "1 months", datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 11, 23, tzinfo=UTC), "12 months", datetime(2027, 11, 23, tzinfo=UTC)),
        (datetime(2028, 2, 29, tzinfo=UTC), "1 years", datetime(2029, 2, 28, tzinfo=UTC)),
        (datetime(2026, 12, 15, tzinfo=UTC), "2 months", datetime(2027, 2, 15, tzinfo=UTC)),
        (datetime(2026, 3, 1, tzinfo=UTC), "30 days", datetime(2026, 3, 31, tzinfo=UTC)),
        (datetime(2026, 3, 1, tzinfo=UTC), None, None),
    ],
)
def test_validity_periods_respect_month_ends_and_leap_years(start, period, expected):
    assert add_period(start, period) == expected


def test_codes_are_random_readable_and_normalised():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    code = codes.pop()
    assert len(code) == 14 and code[4] == code[9] == "-"
    assert not set(code.replace("-", "")) & set("01ILO")
    assert normalize_code(code.lower().replace("-", " ")) == code
    assert normalize_code("zu kurz") == ""


@pytest.fixture
def completion(app, db, client, world, login, tmp_path):
    """A learner who completed a one-lesson course that is valid for 12 months."""
    folder = write_course(tmp_path, {})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    login(world.a.employees[0])
    client.post("/learn/courses/testkurs/enroll")
    client.post("/learn/courses/testkurs/einstieg/done")
    found = db.scalar(select(Completion))
    assert found is not None and found.code
    return found


def test_completion_issues_a_certificate_valid_for_the_course_period(completion):
    assert completion.valid_until is not None
    delta = completion.valid_until - completion.completed_at
    assert timedelta(days=364) <= delta <= timedelta(days=366)


def test_the_learner_downloads_the_certificate_as_pdf(client, completion):
    start = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "Download certificate (PDF)" in start
    response = client.get(f"/learn/certificates/{completion.code}.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.data.startswith(b"%PDF") and len(response.data) > 5000


def test_nobody_else_downloads_it(client, other_client, world, login, completion):
    login(world.a.employees[1], target=other_client)
    assert other_client.get(f"/learn/certificates/{completion.code}.pdf").status_code == 404


def test_verify_page_shows_valid_and_no_more_than_the_certificate(app, completion, world):
    anonymous = app.test_client()
    page = anonymous.get(f"/verify/{completion.code}", headers=EN).get_data(as_text=True)
    assert "This certificate is genuine and valid." in page
    assert world.a.employees[0].display_name in page and "Testkurs" in page
    assert world.a.employees[0].email not in page


@pytest.mark.parametrize(
    "change,expected",
    [
        (
            {"valid_until": datetime(2020, 1, 1, tzinfo=UTC)},
            "This certificate is genuine but no longer valid.",
        ),
        ({"revoked_at": datetime(2026, 1, 1, tzinfo=UTC)}, "This certificate has been withdrawn."),
    ],
)
def test_verify_page_shows_expired_and_revoked(app, db, completion, change, expected):
    for key, value in change.items():
        setattr(completion, key, value)
    db.flush()
    page = app.test_client().get(f"/verify/{completion.code}", headers=EN).get_data(as_text=True)
    assert expected in page


def test_verify_page_shows_renewal_needed_after_a_requalification(app, db, completion, tmp_path):
    course_md = (tmp_path / "testkurs" / "course.md").read_text()
    (tmp_path / "testkurs" / "course.md").write_text(
        course_md.replace("tags:", "requalification: required\ntags:")
    )
    with app.test_request_context():
        import_course(db, tmp_path / "testkurs", datetime.now(UTC))
    page = app.test_client().get(f"/verify/{completion.code}", headers=EN).get_data(as_text=True)
    assert "must be taken again" in page


def test_unknown_code_answers_404(app, db):
    response = app.test_client().get("/verify/AAAA-BBBB-CCCC", headers=EN)
    assert response.status_code == 404
    assert "There is no certificate with the code" in response.get_data(as_text=True)
