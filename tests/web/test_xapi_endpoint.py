"""The cmi5 statement endpoint at /xapi/cmi5/ over HTTP: fetch, State API, learner
preferences, statements, CORS, the package origin, and `lms xapi push` of what came."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.models import Enrollment, LearningRecord, PackageAttempt, User
from lms.packages import cmi5, runtime, xapi_endpoint
from lms.services import learning
from tests.unit.test_cmi5 import CHECK, UNIT, enrol, import_cmi5_course

ENDPOINT = "/xapi/cmi5"
VERSION = {"X-Experience-API-Version": "1.0.3"}


@dataclass
class AuClient:
    """An AU's side of one launch: the client, the launch and what the AU was told."""

    client: FlaskClient
    launched: runtime.Launched
    actor: dict[str, Any]
    registration: str
    activity_id: str
    auth: str = ""

    def fetch(self) -> dict[str, Any]:
        response = self.client.post(f"{ENDPOINT}/fetch/{self.launched.token}")
        assert response.status_code == 200 and response.mimetype == "application/json"
        answer: dict[str, Any] = response.get_json()
        if "auth-token" in answer:
            self.auth = answer["auth-token"]
        return answer

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Basic {self.auth}", **VERSION, **extra}

    def query(self, **params: str) -> str:
        base = {
            "activityId": self.activity_id,
            "agent": json.dumps(self.actor),
            "registration": self.registration,
        }
        return urlencode(base | params)

    def launch_data(self) -> dict[str, Any]:
        response = self.client.get(
            f"{ENDPOINT}/activities/state?" + self.query(stateId=cmi5.LAUNCH_DATA),
            headers=self.headers(),
        )
        assert response.status_code == 200, response.data
        data: dict[str, Any] = response.get_json()
        return data

    def statement(self, verb: str, result: dict[str, Any] | None = None) -> dict[str, Any]:
        context = self.launch_data()["contextTemplate"]
        context["registration"] = self.registration
        categories = [{"id": cmi5.CMI5_CATEGORY}]
        if result and ("success" in result or "completion" in result):
            categories.append({"id": cmi5.MOVEON_CATEGORY})
        context["contextActivities"]["category"] = categories
        data = {
            "id": str(uuid.uuid4()),
            "actor": self.actor,
            "verb": {"id": cmi5.VERBS[verb], "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": self.activity_id},
            "context": context,
            "timestamp": datetime.now(UTC).isoformat(),
        }
        if result is not None:
            data["result"] = result
        return data

    def post(self, *statements: dict[str, Any]) -> Any:
        return self.client.post(
            f"{ENDPOINT}/statements", json=list(statements), headers=self.headers()
        )


@pytest.fixture
def enrollment(app: Flask, db: Session, world: Any, tmp_path: Path) -> Enrollment:
    return enrol(db, world.a.employees[0], import_cmi5_course(app, db, tmp_path))


def open_au(app: Flask, db: Session, client: FlaskClient, enrollment: Enrollment) -> AuClient:
    """Launch the check as the unit page does (the runtime, then the cmi5 launch URL)."""
    user = db.get(User, enrollment.user_id)
    with app.test_request_context():
        unit = learning.unit_of_type(enrollment, UNIT, "package")
        assert unit is not None
        # Launched ten minutes ago: a session's duration counts up to the time it was open.
        opened = datetime.now(UTC) - timedelta(minutes=10)
        launched = runtime.launch(db, Actor(user), enrollment, unit, CHECK, opened)
        item = runtime.package_item(unit, CHECK)
        assert item is not None
        url = cmi5.launch_url(
            launched.launch, launched.attempt, item, launched.token, "http://localhost"
        )
    db.commit()
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    from urllib.parse import unquote

    params = {name: unquote(value) for name, value in query.items()}
    assert params["fetch"] == f"http://localhost{ENDPOINT}/fetch/{launched.token}"
    return AuClient(
        client,
        launched,
        json.loads(params["actor"]),
        params["registration"],
        params["activityId"],
    )


