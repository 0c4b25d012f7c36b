"""The request's side of the audit log: who is acting, from which network.

Services that change state receive an `Actor` and write their audit entry
themselves (`services.audit.record`); views pass `current_actor()`."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from sqlalchemy.orm import Session

from lms.audit.service import Actor, record_change
from lms.clock import now
from lms.db import db
from lms.models import AuditEntry, User
from lms.services.accounts import shorten_address


def current_actor(session: Session | None = None) -> Actor:
    """The person of this request and their shortened network address."""
    session = session or db.session
    user = session.get(User, current_user.id) if current_user.is_authenticated else None
    return Actor(user, shorten_address(request.remote_addr))


def record_run(session: Session, action: str, changes: dict[str, Any]) -> AuditEntry:
    """An entry for a command's run (no actor, no address), e.g. "retention.run"."""
    return record_change(session, None, None, action, now(), changes=changes)
