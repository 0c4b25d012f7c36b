"""Login cards and invitation letters: printing (issuing) them, revoking them, finding
the card behind a scanned secret or a typed short code, and logging every use.

A card holds two random values: a long secret in its QR code (the address
/k/<secret>) and a short code to type ("K7QM-3XPA-W9RT", about 59 bits). Only their
SHA-256 digests are stored, so a copy of the database opens no account; the PIN is
never on a card. Issuing a new card of a kind revokes the person's earlier one of
that kind ("reprinted"); a letter works once ("used") and for 30 days.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import User
from lms.models.shop_floor import CardKind, LoginCard, LoginCardUse
from lms.pins.service import may_use_pin

# No 0/O, 1/I/L: the code is read from paper and typed on a tablet (as certificates').
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
LETTER_LIFETIME = timedelta(days=30)
# Why a manager revokes a card: lost, or its holder left the company.
REVOKE_REASONS = ("lost", "left")
SUBJECT_LENGTH = 300  # what an audit entry's subject holds


class Outcome:
    """What became of one use of a card (`LoginCardUse.outcome`)."""

    SIGNED_IN = "signed_in"
    PIN_ASKED = "pin_asked"  # on a personal device: the PIN is asked next
    REVOKED = "revoked"
    EXPIRED = "expired"
    INACTIVE = "inactive"  # its holder is deactivated, erased, or the company suspended
    SHARED_ONLY = "shared_only"  # the company allows cards on its shared devices only


@dataclass(frozen=True)
class IssuedCard:
    """A card just issued: what is printed on it (the only time the secrets exist)."""

    person: User
    card: LoginCard
    secret: str  # in the QR code's address
    code: str  # as printed, in groups of four: "K7QM-3XPA-W9RT"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_code() -> str:
    """A random short code like K7QM-3XPA-W9RT."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(typed: str) -> str:
    """The code as stored ("K7QM-3XPA-W9RT") from what someone typed: any case, with or
    without dashes and spaces; "" when it cannot be a code."""
    cleaned = re.sub(r"[\s\-–—_.]", "", typed or "").upper()
    if len(cleaned) != CODE_LENGTH or any(char not in ALPHABET for char in cleaned):
        return ""
    return f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}"


def _names(people: Sequence[User]) -> str:
    text = ", ".join(person.display_name for person in people)
    return text if len(text) <= SUBJECT_LENGTH else text[: SUBJECT_LENGTH - 1] + "…"


def issue_cards(
    session: Session, actor: Actor, people: Sequence[User], kind: str, now: datetime
) -> list[IssuedCard]:
    """New cards (or letters) for `people`, all of one company; each person's earlier
    one of the same kind stops working ("reprinted"). One audit entry for the print
    run names everybody. Flushes."""
    kind = CardKind(kind).value
    if not people:
        return []
    company_id = people[0].company_id
    if company_id is None or any(person.company_id != company_id for person in people):
        raise ValueError("cards are printed for the people of one company")
    ids = [person.id for person in people]
    session.execute(
        update(LoginCard)
        .where(
            LoginCard.user_id.in_(ids),
            LoginCard.kind == kind,
            LoginCard.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_by_id=actor.user_id, revoked_reason="reprinted")
        .execution_options(synchronize_session=False)
    )
    issued = []
    for person in people:
        secret, code = secrets.token_urlsafe(32), new_code()
        card = LoginCard(
            company_id=company_id,
            user_id=person.id,
            kind=kind,
            secret_hash=digest(secret),
            code_hash=digest(code),
            printed_at=now,
            printed_by_id=actor.user_id,
            expires_at=now + LETTER_LIFETIME if kind == CardKind.LETTER else None,
        )
        session.add(card)
        issued.append(IssuedCard(person=person, card=card, secret=secret, code=code))
    session.flush()
    changes: dict[str, list[object]] = {"kind": [None, kind], "count": [None, len(people)]}
    if len(people) > 1:
        changes["people"] = [None, [person.display_name for person in people]]
    audit.record(
        session, actor, "card.print", company_id, now,
        subject=_names(people),
        subject_id=people[0].id if len(people) == 1 else None,
        changes=changes,
    )  # fmt: skip
    return issued


