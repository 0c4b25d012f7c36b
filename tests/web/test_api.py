"""The REST API v1 as an integrating system sees it: tokens, company boundaries, pages,
changes since, ETags, problem details, the privacy level, and the audited writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from lms.audit.service import Actor
from lms.models import (
    ApiToken,
    Assignment,
    AuditEntry,
    Booking,
    Enrollment,
    ExternalRecord,
    InPersonSession,
    QuizAttempt,
    TokenKind,
    TokenScope,
    User,
)
from lms.tokens import service as tokens
from tests.factories import make_user
from tests.web.api_helpers import auth, import_test_course, make_completion, make_token

PROBLEM = "application/problem+json"


@pytest.fixture
def course(app, db, tmp_path):
    return import_test_course(app, db, tmp_path)


@pytest.fixture
def token_a(db, world):
    return make_token(db, world.admin, world.a.company)


@pytest.fixture
def api(client, token_a):
    """A client of company A's read-write token."""

    class Api:
        def get(self, path, token=token_a, **kwargs):
            headers = {**auth(token), **kwargs.pop("headers", {})}
            return client.get("/api/v1" + path, headers=headers, **kwargs)

        def post(self, path, json=None, token=token_a, **kwargs):
            headers = {**auth(token), **kwargs.pop("headers", {})}
            return client.post("/api/v1" + path, json=json, headers=headers, **kwargs)

    return Api()


def _is_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= set(body)
    return body


# --- The document -------------------------------------------------------------------------


def test_the_openapi_document_is_served_without_a_token_and_lists_every_resource(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    for path in ("/people", "/departments", "/assignments", "/assignments/{assignment_id}/cancel",
                 "/completions", "/certificates", "/training-records", "/courses",
                 "/learning-paths", "/sessions", "/bookings"):  # fmt: skip
        assert "/api/v1" + path in doc["paths"], path
    people = doc["paths"]["/api/v1/people"]["get"]
    assert people["responses"]["401"]["content"] == {
        PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "304" in people["responses"] and "ETag" in people["responses"]["200"]["headers"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    # Spectree's own pages load scripts from a CDN: not there.
    assert not [r for r in app.url_map.iter_rules() if "apidoc" in r.rule]


# --- Tokens -------------------------------------------------------------------------------


def test_no_unknown_expired_revoked_or_scim_token_gets_in(db, world, client):
    admin, company = world.admin, world.a.company
    expired = make_token(db, admin, company, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    revoked = make_token(db, admin, company)
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.digest(revoked)))
    tokens.revoke(db, Actor(admin), token, datetime.now(UTC))
    scim = tokens.create(db, Actor(admin), TokenKind.SCIM, company, "Entra", datetime.now(UTC))
    db.flush()
    for header in ({}, auth("lw_api_nonsense"), auth(expired), auth(revoked), auth(scim.value),
                   {"Authorization": "Basic eDp5"}):  # fmt: skip
        response = client.get("/api/v1/people", headers=header)
        body = _is_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "lw_api_" in body["detail"] and expired not in response.get_data(as_text=True)


def test_a_read_token_reads_but_never_writes(db, world, api, course):
    reader = make_token(db, world.admin, world.a.company, scope=TokenScope.READ)
    assert api.get("/people", token=reader).status_code == 200
    person = world.a.employees[0]
    new = {"person_id": person.id, "course_id": course.id, "due_on": "2030-01-31"}
    _is_problem(api.post("/assignments", new, token=reader), 403)
    assert db.scalar(select(Assignment)) is None


def test_the_last_use_is_noted(db, world, api, token_a):
    api.get("/people")
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.digest(token_a)))
    db.refresh(token)
    assert token.last_used_at is not None


def test_too_many_requests_answer_429_with_retry_after(app, api):
    app.config["API_LIMIT_PER_TOKEN"] = "3 per minute"
    for _ in range(3):
        assert api.get("/departments").status_code == 200
    response = api.get("/departments")
    _is_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60


# --- Company boundaries -------------------------------------------------------------------


