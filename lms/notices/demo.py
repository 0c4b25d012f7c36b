"""A little of the notices for `lms demo`: for the tour's accounts, a manager's reminder
of each overdue module (as if sent yesterday), and their oldest notice read, so the
notices page shows read and unread ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.clock import today
from lms.models import Assignment, Notice, Role, User, UserRole
from lms.notices import service


def seed_notices(session: Session, accounts: list[str], now: datetime) -> int:
    """Once; `accounts` are e-mail addresses. Returns the notices posted."""
    if session.scalar(select(Notice.id).where(Notice.kind == service.REMINDER).limit(1)):
        return 0
    # The learners among them (a manager reminding themselves would read oddly).
    people = list(
        session.scalars(
            select(User).where(
                User.email.in_(accounts),
                ~User.role_rows.any(UserRole.role == Role.MANAGER.value),
            )
        )
    )
    overdue = session.execute(
        select(Assignment, User)
        .join(User, User.id == Assignment.user_id)
        .where(
            Assignment.user_id.in_([p.id for p in people]),
            Assignment.ended_at.is_(None),
            Assignment.due_on < today(now),
        )
        .order_by(Assignment.id)
    ).all()
    yesterday = now - timedelta(days=1)
    for user in people:
        first = session.scalar(
            select(Notice.id)
            .where(Notice.user_id == user.id, Notice.created_at >= service.kept_since(now))
            .order_by(Notice.id)
            .limit(1)
        )
        if first is not None:
            service.mark_read(session, user, first, yesterday)
    posted = service.post_many(
        session,
        [
            (
                user,
                service.REMINDER,
                {
                    "course_id": assignment.course_id,
                    "slug": assignment.course.slug,
                    "due_on": assignment.due_on.isoformat(),
                },
            )
            for assignment, user in overdue
        ],
        yesterday,
    )
    session.flush()
    return posted
