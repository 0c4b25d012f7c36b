"""Fifty learners hand in while their manager exports the matrix and opens person pages.

Issue 16: the manager's reading pages wrote their access-log entry inside their
reading transaction, and under write load SQLite refused the upgrade ("database
is locked", a 500). Here the real app serves everything at once from threads,
with real commits, on a database of its own: a SQLite file in tmp_path, or on
PostgreSQL (LMS_DATABASE_URL) a schema of its own that is dropped afterwards, so
the suite's database stays untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lms.content.importer import import_course
from lms.models import AttemptAnswer, AuditEntry, Course, QuizAttempt, ReportAccess, Role
from lms.services import assignments, learning, quizzes
from tests.conftest import database_of_its_own, make_test_app, reset_database
from tests.factories import make_company, make_user
from tests.unit.test_course_parser import quiz, write_course

LEARNERS = 50
MANAGER_THREADS = 3
# Each manager thread asks at least this often, and goes on until every hand-in is in.
MANAGER_ROUNDS = 4

CHECK = """\
## Wie lang sollte ein Passwort mindestens sein? {#laenge}

- ( ) 6 Zeichen
- (x) 12 Zeichen

## Was tun mit einer verdächtigen Mail? {#mail}

- (x) Melden
- ( ) Öffnen
"""


@pytest.fixture
def load_app(tmp_path: Path) -> Iterator[Flask]:
    with database_of_its_own(tmp_path) as url:
        app = make_test_app(tmp_path, DATABASE_URL=url)
        try:
            reset_database(app)
            yield app
        finally:
            app.extensions["db"].engine.dispose()


@dataclass
class Team:
    company_id: int
    manager_id: str
    admin_id: str
    learners: list[tuple[int, str]]  # (user id, login id)
    attempt_url: str


def _seed(app: Flask, tmp_path: Path) -> Team:
    """A manager, an admin and LEARNERS learners, each with an open attempt at the
    knowledge check (two questions on one page)."""
    folder = write_course(tmp_path, {"02-check.md": quiz(CHECK)}, slug="lastkurs")
    now = datetime.now(UTC)
    database = app.extensions["db"]
    with database.begin() as session, app.test_request_context():
        company = make_company(session, "Last GmbH")
        manager = make_user(session, company, Role.MANAGER, name="Chefin Last")
        admin = make_user(session, None, Role.ADMIN, name="Admin Last")
        people = [make_user(session, company) for _ in range(LEARNERS)]
        import_course(session, folder, now)
        course = session.scalars(select(Course).where(Course.slug == "lastkurs")).one()
        due = date.today() + timedelta(days=7)
        assignments.assign_to_people(session, manager, course, people, due, "", now)
        for person in people:
            enrollment = learning.enroll(session, person, course, now)
            attempt = quizzes.start_attempt(session, enrollment, "check", "de", now)
            assert attempt.number == 1
        return Team(
            company_id=company.id,
            manager_id=manager.get_id(),
            admin_id=admin.get_id(),
            learners=[(person.id, person.get_id()) for person in people],
            attempt_url="/learn/courses/lastkurs/check/attempts/1",
        )


@dataclass
class Answers:
    """Every answer's status, by what was asked (filled from many threads)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: list[tuple[str, int]] = field(default_factory=list)

    def add(self, what: str, status: int) -> None:
        with self.lock:
            self.statuses.append((what, status))

    def errors(self) -> list[tuple[str, int]]:
        return [(what, status) for what, status in self.statuses if status >= 400]

    def count(self, prefix: str) -> int:
        return sum(1 for what, _status in self.statuses if what.startswith(prefix))


def _logged_in(app: Flask, login_id: str) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as browser:
        browser["_user_id"] = login_id
        browser["_fresh"] = True
    return client


def test_fifty_hand_ins_and_manager_exports_at_once_all_succeed(load_app, tmp_path):
    team = _seed(load_app, tmp_path)
    answers = Answers()
    start = threading.Barrier(LEARNERS + MANAGER_THREADS + 1)
    handed_in = threading.Event()
    remaining = [LEARNERS]
    remaining_lock = threading.Lock()

    def hand_in(login_id: str) -> None:
        client = _logged_in(load_app, login_id)
        start.wait()
        try:
            response = client.post(
                team.attempt_url, data={"page": "1", "action": "submit", "q-laenge": "1"}
            )
            answers.add("hand-in", response.status_code)
        finally:
            with remaining_lock:
                remaining[0] -= 1
                if remaining[0] == 0:
                    handed_in.set()

    def manage(worker: int) -> None:
        client = _logged_in(load_app, team.manager_id)
        pages = ["/team/matrix.csv", "/team/matrix.xlsx"]
        start.wait()
        rounds = 0
        while rounds < MANAGER_ROUNDS or not handed_in.is_set():
            person_id = team.learners[(worker * 7 + rounds) % LEARNERS][0]
            for url in [*pages, f"/team/people/{person_id}"]:
                response = client.get(url)
                answers.add(f"manager {url}", response.status_code)
                response.close()
            rounds += 1

    def administer() -> None:
        """The admin downloads people's data (logged in the audit log) meanwhile."""
        client = _logged_in(load_app, team.admin_id)
        start.wait()
        rounds = 0
        while rounds < MANAGER_ROUNDS or not handed_in.is_set():
            person_id = team.learners[rounds % LEARNERS][0]
            url = f"/admin/companies/{team.company_id}/people/{person_id}/data.json"
            response = client.get(url)
            answers.add("admin data.json", response.status_code)
            response.close()
            rounds += 1

    threads = [
        threading.Thread(target=hand_in, args=(login_id,)) for _id, login_id in team.learners
    ] + [threading.Thread(target=manage, args=(worker,)) for worker in range(MANAGER_THREADS)]
    threads.append(threading.Thread(target=administer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    assert answers.errors() == []
    assert answers.count("hand-in") == LEARNERS
    manager_requests = answers.count("manager")
    assert manager_requests >= MANAGER_THREADS * MANAGER_ROUNDS * 3
    with load_app.app_context(), load_app.extensions["db"].begin() as session:
        submitted = session.scalars(
            select(QuizAttempt.user_id).where(QuizAttempt.status == "submitted")
        ).all()
        assert sorted(submitted) == sorted(user_id for user_id, _login in team.learners)
        assert session.scalar(select(func.count()).select_from(QuizAttempt)) == LEARNERS
        assert session.scalar(select(func.count()).select_from(AttemptAnswer)) == LEARNERS * 2
        # Every page and export the manager saw is in the access log, once.
        assert session.scalar(select(func.count()).select_from(ReportAccess)) == manager_requests
        exports = select(func.count()).where(AuditEntry.action == "person.export")
        assert session.scalar(exports) == answers.count("admin")
