"""Backups: taken while learners hand in, restored whole or not at all, and deleted once
older than the retention rule. The PostgreSQL round trip runs when LMS_DATABASE_URL is
a PostgreSQL URL; the rest uses SQLite files of its own."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from lms import backup, migrate
from lms.backup import BackupError
from lms.content.importer import import_course
from lms.models import AuditEntry, Base, Company, Course, Enrollment, QuizAttempt, User
from lms.services import learning, quizzes
from lms.services.erasure import erase_person
from lms.services.retention import oldest_backup_kept
from tests.conftest import make_test_app, reset_database
from tests.factories import make_company, make_user
from tests.unit.test_course_parser import quiz, write_course

NOW = datetime(2026, 5, 4, 2, 30, tzinfo=UTC)
QUIZ = """\
## Wie lang sollte ein Passwort mindestens sein? {#laenge}
- ( ) 6 Zeichen
- (x) 12 Zeichen

## Ein Passwort darf am Monitor kleben. {#zettel}
answer: falsch
"""


def postgresql_url() -> str | None:
    url = os.environ.get("LMS_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def sqlite_app(folder: Path, **settings):
    """An app on a SQLite file of its own in `folder`, migrated."""
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'lms.sqlite3'}"
    live = make_test_app(folder, DATABASE_URL=url, BACKUP_DIR=str(folder / "backups"), **settings)
    reset_database(live)
    return live


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def only_backup(folder: Path) -> Path:
    (path,) = backup.backups_in(folder)
    return path


def sqlite_rows(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchall()


# --- SQLite ---------------------------------------------------------------------------


def seed_enrollments(live, tmp_path: Path, people: int) -> list[int]:
    folder = write_course(tmp_path / "course", {"02-check.md": quiz(QUIZ)})
    with live.extensions["db"].begin() as session, live.test_request_context():
        company = make_company(session, "Sicherung GmbH")
        import_course(session, folder, NOW)
        course = session.scalar(select(Course).where(Course.slug == "testkurs"))
        users = [make_user(session, company, password=None) for _ in range(people)]
        return [learning.enroll(session, user, course, NOW).id for user in users]


def hand_in_one_by_one(live, enrollment_ids, committed: list[int], stop: threading.Event):
    """Start and hand in one attempt per enrolment, each in its own transactions, as
    learners do; `committed` lists the attempts handed in, after their commit."""
    database = live.extensions["db"]
    with live.app_context():
        for enrollment_id in enrollment_ids:
            if stop.is_set():
                return
            with database.begin() as session:
                enrollment = session.get(Enrollment, enrollment_id)
                attempt_id = quizzes.start_attempt(session, enrollment, "check", "de", NOW).id
            with database.begin() as session:
                attempt = session.get(QuizAttempt, attempt_id)
                assert quizzes.submit(session, attempt, NOW)
            committed.append(attempt_id)


def test_a_backup_taken_during_hand_ins_restores_whole_into_a_fresh_file(tmp_path):
    live = sqlite_app(tmp_path / "live")
    enrollment_ids = seed_enrollments(live, tmp_path, people=40)
    committed: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        try:
            hand_in_one_by_one(live, enrollment_ids, committed, stop)
        except BaseException as exc:  # reported below
            failures.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(committed) < 5 and thread.is_alive():
            time.sleep(0.005)
        before = list(committed)  # handed in before the backup started
        result = invoke(live, "db", "backup")
    finally:
        stop.set()
        thread.join(timeout=120)
    assert failures == [] and len(before) >= 5
    assert result.exit_code == 0, result.output
    made = only_backup(tmp_path / "live" / "backups")
    assert f"Backup written: {made}" in result.output
    assert made.stat().st_mode & 0o077 == 0  # personal data: the owner's only

    fresh = tmp_path / "fresh" / "restored.sqlite3"
    other = make_test_app(tmp_path / "fresh", DATABASE_URL=f"sqlite:///{fresh}")
    restored = invoke(other, "db", "restore", str(made), "--yes")
    assert restored.exit_code == 0, restored.output
    head = migrate.head_revision(other)
    assert f"the database is at revision {head}" in restored.output
    other.extensions["db"].engine.dispose()
    live.extensions["db"].engine.dispose()

    assert sqlite_rows(fresh, "PRAGMA integrity_check") == [("ok",)]
    submitted = {
        row[0]
        for row in sqlite_rows(fresh, "SELECT id FROM quiz_attempts WHERE status = 'submitted'")
    }
    assert set(before) <= submitted
    # Each hand-in whole: every submitted attempt has its two graded answers.
    answers = dict(
        sqlite_rows(fresh, "SELECT attempt_id, count(*) FROM attempt_answers GROUP BY attempt_id")
    )
    assert all(answers.get(attempt_id) == 2 for attempt_id in submitted)


def test_restore_refuses_a_damaged_backup_and_leaves_the_database_as_it_was(tmp_path):
    live = sqlite_app(tmp_path / "live")
    with live.extensions["db"].begin() as session:
        make_company(session, "Vorher GmbH")
    assert invoke(live, "db", "backup").exit_code == 0
    made = only_backup(tmp_path / "live" / "backups")
    with live.extensions["db"].begin() as session:
        make_company(session, "Nachher GmbH")

    page_size = sqlite_rows(made, "PRAGMA page_size")[0][0]
    damaged = bytearray(made.read_bytes())
    for page in range(2, 8):  # the roots of the first tables
        damaged[page * page_size : (page + 1) * page_size] = b"\xa5" * page_size
    (tmp_path / "damaged.sqlite3").write_bytes(bytes(damaged))
    (tmp_path / "notes.sqlite3").write_text("not a database\n" * 200)

    for path, reason in (("damaged.sqlite3", "damaged"), ("notes.sqlite3", "not a readable")):
        result = invoke(live, "db", "restore", str(tmp_path / path), "--yes")
        assert result.exit_code == 1 and reason in result.output, result.output
    with live.extensions["db"].begin() as session:
        names = set(session.scalars(select(Company.name)))
    assert {"Vorher GmbH", "Nachher GmbH"} <= names
    live.extensions["db"].engine.dispose()


def test_restore_refuses_while_the_database_is_open_and_a_backup_from_a_newer_release(
    tmp_path,
):
    live = sqlite_app(tmp_path / "live")
    assert invoke(live, "db", "backup").exit_code == 0
    made = only_backup(tmp_path / "live" / "backups")
    database = tmp_path / "live" / "lms.sqlite3"

    with closing(sqlite3.connect(database)) as worker:  # a worker of the running app
        worker.execute("SELECT count(*) FROM companies").fetchone()
        result = invoke(live, "db", "restore", str(made), "--yes")
    assert result.exit_code == 1 and "is in use: stop Lernwerk" in result.output

    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(made.read_bytes())
    with closing(sqlite3.connect(newer)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0999_future'")
        connection.commit()
    result = invoke(live, "db", "restore", str(newer), "--yes")
    assert result.exit_code == 1 and "0999_future, which this version" in result.output

    # Without --yes it asks, and "no" changes nothing.
    result = app_input(live, made, "n\n")
    assert "Everything written since the backup was taken is lost." in result.output
    assert result.exit_code == 1 and "Aborted" in result.output
    live.extensions["db"].engine.dispose()


def app_input(live, made: Path, answer: str):
    return live.test_cli_runner().invoke(args=["db", "restore", str(made)], input=answer)


def test_accounts_erased_after_the_backup_are_erased_again_by_the_restore(tmp_path):
    live = sqlite_app(tmp_path / "live")
    with live.extensions["db"].begin() as session:
        company = make_company(session, "Vergessen GmbH")
        person = make_user(session, company, name="Erika Vergessen", email="erika@example.com")
        keep = make_user(session, company, name="Karl Bleibt", email="karl@example.com")
        ids = (person.id, keep.id)
    assert invoke(live, "db", "backup").exit_code == 0
    made = only_backup(tmp_path / "live" / "backups")
    with live.extensions["db"].begin() as session:
        erase_person(session, session.get(User, ids[0]), NOW)

    result = invoke(live, "db", "restore", str(made), "--yes")
    assert result.exit_code == 0, result.output
    assert "Erased again 1 accounts erased after the backup was taken." in result.output
    with live.extensions["db"].begin() as session:
        erased, kept = session.get(User, ids[0]), session.get(User, ids[1])
        assert erased.erased_at is not None and "Erika" not in erased.display_name
        assert kept.erased_at is None and kept.email == "karl@example.com"
        # The restore is recorded once, as a command: no person, no network.
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "db.restore"))
        assert (entry.actor_id, entry.actor_name, entry.address, entry.company_id) == (
            None, "", "", None,
        )  # fmt: skip
        assert entry.changes == {
            "backup": [None, made.name], "revision": [None, migrate.head_revision(live)],
            "erased_again": [None, 1],
        }  # fmt: skip
    live.extensions["db"].engine.dispose()


# --- Retention --------------------------------------------------------------------------


def test_pruning_deletes_only_backups_older_than_the_rule(tmp_path):
    names = [
        "lernwerk-20260101T000000Z.sqlite3",  # old
        "lernwerk-20260301T120000Z.dump",  # old
        "lernwerk-20260320T000000Z.sqlite3",  # recent
        "lernwerk-handmade.sqlite3",  # not named by Lernwerk
        "lms.sqlite3",
        "notes.txt",
    ]
    for name in names:
        (tmp_path / name).write_text("x")
    deleted = backup.prune(tmp_path, datetime(2026, 3, 15, tzinfo=UTC))
    assert [path.name for path in deleted] == names[:2]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names[2:])


def test_backups_are_kept_no_longer_than_the_shortest_retention_of_any_company(db, world):
    assert oldest_backup_kept(db, NOW, 30) == NOW - timedelta(days=30)
    world.a.company.retention_months = 2
    world.b.company.retention_months = 6
    make_company(db, retention_months=0)  # 0 and empty keep accounts: no limit
    db.flush()
    assert oldest_backup_kept(db, NOW, 365) == datetime(2026, 3, 4, 2, 30, tzinfo=UTC)
    assert oldest_backup_kept(db, NOW, 10) == NOW - timedelta(days=10)


def test_prune_backups_lists_and_deletes_the_old_ones(app, db, world, tmp_path):
    app.config.update(BACKUP_DIR=str(tmp_path), CLOCK=lambda: NOW)
    world.a.company.retention_months = 1
    db.flush()
    old, recent = "lernwerk-20260401T000000Z.sqlite3", "lernwerk-20260501T000000Z.sqlite3"
    for name in (old, recent):
        (tmp_path / name).write_text("x")
    dry = invoke(app, "db", "prune-backups", "--dry-run")
    assert dry.exit_code == 0 and f"Would delete {tmp_path / old}." in dry.output
    assert "Backups taken before 2026-04-04 02:30 UTC are deleted." in dry.output
    assert (tmp_path / old).exists()
    done = invoke(app, "db", "prune-backups", "--keep-days", "90")
    assert done.exit_code == 0 and f"Deleted {tmp_path / old}." in done.output
    assert [path.name for path in tmp_path.iterdir()] == [recent]


# --- PostgreSQL ---------------------------------------------------------------------------


def test_the_password_reaches_pg_dump_only_in_its_environment(tmp_path, monkeypatch):
    pytest.importorskip("psycopg", reason="PostgreSQL's driver is the postgres extra")
    calls = []

    def fake_run(command, **kwargs):
        calls.append((command, kwargs["env"]))
        return subprocess.CompletedProcess(command, 1, b"", b"could not connect to server")

    monkeypatch.setattr(backup.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    url = "postgresql+psycopg://lernwerk:s3cr3t-Wort@db.example:5433/lms?sslmode=require"
    with pytest.raises(BackupError) as failed:
        backup.back_up(url, tmp_path / "lernwerk-20260504T023000Z.dump")
    assert "pg_dump failed: could not connect to server" in str(failed.value)
    ((command, env),) = calls
    assert "s3cr3t-Wort" not in " ".join(command) and env["PGPASSWORD"] == "s3cr3t-Wort"
    assert "sslmode=require" in " ".join(command) and "dbname=lms" in " ".join(command)
    assert list(tmp_path.iterdir()) == []  # nothing half-written left

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(BackupError, match="pg_dump was not found on PATH"):
        backup.back_up(url, tmp_path / "lernwerk-20260504T023001Z.dump")


@pytest.mark.skipif(postgresql_url() is None, reason="needs LMS_DATABASE_URL for PostgreSQL")
def test_a_postgresql_backup_restores_into_a_scratch_database(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URL"]
    made = backup.back_up(url, tmp_path / backup.backup_name(url, NOW))
    head = migrate.head_revision(app)
    assert made.revision == head and made.path.stat().st_mode & 0o077 == 0
    assert backup.backup_revision(url, made.path) == head
    cut = tmp_path / "cut.dump"
    cut.write_bytes(made.path.read_bytes()[: made.size // 2])
    with pytest.raises(BackupError, match="pg_restore failed on"):
        backup.backup_revision(url, cut)

    scratch = f"{make_url(url).database}_restore_{secrets.token_hex(3)}"
    scratch_url = make_url(url).set(database=scratch).render_as_string(hide_password=False)
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    target = create_engine(scratch_url)
    try:
        with target.begin() as connection:  # a table a later release added
            connection.execute(text("CREATE TABLE from_a_later_release (id integer)"))
        known = set(Base.metadata.tables) | {"from_a_later_release"}
        with target.connect() as worker:
            worker.execute(text("SELECT 1"))
            with pytest.raises(BackupError, match="other connection"):
                backup.restore(scratch_url, made.path, known)
        target.dispose()

        # pg_restore failing half-way through its script commits nothing of it.
        conninfo, env = backup._libpq(make_url(scratch_url))
        half = ["sh", "-c", "printf 'CREATE TABLE half_done (id integer);\\n'; exit 1"]
        psql = ["psql", "--no-psqlrc", "--single-transaction", f"--dbname={conninfo}", "--file=-"]
        with pytest.raises(BackupError, match="pg_restore failed, nothing changed"):
            backup._pipe(half, psql, env)
        with target.connect() as connection:
            assert "half_done" not in inspect(connection).get_table_names()
        target.dispose()

        assert backup.restore(scratch_url, made.path, known) == head
        with target.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
            companies = connection.scalar(select(func.count()).select_from(Company))
        source = app.extensions["db"].engine
        with source.connect() as connection:
            assert tables == set(inspect(connection).get_table_names())
            assert companies == connection.scalar(select(func.count()).select_from(Company))
        assert revision == head and "from_a_later_release" not in tables
    finally:
        target.dispose()
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        server.dispose()
