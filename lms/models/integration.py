"""The companies' own systems: single sign-on (OpenID Connect), tokens for SCIM and the
REST API, webhooks, and the provider staff's second factor (issue 20).

Secrets Lernwerk must use again (a provider's client secret, a webhook's signing
secret, a TOTP seed) are stored encrypted with the key from the environment
(`lms.secret_box`); secrets only a caller shows (API and SCIM tokens, recovery codes)
are stored as SHA-256 digests, as login cards are.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.accounts import User
from lms.models.base import Base, utcnow
from lms.models.tenancy import Company, Department


class SsoSettings(Base):
    """A company's OpenID Connect provider (Entra ID, Google, Keycloak, …).

    `client_secret` is encrypted (`secret_box`). `required`: the company's people sign in
    only through the provider and have no Lernwerk password. `create_people`: a person
    the provider knows but Lernwerk does not is created as a learner at the first
    sign-in (just in time). `group_claim` names the ID token's claim holding the
    person's groups (mapped by `SsoGroupMapping`); empty: groups are not read.
    """

    __tablename__ = "sso_settings"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False, server_default=false())
    create_people: Mapped[bool] = mapped_column(default=False, server_default=false())
    group_claim: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # Whether signing out of Lernwerk also signs out at the provider (RP-initiated
    # logout), where the provider offers it.
    provider_logout: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship()


class SsoDomain(Base):
    """An e-mail domain a company owns ("mueller-metallbau.de"): an address there is sent
    to the company's provider. A domain belongs to one company only."""

    __tablename__ = "sso_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[str] = mapped_column(String(253), unique=True)  # lower case


class SsoGroupMapping(Base):
    """A group the provider names in the group claim, and what it means in Lernwerk:
    the person's department, and/or the manager role."""

    __tablename__ = "sso_group_mappings"
    __table_args__ = (UniqueConstraint("company_id", "group_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    group_name: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE")
    )
    makes_manager: Mapped[bool] = mapped_column(default=False, server_default=false())

    department: Mapped[Department | None] = relationship()


class SsoIdentity(Base):
    """A person linked to their account at a provider: the issuer and the provider's
    subject identifier (`sub`), which never changes, unlike the address. Linked at the
    first sign-in by the verified address; afterwards matched by `sub` alone."""

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class TokenKind(enum.StrEnum):
    API = "api"  # the REST API (/api/v1/)
    SCIM = "scim"  # SCIM provisioning (/scim/v2/)


class TokenScope(enum.StrEnum):
    READ = "read"
    READ_WRITE = "read_write"


class ApiToken(Base):
    """A bearer token for the REST API or SCIM, created by an admin.

    Shown once when created; stored as the SHA-256 digest of the whole token, with its
    first characters (`prefix`, "lw_api_3F7Q…") to recognise it in lists. `company_id`
    None: a provider token of the REST API, for every company (never for SCIM).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    scope: Mapped[str] = mapped_column(String(12), default=TokenScope.READ.value)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    company: Mapped[Company | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def writes(self) -> bool:
        return self.scope == TokenScope.READ_WRITE.value


class WebhookEndpoint(Base):
    """An HTTPS address of a company's system that is told of events.

    `events`: the event types it wants, space-separated ("completion.recorded
    person.created"). `secret` (encrypted) signs each delivery (HMAC-SHA256 over the
    timestamp and the body). Deliveries are outbox rows of kind "webhook".
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


class RecoveryCode(Base):
    """A one-time code that signs in when the authenticator app is lost (second factor);
    stored as its SHA-256 digest, used once."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
