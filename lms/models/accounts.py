"""People, their roles, and the single-use tokens sent to them by e-mail."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Computed, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.base import Base, utcnow
from lms.models.tenancy import Company, Department


class Role(enum.StrEnum):
    LEARNER = "learner"
    MANAGER = "manager"
    TRAINER = "trainer"
    ADMIN = "admin"


SEARCH_TEXT = (
    "lower(display_name || '\n' || coalesce(email, '') || '\n' || coalesce(personnel_number, ''))"
)


class User(Base):
    """A person who can log in.

    Learners and managers belong to one company; trainers of the training
    provider and admins may have none. `session_version` is part of every
    session and remember-me cookie: raising it logs the user out everywhere.
    """

    __tablename__ = "users"
    # NULLs never collide, so people without a personnel number are not affected. A
    # unique index, not a constraint: SQLite adds an index without rebuilding the table.
    __table_args__ = (
        Index("ix_users_company_personnel_number", "company_id", "personnel_number", unique=True),
        # The people list of a company, sorted by name, a page at a time; on
        # PostgreSQL its search reads `search_text` from the index, not the rows.
        Index(
            "ix_users_company_name",
            "company_id",
            "display_name",
            "id",
            postgresql_include=["search_text"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a learner without an address (issue 19: the shop floor); managers,
    # trainers and admins always have one. NULLs never collide in the unique index.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # The company's own number for the person (HR's key in bulk imports), or a user
    # name the company chose: with the company's sign-in code and a PIN it signs in
    # a person without an e-mail address (lms/pins).
    personnel_number: Mapped[str | None] = mapped_column(String(50))
    language: Mapped[str | None] = mapped_column(String(5))
    is_active: Mapped[bool] = mapped_column(default=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # The PIN of a person who signs in with personnel number and PIN (at least six
    # digits), hashed like a password. `pin_locked_at`: set after too many wrong PINs;
    # only a manager or HR lifts it (by resetting the PIN).
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    pin_set_at: Mapped[datetime | None]
    pin_locked_at: Mapped[datetime | None]
    session_version: Mapped[int] = mapped_column(default=1)
    # The second factor of the provider's staff (issue 20, lms/two_factor): the TOTP seed,
    # encrypted (lms.secret_box); `totp_confirmed_at` once the first code from the app
    # matched (until then it is not asked); `totp_last_step`, the time step of the last
    # code taken, so one code never signs in twice.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    # The person's id in the company's HR or identity system (SCIM's externalId).
    external_id: Mapped[str | None] = mapped_column(String(255))
    # Raised whenever a notice of the person is posted or read: the header's count of
    # unread notices is kept in the cache under it (lms/notices/service.unread_count).
    notices_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the person's own data last changed (name, address, department, active, …):
    # the API's `updated_since` and SCIM's `meta.lastModified` read it. Bulk updates
    # set it too (the column's onupdate).
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None]
    # When the person's data was erased (the row stays as a pseudonymised record).
    erased_at: Mapped[datetime | None]
    # What the people list's search looks in on PostgreSQL: name, address and
    # personnel number in lower case, one per line (a search cannot hold a line
    # break, so no match spans two of them). Stored by the database, since lower()
    # per person and search made the search cost three times as much. On SQLite it
    # is computed when read (migration 0023: SQLite cannot add a stored column to a
    # table) and the search does not use it: its LIKE folds case itself.
    # A later migration that rebuilds `users` on SQLite (batch_alter_table) must drop
    # this column first and add it again afterwards: the copy would write to it.
    search_text: Mapped[str | None] = mapped_column(
        Text, Computed(SEARCH_TEXT, persisted=True), deferred=True
    )

    company: Mapped[Company | None] = relationship(back_populates="users")
    department: Mapped[Department | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    managed_departments: Mapped[list[Department]] = relationship(
        secondary="manager_departments", order_by="Department.name"
    )
    trainer_companies: Mapped[list[Company]] = relationship(
        secondary="trainer_companies", order_by="Company.name"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows)

    @property
    def role_names(self) -> str:
        """The roles as text, for logs: "learner, manager"."""
        return ", ".join(sorted(row.role for row in self.role_rows))

    @property
    def managed_names(self) -> str:
        """The departments a manager is limited to, as text, for logs."""
        return ", ".join(d.name for d in self.managed_departments)

    def has_role(self, role: Role) -> bool:
        return any(row.role == role.value for row in self.role_rows)

    def grant(self, role: Role) -> None:
        if not self.has_role(role):
            self.role_rows.append(UserRole(role=role.value))

    def revoke(self, role: Role) -> None:
        self.role_rows = [row for row in self.role_rows if row.role != role.value]

    # Flask-Login protocol -------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def has_email(self) -> bool:
        return bool(self.email)

    @property
    def sign_in_name(self) -> str:
        """What identifies the person to others: the address, else the personnel number."""
        return self.email or self.personnel_number or ""

    def __repr__(self) -> str:
        return f"<User {self.id} {self.sign_in_name}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="role_rows")


class ManagerDepartment(Base):
    """Limits a manager to some departments; a manager without rows sees the whole company."""

    __tablename__ = "manager_departments"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )


class TrainerCompany(Base):
    """The companies a trainer of the training provider serves."""

    __tablename__ = "trainer_companies"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )


class TokenPurpose(enum.StrEnum):
    RESET = "reset"
    INVITE = "invite"


class AccountToken(Base):
    """A single-use, expiring link token. Only its SHA-256 is stored."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class SignInFailure(Base):
    """A password that did not match, kept a day to throttle the guesser (not the owner).

    `account` is a keyed hash of the e-mail address that was typed (known or not, so
    throttling tells nobody which addresses exist, and a password typed into the
    address field is never stored); `network` is the shortened address, as in the
    login history. `trusted` marks an attempt from a browser the account has signed
    in on before (the device cookie): those have a budget of their own, which a
    guesser elsewhere cannot use up. `kind` is "login", or "password" for the
    current-password check of a signed-in person.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_account_at", "account", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    network: Mapped[str] = mapped_column(String(64), default="")
    trusted: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LoginEvent(Base):
    """A successful login: when, from which network (shortened address), with which browser."""

    __tablename__ = "login_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    network: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
