"""Signing in on the shop floor: login cards, their uses, and shared devices (issue 19)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.accounts import User
from lms.models.base import Base, utcnow


class CardKind(enum.StrEnum):
    # A plastic or paper card kept by the person: signs in again and again.
    CARD = "card"
    # A paper invitation letter: signs in once, to choose a PIN, within its weeks.
    LETTER = "letter"


class LoginCard(Base):
    """A printed login card or invitation letter of one person.

    It carries a long random secret in its QR code and a short code to type; only
    their SHA-256 digests are stored, and never the PIN. Printing a new card of the
    same kind revokes the old one; `revoked_reason` says why a card stopped working
    ("reprinted", "lost", "left", "used").
    """

    __tablename__ = "login_cards"
    __table_args__ = (Index("ix_login_cards_user_kind", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    printed_at: Mapped[datetime] = mapped_column(default=utcnow)
    printed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_reason: Mapped[str | None] = mapped_column(String(20))
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class LoginCardUse(Base):
    """One use of a login card, allowed or refused, kept with the card."""

    __tablename__ = "login_card_uses"
    __table_args__ = (Index("ix_login_card_uses_card_at", "card_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("login_cards.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # "signed_in", "pin_asked" (on a personal device), "revoked", "expired"
    outcome: Mapped[str] = mapped_column(String(20))
    network: Mapped[str] = mapped_column(String(64), default="")
    shared_device_id: Mapped[int | None] = mapped_column(
        ForeignKey("shared_devices.id", ondelete="SET NULL")
    )


class SharedDevice(Base):
    """A browser a manager marked as a shared device of the company (kiosk mode).

    The browser keeps a signed cookie naming the device and its secret; only the
    secret's SHA-256 is stored. Revoking the device ends kiosk mode there at the next
    request.
    """

    __tablename__ = "shared_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
