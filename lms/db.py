"""Engine, per-request session and the SQLite settings that make it safe to share.

Each app keeps an `AppDatabase` in `app.extensions["db"]`. Views use `db.session` (a
session scoped to the app context, so one per request); services receive a
session argument and only flush. The request is one unit of work: when the view
has answered, the boundary (`Database._finish`) commits an answer below 400 and
rolls back anything else (an error page, a form answered 422, a change the view
refused with `db.refuse(reason)`), and logs why. Any exception rolls back.

SQLite runs in WAL mode with foreign keys on and a busy timeout. Python's
sqlite3 driver starts transactions lazily and, when a reading transaction later
wants to write while another process writes, fails at once with "database is
locked" instead of waiting. We therefore take transaction control from the
driver and start write transactions with BEGIN IMMEDIATE: the writer waits for
the lock (busy timeout) before it has read anything, so concurrent writers
queue instead of failing. Read-only requests (GET/HEAD) begin DEFERRED and
never block writers thanks to WAL.

A writer that finds the lock taken asks again every millisecond (see
`_begin_immediate`) rather than leaving the waiting to SQLite, whose busy
handler sleeps in steps of up to 100 ms: under load, such a sleeper keeps
missing the moments the lock is free while other workers take it in turn.

A reading request that must record something (the access log of a manager's
report) never writes in its reading transaction: SQLite cannot always turn a
reading transaction into a writing one (another writer holds the lock, or has
committed since the reader began) and answers "database is locked" at once.
It ends its reading transaction and writes in one of its own, `db.writing()`,
begun like a writing request's.
"""

from __future__ import annotations

import contextvars
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context, request
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from lms.serving import mask  # a path may carry a token (a package launch, a link)

log = logging.getLogger(__name__)

# Whether transactions started now may write. Requests set it from the HTTP
# method; commands and tests keep the default (write).
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy's "begin" event below
        # emits BEGIN itself, so the transaction mode is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if write_intent.get():
            _begin_immediate(conn, busy_timeout_ms)
        else:
            # Straight to the driver: BEGIN DEFERRED takes no lock and cannot fail
            # for one, and this runs for every request.
            conn.connection.driver_connection.execute("BEGIN")  # type: ignore[union-attr]


# How long a writer waits before asking again for the write lock another one holds.
WRITE_LOCK_RETRY_S = 0.001


def _begin_immediate(conn: Connection, busy_timeout_ms: int) -> None:
    """BEGIN IMMEDIATE, asked for every millisecond while another writer holds the lock.

    Gives up after the busy timeout with SQLAlchemy's usual "database is locked"
    error, as SQLite's own waiting would.
    """
    driver: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
    deadline = time.monotonic() + busy_timeout_ms / 1000
    driver.execute("PRAGMA busy_timeout = 0")
    try:
        while time.monotonic() < deadline:
            try:
                driver.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # extended codes too
                    break  # not a lock: let SQLAlchemy report it below
            time.sleep(WRITE_LOCK_RETRY_S)
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        driver.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")


def make_engine(url: str, *, busy_timeout_ms: int = 15_000, echo: bool = False) -> Engine:
    """Create an engine for `url` with the settings this app relies on."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("In-memory SQLite is not supported: give a file path.")
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms)
    return engine


def _declare_write_intent() -> None:
    # GET and HEAD never change state, so their transactions may begin DEFERRED.
    g._write_intent_token = write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))


def _forget_write_intent(_exc: BaseException | None) -> None:
    token = g.pop("_write_intent_token", None)
    if token is not None:
        write_intent.reset(token)


class AppDatabase:
    """One app's engine and session factory (kept in `app.extensions["db"]`)."""

    def __init__(self, url: str, busy_timeout_ms: int) -> None:
        self.engine: Engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self._factory: sessionmaker[Session] = sessionmaker(expire_on_commit=False)
        # Tests bind sessions to one outer connection so each test rolls back.
        self.bind_override: Connection | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def new_session(self) -> Session:
        if self.bind_override is not None:
            return self._factory(bind=self.bind_override, join_transaction_mode="create_savepoint")
        return self._factory(bind=self.engine)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A standalone unit of work for commands: commit on success, roll back on error."""
        session = self.new_session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A short write transaction on a session of its own, begun as a writing
        request's (BEGIN IMMEDIATE and the busy wait on SQLite): commit on success,
        roll back on error. Under `bind_override` it is a savepoint of the test's
        connection, so the test sees what it wrote and rolls it back."""
        with self._begun_as(writing=True) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A short reading transaction on a session of its own, begun as a reading
        request's (DEFERRED on SQLite): for reads after the view has answered (a large
        file sent part by part), when the request's session is gone. Under
        `bind_override` it reads on the test's connection."""
        with self._begun_as(writing=False) as session:
            yield session

    @contextmanager
    def _begun_as(self, *, writing: bool) -> Iterator[Session]:
        token = write_intent.set(writing)
        try:
            with self.begin() as session:
                yield session
        finally:
            write_intent.reset(token)

    def probe_write(self) -> None:
        """Raise unless the database accepts a write now (for the readiness check).

        Takes the write lock as a writing request does and sets a row of
        `alembic_version` to itself in a savepoint that is rolled back: the
        database must let this connection write, and nothing is kept.
        """
        with self.writing() as session:
            savepoint = session.begin_nested()
            try:
                session.execute(text("UPDATE alembic_version SET version_num = version_num"))
            finally:
                savepoint.rollback()


