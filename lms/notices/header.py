"""The header's link to the notices page with the count of unread ones."""

from __future__ import annotations

import logging

from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from lms.clock import now
from lms.db import db

log = logging.getLogger(__name__)


def unread_notices() -> int | None:
    """The signed-in person's count of unread notices (None when nobody is signed in).
    From the cache unless a notice was posted or read since (lms/notices/service.py)."""
    user = current_user._get_current_object()
    if not (user and user.is_authenticated):
        return None
    from lms.notices.service import unread_count  # the service imports what imports this

    try:
        return unread_count(db.session, user, now())
    except SQLAlchemyError:  # an error page about the database must still show
        log.warning("The count of unread notices could not be read.", exc_info=True)
        return None