def test_a_company_token_never_sees_or_changes_another_company(db, world, api, course):
    a, b = world.a, world.b
    b_person = b.employees[0]
    b_assignment = _assign(db, b_person, course)
    b_completion = make_completion(db, b_person, course, "BBBB-CCCC-DDDD")
    b_record = ExternalRecord(company_id=b.company.id, user_id=b_person.id, title="Stapler",
                              completed_at=datetime.now(UTC))  # fmt: skip
    db.add(b_record)
    starts = datetime.now(UTC) + timedelta(days=7)
    b_session = InPersonSession(course_id=course.id, unit_id="einstieg", starts_at=starts,
                                minutes=60, capacity=5, booking_deadline=starts,
                                check_in_secret="x" * 32, companies=[b.company])  # fmt: skip
    db.add(b_session)
    db.flush()
    b_booking = Booking(company_id=b.company.id, session_id=b_session.id, user_id=b_person.id,
                        status="confirmed", queued_at=starts)  # fmt: skip
    db.add(b_booking)
    db.flush()
    for path in (f"/people/{b_person.id}", f"/departments/{b.departments[0].id}",
                 f"/assignments/{b_assignment.id}", f"/completions/{b_completion.id}",
                 f"/training-records/{b_record.id}", f"/sessions/{b_session.id}",
                 f"/bookings/{b_booking.id}"):  # fmt: skip
        foreign = api.get(path)
        missing = api.get(path.rsplit("/", 1)[0] + "/999999")
        assert _is_problem(foreign, 404)["detail"] == _is_problem(missing, 404)["detail"]
    listed = {
        "/people": {p["company_id"] for p in api.get("/people").get_json()["items"]},
        "/departments": {d["company_id"] for d in api.get("/departments").get_json()["items"]},
        "/assignments": {x["company_id"] for x in api.get("/assignments").get_json()["items"]},
        "/completions": {x["company_id"] for x in api.get("/completions").get_json()["items"]},
        "/certificates": {x["company_id"] for x in api.get("/certificates").get_json()["items"]},
        "/training-records": {
            x["company_id"] for x in api.get("/training-records").get_json()["items"]
        },
        "/bookings": {x["company_id"] for x in api.get("/bookings").get_json()["items"]},
    }
    assert listed["/people"] == listed["/departments"] == {a.company.id}
    assert b_session.id not in {s["id"] for s in api.get("/sessions").get_json()["items"]}
    assert all(ids <= {a.company.id} for ids in listed.values()), listed
    _is_problem(api.get(f"/people?company_id={b.company.id}"), 404)
    # Writes: B's person and assignment are as missing.
    new = {"person_id": b_person.id, "course_id": course.id, "due_on": "2030-01-31"}
    _is_problem(api.post("/assignments", new), 404)
    _is_problem(api.post(f"/assignments/{b_assignment.id}/cancel"), 404)
    record = {"person_id": b_person.id, "title": "Erste Hilfe", "completed_on": "2026-01-10"}
    _is_problem(api.post("/training-records", record), 404)
    db.refresh(b_assignment)
    assert b_assignment.ended_at is None
    assert db.scalar(select(ExternalRecord).where(ExternalRecord.title == "Erste Hilfe")) is None


def test_a_provider_token_sees_every_company_and_can_narrow_to_one(db, world, api):
    provider = make_token(db, world.admin, None, scope=TokenScope.READ)
    everyone = api.get("/people?limit=200", token=provider).get_json()["items"]
    assert {p["company_id"] for p in everyone} == {world.a.company.id, world.b.company.id}
    only_b = api.get(f"/people?company_id={world.b.company.id}", token=provider).get_json()
    assert {p["company_id"] for p in only_b["items"]} == {world.b.company.id}
    assert world.b.employees[0].id in {p["id"] for p in only_b["items"]}
    _is_problem(api.get("/people?company_id=999999", token=provider), 404)
    # Staff of the provider (trainers, admins) are no company's people.
    assert world.admin.id not in {p["id"] for p in everyone}
    _is_problem(api.get(f"/people/{world.trainer.id}", token=provider), 404)
    writer = make_token(db, world.admin, None)
    record = {"person_id": world.trainer.id, "title": "Erste Hilfe", "completed_on": "2026-01-10"}
    _is_problem(api.post("/training-records", record, token=writer), 404)


# --- Pages, changes, ETags ----------------------------------------------------------------


def test_people_come_in_cursor_pages_with_a_next_link(db, world, api):
    for i in range(4):
        make_user(db, world.a.company, name=f"Neu {i}")
    seen, path, pages = [], "/people?limit=3", 0
    while path:
        response = api.get(path)
        assert response.status_code == 200
        body = response.get_json()
        seen += [p["id"] for p in body["items"]]
        pages += 1
        if body["next"]:
            assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
            assert "limit=3" in body["next"]
            path = body["next"].split("/api/v1", 1)[1]
        else:
            assert "Link" not in response.headers and body["next_cursor"] is None
            path = None
    expected = db.scalars(select(User.id).where(User.company_id == world.a.company.id)).all()
    assert seen == sorted(expected) and pages == 3
    body = _is_problem(api.get("/people?cursor=bm9wZQ"), 400)
    assert body["errors"][0]["field"] == "cursor"


