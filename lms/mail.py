"""Outgoing e-mail: written to the log by default, sent by SMTP when configured.

Backends (config `MAIL_BACKEND`): "log" (default), "smtp", and "memory" for
tests, which keeps messages in `app.extensions["mail_outbox"]`.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

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
    else:
        log.info("E-mail to %s\nSubject: %s\n\n%s", mail.to, mail.subject, mail.body)


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
