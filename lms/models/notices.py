"""Notices: what the app tells a person on their notices page and in the header's count."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, utcnow


class Notice(Base):
    """One notice to one person: a new assignment, a due date coming up, a booking
    confirmed or moved up from the waiting list, a proof confirmed or rejected, a
    manager's reminder.

    It keeps the facts (`kind` and `params`: ids, dates, a proof's title), never a
    sentence: the page words each kind in the reader's language when it is shown.
    Kept 90 days (`lms retention`).
    """

    __tablename__ = "notices"
    __table_args__ = (
        # The notices page: a person's notices, newest first.
        Index("ix_notices_user_created", "user_id", "created_at"),
        # The header's count: a person's unread notices.
        Index(
            "ix_notices_unread",
            "user_id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # assigned, due-soon, overdue, expiring, expired, refresher, reminder,
    # booking-confirmed, booking-promoted, proof-confirmed, proof-rejected, graded
    # (lms/notices/service.KINDS)
    kind: Mapped[str] = mapped_column(String(30))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
