"""Writing audit entries from views: the actor, the clock and the address come from the
request (the services stay free of it)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from sqlalchemy.orm import Session

from lms.clock import now
from lms.db import db
from lms.models import AuditEntry, User
from lms.services.accounts import shorten_address
from lms.services.audit import record_change


def log_change(
    action: str,
    company_id: int | None,
    *,
    subject: str = "",
    subject_id: int | None = None,
    changes: dict[str, Any] | None = None,
    session: Session | None = None,
) -> AuditEntry:
    """Record a change in the request's session, or in `session`: a reading page
    passes the one of `db.writing()` (the log is then its only write)."""
    session = session or db.session
    actor = session.get(User, current_user.id) if current_user.is_authenticated else None
    return record_change(
        session,
        actor,
        company_id,
        action,
        now(),
        subject=subject,
        subject_id=subject_id,
        changes=changes,
        address=shorten_address(request.remote_addr),
    )


def record_run(session: Session, action: str, changes: dict[str, Any]) -> AuditEntry:
    """An entry for a command's run (no actor, no address), e.g. "retention.run"."""
    return record_change(session, None, None, action, now(), changes=changes)
