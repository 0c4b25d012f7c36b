"""The platform page for admins: version, database and migrations, mail, last reminders,
counts; the mails that wait and those given up (with "Send again"); a test mail to check
the mail settings; and in development the outbox with whole mails (`/admin/outbox`)."""

from __future__ import annotations

import logging
import smtplib

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, select

from lms import __version__, migrate
from lms.admin import bp
from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.mail import MailRefused, send_mail
from lms.models import (
    AuditEntry,
    Company,
    Course,
    InPersonSession,
    OutboxMessage,
    ReminderSent,
    User,
)
from lms.services import outbox

log = logging.getLogger("lms.admin")


def _count(query: Select[int]) -> int:
    return db.session.scalar(query) or 0


@bp.get("/platform")
def platform() -> ResponseReturnValue:
    config = current_app.config
    current, head = migrate.current_revision(current_app), migrate.head_revision(current_app)
    counts = {
        "companies": _count(select(func.count()).select_from(Company)),
        "suspended": _count(
            select(func.count()).select_from(Company).where(Company.is_active.is_(False))
        ),
        "people": _count(select(func.count()).select_from(User)),
        "active": _count(select(func.count()).select_from(User).where(User.is_active.is_(True))),
        "courses": _count(select(func.count()).select_from(Course)),
        "sessions": _count(
            select(func.count())
            .select_from(InPersonSession)
            .where(InPersonSession.starts_at > now(), InPersonSession.cancelled_at.is_(None))
        ),
    }
    return render_template(
        "admin/platform.html",
        version=__version__,
        database=db.dialect,
        current=current,
        head=head,
        mail_backend=config["MAIL_BACKEND"],
        mail_server=config["MAIL_SERVER"] if config["MAIL_BACKEND"] == "smtp" else None,
        mail_sender=config["MAIL_SENDER"],
        last_reminder=db.session.scalar(select(func.max(ReminderSent.sent_at))),
        last_retention=db.session.scalar(
            select(func.max(AuditEntry.at)).where(AuditEntry.action == "retention.run")
        ),
        counts=counts,
        mails_waiting=outbox.waiting_count(db.session),
        given_up_count=outbox.given_up_count(db.session),
        mails_given_up=outbox.given_up(db.session),
        outbox_page=_outbox_page_shown(),
    )


@bp.post("/platform/mails/<int:message_id>/send-again")
def send_mail_again(message_id: int) -> ResponseReturnValue:
    """Make a given-up mail due again, with all its tries."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.failed_at is None or message.kind != outbox.MAIL:
        abort(404)  # a webhook is sent again on its endpoint's page
    outbox.send_again(db.session, current_actor(), message, now())
    flash(_("The mail to %(email)s is sent again shortly.", email=message.recipient), "success")
    return redirect(url_for("admin.platform", _anchor="mails-given-up"))


def _outbox_page_shown() -> bool:
    """The outbox with whole mails (their links work like passwords): development only."""
    return bool(current_app.config["ENV_NAME"] == "development")


@bp.get("/outbox")
def outbox_page() -> ResponseReturnValue:
    """The newest mails with their whole text, so a trial install's invitation and reset
    links are at hand whatever the mail settings (development only)."""
    if not _outbox_page_shown():
        abort(404)
    return render_template("admin/outbox.html", messages=outbox.latest(db.session))


@bp.post("/platform/test-mail")
def test_mail() -> ResponseReturnValue:
    """A mail to the admin's own address, to check the mail settings."""
    address = current_user.email
    try:
        send_mail(
            address,
            _("Lernwerk: test mail"),
            _("This is a test mail from Lernwerk. If you read it, mail works."),
        )
    except (OSError, smtplib.SMTPException, MailRefused) as error:
        log.warning("Test mail to %s failed: %s", address, error)
        flash(_("The test mail could not be sent: %(error)s", error=str(error)), "error")
    else:
        flash(_("A test mail is sent to %(email)s.", email=address), "success")
    return redirect(url_for("admin.platform"))
