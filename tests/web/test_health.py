"""Health checks that tell the truth, and 503 rather than 500 when the database or
the disk cannot serve now (issue 16)."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections import namedtuple

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from lms.db import AppDatabase
from lms.errors import unavailable
from lms.models import QuizAttempt
from lms.services import quizzes
from tests.web.test_quiz import answer_all, learner, publish, start

__all__ = ["learner", "publish"]  # fixtures

EN = {"Accept-Language": "en"}
Usage = namedtuple("Usage", "total used free")
MB = 1024 * 1024


def test_readiness_names_its_checks_and_is_not_cached(client):
    for url in ("/healthz/ready", "/healthz"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "disk": "ok"}}
        assert response.headers["Cache-Control"] == "no-store"


def test_liveness_asks_the_database_nothing(client, monkeypatch, count_queries):
    def refuse(_self):
        raise OperationalError("UPDATE alembic_version", {}, Exception("server closed"))

    monkeypatch.setattr(AppDatabase, "probe_write", refuse)
    response = client.get("/healthz/live")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "checks": {}}
    assert response.headers["Cache-Control"] == "no-store"
    assert count_queries.count == 0
    ready = client.get("/healthz/ready")
    assert ready.status_code == 503
    assert ready.get_json() == {
        "status": "unavailable",
        "checks": {"database": "failed", "disk": "ok"},
    }
    assert "server closed" not in ready.get_data(as_text=True)


def test_readiness_fails_when_the_disk_is_nearly_full(app, client, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: Usage(10_000 * MB, 9_950 * MB, 50 * MB))
    for url in ("/healthz/ready", "/healthz"):
        response = client.get(url)
        assert response.status_code == 503
        assert response.get_json() == {
            "status": "unavailable",
            "checks": {"database": "ok", "disk": "low"},
        }
    assert client.get("/healthz/live").status_code == 200
    app.config["HEALTH_MIN_FREE_MB"] = 20  # LMS_HEALTH_MIN_FREE_MB
    assert client.get("/healthz/ready").status_code == 200


@pytest.fixture
def locked(tmp_path):
    """An app of its own on a SQLite file whose write lock another process holds."""
    from tests.conftest import make_test_app, reset_database

    path = tmp_path / "locked.sqlite3"
    other = make_test_app(tmp_path, DATABASE_URL=f"sqlite:///{path}", SQLITE_BUSY_TIMEOUT_MS=100)
    reset_database(other)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        other.extensions["db"].engine.dispose()


def test_readiness_fails_while_the_database_accepts_no_write(locked):
    client = locked.test_client()
    for url in ("/healthz/ready", "/healthz"):
        response = client.get(url)
        assert response.status_code == 503
        assert response.get_json()["checks"]["database"] == "failed"
    assert client.get("/healthz/live").status_code == 200


def test_a_request_that_finds_the_database_locked_answers_503_with_retry_after(locked):
    response = locked.test_client().post(
        "/login", data={"email": "niemand@example.com", "password": "x"}, headers=EN
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    page = response.get_data(as_text=True)
    assert "nothing was saved" in page and "Traceback" not in page and "locked" not in page


def test_a_hand_in_when_the_disk_is_full_answers_503_and_saves_nothing(
    client, db, learner, monkeypatch
):
    def disk_full(*_args, **_kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(quizzes, "submit", disk_full)
    response = answer_all(client, start(client))
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert "es wurde nichts gespeichert" in page  # "… and nothing was saved."
    assert "disk is full" not in page and "Traceback" not in page
    assert db.scalar(select(QuizAttempt.status)) == "open"


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("database or disk is full"),
        sqlite3.OperationalError("database is locked"),
        OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error")),
        OperationalError("SELECT 1", {}, Exception("connection to server failed")),  # psycopg
        OSError(errno.ENOSPC, "No space left on device"),
        PoolTimeout("QueuePool limit reached"),
    ],
    ids=repr,
)
def test_errors_that_mean_try_again_later(error):
    assert unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("no such table: nowhere"),
        OperationalError("SELECT x", {}, sqlite3.OperationalError('near "x": syntax error')),
        ProgrammingError("SELECT x", {}, Exception("column x does not exist")),
        OSError(errno.ENOENT, "No such file or directory"),
        RuntimeError("a bug"),
    ],
    ids=repr,
)
def test_errors_that_are_bugs_stay_500(error):
    assert not unavailable(error)
