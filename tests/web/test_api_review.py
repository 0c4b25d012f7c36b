"""The REST API against what a demanding integrator and a security review try: odd
input never answers 500, query parameters cannot bend the links the API builds,
conditional requests follow RFC 9110, and the people list costs the same few queries
whatever the page's size."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from lms.models import Assignment, ExternalRecord, User
from tests.factories import make_user
from tests.web.api_helpers import auth, import_test_course, make_token

PROBLEM = "application/problem+json"


@pytest.fixture
def course(app, db, tmp_path):
    return import_test_course(app, db, tmp_path)


@pytest.fixture
def token_a(db, world):
    return make_token(db, world.admin, world.a.company)


@pytest.fixture
def get(client, token_a):
    def get(path, token=token_a, **headers):
        return client.get("/api/v1" + path, headers={**auth(token), **headers})

    return get


@pytest.fixture
def post(client, token_a):
    def post(path, data, token=token_a, content_type="application/json"):
        return client.post("/api/v1" + path, data=data, headers=auth(token),
                           content_type=content_type)  # fmt: skip

    return post


def _problem(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.get_data())
    assert response.mimetype == PROBLEM
    return response.get_json()


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# --- Odd input answers 4xx, never 500 ---------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "_external=0",
        "endpoint=x",
        "_anchor=top",
        "_scheme=javascript",
        "_method=POST",
        "values=1",
    ],
)
def test_query_parameters_cannot_bend_the_next_link(db, world, get, query):
    for i in range(3):
        make_user(db, world.a.company, name=f"Neu {i}")
    response = get(f"/people?limit=2&{query}")
    assert response.status_code == 200, response.get_data()
    body = response.get_json()
    assert body["next"].startswith("http://localhost/api/v1/people?")
    assert "#" not in body["next"] and body["next"].count("cursor=") == 1
    assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("id:²"),  # a digit to str.isdigit, not to int()
        _cursor("id:١٢"),  # Arabic-Indic digits
        _cursor("id:" + "9" * 40),
        _cursor("id:-1"),
        _cursor("id: 5"),
        "ä",
        "====",
        "a" * 200,
    ],
)
def test_a_tampered_cursor_is_a_bad_request(get, cursor):
    body = _problem(get(f"/people?cursor={cursor}"), 400)
    assert body["errors"][0]["field"] == "cursor"


def test_a_cursor_of_another_company_shows_nothing_of_it(db, world, get, client):
    """A cursor is only a position: with another company's, a token still sees its own."""
    b_token = make_token(db, world.admin, world.b.company)
    page = get("/people?limit=1", token=b_token).get_json()
    items = get(f"/people?cursor={page['next_cursor']}").get_json()["items"]
    assert {p["company_id"] for p in items} <= {world.a.company.id}


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00%2B05:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2026-13-01T00:00:00Z",
        "99999-01-01",
        "1e308",
        "-1",
    ],
)
def test_moments_at_the_edges_of_the_calendar_are_answered(get, moment):
    response = get(f"/people?updated_since={moment}")
    assert response.status_code in (200, 400), response.get_data()
    if response.status_code == 400:
        assert response.mimetype == PROBLEM
    response = get(f"/sessions?starts_after={moment}")
    assert response.status_code in (200, 400), response.get_data()


def test_updated_since_with_an_offset_is_the_same_moment(db, world, get):
    at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    db.execute(update(User).where(User.company_id == world.a.company.id)
               .values(updated_at=at - timedelta(days=30)))  # fmt: skip
    db.execute(update(User).where(User.id == world.a.employees[0].id).values(updated_at=at))
    # 13:30 in +02:00 is 11:30 UTC (before); 08:30 in -05:00 is 13:30 UTC (after).
    before = get("/people?updated_since=2026-06-01T13:30:00%2B02:00").get_json()["items"]
    after = get("/people?updated_since=2026-06-01T08:30:00-05:00").get_json()["items"]
    assert [p["id"] for p in before] == [world.a.employees[0].id]
    assert after == []


@pytest.mark.parametrize(
    "limit", ["0", "-1", "201", "1e3", "99999999999999999999999", "abc", "1.5"]
)
def test_limits_out_of_range_are_bad_requests(get, limit):
    body = _problem(get(f"/people?limit={limit}"), 400)
    assert body["errors"][0]["field"] == "limit"


