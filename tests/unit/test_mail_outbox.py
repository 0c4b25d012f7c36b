"""The outbox: a mail is queued with the change it announces and sent afterwards, over one
SMTP connection per batch, tried again with growing waits, given up, never sent twice."""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from lms.audit.service import Actor
from lms.mail import Mail, Transport, delivered, open_transport, queue_mail
from lms.models import OutboxMessage
from lms.services import outbox
from lms.services.erasure import erase_person
from lms.services.retention import run_retention
from tests.conftest import database_of_its_own, make_test_app, reset_database

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
POSTGRES = os.environ.get("LMS_DATABASE_URL", "").startswith("postgres")


class FakeSMTP:
    """A mail server in place of `smtplib.SMTP`: counts connections, keeps what it takes,
    refuses the addresses in `refuse`, and drops the connection after `drop_after` mails."""

    def __init__(self) -> None:
        self.connections = 0
        self.received: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self.drop_after: int | None = None

    def __call__(self, host: str, port: int, timeout: float | None = None) -> FakeSMTP:
        self.connections += 1
        return self

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def starttls(self, context: object = None) -> None:
        return None

    def login(self, user: str, password: str) -> None:
        return None

    def send_message(self, message: EmailMessage) -> None:
        if self.drop_after is not None and len(self.received) >= self.drop_after:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        if message["To"] in self.refuse:
            raise smtplib.SMTPRecipientsRefused(
                {message["To"]: (550, b"5.1.1 <x>: Recipient address rejected")}
            )
        self.received.append(message)

    @property
    def recipients(self) -> list[str]:
        return [str(message["To"]) for message in self.received]


@pytest.fixture
def smtp(app, db, monkeypatch) -> FakeSMTP:
    server = FakeSMTP()
    monkeypatch.setattr(smtplib, "SMTP", server)
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="mail.example", MAIL_PORT=587)
    return server


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def queue(db, to: str, subject: str = "Einladung", body: str = "https://x/invitation/abc"):
    message = queue_mail(db, to, subject, body, now=NOW)
    db.flush()
    return message


def send(app, db, at: datetime = NOW, **options) -> outbox.SendRun:
    return outbox.send_due(db, at, lambda: open_transport(app), **options)


# --- Queued with the change ------------------------------------------------------------


def test_a_mail_goes_out_only_if_the_change_that_queued_it_is_committed(app, db, mails):
    database = app.extensions["db"]
    with app.app_context():
        undone = database.new_session()
        queue_mail(undone, "zurueck@example.com", "Einladung", "link", now=NOW)
        undone.flush()
        undone.rollback()
        undone.close()
        assert mails == []
        with database.begin() as kept:
            queue_mail(kept, "neu@example.com", "Einladung", "link", now=NOW)
        assert [m.to for m in mails] == ["neu@example.com"]

        run = send(app, db)
    assert (run.claimed, run.sent) == (1, 1)
    assert [m.to for m in delivered(app)] == ["neu@example.com"]


# --- One connection, one outcome per mail ----------------------------------------------


def test_a_batch_goes_over_one_smtp_connection_and_each_mail_is_marked_sent(app, db, smtp):
    messages = [queue(db, f"person{i}@example.com") for i in range(3)]
    run = send(app, db)
    assert smtp.connections == 1
    assert smtp.recipients == [m.recipient for m in messages]
    assert (run.sent, run.failed) == (3, 0)
    assert all(m.sent_at == NOW and m.attempts == 1 for m in messages)
    # The text held the invitation link, which the database keeps only as a hash.
    assert all(m.body == "" for m in messages)
    assert send(app, db, NOW + timedelta(days=1)).claimed == 0


def test_development_keeps_the_text_of_sent_mails(app, db, smtp):
    message = queue(db, "neu@example.com")
    send(app, db, keep_text=True)
    assert message.sent_at == NOW and message.body == "https://x/invitation/abc"


def test_a_refused_recipient_waits_for_the_next_try_and_the_batch_goes_on(app, db, smtp):
    first, refused, last = (queue(db, f"{name}@example.com") for name in ("a", "b", "c"))
    smtp.refuse = {"b@example.com"}
    run = send(app, db)
    assert smtp.connections == 1 and smtp.recipients == ["a@example.com", "c@example.com"]
    assert (run.sent, run.retrying, run.given_up) == (2, 1, 0)
    assert first.sent_at and last.sent_at and refused.sent_at is None
    assert refused.last_error == "550 5.1.1 <x>: Recipient address rejected"
    assert refused.attempts == 1 and refused.send_after == NOW + timedelta(minutes=1)


