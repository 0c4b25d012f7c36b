"""The shop floor in `lms demo`: PINs for the people without an e-mail address, a
printed sheet of login cards and an invitation letter (PDF files in the instance
folder), and a shared device of Müller Metallbau.

Run inside an app context with a request context on `BASE_URL` (the cards' QR codes
carry the address the demo is served at). Safe to run again: cards and letters are
printed only when the person has none that works or the PDF file is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import url_for
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.clock import today
from lms.login_cards import pdf, service
from lms.models import Company, User
from lms.models.shop_floor import CardKind, LoginCard, SharedDevice
from lms.services.passwords import hash_password, verify_password
from lms.shared_devices import service as shared_devices

# Every demo person without an address has this PIN (printed by `lms demo`), except
# the one who has a letter and chooses a PIN at the first sign-in.
DEMO_PIN = "280419"
CARDS_FILE = "demo-login-cards.pdf"
LETTERS_FILE = "demo-invitation-letter.pdf"
DEVICE_NAME = "Tablet Pausenraum Halle 2"


@dataclass(frozen=True)
class ShopFloorDemo:
    """What `lms demo` prints about the shop floor."""

    company: str
    sign_in_code: str
    pin: str
    cards_file: Path
    letters_file: Path
    with_card: tuple[tuple[str, str], ...]  # (name, personnel number)
    with_letter: tuple[tuple[str, str], ...]
    device: str


def _actor(session: Session, manager_email: str) -> Actor:
    return Actor(session.scalar(select(User).where(User.email == manager_email)))


def _working(session: Session, person: User, kind: CardKind) -> bool:
    return (
        session.scalar(
            select(LoginCard.id).where(
                LoginCard.user_id == person.id,
                LoginCard.kind == kind,
                LoginCard.revoked_at.is_(None),
            )
        )
        is not None
    )


def _print(
    session: Session,
    actor: Actor,
    company: Company,
    people: list[User],
    kind: CardKind,
    target: Path,
    now: datetime,
) -> None:
    if not people or (target.exists() and all(_working(session, p, kind) for p in people)):
        return
    issued = service.issue_cards(session, actor, people, kind.value, now)
    printed_by = actor.user.display_name if actor.user else "Lernwerk"
    document = pdf.print_run(
        issued, company, kind.value, printed_by,
        scan_url=lambda secret: url_for("cards.scan_target", secret=secret, _external=True),
        typing_url=url_for("cards.code", _external=True), day=today(),
    )  # fmt: skip
    target.write_bytes(document)


def seed_shop_floor(
    session: Session,
    company: Company,
    manager_email: str,
    printer_email: str,
    with_card: list[User],
    with_letter: list[User],
    folder: Path,
    now: datetime,
) -> ShopFloorDemo:
    """PINs for `with_card`, a card sheet for them and a letter for `with_letter`
    (printed by `printer_email`: the provider's admin, since the company keeps its people
    to the admins), and the company's shared device (set up by its manager)."""
    actor, printer = _actor(session, manager_email), _actor(session, printer_email)
    for person in with_card:
        if not verify_password(person.pin_hash, DEMO_PIN):
            person.pin_hash = hash_password(DEMO_PIN)
            person.pin_set_at = now
            person.pin_locked_at = None
    session.flush()
    folder.mkdir(parents=True, exist_ok=True)
    cards, letters = folder / CARDS_FILE, folder / LETTERS_FILE
    with force_locale(company.default_language or "de"):
        _print(session, printer, company, with_card, CardKind.CARD, cards, now)
        _print(session, printer, company, with_letter, CardKind.LETTER, letters, now)
    if (
        session.scalar(
            select(SharedDevice.id).where(
                SharedDevice.company_id == company.id, SharedDevice.name == DEVICE_NAME
            )
        )
        is None
    ):
        shared_devices.enrol(session, actor, company, DEVICE_NAME, now)
    return ShopFloorDemo(
        company=company.name,
        sign_in_code=company.sign_in_code or "",
        pin=DEMO_PIN,
        cards_file=cards,
        letters_file=letters,
        with_card=tuple((p.display_name, p.personnel_number or "") for p in with_card),
        with_letter=tuple((p.display_name, p.personnel_number or "") for p in with_letter),
        device=DEVICE_NAME,
    )
