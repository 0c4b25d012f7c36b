"""Outgoing e-mail: sent by SMTP, printed in development, kept in memory in tests.

Backends (config `MAIL_BACKEND`):
- "smtp": sent through the configured server;
- "console": the whole message printed to the server's output (development: a trial
  install shows its invitations and reset links there; never in production, where
  such a link works like a password);
- "log": recipient and subject logged, never the body;
- "none": nothing sent, a warning logged (production may choose it explicitly; the
  admin's platform page then warns);
- "memory": kept in `app.extensions["mail_outbox"]` (tests).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import click
from flask import Flask, current_app

log = logging.getLogger("lms.mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def outbox(app: Flask) -> list[Mail]:
    box: list[Mail] = app.extensions.setdefault("mail_outbox", [])
    return box


def send_mail(to: str, subject: str, body: str) -> None:
    app = current_app
    mail = Mail(to=to, subject=subject, body=body)
    backend = app.config["MAIL_BACKEND"]
    if backend == "memory":
        outbox(app).append(mail)
    elif backend == "smtp":
        _send_smtp(app, mail)
    elif backend == "console":
        click.echo(
            f"--- E-mail to {mail.to}\nSubject: {mail.subject}\n\n{mail.body}\n---",
            err=True,
        )
    elif backend == "none":
        log.warning("E-mail to %s not sent (LMS_MAIL_BACKEND=none): %s", mail.to, mail.subject)
    else:
        log.info("E-mail to %s: %s (body not logged)", mail.to, mail.subject)


def _send_smtp(app: Flask, mail: Mail) -> None:
    cfg = app.config
    message = EmailMessage()
    message["From"] = cfg["MAIL_SENDER"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if cfg["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], context=context, timeout=30)
    else:
        smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30)
    with smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls(context=context)
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