def test_a_lost_connection_stops_the_batch_and_counts_a_try_for_each_mail_not_sent(app, db, smtp):
    messages = [queue(db, f"person{i}@example.com") for i in range(3)]
    smtp.drop_after = 1
    run = send(app, db)
    assert run.connection_failed and (run.sent, run.retrying) == (1, 2)
    sent, *waiting = messages
    assert sent.sent_at == NOW
    for message in waiting:
        assert message.sent_at is None and message.attempts == 1
        assert message.send_after == NOW + timedelta(minutes=1)
        assert message.last_error.startswith("SMTPServerDisconnected")


def test_a_mail_server_that_cannot_be_reached_fails_the_batch_not_the_sender(app, db):
    app.config.update(
        MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_USE_TLS=False
    )
    messages = [queue(db, f"person{i}@example.com") for i in range(2)]
    run = send(app, db)
    assert run.connection_failed and run.retrying == 2 and run.sent == 0
    assert all("ConnectionRefusedError" in m.last_error for m in messages)


def test_a_mail_is_tried_again_after_growing_waits_then_given_up(app, db, smtp):
    smtp.refuse = {"weg@example.com"}
    message = queue(db, "weg@example.com")
    at, waits = NOW, []
    while message.failed_at is None:
        assert send(app, db, at).claimed == 1
        if message.failed_at is None:
            waits.append(message.send_after - at)
            assert send(app, db, message.send_after - timedelta(seconds=1)).claimed == 0
            at = message.send_after
    assert waits == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
    ]
    assert message.attempts == outbox.TRIES == 6 and message.failed_at == at
    assert message.last_error.startswith("550 ")
    assert send(app, db, at + timedelta(days=30)).claimed == 0  # it waits for an admin
    assert [m.id for m in outbox.given_up(db)] == [message.id]

    outbox.send_again(db, Actor.command(), message, at + timedelta(days=1))
    smtp.refuse = set()
    run = send(app, db, at + timedelta(days=1))
    assert run.sent == 1 and message.failed_at is None and message.attempts == 1


@pytest.mark.parametrize("backend", ["console", "log", "none", "memory"])
def test_every_backend_delivers_through_the_outbox(app, db, backend, capsys, caplog):
    app.config["MAIL_BACKEND"] = backend
    message = queue(db, "neu@example.com", "Ihre Einladung", "https://x/invitation/SECRET")
    with caplog.at_level(logging.DEBUG, logger="lms.mail"):
        run = send(app, db)
    assert run.sent == 1 and message.sent_at == NOW
    printed = capsys.readouterr().err
    assert ("https://x/invitation/SECRET" in printed) == (backend == "console")
    assert "SECRET" not in caplog.text
    if backend in ("log", "none"):
        assert "neu@example.com" in caplog.text and "Ihre Einladung" in caplog.text
    assert [m.to for m in delivered(app)] == (["neu@example.com"] if backend == "memory" else [])


# --- Never twice -----------------------------------------------------------------------


def test_a_claimed_batch_is_left_alone_until_its_lease_ends(app, db):
    message = queue(db, "neu@example.com")
    assert outbox.claim(db, NOW) == [message]  # a sender took it, then died
    assert send(app, db, NOW + outbox.LEASE - timedelta(seconds=1)).claimed == 0
    run = send(app, db, NOW + outbox.LEASE)
    assert run.sent == 1 and message.attempts == 2


@contextmanager
def own_database(tmp_path) -> Iterator:
    """An app on a database of its own, where two senders have a connection each."""
    with database_of_its_own(tmp_path) as url:
        own = make_test_app(tmp_path, DATABASE_URL=url)
        reset_database(own)
        try:
            with own.app_context():
                yield own
        finally:
            own.extensions["db"].engine.dispose()


def test_two_senders_never_send_one_mail_twice(tmp_path):
    with own_database(tmp_path) as app:
        database = app.extensions["db"]
        with database.begin() as session:
            for i in range(3):
                queue_mail(session, f"person{i}@example.com", "Einladung", "link", now=NOW)
        second_runs: list[outbox.SendRun] = []

        class SecondSenderMeanwhile:
            """The first sender's transport: before its first mail leaves, a second
            sender runs on a connection of its own."""

            def send(self, mail: Mail) -> None:
                if not second_runs:
                    with database.begin() as other:
                        second_runs.append(outbox.send_due(other, NOW, lambda: open_transport(app)))
                delivered(app).append(mail)

        @contextmanager
        def first_transport() -> Iterator[Transport]:
            yield SecondSenderMeanwhile()

        with database.begin() as session:
            run = outbox.send_due(session, NOW, first_transport, claimed=session.commit)
        assert run.sent == 3 and second_runs[0].claimed == 0
        assert sorted(m.to for m in delivered(app)) == [f"person{i}@example.com" for i in range(3)]
        with database.begin() as session:
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.sent_at == NOW)
                )
                == 3
            )


