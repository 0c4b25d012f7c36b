"""Learning records: events kept as xAPI statements until a Learning Record Store has them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, utcnow


class LearningRecord(Base):
    """One event (lesson experienced, question answered, quiz passed/failed, course completed).

    `id` is the xAPI statement id (a UUID), fixed at creation, so a Learning Record
    Store can recognise a statement it already has. `sent_at` is set once an LRS
    has accepted it.
    """

    __tablename__ = "learning_records"
    __table_args__ = (Index("ix_learning_records_unsent", "sent_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # experienced, answered, passed, failed, completed; a package's statement: its verb's
    # last part (initialized, terminated, …)
    verb: Mapped[str] = mapped_column(String(20))
    course: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    unit: Mapped[str | None] = mapped_column(String(100))
    question: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A statement a cmi5 package sent (as it came, checked): forwarded as it is.
    statement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
