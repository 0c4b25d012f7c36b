"""Companies (the tenants) and their departments."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Base, utcnow

if TYPE_CHECKING:
    from lms.models.accounts import User


# The letters of a company's sign-in code: none that a tired eye mixes up on a tablet
# (no 0/O, 1/I/L, 5/S, 8/B). Six of them make some 390 million codes.
SIGN_IN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXYZ234679"


def new_sign_in_code() -> str:
    """A random sign-in code (`companies.create_company` makes sure no other company has it)."""
    return "".join(secrets.choice(SIGN_IN_CODE_ALPHABET) for _ in range(6))


class Company(Base):
    """A customer company. Every company-owned row carries its `company_id`."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(60), unique=True)
    default_language: Mapped[str] = mapped_column(String(5), default="de")
    is_active: Mapped[bool] = mapped_column(default=True)
    # "status": managers see done or not and dates (the default, §87 BetrVG);
    # "results": also scores and attempts, after a works agreement.
    privacy_level: Mapped[str] = mapped_column(
        String(20), default="status", server_default="status"
    )
    # A recertification becomes due this many days before a certificate expires.
    recertification_lead_days: Mapped[int] = mapped_column(default=30, server_default="30")
    # Whether learners may enrol themselves in the courses open to the company
    # (off: they take what is assigned to them).
    self_enrolment: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Whether an employee's own booking of an in-person session waits for a manager's approval.
    booking_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Accounts without a login for this many months are erased by `lms retention`
    # (None: kept until erased by hand).
    retention_months: Mapped[int | None]
    # Whether the company's managers add, edit and deactivate their own people (only
    # the learner and manager roles, only in their departments where so limited).
    managers_manage_people: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Which reminders `lms reminders` sends the company's people, and when (set by its
    # managers and by admins; lms/notices/settings.py). The defaults are what it always did.
    remind_due_soon: Mapped[bool] = mapped_column(default=True, server_default=true())
    remind_due_soon_days: Mapped[int] = mapped_column(default=7, server_default="7")
    remind_overdue: Mapped[bool] = mapped_column(default=True, server_default=true())
    remind_expiry: Mapped[bool] = mapped_column(default=True, server_default=true())
    remind_digest: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Raised whenever assignments, completions, enrolments or people of the company
    # change: cached figures of the team overview are valid for one revision.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The company's own look (lms/company_look): an accent colour "#rrggbb" for its
    # people's header bar, buttons and links (at least 4.5:1 against white), and the
    # digest of its logo (`CompanyLogo`), which versions the logo's address. None:
    # Lernwerk's own look.
    accent_color: Mapped[str | None] = mapped_column(String(7))
    logo_digest: Mapped[str | None] = mapped_column(String(16))
    # The short code people without an e-mail address type before their personnel
    # number and PIN ("MMB4K7"; upper case, unique; lms/pins). Given to every company.
    sign_in_code: Mapped[str | None] = mapped_column(
        String(12), unique=True, default=new_sign_in_code
    )
    # Whether a PIN signs in only on the company's shared devices (lms/shared_devices).
    pin_only_on_shared_devices: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )

    departments: Mapped[list[Department]] = relationship(
        back_populates="company", order_by="Department.name"
    )
    users: Mapped[list[User]] = relationship(back_populates="company")

    def __repr__(self) -> str:
        return f"<Company {self.short_name}>"


class CompanyLogo(Base):
    """A company's logo as uploaded (PNG, JPEG or WebP, checked by
    `company_look.service.check_logo`), shown in its people's header and on their
    certificates."""

    __tablename__ = "company_logos"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    media_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    # SCIM's Group (issue 20): the group's id in the identity system, and when the
    # department last changed (its ETag and `meta.lastModified`).
    external_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship(back_populates="departments")

    def __repr__(self) -> str:
        return f"<Department {self.name}>"