class Database:
    """The handle views and commands use: `db.session`, `db.begin()`, `db.engine`.

    It holds no state itself; each app keeps its own `AppDatabase`, so several
    apps (tests, benchmarks) can live in one process.
    """

    def init_app(self, app: Flask) -> None:
        app.extensions["db"] = AppDatabase(
            app.config["SQLALCHEMY_DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_MS"]
        )
        app.before_request(_declare_write_intent)
        app.after_request(self._finish)
        app.teardown_request(_forget_write_intent)
        app.teardown_appcontext(self._teardown)

    @property
    def _state(self) -> AppDatabase:
        state: AppDatabase = current_app.extensions["db"]
        return state

    @property
    def engine(self) -> Engine:
        return self._state.engine

    @property
    def app_database(self) -> AppDatabase:
        """The current app's database itself, for reads that outlive the request (a
        large file sent part by part after the view has answered)."""
        return self._state

    @property
    def dialect(self) -> str:
        return self._state.dialect

    def new_session(self) -> Session:
        return self._state.new_session()

    def begin(self) -> AbstractContextManager[Session]:
        return self._state.begin()

    def writing(self) -> AbstractContextManager[Session]:
        """A write transaction of its own, for a reading request that must record
        something: `with db.writing() as session: log_report_access(session, ...)`.

        End the request's transaction first (read inside `with db.reading():`): a request
        then holds one connection at a time, so a busy pool cannot run dry with
        every thread holding one and waiting for a second; and on the test's
        shared connection a write nested in the request's open savepoint would be
        undone with it.
        """
        request_session: Session | None = g.get("_db_session") if has_app_context() else None
        if request_session is not None and request_session.in_transaction():
            raise RuntimeError("db.writing() needs the request's transaction ended first")
        return self._state.writing()

    def probe_write(self) -> None:
        self._state.probe_write()

    @property
    def session(self) -> Session:
        """The session of the current app context (created on first use)."""
        if not has_app_context():
            raise RuntimeError("db.session needs an app context")
        session: Session | None = g.get("_db_session")
        if session is None:
            session = self.new_session()
            g._db_session = session
        return session

    def refuse(self, reason: str) -> None:
        """Keep nothing this request changed: the boundary rolls it back and logs
        `reason`. For a view that answers a refused change with a redirect (and a
        message); a view answering with a status of 400 or more needs no call."""
        g._db_refused = reason

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Reads in a transaction that ends with the block, before the request writes.

        On SQLite a transaction that began reading cannot always turn into a writing
        one (another writer holds the lock, or has committed since it began); a
        request that must read a lot before it writes (grading a hand-in) reads
        here, and its first write then begins a transaction of its own (BEGIN
        IMMEDIATE, queued for the lock), which holds the lock for the writing
        only. Objects read here stay usable; check them again in the write
        transaction if another request may have changed them meanwhile. A reading
        transaction already begun (a GET's user) is the one the block reads in.
        """
        session = self.session
        token = write_intent.set(False)
        try:
            yield session
        finally:
            write_intent.reset(token)
            session.commit()  # nothing was written: ends the reading transaction

    def _finish(self, response: Response) -> Response:
        """The request's boundary: commit what the view changed, or roll it back."""
        session: Session | None = g.get("_db_session")
        if session is None or not session.in_transaction():
            return response
        refused = g.pop("_db_refused", None)
        if refused is None and response.status_code < 400:
            session.commit()
            return response
        why = refused or f"answered {response.status_code}"
        if write_intent.get():
            log.info("%s %s: rolled back (%s)", request.method, mask(request.path), why)
        session.rollback()
        return response

    def _teardown(self, exc: BaseException | None) -> None:
        session: Session | None = g.pop("_db_session", None)
        if session is not None:
            # Closing rolls back whatever the view did not commit: nothing
            # half-written stays after an error. (An explicit rollback first would
            # also expire every loaded object, a third of a millisecond per page.)
            session.close()


db = Database()
