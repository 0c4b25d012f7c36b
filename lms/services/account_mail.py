"""The mails with a single-use link: the password reset and the invitation.

Each goes out in the person's language (their own, else their company's, else the
platform's). The mail is queued in the outbox in the caller's session, so it goes out
only if the token it carries is committed with it. The link carries the raw token; it
is never logged (see `lms.mail`), the sender deletes the text once sent
(`lms.services.outbox`), and the page it opens moves it off the address (`auth.routes`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lms.mail import queue_mail
from lms.models import User


def _language(user: User) -> str:
    if user.language:
        return user.language
    if user.company is not None:
        return user.company.default_language
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _send_link_mail(
    session: Session,
    user: User,
    now: datetime,
    subject: Callable[[], str],
    template: str,
    **values: Any,
) -> None:
    """Queue the mail `template` with `values`, in the person's language."""
    with force_locale(_language(user)):
        queue_mail(
            session,
            user.email,
            subject(),
            render_template(template, user=user, **values),
            now=now,
            user_id=user.id,
            company_id=user.company_id,
        )


def send_reset_mail(session: Session, user: User, raw_token: str, now: datetime) -> None:
    """Queue the password-reset mail in `session` (sent once it is committed)."""
    _send_link_mail(
        session,
        user,
        now,
        lambda: _("Reset your Lernwerk password"),
        "auth/mail_reset.txt",
        link=url_for("auth.reset_password", token=raw_token, _external=True),
        hours=current_app.config["RESET_TOKEN_HOURS"],
    )


def send_invitation_mail(session: Session, user: User, raw_token: str, now: datetime) -> None:
    """Queue the invitation mail in `session` (sent once it is committed)."""
    _send_link_mail(
        session,
        user,
        now,
        lambda: _("Your invitation to Lernwerk"),
        "auth/mail_invitation.txt",
        link=url_for("auth.accept_invitation", token=raw_token, _external=True),
        days=current_app.config["INVITE_TOKEN_DAYS"],
    )
