"""Tokens in `lms demo`: Müller Metallbau's API token (read and write) and SCIM token,
with fixed values printed by `lms demo`, so the curl lines of README.md and
docs/integration.md work as they stand. Demo values, like the demo password: a real
install only ever has random ones. Safe to run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.models import ApiToken, Company, TokenKind, TokenScope
from lms.tokens import service

API_TOKEN = "lw_api_demo_Mueller_Metallbau_not_for_production"  # noqa: S105
SCIM_TOKEN = "lw_scim_demo_Mueller_Metallbau_not_for_production"  # noqa: S105


@dataclass(frozen=True)
class TokensDemo:
    company: str
    api_token: str
    scim_token: str


def _token(
    session: Session, company: Company, kind: TokenKind, name: str, value: str, now: datetime
) -> None:
    if session.scalar(select(ApiToken.id).where(ApiToken.token_hash == service.digest(value))):
        return
    expires = now + timedelta(days=365) if kind is TokenKind.API else None  # as the form does
    created = service.create(session, Actor.command(), kind, company, name, now,
                             scope=TokenScope.READ_WRITE, expires_at=expires)  # fmt: skip
    # The demo's fixed value instead of the random one (shown by `lms demo`).
    created.token.token_hash = service.digest(value)
    created.token.prefix = value[: len(service.PREFIXES[kind]) + service.SHOWN_LENGTH]
    session.flush()


def seed_tokens(session: Session, company: Company, now: datetime) -> TokensDemo:
    _token(session, company, TokenKind.API, "Personalsystem (Demo)", API_TOKEN, now)
    _token(session, company, TokenKind.SCIM, "Entra ID (Demo)", SCIM_TOKEN, now)
    return TokensDemo(company.name, API_TOKEN, SCIM_TOKEN)
