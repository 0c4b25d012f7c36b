"""Outgoing e-mail: written into the outbox with the change it announces, sent afterwards.

`queue_mail` adds a row to the `outbox` table in the caller's session. It is committed or
rolled back with the change it announces, so no mail goes out for a change that did not
happen, and no request waits for a mail server. The sender (`lms.services.outbox`, run
by `lms mail send` or `lms serve --with-mailer`) delivers what is due through the
transport of the configured backend (config `MAIL_BACKEND`):
- "smtp": sent through the configured server, one connection per batch;
- "console": the whole message printed to the sender's output (development: a trial
  install shows its invitations and reset links there; never in production, where
  such a link works like a password);
- "log": recipient and subject logged, never the body;
- "none": nothing sent, a warning logged (production may choose it explicitly; the
  admin's platform page then warns);
- "memory": kept in `app.extensions["mail_delivered"]` (tests: `delivered(app)`).

`send_mail` sends one mail at once, past the outbox: only the platform page's test mail
uses it, whose point is to tell the admin at once whether the settings work.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

import click
from flask import Flask, current_app
from sqlalchemy.orm import Session

from lms.models import OutboxMessage

log = logging.getLogger("lms.mail")

# How long smtplib waits for the server, per connection and per answer.
SMTP_TIMEOUT_S = 30


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class MailRefused(Exception):
    """The server refused this one mail (its recipient, sender or content); the
    connection stays usable for the others."""


class Transport(Protocol):
    def send(self, mail: Mail) -> None:
        """Deliver `mail`; raise `MailRefused` for this mail alone, `OSError` when the
        connection is lost (smtplib's errors are OSErrors)."""


def delivered(app: Flask) -> list[Mail]:
    """The mails the "memory" backend delivered (tests)."""
    box: list[Mail] = app.extensions.setdefault("mail_delivered", [])
    return box


def queue_mail(
    session: Session,
    to: str,
    subject: str,
    body: str,
    *,
    now: datetime,
    user_id: int | None = None,
    company_id: int | None = None,
) -> OutboxMessage:
    """Write a mail into the outbox, in `session`: it goes out once that is committed.

    `user_id` and `company_id` say whose mail it is (erasure deletes a person's mails).
    """
    message = OutboxMessage(
        kind="mail",
        recipient=to,
        subject=subject,
        body=body,
        user_id=user_id,
        company_id=company_id,
        created_at=now,
        send_after=now,
        attempts=0,
    )
    session.add(message)
    return message


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one mail now, past the outbox (the platform page's test mail only)."""
    with open_transport(current_app) as transport:
        transport.send(Mail(to=to, subject=subject, body=body))


@contextmanager
def open_transport(app: Flask) -> Iterator[Transport]:
    """The configured backend's transport; for "smtp" one open connection, closed after.

    Raises `OSError` if the server cannot be reached or refuses the login.
    """
    backend = app.config["MAIL_BACKEND"]
    if backend == "smtp":
        with _smtp_connection(app) as smtp:
            yield _SMTPTransport(smtp, app.config["MAIL_SENDER"])
    elif backend == "memory":
        yield _MemoryTransport(delivered(app))
    elif backend == "console":
        yield _ConsoleTransport()
    elif backend == "none":
        yield _NoTransport()
    else:
        yield _LogTransport()


@contextmanager
def _smtp_connection(app: Flask) -> Iterator[smtplib.SMTP]:
    cfg = app.config
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if cfg["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(
            cfg["MAIL_SERVER"], cfg["MAIL_PORT"], context=context, timeout=SMTP_TIMEOUT_S
        )
    else:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=SMTP_TIMEOUT_S)
    with smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls(context=context)
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        yield smtp


class _SMTPTransport:
    def __init__(self, smtp: smtplib.SMTP, sender: str) -> None:
        self._smtp = smtp
        self._sender = sender

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        try:
            message["From"] = self._sender
            message["To"] = mail.to
            message["Subject"] = mail.subject
        except ValueError as exc:  # e.g. a line break in a header
            raise MailRefused(f"invalid header: {exc}") from exc
        message.set_content(mail.body)
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailRefused(
                "; ".join(_answer(code, text) for code, text in exc.recipients.values())
            ) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            # smtplib has reset the transaction: the connection serves the next mail.
            raise MailRefused(_answer(exc.smtp_code, exc.smtp_error)) from exc


def _answer(code: int, text: bytes | str) -> str:
    """A server's answer as one line, e.g. "550 5.1.1 mailbox unavailable"."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {' '.join(text.split())}"


class _MemoryTransport:
    def __init__(self, box: list[Mail]) -> None:
        self._box = box

    def send(self, mail: Mail) -> None:
        self._box.append(mail)


class _ConsoleTransport:
    def send(self, mail: Mail) -> None:
        click.echo(
            f"--- E-mail to {mail.to}\nSubject: {mail.subject}\n\n{mail.body}\n---", err=True
        )


class _NoTransport:
    def send(self, mail: Mail) -> None:
        log.warning("E-mail to %s not sent (LMS_MAIL_BACKEND=none): %s", mail.to, mail.subject)


class _LogTransport:
    def send(self, mail: Mail) -> None:
        log.info("E-mail to %s: %s (body not logged)", mail.to, mail.subject)
