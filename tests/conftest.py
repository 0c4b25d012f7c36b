"""Fixtures: one app and one migrated database per run; every test rolls back.

Set LMS_DATABASE_URL to a PostgreSQL URL to run the same suite against
PostgreSQL; otherwise a SQLite file in a temporary folder is used.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config import TestingConfig
from lms import create_app, migrate
from lms.cache import cache
from lms.clock import now
from lms.db import AppDatabase
from lms.mail import Mail, delivered
from lms.models import (
    Assignment,
    Base,
    Company,
    Completion,
    Enrollment,
    ExternalRecord,
    OutboxMessage,
    Role,
    User,
)
from lms.reports import compliance
from lms.security import limiter
from tests import factories, two_factor_helpers

PASSWORD = factories.PASSWORD
# The `lms` commands write English in the tests, whatever the machine's locale (LANG=de_DE…).
os.environ.setdefault("LMS_CLI_LANGUAGE", "en")


def database_url(tmp_dir: Path, name: str = "test") -> str:
    return os.environ.get("LMS_DATABASE_URL") or f"sqlite:///{tmp_dir / (name + '.sqlite3')}"


def reset_database(app: Flask) -> None:
    """Drop everything, then build the schema through the migrations."""
    engine = app.extensions["db"].engine
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate.upgrade(app)


@contextmanager
def database_of_its_own(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for one test that serves its own app (threads, processes):
    a SQLite file in `tmp_path`, or on PostgreSQL (LMS_DATABASE_URL) a schema of its own
    that is dropped afterwards, so the suite's database stays untouched."""
    url = os.environ.get("LMS_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'load.sqlite3'}"
        return
    schema = f"load_{secrets.token_hex(4)}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        parsed = make_url(url)
        yield parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_test_app(tmp_dir: Path, **overrides: Any) -> Flask:
    settings = {
        "DATABASE_URL": database_url(tmp_dir),
        "WTF_CSRF_ENABLED": False,
    }
    settings.update(overrides)
    os.environ.setdefault("LMS_INSTANCE_PATH", str(tmp_dir / "instance"))
    # Commands that load the app themselves (`lms demo`) find the testing profile.
    os.environ.setdefault("LMS_ENV", "testing")
    return create_app(TestingConfig, settings)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp_dir = tmp_path_factory.mktemp("lms")
    application = make_test_app(tmp_dir)
    reset_database(application)
    yield application
    application.extensions["db"].engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Requests made during the test share this connection, so what a test
    creates is visible to the app, and what the app commits is undone.
    """
    database: AppDatabase = app.extensions["db"]
    connection = database.engine.connect()
    transaction = connection.begin()
    database.bind_override = connection
    session = database.new_session()
    saved_config = dict(app.config)
    limiter.reset()
    delivered(app).clear()
    with app.app_context():
        cache.clear()  # ids and revisions restart after each rollback
    try:
        yield session
    finally:
        # Tests may change settings (clock, limits, folders): put them back.
        app.config.clear()
        app.config.update(saved_config)
        session.close()
        database.bind_override = None
        transaction.rollback()
        connection.close()


# What changes a cell of the team overview (lms/services/compliance.py): every commit
# of the app that changes one of these must have raised the company's revision
# (`compliance.cells_changed`), or the overview's cache would show old figures.
_TRACKED = (Assignment, Completion, Enrollment, ExternalRecord, User)
_USER_FIELDS = ("display_name", "email", "is_active", "department_id", "company_id")
_TOUCHED = "tests.touched_companies"


def _note_touched(session: Session, _context: Any, _instances: Any) -> None:
    if not (has_app_context() and g.get("_db_session") is session):
        return  # the requests' sessions are checked; tests may seed directly
    touched = session.info.setdefault(_TOUCHED, {})
    dirty = session.dirty
    for obj in (*session.new, *dirty, *session.deleted):
        if not isinstance(obj, _TRACKED):
            continue
        if obj in dirty and isinstance(obj, User):
            state = inspect(obj)
            if not any(state.attrs[name].history.has_changes() for name in _USER_FIELDS):
                continue
        company_id = obj.company_id
        if company_id is None and isinstance(obj, User) and obj.company is not None:
            company_id = obj.company.id
        if company_id is not None:
            touched.setdefault(company_id, f"{type(obj).__name__} {obj!r}")


def _check_revised(session: Session) -> None:
    touched = session.info.pop(_TOUCHED, {})
    revised = session.info.pop(compliance.REVISED, set())
    missing = {company: what for company, what in touched.items() if company not in revised}
    assert not missing, f"changed without compliance.cells_changed: {missing}"


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(compliance.REVISED, None)


@pytest.fixture(scope="session", autouse=True)
def revisions_are_raised() -> Iterator[None]:
    from sqlalchemy import event

    listeners = (
        ("before_flush", _note_touched),
        ("after_commit", _check_revised),
        ("after_soft_rollback", _forget),
    )
    for name, listener in listeners:
        event.listen(Session, name, listener)
    yield
    for name, listener in listeners:
        event.remove(Session, name, listener)


@pytest.fixture
def client(app: Flask, db: Session) -> FlaskClient:
    return app.test_client()


class QueuedMails(Sequence[Mail]):
    """The mails queued in the outbox since the test began (or since `clear()`), oldest
    first: what the app committed, read afresh at every look. A mail queued by a change
    that was rolled back is not there, as it is never sent."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._after = self._newest()

    def _newest(self) -> int:
        return self._session.scalar(select(func.max(OutboxMessage.id))) or 0

    def _mails(self) -> list[Mail]:
        rows = self._session.execute(
            select(OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.id > self._after, OutboxMessage.kind == "mail")
            .order_by(OutboxMessage.id)
        )
        return [Mail(to=to, subject=subject, body=body) for to, subject, body in rows]

    def __getitem__(self, index: Any) -> Any:
        return self._mails()[index]

    def __len__(self) -> int:
        return len(self._mails())

    def __eq__(self, other: object) -> bool:
        return self._mails() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._mails())

    def clear(self) -> None:
        self._after = self._newest()