def revoke(session: Session, actor: Actor, card: LoginCard, reason: str, now: datetime) -> bool:
    """Stop `card` from working: it was lost, or its holder left. False (and nothing
    done) if it no longer worked anyway. Flushes."""
    if reason not in REVOKE_REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    if card.revoked_at is not None:
        return False
    card.revoked_at = now
    card.revoked_by_id = actor.user_id
    card.revoked_reason = reason
    session.flush()
    audit.record(
        session, actor, "card.revoke", card.company_id, now,
        subject=card.user.display_name, subject_id=card.user_id,
        changes={"kind": [None, card.kind], "revoked_reason": [None, reason]},
    )  # fmt: skip
    return True


def find_by_secret(session: Session, secret: str) -> LoginCard | None:
    """The card whose QR code holds `secret` (working or not), or None."""
    if not secret or len(secret) > 100:
        return None
    return session.scalar(select(LoginCard).where(LoginCard.secret_hash == digest(secret)))


def find_by_code(session: Session, typed: str) -> LoginCard | None:
    """The card whose short code was typed (working or not), or None."""
    code = normalize_code(typed)
    if not code:
        return None
    return session.scalar(select(LoginCard).where(LoginCard.code_hash == digest(code)))


def holder_may_sign_in(user: User) -> bool:
    """Whether the card's holder may sign in at all: an active, unerased employee of an
    active company. (Not `accounts.can_log_in`: a card's holder may have no password.)
    A manager, trainer or admin never signs in with a card, as with a PIN: the card
    alone must not open an account that sees other people's data."""
    if not user.is_active or user.erased_at is not None or not may_use_pin(user):
        return False
    return user.company is not None and user.company.is_active


def refusal(card: LoginCard, now: datetime) -> str | None:
    """Why `card` does not sign anyone in now (an `Outcome`), or None if it does."""
    if card.revoked_at is not None:
        return Outcome.REVOKED
    if card.expires_at is not None and card.expires_at <= now:
        return Outcome.EXPIRED
    if not holder_may_sign_in(card.user):
        return Outcome.INACTIVE
    return None


def log_use(
    session: Session,
    card: LoginCard,
    outcome: str,
    now: datetime,
    *,
    network: str = "",
    shared_device_id: int | None = None,
) -> LoginCardUse:
    """Record one use of `card`, allowed or refused. Flushes."""
    use = LoginCardUse(
        card_id=card.id,
        company_id=card.company_id,
        at=now,
        outcome=outcome,
        network=network[:64],
        shared_device_id=shared_device_id,
    )
    session.add(use)
    if outcome in (Outcome.SIGNED_IN, Outcome.PIN_ASKED):
        card.last_used_at = now
    session.flush()
    return use


def use_letter(session: Session, card: LoginCard, now: datetime) -> bool:
    """Spend a letter: True for the one use that gets it, False for any later (or
    concurrent) one. Flushes."""
    result = session.execute(
        update(LoginCard)
        .where(LoginCard.id == card.id, LoginCard.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason="used")
        .execution_options(synchronize_session=False)
    )
    session.expire(card, ["revoked_at", "revoked_reason"])
    return int(getattr(result, "rowcount", 0) or 0) == 1


# --- What the pages show ------------------------------------------------------------


def cards_of(session: Session, person: User) -> list[LoginCard]:
    """The person's cards and letters, newest first."""
    return list(
        session.scalars(
            select(LoginCard)
            .where(LoginCard.user_id == person.id, LoginCard.company_id == person.company_id)
            .order_by(LoginCard.printed_at.desc(), LoginCard.id.desc())
        )
    )


def active_cards(
    session: Session, company_id: int, user_ids: Sequence[int]
) -> dict[int, dict[str, LoginCard]]:
    """The working card and letter of each of `user_ids`: {user id: {kind: card}}."""
    if not user_ids:
        return {}
    found: dict[int, dict[str, LoginCard]] = {}
    for card in session.scalars(
        select(LoginCard).where(
            LoginCard.company_id == company_id,
            LoginCard.user_id.in_(list(user_ids)),
            LoginCard.revoked_at.is_(None),
        )
    ):
        found.setdefault(card.user_id, {})[card.kind] = card
    return found


def recent_uses(session: Session, card_ids: Sequence[int], limit: int = 20) -> list[LoginCardUse]:
    """The newest uses of these cards, newest first."""
    if not card_ids:
        return []
    return list(
        session.scalars(
            select(LoginCardUse)
            .where(LoginCardUse.card_id.in_(list(card_ids)))
            .order_by(LoginCardUse.at.desc(), LoginCardUse.id.desc())
            .limit(limit)
        )
    )