def test_updated_since_finds_only_what_changed(db, world, api):
    old = datetime(2026, 1, 1, tzinfo=UTC)
    db.execute(update(User).where(User.company_id == world.a.company.id).values(updated_at=old))
    changed = world.a.employees[1]
    changed.display_name = "Umbenannt"
    db.flush()
    found = api.get("/people?updated_since=2026-06-01T00:00:00Z").get_json()["items"]
    assert [p["id"] for p in found] == [changed.id]
    assert len(api.get("/people?updated_since=2025-12-31T00:00:00").get_json()["items"]) == 5
    body = _is_problem(api.get("/people?updated_since=gestern"), 400)
    assert body["errors"][0]["field"] == "updated_since" and body["errors"][0]["in"] == "query"


def test_an_unchanged_answer_is_304_with_its_etag(db, world, api):
    person = world.a.employees[0]
    first = api.get(f"/people/{person.id}")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = api.get(f"/people/{person.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    person.display_name = "Neuer Name"
    db.flush()
    changed = api.get(f"/people/{person.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    listed = api.get("/people")
    assert api.get("/people", headers={"If-None-Match": listed.headers["ETag"]}).status_code == 304


# --- Writes -------------------------------------------------------------------------------


def _assign(db, person, course, due=date(2030, 1, 31)):
    row = Assignment(company_id=person.company_id, user_id=person.id, course_id=course.id,
                     due_on=due, reason="person")  # fmt: skip
    db.add(row)
    db.flush()
    return row


def test_an_assignment_is_created_and_withdrawn_audited_with_the_token(db, world, api, course):
    person = world.a.employees[0]
    new = {"person_id": person.id, "course_id": course.id, "due_on": "2030-01-31", "note": "Bitte"}
    response = api.post("/assignments", new)
    assert response.status_code == 201, response.get_data(as_text=True)
    made = response.get_json()
    assert made["status"] == "open" and made["course"]["slug"] == "testkurs"
    assert response.headers["Location"].endswith(f"/api/v1/assignments/{made['id']}")
    row = db.get(Assignment, made["id"])
    assert row.user_id == person.id and row.due_on == date(2030, 1, 31)
    # If-Match with an old tag: 412, nothing changes.
    etag = api.get(f"/assignments/{made['id']}").headers["ETag"]
    _is_problem(api.post(f"/assignments/{made['id']}/cancel", headers={"If-Match": 'W/"x"'}), 412)
    cancelled = api.post(f"/assignments/{made['id']}/cancel", headers={"If-Match": etag})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "withdrawn"
    actions = db.execute(
        select(AuditEntry.action, AuditEntry.actor_name)
        .where(
            AuditEntry.company_id == world.a.company.id,
            AuditEntry.action.like("assignment.%"),
        )
        .order_by(AuditEntry.id)
    ).all()
    assert actions == [("assignment.create", "API: HR-Sync"),
                       ("assignment.withdraw", "API: HR-Sync")]  # fmt: skip
    open_ = api.get(f"/assignments?person_id={person.id}&open=true").get_json()["items"]
    assert open_ == []


def test_invalid_input_is_a_problem_naming_the_fields(world, api, course):
    body = _is_problem(api.post("/assignments", {"person_id": "x", "due_on": "morgen"}), 422)
    fields = {error["field"] for error in body["errors"]}
    assert {"person_id", "course_id", "due_on"} <= fields
    assert all(error["in"] == "body" for error in body["errors"])
    person = world.a.employees[0]
    far = {"person_id": person.id, "course_id": course.id, "due_on": "9999-12-31"}
    assert _is_problem(api.post("/assignments", far), 422)["errors"][0]["field"] == "due_on"
    nul = {"person_id": person.id, "course_id": course.id, "due_on": "2030-01-01", "note": "a\x00"}
    _is_problem(api.post("/assignments", nul), 422)
    _is_problem(api.post("/assignments", data="x", headers={"Content-Type": "text/plain"}), 415)
    # A multipart body without its boundary is no JSON either (found by Schemathesis).
    for path in ("/assignments", "/training-records"):
        multipart = {"Content-Type": "multipart/form-data"}
        _is_problem(api.post(path, data='{"person_id": 1}', headers=multipart), 415)


def test_a_deactivated_person_is_a_conflict(db, world, api, course):
    person = world.a.employees[0]
    person.is_active = False
    db.flush()
    new = {"person_id": person.id, "course_id": course.id, "due_on": "2030-01-31"}
    _is_problem(api.post("/assignments", new), 409)


def test_training_elsewhere_is_recorded_confirmed(db, world, api, course):
    person = world.a.employees[1]
    new = {"person_id": person.id, "title": "Staplerschein", "provider": "DEKRA",
           "completed_on": "2026-03-02", "course_id": course.id}  # fmt: skip
    response = api.post("/training-records", new)
    assert response.status_code == 201, response.get_data(as_text=True)
    made = response.get_json()
    assert made["status"] == "confirmed" and made["course_id"] == course.id
    record = db.get(ExternalRecord, made["id"])
    assert record.user_id == person.id and record.provider == "DEKRA"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "record.add"))
    assert entry.actor_name == "API: HR-Sync" and entry.company_id == world.a.company.id
    wrong = {**new, "valid_until": "2026-01-01"}
    assert _is_problem(api.post("/training-records", wrong), 422)["errors"][0]["field"] == (
        "valid_until"
    )


