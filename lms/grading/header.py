"""The count beside "Zu bewerten" in a trainer's navigation."""

from __future__ import annotations

from flask_login import current_user

from lms.db import db
from lms.models import Role


def to_grade() -> int:
    """How many hand-ins wait for the signed-in trainer (0 for everyone else): one
    indexed count, only on a trainer's pages."""
    user = current_user._get_current_object()
    if not (user and user.is_authenticated and user.has_role(Role.TRAINER)):
        return 0
    from lms.grading.service import waiting_count

    return waiting_count(db.session, user.id)
