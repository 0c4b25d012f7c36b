"""The mails about bookings: moved up from the waiting list, approved, declined, a session
moved or cancelled, and the manager's request to approve. Queued in the outbox in the
transaction of the change (`queue_notices`), sent by the outbox's sender."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from flask import render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.in_person.booking import Notice, SessionTitle, titles
from lms.mail import queue_mail
from lms.models import Booking, Company, Role, User, UserRole
from lms.notices import service as in_app
from lms.services.reminders import mail_language

log = logging.getLogger(__name__)

SUBJECTS = {
    "promoted": lambda: _("Lernwerk: you have a seat now"),
    "approved": lambda: _("Lernwerk: your booking is approved"),
    "declined": lambda: _("Lernwerk: your booking was not approved"),
    "session-changed": lambda: _("Lernwerk: your in-person session has changed"),
    "session-cancelled": lambda: _("Lernwerk: your in-person session is cancelled"),
    "approval-needed": lambda: _("Lernwerk: a booking awaits your approval"),
}


def supervisors(session: Session, user: User) -> list[User]:
    """The managers who see `user`: of their department, and those of the whole company;
    never `user` themselves (nobody approves their own booking)."""
    managers = session.scalars(
        select(User)
        .where(
            User.company_id == user.company_id,
            User.is_active.is_(True),
            User.role_rows.any(UserRole.role == Role.MANAGER.value),
        )
        .options(selectinload(User.managed_departments))
        .order_by(User.id)
    )
    return [
        manager
        for manager in managers
        if manager.id != user.id
        and (
            not manager.managed_departments
            or any(d.id == user.department_id for d in manager.managed_departments)
        )
    ]


def link(kind: str, booking: Booking) -> str:
    """Where a mail points: the manager's approvals, else the learner's own bookings."""
    if kind == "approval-needed":
        return url_for("manage.bookings", _external=True)
    return url_for("learn.sessions", _external=True)


def queue_notices(session: Session, notices: Sequence[Notice], now: datetime) -> int:
    """Write one mail per notice into the outbox in `session` (needs a request context),
    each in its recipient's language; they go out once the change is committed.
    Returns the number of mails queued."""
    sent = 0
    named: dict[tuple[int, str], SessionTitle] = {}  # (session id, language) -> title
    for notice in notices:
        booking = session.get(Booking, notice.booking_id)
        if booking is None:
            continue
        person = booking.user
        in_app.post_for_booking(session, notice.kind, booking, now)
        company = session.get(Company, person.company_id)
        company_language = company.default_language if company else None
        recipients = supervisors(session, person) if notice.kind == "approval-needed" else [person]
        for recipient in recipients:
            if recipient.email is None:
                # No address (a learner of the shop floor): the notice in the app, where
                # the change has one (above), tells them; the rest is only logged.
                log.info("no mail about booking %s: person %s has no address",
                         booking.id, recipient.id)  # fmt: skip
                continue
            language = mail_language(recipient.language, company_language)
            with force_locale(language):
                key = (booking.session_id, language)
                if key not in named:
                    named[key] = titles(session, [booking.in_person], language)[booking.session_id]
                title = named[key]
                body = render_template(
                    "mail/booking.txt",
                    kind=notice.kind,
                    recipient=recipient,
                    person=person,
                    booking=booking,
                    in_person=booking.in_person,
                    title=title,
                    link=link(notice.kind, booking),
                )
                queue_mail(
                    session,
                    recipient.email,
                    SUBJECTS[notice.kind](),
                    body,
                    now=now,
                    user_id=recipient.id,
                    company_id=recipient.company_id,
                )
            sent += 1
    return sent
