"""The request's side of the audit log: who is acting, from which network.

Services that change state receive an `Actor` and write their audit entry
themselves (`lms.audit.service.record`); views pass `current_actor()`, commands
`Actor.command()`."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy.orm import Session

from lms.audit.service import Actor, shorten_address
from lms.db import db
from lms.models import User


def request_network() -> str:
    """The sender's network: the shortened address, as in the login history (the full
    address where it cannot be shortened)."""
    return shorten_address(request.remote_addr) or (request.remote_addr or "")


def current_actor(session: Session | None = None) -> Actor:
    """The person of this request and their shortened network address."""
    session = session or db.session
    user = session.get(User, current_user.id) if current_user.is_authenticated else None
    return Actor(user, shorten_address(request.remote_addr))
