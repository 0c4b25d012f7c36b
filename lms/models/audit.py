"""The audit log: who changed what, when, from which network. Never edited by the app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, utcnow


class AuditEntry(Base):
    """One change: `action` (e.g. "person.deactivate") on a subject, by an actor, with the
    fields before → after. The actor's and subject's names are copied, so an entry still
    reads right after they are renamed or erased."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_company_at", "company_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for changes of the platform itself (e.g. before a company exists).
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    subject: Mapped[str] = mapped_column(String(300), default="")
    # {field: [before, after]} for changes; {} for actions without fields.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The network (/24 or /48), not the device.
    address: Mapped[str] = mapped_column(String(64), default="")
