"""Creating, finding and revoking the bearer tokens of the REST API and SCIM.

A token reads "lw_api_" or "lw_scim_" followed by 40 random characters (about 238
bits). Only its SHA-256 digest is stored, with its first characters as `prefix` to
recognise it in lists; the whole token exists once, on the page that created it.
A token belongs to one company (or, for the REST API only, to the provider: every
company); every request made with it is scoped to that company by the caller.

`authenticate` reads the Authorization header, finds the token by its digest (one
indexed lookup, no comparison of secrets in Python) and refuses expired and revoked
ones. `last_used_at` is written at most once a minute per token, so a busy
integration does not write on every read.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import ApiToken, Company, TokenKind, TokenScope

PREFIXES = {TokenKind.API: "lw_api_", TokenKind.SCIM: "lw_scim_"}
RANDOM_LENGTH = 40
# The characters of the prefix shown in lists: "lw_api_3F7Qk9".
SHOWN_LENGTH = 6
NAME_LENGTH = 120
# How stale `last_used_at` may be before a use writes it again.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    """A token just created: the only moment its whole value exists."""

    token: ApiToken
    value: str


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def create(
    session: Session,
    actor: Actor,
    kind: TokenKind,
    company: Company | None,
    name: str,
    now: datetime,
    *,
    scope: TokenScope = TokenScope.READ,
    expires_at: datetime | None = None,
) -> CreatedToken:
    """Create a token of `company` (None: a provider token, REST API only).

    SCIM tokens always read and write (provisioning is writing). Audited; the audit
    entry names the token's prefix, never its value. Flushes; the caller commits.
    """
    if company is None and kind is not TokenKind.API:
        raise ValueError("Only API tokens may belong to the provider.")
    if kind is TokenKind.SCIM:
        scope = TokenScope.READ_WRITE
    value = PREFIXES[kind] + secrets.token_urlsafe(30)[:RANDOM_LENGTH]
    token = ApiToken(
        kind=kind.value,
        company_id=company.id if company is not None else None,
        name=name.strip()[:NAME_LENGTH],
        scope=scope.value,
        token_hash=digest(value),
        prefix=value[: len(PREFIXES[kind]) + SHOWN_LENGTH],
        created_at=now,
        created_by_id=actor.user_id,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session, actor, f"{kind.value}_token.create", token.company_id, now,
        subject=f"{token.name} ({token.prefix}…)", subject_id=token.id,
        changes={"scope": [None, token.scope],
                 "expires_at": [None, expires_at.isoformat() if expires_at else None]},
    )  # fmt: skip
    return CreatedToken(token=token, value=value)


def revoke(session: Session, actor: Actor, token: ApiToken, now: datetime) -> None:
    """Stop a token at once (its next request answers 401). Audited."""
    if token.revoked_at is not None:
        return
    token.revoked_at = now
    token.revoked_by_id = actor.user_id
    session.flush()
    audit.record(session, actor, f"{token.kind}_token.revoke", token.company_id, now,
                 subject=f"{token.name} ({token.prefix}…)", subject_id=token.id)  # fmt: skip


def bearer_value(authorization: str | None) -> str:
    """The token of an "Authorization: Bearer …" header, or ""."""
    if not authorization:
        return ""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return value.strip()


def authenticate(
    session: Session, kind: TokenKind, authorization: str | None, now: datetime
) -> ApiToken | None:
    """The valid token of `kind` named by the Authorization header, else None (unknown,
    revoked, expired, of the other kind, or of a suspended company)."""
    value = bearer_value(authorization)
    if not value.startswith(PREFIXES[kind]) or len(value) > 200:
        return None
    token = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == digest(value), ApiToken.kind == kind.value)
    ).one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.company is not None and not token.company.is_active:
        return None
    return token


def touch(session: Session, token: ApiToken, now: datetime) -> bool:
    """Note the token's use if its last noted use is older than `TOUCH_EVERY` (a
    conditional UPDATE: of several requests at once, one writes). True if written."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return False
    result = session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token.id,
            (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def actor_for(token: ApiToken, address: str = "") -> Actor:
    """The audit log's actor for a request made with `token`."""
    label = {TokenKind.API.value: "API", TokenKind.SCIM.value: "SCIM"}[token.kind]
    return Actor(None, address, label=f"{label}: {token.name}")


def tokens_of(session: Session, kind: TokenKind, company_id: int | None) -> Sequence[ApiToken]:
    """A company's tokens of `kind` (company_id None: the provider's), newest first,
    revoked ones included (the list shows them struck through)."""
    condition = (
        ApiToken.company_id.is_(None) if company_id is None else ApiToken.company_id == company_id
    )
    return session.scalars(
        select(ApiToken)
        .where(ApiToken.kind == kind.value, condition)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
