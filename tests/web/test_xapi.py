"""Learning records: recorded as learners learn, exported as JSON lines, pushed once to an LRS."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from lms.content.importer import import_course
from lms.models import LearningRecord
from lms.services import xapi
from tests.unit.test_course_parser import quiz, write_course

QUIZ = "## F? {#f}\n- (x) ja\n- ( ) nein\n\n## G? {#g}\nanswer: wahr\n"


@pytest.fixture
def learned(app, db, client, world, login, tmp_path):
    """A learner who read the lesson and passed the quiz, completing the course."""
    folder = write_course(tmp_path, {"02-check.md": quiz(QUIZ)})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    login(world.a.employees[0])
    client.post("/learn/courses/testkurs/enroll")
    client.post("/learn/courses/testkurs/einstieg/done")
    client.post("/learn/courses/testkurs/check/attempts")
    client.post(
        "/learn/courses/testkurs/check/attempts/1",
        data={"page": "1", "action": "submit", "q-f": "0", "q-g": "true"},
    )
    return world.a.employees[0]


def test_events_become_records(db, learned):
    verbs = [r.verb for r in db.scalars(select(LearningRecord).order_by(LearningRecord.created_at))]
    assert verbs.count("experienced") == 1
    assert verbs.count("answered") == 2
    assert "passed" in verbs and "completed" in verbs


def test_statements_are_valid_xapi_and_pseudonymous(db, learned):
    statements = list(xapi.all_statements(db, "https://lernen.example"))
    passed = next(s for s in statements if s["verb"]["id"].endswith("/passed"))
    assert passed["actor"]["account"] == {
        "homePage": "https://lernen.example",
        "name": str(learned.id),
    }
    assert passed["object"]["id"] == "https://lernen.example/xapi/courses/testkurs/units/check"
    assert passed["result"]["success"] is True and passed["result"]["score"]["scaled"] == 1.0
    dump = json.dumps(statements)
    assert learned.email not in dump and learned.display_name not in dump
    assert len({s["id"] for s in statements}) == len(statements)


def test_export_writes_json_lines(app, db, learned):
    result = app.test_cli_runner().invoke(args=["xapi", "export"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == db.scalar(select(func.count()).select_from(LearningRecord))


class FakeLRS:
    """A small Learning Record Store on 127.0.0.1 that can fail one request on purpose."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.received: list[str] = []
        self.bodies: list[dict[str, object]] = []  # the statements as received
        self.requests = 0
        self.fail_on = fail_on
        self.auth: list[str] = []
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                lrs.requests += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                lrs.auth.append(self.headers["Authorization"])
                if lrs.requests == lrs.fail_on:
                    self.send_response(503)
                    self.end_headers()
                    return
                lrs.received.extend(statement["id"] for statement in body)
                lrs.bodies.extend(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps([s["id"] for s in body]).encode())

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/xapi"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def lrs():
    servers: list[FakeLRS] = []

    def make(fail_on: int | None = None) -> FakeLRS:
        servers.append(FakeLRS(fail_on))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def test_push_sends_every_statement_once_and_resumes_after_a_failure(app, db, learned, lrs):
    total = db.scalar(select(func.count()).select_from(LearningRecord))
    server = lrs(fail_on=2)
    runner = app.test_cli_runner()
    args = [
        "xapi",
        "push",
        "--endpoint",
        server.url,
        "--user",
        "u",
        "--password",
        "p",
        "--batch",
        "2",
    ]
    first = runner.invoke(args=args)
    assert first.exit_code == 1 and "Stopped" in first.output
    assert len(server.received) == 2
    second = runner.invoke(args=args)
    assert second.exit_code == 0, second.output
    assert sorted(server.received) == sorted(set(server.received))  # nothing twice
    assert len(server.received) == total
    third = runner.invoke(args=args)
    assert "Sent 0 statements." in third.output and len(server.received) == total
    assert server.auth[0] == "Basic " + base64.b64encode(b"u:p").decode()
