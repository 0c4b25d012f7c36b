"""LTI 1.3 (tool side, issue 21): a company's own Moodle or ILIAS places a Lernwerk
module in one of its courses and launches its people into it.

A platform is registered per company by an admin (`LtiPlatform`). Lernwerk signs with
a key of its own (`LtiToolKey`, the private part sealed by `lms.secret_box`, the public
part published at /lti/jwks). A launch on its way is a one-time `LtiLaunchState`
(state and nonce, server-side, so every worker and instance agrees and a replay is
refused); a framed launch hands the person on to a new window with a one-time
`LtiHandoff`. The platform's people are linked by (platform, `sub`) in `LtiIdentity`,
and each launch that offers the Assignment and Grade Services keeps its line item in
an `LtiGradeLink`, where the result is sent when the module is completed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.models.accounts import User
from lms.models.base import Base, utcnow
from lms.models.content import Course
from lms.models.tenancy import Company


class LtiPlatform(Base):
    """A learning platform (Moodle, ILIAS, Canvas) of a company that launches its people
    into Lernwerk's modules. The platform's issuer and the client ID it gave Lernwerk
    name the registration (one company's only); `deployment_ids` (one per line) are the
    deployments it may launch from. The three addresses are the platform's: where the
    login continues (OIDC authorisation), its OAuth 2.0 token endpoint and its keys."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[str] = mapped_column(Text, default="")
    auth_login_url: Mapped[str] = mapped_column(String(2000))
    token_url: Mapped[str] = mapped_column(String(2000))
    jwks_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship()

    @property
    def deployment_list(self) -> list[str]:
        return [line.strip() for line in self.deployment_ids.splitlines() if line.strip()]


class LtiToolKey(Base):
    """Lernwerk's own RSA key for LTI: signs the client assertion of the grade return's
    token requests. `private_key` is the PEM sealed by `secret_box`; `public_jwk` the
    public part as JWK (JSON), published at /lti/jwks under `kid`."""

    __tablename__ = "lti_tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_jwk: Mapped[str] = mapped_column(Text)
    private_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiLaunchState(Base):
    """A launch on its way: made by the login initiation, used once by the launch.
    The nonce goes into the platform's ID token; the launch refuses a state that is
    unknown, used or expired, and a token whose nonce is not this state's."""

    __tablename__ = "lti_launch_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class LtiHandoff(Base):
    """A launch that arrived inside the platform's frame, where browsers keep no
    cookie: the person opens Lernwerk in a new window with this one-time ticket (its
    SHA-256 digest kept), which signs them in and opens the module."""

    __tablename__ = "lti_handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LtiIdentity(Base):
    """A person of a platform (its `sub`, which never changes) linked to a Lernwerk
    account of the platform's company."""

    __tablename__ = "lti_identities"
    __table_args__ = (UniqueConstraint("platform_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LtiGradeLink(Base):
    """Where a person's result of a module goes back to: the platform's line item
    (Assignment and Grade Services) of the resource link they launched from."""

    __tablename__ = "lti_grade_links"
    __table_args__ = (UniqueConstraint("platform_id", "user_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    lineitem: Mapped[str] = mapped_column(String(2000))
    scopes: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    platform: Mapped[LtiPlatform] = relationship()
    course: Mapped[Course] = relationship()
