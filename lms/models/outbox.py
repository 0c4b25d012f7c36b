"""The outbox: mails (later also webhooks) written in the transaction of the change they
announce, and sent afterwards by `lms mail send` (see `lms.services.outbox`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lms.models.base import Base, utcnow

# A row is due while it is neither sent nor given up; the sender reads these by `send_after`.
PENDING = "sent_at IS NULL AND failed_at IS NULL"


class OutboxMessage(Base):
    """One message to send: `kind` "mail" (a plain-text e-mail to `recipient`) or "webhook"
    (a signed POST to an endpoint, lms/webhooks).

    Committed or rolled back with the change it announces, so a mail never goes out for a
    change that did not happen. The sender tries it once `send_after` has passed; a
    failed try records `last_error`, counts `attempts` and moves `send_after` on (backoff);
    after the last try `failed_at` is set and the row waits on the platform page, where an
    admin can send it again. `company_id` and `user_id` say whose it is (scoping, and
    erasure: a person's unsent mails hold their address and go with them).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_due",
            "send_after",
            sqlite_where=text(PENDING),
            postgresql_where=text(PENDING),
        ),
        Index(
            "ix_outbox_failed",
            "failed_at",
            sqlite_where=text("failed_at IS NOT NULL"),
            postgresql_where=text("failed_at IS NOT NULL"),
        ),
        Index(
            "ix_outbox_sent",
            "sent_at",
            sqlite_where=text("sent_at IS NOT NULL"),
            postgresql_where=text("sent_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="mail")
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(1000))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    # A webhook delivery (kind "webhook", issue 20): `recipient` is the endpoint's
    # address, `subject` the event type, `body` the JSON sent; the endpoint, the
    # event's id (the same on every try, so the receiver can drop repeats) and the
    # receiver's last answer.
    webhook_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str | None] = mapped_column(String(40))
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(String(2000))
    # A score sent back to a learning platform (kind "lti_score", issue 21, lms/lti/grades.py):
    # the platform, so its page lists what was sent and what failed.
    lti_platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True
    )