@pytest.mark.parametrize(
    "query",
    [
        "email=" + "a" * 250 + "@example.com",
        "external_id=" + "x" * 300,
        "company_id=99999999999999999999",
        "company_id=-1",
        "active=vielleicht",
    ],
)
def test_odd_filters_are_bad_requests(get, query):
    _problem(get(f"/people?{query}"), 400)


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"[1, 2]",
        b'"text"',
        b"42",
        b"null",
        b"{",
        b'{"person_id": 1' + b"0" * 5000 + b"}",
        b'{"person_id": 1e400, "course_id": 1, "due_on": "2030-01-01"}',
        b'{"person_id": 99999999999999999999, "course_id": 1, "due_on": "2030-01-01"}',
        b'{"person_id": 1, "course_id": 1, "due_on": "2030-01-01", "note": "\\ud800"}',
        b'{"person_id": 1, "course_id": 1, "due_on": "2030-01-01", "note": "a\\u0000b"}',
        b'{"person_id": 1, "course_id": 1, "due_on": "99999-01-01"}',
        b'{"person_id": 1, "course_id": 1, "due_on": "2030-01-01", "note": '
        + b'"x' * 1
        + b"y" * 600
        + b'"}',
        b'{"person_id": true, "course_id": 1, "due_on": "2030-01-01"}',
        '{"person_id": 1, "note": "ä\xff"}'.encode("latin-1"),
    ],
)
def test_odd_bodies_are_refused_as_problems(db, world, post, body):
    response = post("/assignments", body)
    _problem(response, 400, 404, 415, 422)
    assert db.scalar(select(Assignment)) is None


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", "\ud800 Stapler"),
        ("title", "Stapler\u0000"),
        ("title", "x" * 201),
        ("provider", "y" * 201),
        ("completed_on", "1899-12-31"),
        ("valid_until", "2200-01-01"),
    ],
)
def test_odd_training_records_are_refused(db, world, client, token_a, field, value):
    import json

    record = {"person_id": world.a.employees[0].id, "title": "Stapler",
              "completed_on": "2026-01-10", field: value}  # fmt: skip
    response = client.post("/api/v1/training-records", data=json.dumps(record),
                           headers=auth(token_a), content_type="application/json")  # fmt: skip
    _problem(response, 422)
    assert db.scalar(select(ExternalRecord)) is None


def test_duplicate_keys_take_the_last_value(db, world, post, course):
    person = world.a.employees[0]
    body = (f'{{"person_id": 999999, "person_id": {person.id}, "course_id": {course.id}, '
            '"due_on": "2030-01-31"}')  # fmt: skip
    response = post("/assignments", body)
    assert response.status_code == 201, response.get_data()
    assert response.get_json()["person_id"] == person.id


# --- Conditional requests (RFC 9110) -----------------------------------------------------------


