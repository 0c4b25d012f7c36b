"""The platform page for admins: version, database and migrations, mail, last reminders,
counts; and a test mail to check the mail settings."""

from __future__ import annotations

import logging
import smtplib

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, select

from lms import __version__, migrate
from lms.admin import bp
from lms.audit_pages import entries_page
from lms.clock import now
from lms.db import db
from lms.mail import send_mail
from lms.models import AuditEntry, Company, Course, InPersonDate, ReminderSent, User

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
            .select_from(InPersonDate)
            .where(InPersonDate.starts_at > now(), InPersonDate.cancelled_at.is_(None))
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
    )


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
    except (OSError, smtplib.SMTPException) as error:
        log.warning("Test mail to %s failed: %s", address, error)
        flash(_("The test mail could not be sent: %(error)s", error=str(error)), "error")
    else:
        flash(_("A test mail is sent to %(email)s.", email=address), "success")
    return redirect(url_for("admin.platform"))


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    """Every audit entry of the platform, newest first."""
    return entries_page(None, "admin.audit_log")