def test_an_au_plays_its_session_through_the_endpoint(
    app: Flask, db: Session, client: FlaskClient, enrollment: Enrollment
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the token is the credential
    au = open_au(app, db, client, enrollment)
    assert set(au.fetch()) == {"auth-token"}
    assert au.fetch() == {
        "error-code": "1",
        "error-text": "The authorization token has already been returned.",
    }
    data = au.launch_data()
    assert data["moveOn"] == "CompletedAndPassed" and data["masteryScore"] == 0.8
    assert data["returnURL"].endswith("/package-files/return")  # the return page
    preferences = client.get(
        f"{ENDPOINT}/agents/profile?"
        + urlencode({"agent": json.dumps(au.actor), "profileId": "cmi5LearnerPreferences"}),
        headers=au.headers(),
    )
    assert preferences.get_json() == {"languagePreference": "de", "audioPreference": "on"}

    initialized = au.post(au.statement("initialized"))
    assert initialized.status_code == 200 and len(initialized.get_json()) == 1
    passed = au.statement("passed", {"success": True, "score": {"scaled": 0.9}})
    completed = au.statement("completed", {"completion": True})
    assert au.post(passed, completed).status_code == 200
    terminated = au.statement("terminated", {"duration": "PT3M"})
    answer = client.put(
        f"{ENDPOINT}/statements?statementId={terminated['id']}",
        json=terminated,
        headers=au.headers(),
    )
    assert answer.status_code == 204
    attempt = db.get(PackageAttempt, au.launched.attempt.id)
    assert attempt is not None
    db.refresh(attempt)
    assert (attempt.completion, attempt.success, attempt.total_seconds) == (
        "completed",
        "passed",
        180,
    )
    assert attempt.satisfied_at is not None
    kept = client.get(f"{ENDPOINT}/statements?statementId={passed['id']}", headers=au.headers())
    assert kept.status_code == 200
    assert kept.get_json()["result"] == passed["result"] and "stored" in kept.get_json()
    # After terminated the session takes nothing more.
    late = au.post(au.statement("completed", {"completion": True}))
    assert late.status_code == 403


def test_a_rule_broken_in_a_batch_keeps_none_of_it(
    app: Flask, db: Session, client: FlaskClient, enrollment: Enrollment
) -> None:
    au = open_au(app, db, client, enrollment)
    au.fetch()
    initialized = au.statement("initialized")
    below = au.statement("passed", {"success": True, "score": {"scaled": 0.5}})
    answer = au.post(initialized, below)
    assert answer.status_code == 403 and "mastery" in answer.get_json()["error"]
    assert (
        db.scalar(select(LearningRecord.id).where(LearningRecord.id == initialized["id"])) is None
    )


def test_requests_need_the_token_the_version_header_and_the_launch_s_learner(
    app: Flask, db: Session, client: FlaskClient, enrollment: Enrollment
) -> None:
    au = open_au(app, db, client, enrollment)
    au.fetch()
    path = f"{ENDPOINT}/activities/state?" + au.query(stateId=cmi5.LAUNCH_DATA)
    assert client.get(path, headers=VERSION).status_code == 401
    assert client.get(path, headers={"Authorization": "Basic bm9wZTpub3Bl"}).status_code == 401
    statement = au.statement("initialized")
    without_version = client.post(
        f"{ENDPOINT}/statements",
        json=[statement],
        headers={"Authorization": f"Basic {au.auth}"},
    )
    assert without_version.status_code == 400
    someone_else = dict(au.actor, account={**au.actor["account"], "name": "999999"})
    foreign = f"{ENDPOINT}/activities/state?" + au.query(
        stateId="bookmark", agent=json.dumps(someone_else)
    )
    assert client.get(foreign, headers=au.headers()).status_code == 403
    other_registration = f"{ENDPOINT}/activities/state?" + au.query(
        stateId="bookmark", registration=str(uuid.uuid4())
    )
    assert client.get(other_registration, headers=au.headers()).status_code == 403
    launch_data = client.put(path, json={"moveOn": "NotApplicable"}, headers=au.headers())
    assert launch_data.status_code == 403


def test_state_documents_are_kept_merged_listed_and_deleted(
    app: Flask,
    db: Session,
    client: FlaskClient,
    enrollment: Enrollment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    au = open_au(app, db, client, enrollment)
    au.fetch()
    path = f"{ENDPOINT}/activities/state?" + au.query(stateId="bookmark")
    assert client.get(path, headers=au.headers()).status_code == 404
    assert client.put(path, json={"page": 2}, headers=au.headers()).status_code == 204
    assert client.post(path, json={"seen": [1, 2]}, headers=au.headers()).status_code == 204
    assert client.get(path, headers=au.headers()).get_json() == {"page": 2, "seen": [1, 2]}
    # A document stored as HTML comes back as the AU's bytes, never as a page to run.
    page = f"{ENDPOINT}/activities/state?" + au.query(stateId="page")
    html = {**au.headers(), "Content-Type": "text/html"}
    assert client.put(page, data="<script>alert(1)</script>", headers=html).status_code == 204
    kept = client.get(page, headers=au.headers())
    assert kept.headers["Content-Security-Policy"].startswith("sandbox")
    assert kept.headers["Content-Disposition"] == "attachment"
    assert client.delete(page, headers=au.headers()).status_code == 204
    listed = client.get(f"{ENDPOINT}/activities/state?" + au.query(), headers=au.headers())
    assert listed.get_json() == [cmi5.LAUNCH_DATA, "bookmark"]
    assert client.delete(path, headers=au.headers()).status_code == 204
    assert client.get(path, headers=au.headers()).status_code == 404
    # A registration keeps a bounded number of documents.
    monkeypatch.setattr(cmi5, "MAX_STATES", 2)
    for number in range(2):
        one = f"{ENDPOINT}/activities/state?" + au.query(stateId=f"page-{number}")
        assert client.put(one, json={"n": number}, headers=au.headers()).status_code == 204
    third = f"{ENDPOINT}/activities/state?" + au.query(stateId="page-3")
    assert client.put(third, json={}, headers=au.headers()).status_code == 403


def test_cors_lets_any_origin_in_without_credentials(
    app: Flask, db: Session, client: FlaskClient, enrollment: Enrollment
) -> None:
    preflight = client.options(
        f"{ENDPOINT}/statements",
        headers={
            "Origin": "null",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "x-experience-api-version"} <= {
        name.strip() for name in allowed.split(",")
    }
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    au = open_au(app, db, client, enrollment)
    fetched = client.post(f"{ENDPOINT}/fetch/{au.launched.token}", headers={"Origin": "null"})
    assert fetched.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in fetched.headers
    about = client.get(f"{ENDPOINT}/about")
    assert about.get_json() == {"version": ["1.0.3"]}


def test_the_endpoint_answers_on_the_package_origin(app: Flask, db: Session) -> None:
    app.config["PACKAGE_ORIGIN"] = "http://pakete.localhost"
    package_host = app.test_client()
    about = package_host.get(f"{ENDPOINT}/about", base_url="http://pakete.localhost")
    assert about.status_code == 200 and "Set-Cookie" not in about.headers
    assert package_host.get("/login", base_url="http://pakete.localhost").status_code == 404
    with app.test_request_context("/", base_url="http://localhost"):
        assert xapi_endpoint.endpoint_base() == "http://pakete.localhost/xapi/cmi5/"


def test_push_forwards_the_package_s_statements_as_they_came(
    app: Flask, db: Session, client: FlaskClient, enrollment: Enrollment, lrs: Any
) -> None:
    au = open_au(app, db, client, enrollment)
    au.fetch()
    initialized = au.statement("initialized")
    passed = au.statement("passed", {"success": True, "score": {"scaled": 0.9}})
    passed["context"]["extensions"][cmi5.MASTERY_SCORE] = 0.8
    assert au.post(initialized, passed).status_code == 200
    server = lrs()
    result = app.test_cli_runner().invoke(
        args=["xapi", "push", "--endpoint", server.url, "--user", "u", "--password", "p"]
    )
    assert result.exit_code == 0, result.output
    received = {body["id"]: body for body in server.bodies}
    sent = received[passed["id"]]
    assert {key: sent[key] for key in passed} == passed
    assert "stored" not in sent and "authority" not in sent
    launched = next(b for b in server.bodies if b["verb"]["id"] == cmi5.VERBS["launched"])
    assert launched["actor"] == au.actor
    assert launched["context"]["registration"] == au.registration


@pytest.fixture
def lrs() -> Any:
    from tests.web.test_xapi import FakeLRS

    servers: list[FakeLRS] = []

    def make() -> FakeLRS:
        servers.append(FakeLRS())
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def test_a_body_nested_too_deeply_to_read_is_refused(
    app: Flask, db: Session, client: FlaskClient, enrollment: Enrollment
) -> None:
    au = open_au(app, db, client, enrollment)
    au.fetch()
    nested = "[" * 100_000 + "]" * 100_000  # json.loads: RecursionError, not ValueError
    headers = au.headers(**{"Content-Type": "application/json"})
    answer = client.post(f"{ENDPOINT}/statements", data=nested, headers=headers)
    assert answer.status_code == 400