# --- Completions, certificates, privacy ---------------------------------------------------


def test_certificates_carry_their_code_and_scores_follow_the_privacy_level(db, world, api, course):
    person = world.a.employees[0]
    completion = make_completion(db, person, course, "AAAA-BBBB-CCCC")
    enrollment = db.get(Enrollment, completion.enrollment_id)
    db.add(QuizAttempt(company_id=person.company_id, user_id=person.id,
                       enrollment_id=enrollment.id, version_id=completion.version_id,
                       unit_id="quiz", language="de", number=1, status="submitted", layout=[],
                       percent=Decimal("87.50")))  # fmt: skip
    db.flush()
    item = api.get("/certificates").get_json()["items"][0]
    assert item["certificate"]["code"] == "AAAA-BBBB-CCCC"
    assert item["certificate"]["verification_url"].endswith("/verify/AAAA-BBBB-CCCC")
    assert item["certificate"]["revoked"] is False
    assert item["best_score_percent"] is None and item["attempts"] is None  # "status" level
    world.a.company.privacy_level = "results"
    db.flush()
    item = api.get(f"/completions/{completion.id}").get_json()
    assert item["best_score_percent"] == 87.5 and item["attempts"] == 1


def test_the_catalogue_lists_the_modules_open_to_the_company(db, world, api, course):
    assert [c["slug"] for c in api.get("/courses").get_json()["items"]] == ["testkurs"]
    assert api.get(f"/courses/{course.id}").get_json()["title"]
    course.shared = False
    db.flush()
    assert api.get("/courses").get_json()["items"] == []
    _is_problem(api.get(f"/courses/{course.id}"), 404)
    assert api.get("/learning-paths").status_code == 200
    assert api.get("/sessions").status_code == 200


# --- The admin's reference page -----------------------------------------------------------


def test_the_admin_reads_the_reference_built_from_the_document(client, world, login):
    login(world.admin)
    platform = client.get("/admin/platform", headers={"Accept-Language": "en"})
    assert "/admin/platform/api/" in platform.get_data(as_text=True)
    page = client.get("/admin/platform/api/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("<h1") == 1
    for expected in ("List the company&#39;s people", "/api/v1/assignments/{assignment_id}/cancel",
                     'id="schema-Person"', "curl -X POST", "application/problem+json",
                     "If-None-Match"):  # fmt: skip
        assert expected in text, expected
    assert "cdn" not in text.lower() and "swagger" not in text.lower()


def test_only_admins_read_the_reference(client, world, login):
    login(world.a.manager)
    assert client.get("/admin/platform/api/").status_code == 403


def test_the_company_section_links_the_reference_and_the_tokens(app, world):
    from flask import render_template

    with app.test_request_context("/admin/"):
        html = render_template("api/_company_section.html", company=world.a.company)
    assert "/admin/platform/api/" in html
    assert f"/admin/companies/{world.a.company.id}/tokens/" in html


def test_a_problems_type_leads_to_the_page_that_explains_it(app, db, client):
    answer = client.get("/api/v1/people")  # no token
    assert answer.status_code == 401
    problem = answer.get_json()
    page, _, anchor = problem["type"].partition("#")
    assert page == "http://localhost/api/v1/problems" and anchor == "unauthorized"
    explained = client.get("/api/v1/problems")  # no token needed
    html = explained.get_data(as_text=True)
    assert explained.status_code == 200 and f'id="{anchor}"' in html
    assert "A valid API token is needed" in html