def test_if_none_match_star_and_weak_comparison(world, get):
    path = f"/people/{world.a.employees[0].id}"
    etag = get(path).headers["ETag"]
    assert get(path, **{"If-None-Match": "*"}).status_code == 304
    assert get(path, **{"If-None-Match": etag.removeprefix("W/")}).status_code == 304
    assert get(path, **{"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert get(path, **{"If-None-Match": '"other"'}).status_code == 200
    # A 304 keeps the validator, so a cache can go on using it.
    assert get(path, **{"If-None-Match": etag}).headers["ETag"] == etag


def test_cancel_with_if_match(db, world, client, token_a, course, get):
    person = world.a.employees[0]
    row = Assignment(company_id=person.company_id, user_id=person.id, course_id=course.id,
                     due_on=datetime(2030, 1, 31).date(), reason="person")  # fmt: skip
    db.add(row)
    db.flush()
    url = f"/api/v1/assignments/{row.id}/cancel"
    stale = client.post(url, headers={**auth(token_a), "If-Match": '"nope"'})
    _problem(stale, 412)
    etag = get(f"/assignments/{row.id}").headers["ETag"]
    done = client.post(url, headers={**auth(token_a), "If-Match": etag.removeprefix("W/")})
    assert done.status_code == 200 and done.get_json()["status"] == "withdrawn"


# --- Tenancy in every corner ------------------------------------------------------------------


def test_filters_by_another_companys_ids_find_nothing(db, world, get, course):
    b_person = world.b.employees[0]
    row = Assignment(company_id=b_person.company_id, user_id=b_person.id, course_id=course.id,
                     due_on=datetime(2030, 1, 31).date(), reason="person")  # fmt: skip
    db.add(row)
    db.flush()
    for path in (f"/assignments?person_id={b_person.id}", f"/completions?person_id={b_person.id}",
                 f"/training-records?person_id={b_person.id}",
                 f"/bookings?person_id={b_person.id}",
                 f"/assignments?course_id={course.id}"):  # fmt: skip
        response = get(path)
        assert response.status_code == 200
        assert response.get_json()["items"] == [], path


def test_a_provider_token_never_reaches_the_providers_staff(db, world, get):
    provider = make_token(db, world.admin, None)
    for user in (world.admin, world.trainer):
        assert get(f"/people/{user.id}", token=provider).status_code == 404
        found = get(f"/people?email={user.email}", token=provider).get_json()["items"]
        assert found == []


# --- Cost ---------------------------------------------------------------------------------------


def test_a_page_of_people_costs_the_same_few_queries_whatever_its_size(
    db, world, get, count_queries
):
    for i in range(30):
        make_user(db, world.a.company, department=world.a.departments[i % 2], name=f"P {i}")
    get("/people?limit=2")  # warm-up: the token's last use is noted once
    start = count_queries.count
    assert get("/people?limit=2").status_code == 200
    small = count_queries.count - start
    start = count_queries.count
    assert len(get("/people?limit=30").get_json()["items"]) == 30
    large = count_queries.count - start
    assert large == small and large <= 6, count_queries.statements[start:]


def test_a_module_not_open_to_the_company_cannot_be_named(db, world, get, post, course):
    from lms.models import CourseCompany

    course.shared = False
    db.add(CourseCompany(course_id=course.id, company_id=world.b.company.id))
    db.flush()
    person = world.a.employees[0]
    assert get(f"/courses/{course.id}").status_code == 404
    assert course.id not in {c["id"] for c in get("/courses").get_json()["items"]}
    new = f'{{"person_id": {person.id}, "course_id": {course.id}, "due_on": "2030-01-31"}}'
    assert _problem(post("/assignments", new), 422)["errors"][0]["field"] == "course_id"
    provider = make_token(db, world.admin, None)
    _problem(post("/assignments", new, token=provider), 422)
    record = (f'{{"person_id": {person.id}, "title": "T", "completed_on": "2026-01-10", '
              f'"course_id": {course.id}}}')  # fmt: skip
    _problem(post("/training-records", record), 422)
    assert db.scalar(select(Assignment)) is None and db.scalar(select(ExternalRecord)) is None
    # Company B, to which it is open, may.
    b_token = make_token(db, world.admin, world.b.company)
    b_new = new.replace(str(person.id), str(world.b.employees[0].id), 1)
    assert post("/assignments", b_new, token=b_token).status_code == 201


def test_no_assignment_due_in_the_past_and_no_training_done_in_the_future(db, world, post, course):
    from lms.clock import today

    person = world.a.employees[0]
    yesterday = (today() - timedelta(days=1)).isoformat()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    new = f'{{"person_id": {person.id}, "course_id": {course.id}, "due_on": "{yesterday}"}}'
    assert _problem(post("/assignments", new), 422)["errors"][0]["field"] == "due_on"
    record = (
        f'{{"person_id": {person.id}, "title": "Stapler", "completed_on": "{tomorrow}", '
        f'"course_id": {course.id}}}'
    )
    assert _problem(post("/training-records", record), 422)["errors"][0]["field"] == "completed_on"
    assert db.scalar(select(Assignment)) is None and db.scalar(select(ExternalRecord)) is None
    # Today is fine for both.
    new = new.replace(yesterday, today().isoformat())
    assert post("/assignments", new).status_code == 201
    assert (
        post("/training-records", record.replace(tomorrow, today().isoformat())).status_code == 201
    )


def test_the_references_curl_examples_use_days_the_api_takes(client, world, login):
    import html
    import re

    from lms.clock import today

    login(world.admin)
    page = html.unescape(client.get("/admin/platform/api/").get_data(as_text=True))
    done = re.findall(r'"completed_on": "(\d{4}-\d\d-\d\d)"', page)
    due = re.findall(r'"due_on": "(\d{4}-\d\d-\d\d)"', page)
    assert done and due
    assert all(day <= today().isoformat() for day in done)
    assert all(day >= today().isoformat() for day in due)


def test_a_body_too_large_is_413_as_a_problem(app, world, post):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    body = _problem(post("/assignments", '{"note": "' + "x" * 2000 + '"}'), 413)
    assert body["type"].endswith("/problems#too-large")