@pytest.fixture
def mails(app: Flask, db: Session) -> QueuedMails:
    """The mails the app queued (the outbox's sender is tested in test_mail_outbox.py)."""
    return QueuedMails(db)


@pytest.fixture
def world(db: Session) -> factories.World:
    """Two companies, each with departments, a manager and employees; a trainer and an admin."""
    return factories.make_world(db)


def pass_second_factor(app: Flask, session: Session, client: FlaskClient, response: Any) -> Any:
    """After a right password: if the app asks for the second factor (admins, staff who
    set it up), enter the code the person's app shows at the app's clock, or, when this
    moment's codes are used up, a recovery code. The answer to the last step."""
    if response.status_code != 302 or response.location != "/login/code":
        return response
    pending = _pending_user(client)
    with app.app_context():  # left before the request: a client kept open keeps its own
        moment = now()
        code = two_factor_helpers.next_code(session, pending, moment)
        if code is None:
            spare = two_factor_helpers.recovery_code(session, pending, moment)
    if code is not None:
        return client.post("/login/code", data={"code": code})
    return client.post("/login/recovery-code", data={"code": spare})


def _pending_user(client: FlaskClient) -> int:
    with client.session_transaction() as state:
        return int(state["two_factor_pending"]["user"])


@pytest.fixture
def login(app: Flask, db: Session, client: FlaskClient) -> Callable[..., FlaskClient]:
    def do_login(
        user: User, password: str = PASSWORD, target: FlaskClient | None = None
    ) -> FlaskClient:
        c = target or client
        response = c.post("/login", data={"email": user.email, "password": password})
        response = pass_second_factor(app, db, c, response)
        assert response.status_code == 302, f"login of {user.email} failed"
        return c

    return do_login


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask, db: Session) -> Iterator[QueryCounter]:
    """Counts the SQL statements the app sends while the test runs (savepoints aside)."""
    from sqlalchemy import event

    counter = QueryCounter()
    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def other_client(app: Flask, db: Session) -> FlaskClient:
    """A second browser."""
    return app.test_client()


__all__ = ["PASSWORD", "Company", "Role", "User"]
