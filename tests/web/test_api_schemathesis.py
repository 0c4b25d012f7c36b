"""Schemathesis fuzzes the REST API from its own OpenAPI document, with a read-write token:
no answer is a server error, and every answer has a documented status, content type,
headers and a body matching its schema. Derandomized and small, so the same cases run
every time in a few seconds."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.api_helpers import auth, import_test_course, make_completion, make_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz_token(app, db, world, tmp_path):
    """Company A's read-write token, over a company with a module, an assignment and a
    certificate; no rate limit in the way."""
    app.config["API_LIMIT_PER_TOKEN"] = "100000 per minute"
    course = import_test_course(app, db, tmp_path)
    make_completion(db, world.a.employees[0], course, "AAAA-BBBB-CCCC")
    return make_token(db, world.admin, world.a.company)


# Schemathesis' own pytest integration (`from_fixture`) fails on pytest 9 (it reads a
# renamed attribute of the test node); this walks the operations itself, one Hypothesis
# run per operation and mode, with the same checks.
SETTINGS = settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_matches_the_document(app, fuzz_token, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode))
        def answers_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=auth(fuzz_token), checks=CHECKS)

        answers_as_documented()


def test_real_objects_answer_as_documented(app, db, world, fuzz_token, tmp_path):
    """Generated ids rarely exist: each operation once more with a real object, so the
    successful answers (200, 201) are checked against their schemas too."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from lms.models import Booking, Completion, Course, ExternalRecord, InPersonSession

    a = world.a
    person = a.employees[1]
    course = db.scalar(select(Course).where(Course.slug == "testkurs"))
    starts = datetime.now(UTC) + timedelta(days=3)
    session = InPersonSession(course_id=course.id, unit_id="einstieg", starts_at=starts,
                              minutes=90, capacity=8, booking_deadline=starts,
                              check_in_secret="s" * 32)  # fmt: skip
    db.add(session)
    db.flush()
    booking = Booking(company_id=a.company.id, session_id=session.id, user_id=person.id,
                      status="confirmed", queued_at=starts)  # fmt: skip
    record = ExternalRecord(company_id=a.company.id, user_id=person.id, title="Stapler",
                            completed_at=starts)  # fmt: skip
    db.add_all([booking, record])
    db.flush()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = {result.ok().definition.raw["operationId"]: result.ok()
                  for result in schema.get_all_operations()}  # fmt: skip
    created = (
        operations["createAssignment"]
        .Case(
            body={"person_id": person.id, "course_id": course.id, "due_on": "2030-06-30"},
            media_type="application/json",
        )
        .call_and_validate(headers=auth(fuzz_token), checks=CHECKS)
    )
    assert created.status_code == 201
    assignment_id = created.json()["id"]
    calls = {
        "getPerson": {"person_id": person.id},
        "getDepartment": {"department_id": a.departments[0].id},
        "getAssignment": {"assignment_id": assignment_id},
        "cancelAssignment": {"assignment_id": assignment_id},
        "getCompletion": {"completion_id": db.scalar(select(Completion.id))},
        "getTrainingRecord": {"record_id": record.id},
        "getCourse": {"course_id": course.id},
        "getSession": {"session_id": session.id},
        "getBooking": {"booking_id": booking.id},
    }
    for operation_id, parameters in calls.items():
        case = operations[operation_id].Case(path_parameters=parameters)
        answer = case.call_and_validate(headers=auth(fuzz_token), checks=CHECKS)
        assert answer.status_code == 200, (operation_id, answer.text)
    new_record = {"person_id": person.id, "title": "Erste Hilfe", "completed_on": "2026-02-01"}
    answer = (
        operations["createTrainingRecord"]
        .Case(body=new_record, media_type="application/json")
        .call_and_validate(headers=auth(fuzz_token), checks=CHECKS)
    )
    assert answer.status_code == 201
    for operation_id, operation in operations.items():
        if operation_id.startswith("list"):
            answer = operation.Case().call_and_validate(headers=auth(fuzz_token), checks=CHECKS)
            assert answer.status_code == 200, operation_id
            assert operation_id == "listLearningPaths" or answer.json()["items"], operation_id
