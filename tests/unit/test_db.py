"""The database layer: SQLite settings, concurrent writers, rollback on error."""

from __future__ import annotations

import multiprocessing
import sys

import pytest
from sqlalchemy import func, select, text

from lms.db import make_engine
from lms.models import Company


def sqlite_only(app):
    if app.extensions["db"].dialect != "sqlite":
        pytest.skip("SQLite-specific")


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app):
    sqlite_only(app)
    with app.extensions["db"].engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_foreign_keys_are_enforced(app, db):
    from sqlalchemy.exc import IntegrityError

    from lms.models import Department

    db.add(Department(company_id=987654, name="Geister"))
    with pytest.raises(IntegrityError):
        db.flush()


def _writer(url: str, worker: int, rounds: int) -> None:
    """Each transaction reads, then writes: the pattern that fails with plain sqlite3."""
    from sqlalchemy.orm import Session

    engine = make_engine(url, busy_timeout_ms=30_000)
    for i in range(rounds):
        with Session(engine) as session, session.begin():
            session.scalar(select(func.count()).select_from(Company))
            session.add(Company(name=f"W{worker}-{i}", short_name=f"w{worker}-{i}"))
    engine.dispose()


def test_concurrent_writers_do_not_fail_with_database_is_locked(app, tmp_path):
    sqlite_only(app)
    from tests.conftest import make_test_app, reset_database

    url = f"sqlite:///{tmp_path / 'concurrent.sqlite3'}"
    other = make_test_app(tmp_path, DATABASE_URL=url)
    reset_database(other)
    other.extensions["db"].engine.dispose()
    context = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
    workers, rounds = 6, 40
    processes = [context.Process(target=_writer, args=(url, w, rounds)) for w in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * workers
    engine = make_engine(url)
    with engine.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(Company)).scalar()
            == workers * rounds
        )
    engine.dispose()


def test_in_memory_sqlite_is_refused():
    with pytest.raises(ValueError, match="file path"):
        make_engine("sqlite://")


def test_uncommitted_changes_of_a_request_are_discarded(app, db):
    from lms.db import db as handle

    with app.test_request_context():
        handle.session.add(Company(name="Verworfen GmbH", short_name="verworfen"))
        handle.session.flush()
    with app.app_context():
        assert (
            handle.session.scalar(select(func.count()).where(Company.short_name == "verworfen"))
            == 0
        )


def _hold_write_lock(path, seconds: float, ready, released=None) -> None:
    import sqlite3
    import time

    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ready.set()
    time.sleep(seconds)
    if released is not None:
        released.set()  # from here on the lock may be taken
    other.execute("COMMIT")
    other.close()


def test_a_writer_waits_for_the_write_lock_and_takes_it_once_it_is_free(tmp_path):
    import threading

    from sqlalchemy.exc import OperationalError

    path = tmp_path / "lock.sqlite3"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_ms=5_000)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))

    ready, released = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 0.3, ready, released))
    holder.start()
    ready.wait()
    with engine.begin() as connection:  # write intent: BEGIN IMMEDIATE
        # It waited for the lock rather than failing, and got it only once it was free.
        assert released.is_set()
        connection.execute(text("INSERT INTO t VALUES (1)"))
        # The busy timeout is back for everything else in the transaction.
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5_000
    holder.join()

    ready.clear()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 0.5, ready))
    holder.start()
    ready.wait()
    impatient = make_engine(f"sqlite:///{path}", busy_timeout_ms=100)
    with pytest.raises(OperationalError, match="database is locked"), impatient.begin():
        pass
    holder.join()
    engine.dispose()
    impatient.dispose()


def test_a_request_that_does_not_commit_leaves_nothing_and_no_lock(app, tmp_path):
    """Outside the test transaction: the per-request session is closed at teardown,
    which rolls back what was not committed and frees SQLite's write lock at once."""
    sqlite_only(app)
    import sqlite3

    from lms.db import db as handle
    from tests.conftest import make_test_app, reset_database

    path = tmp_path / "teardown.sqlite3"
    other = make_test_app(tmp_path, DATABASE_URL=f"sqlite:///{path}")
    reset_database(other)
    with other.test_request_context(method="POST"):
        other.preprocess_request()  # write intent: BEGIN IMMEDIATE
        handle.session.add(Company(name="Verworfen GmbH", short_name="verworfen"))
        handle.session.flush()
        # Not committed; the request ends here.
    raw = sqlite3.connect(path, timeout=0, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")  # "database is locked" if a transaction were left open
    assert raw.execute("SELECT count(*) FROM companies").fetchone() == (0,)
    raw.execute("ROLLBACK")
    raw.close()
    other.extensions["db"].engine.dispose()


def test_a_reading_request_writes_its_log_in_a_write_transaction_of_its_own(tmp_path):
    """A GET reads in a DEFERRED transaction; `db.writing()` takes the write lock up
    front (BEGIN IMMEDIATE, as a POST would), commits, and frees it (issue 16)."""
    import sqlite3

    from lms.db import db as handle
    from tests.conftest import make_test_app, reset_database

    path = tmp_path / "apart.sqlite3"
    other = make_test_app(tmp_path, DATABASE_URL=f"sqlite:///{path}")
    reset_database(other)
    raw = sqlite3.connect(path, timeout=0, isolation_level=None)
    with other.test_request_context(method="GET"):
        other.preprocess_request()  # read intent: BEGIN DEFERRED
        assert handle.session.scalar(select(func.count()).select_from(Company)) == 0
        with pytest.raises(RuntimeError, match="ended first"):
            handle.writing()
        handle.session.commit()  # the page is read
        with handle.writing() as session:
            session.add(Company(name="Apart GmbH", short_name="apart"))
            session.flush()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                raw.execute("BEGIN IMMEDIATE")  # the write lock is taken
    raw.execute("BEGIN IMMEDIATE")  # and free again
    assert raw.execute("SELECT short_name FROM companies").fetchall() == [("apart",)]
    raw.execute("ROLLBACK")
    raw.close()
    other.extensions["db"].engine.dispose()