@pytest.mark.skipif(not POSTGRES, reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
def test_on_postgresql_locked_rows_are_skipped_and_freed_at_once_when_a_sender_dies(tmp_path):
    with own_database(tmp_path) as app:
        database = app.extensions["db"]
        with database.begin() as session:
            for i in range(2):
                queue_mail(session, f"person{i}@example.com", "Einladung", "link", now=NOW)
        first, second = database.new_session(), database.new_session()
        try:
            assert len(outbox.claim(first, NOW)) == 2  # locked, not committed
            later = NOW + outbox.LEASE * 2  # even past the lease: the lock holds
            assert outbox.send_due(second, later, lambda: open_transport(app)).claimed == 0
            second.rollback()
            first.rollback()  # the first sender dies
            run = outbox.send_due(second, NOW, lambda: open_transport(app))
            second.commit()
        finally:
            first.close()
            second.close()
        assert run.sent == 2 and len(delivered(app)) == 2


# --- The command ----------------------------------------------------------------------


def test_the_command_sends_what_is_due_and_says_how_many(app, db):
    queue(db, "a@example.com")
    queue(db, "b@example.com")
    app.config["CLOCK"] = lambda: NOW
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 e-mails, 0 failed." in result.output
    assert sorted(m.to for m in delivered(app)) == ["a@example.com", "b@example.com"]


def test_the_command_exits_with_1_when_mails_fail(app, db):
    queue(db, "a@example.com")
    app.config.update(
        CLOCK=lambda: NOW,
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=closed_port(),
        MAIL_USE_TLS=False,
    )
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "Sent 0 e-mails, 1 failed." in result.output
    assert "ConnectionRefusedError" in result.output


def test_serve_with_mailer_sends_in_a_process_beside_the_server(tmp_path, monkeypatch):
    """`lms serve --with-mailer` starts this process; it sends and stops with the server."""
    from lms.mail_cli import start_mailer, stop_mailer

    with own_database(tmp_path) as app:
        database = app.extensions["db"]
        with database.begin() as session:
            message = queue_mail(
                session, "neu@example.com", "Einladung", "link", now=datetime.now(UTC)
            )
        monkeypatch.setenv("LMS_ENV", "development")
        monkeypatch.setenv("LMS_DATABASE_URL", str(database.engine.url.render_as_string(False)))
        monkeypatch.setenv("LMS_MAIL_BACKEND", "log")
        monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "mailer"))
        mailer = start_mailer(interval=1)
        try:
            sent = None
            for _ in range(600):  # until it has sent (a minute at most)
                with database.begin() as session:
                    sent = session.get(OutboxMessage, message.id).sent_at
                if sent is not None or mailer.poll() is not None:
                    break
                time.sleep(0.1)
        finally:
            stop_mailer(mailer)
        assert sent is not None
        assert mailer.returncode == 0  # stopped by the server, not crashed


# --- Erasure and retention --------------------------------------------------------------


def test_erasing_a_person_deletes_their_mails_and_keeps_the_others(db, world):
    person, other = world.a.employees[:2]
    for state in ("waiting", "given up", "sent"):
        message = queue_mail(db, person.email, state, "Hallo", now=NOW, user_id=person.id)
        message.failed_at = NOW if state == "given up" else None
        message.sent_at = NOW if state == "sent" else None
    queue_mail(db, person.email, "ohne Konto", "Hallo", now=NOW)  # to the address only
    kept = queue_mail(db, other.email, "Einladung", "Hallo", now=NOW, user_id=other.id)
    db.flush()
    erase_person(db, person, NOW)
    assert db.scalars(select(OutboxMessage)).all() == [kept]


def test_retention_prunes_mails_sent_more_than_a_week_ago(db):
    old, recent, waiting, given_up = (queue(db, f"{n}@example.com") for n in "abcd")
    old.sent_at = NOW - timedelta(days=8)
    recent.sent_at = NOW - timedelta(days=6)
    given_up.failed_at = NOW - timedelta(days=60)
    db.flush()
    result = run_retention(db, NOW, log_days=1095, dry_run=False)
    assert result.mails_pruned == 1
    assert set(db.scalars(select(OutboxMessage))) == {recent, waiting, given_up}
