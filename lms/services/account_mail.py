"""The mails with a single-use link: the password reset and the invitation.

`invite` (and `invite_all`, for an import's newcomers) is the one way an invitation is
made: the link's token and the mail carrying it, together. Each mail goes out in the
person's language (their own, else their company's, else the platform's). It is queued
in the outbox in the caller's session, so it goes out only if the token it carries is
committed with it. The link carries the raw token; it is never logged (see `lms.mail`),
the sender deletes the text once sent (`lms.services.outbox`), and the page it opens
moves it off the address (`auth.routes`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lms.mail import queue_mail
from lms.models import TokenPurpose, User
from lms.services.accounts import issue_tokens

log = logging.getLogger(__name__)


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
    """Queue the mail `template` with `values`, in the person's language; nothing for a
    person without an address (logged: HR prints them a letter or a login card)."""
    if user.email is None:
        log.info("no mail %s: person %s has no address", template, user.id)
        return
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


def invite(session: Session, person: User, now: datetime, lifetime: timedelta) -> str:
    """Invite `person` to set their password: a link valid for `lifetime` (earlier
    invitation links stop working) and the mail carrying it, queued in `session` (sent
    once it is committed). Returns the link's raw token, which is stored only hashed."""
    return invite_all(session, [person], now, lifetime)[person.id]


def invite_all(
    session: Session, people: Sequence[User], now: datetime, lifetime: timedelta
) -> dict[int, str]:
    """`invite` for many people at once (an import's newcomers: their tokens in one
    flush). Returns each person's raw token by id."""
    raws = issue_tokens(session, people, TokenPurpose.INVITE, now, lifetime)
    for person in people:
        _send_link_mail(
            session,
            person,
            now,
            lambda: _("Your invitation to Lernwerk"),
            "auth/mail_invitation.txt",
            link=url_for("auth.accept_invitation", token=raws[person.id], _external=True),
            days=lifetime.days,
        )
    return raws
