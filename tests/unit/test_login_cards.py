"""Login cards and invitation letters: issuing, reprinting, revoking, letters spent
once and expiring, the short code as people type it (lms/login_cards/service.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.login_cards import service
from lms.login_cards.service import Outcome
from lms.models import AuditEntry
from lms.models.shop_floor import LoginCard, LoginCardUse
from tests.factories import make_company, make_user

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(db):
    company = make_company(db, "Müller Metallbau")
    hr = make_user(db, company, name="Helga Personal")
    workers = [make_user(db, company, name=f"Werker {n}") for n in range(3)]
    return Actor(hr, "203.0.113.0/24"), workers


def test_a_card_stores_only_digests_of_its_secret_and_code(db, people):
    actor, workers = people
    (issued,) = service.issue_cards(db, actor, workers[:1], "card", NOW)
    card = issued.card
    assert len(issued.secret) >= 43
    assert card.secret_hash == service.digest(issued.secret) != issued.secret
    assert card.code_hash == service.digest(issued.code)
    assert issued.secret not in {card.secret_hash, card.code_hash}
    assert card.expires_at is None and card.printed_by_id == actor.user_id
    assert service.find_by_secret(db, issued.secret) is card
    assert service.find_by_code(db, issued.code) is card


def test_the_short_code_is_twelve_unambiguous_characters():
    code = service.new_code()
    assert len(code) == 14 and code[4] == code[9] == "-"
    raw = code.replace("-", "")
    assert all(char in service.ALPHABET for char in raw)
    assert not set("01ILO") & set(service.ALPHABET)
    assert len(service.ALPHABET) ** 12 > 2**59


@pytest.mark.parametrize(
    "typed",
    ["k7qm-3xpa-w9rt", "K7QM 3XPA W9RT", " k7qm3xpaw9rt ", "K7QM–3XPA–W9RT", "k7QM-3xpa w9RT"],
)
def test_typing_ignores_case_dashes_and_spaces(typed):
    assert service.normalize_code(typed) == "K7QM-3XPA-W9RT"


@pytest.mark.parametrize("typed", ["", "K7QM-3XPA", "K7QM-3XPA-W9RT-X", "K7QM-3XPA-W9R0", "ÄÖÜ"])
def test_what_cannot_be_a_code_finds_nothing(db, typed):
    assert service.normalize_code(typed) == ""
    assert service.find_by_code(db, typed) is None


def test_reprinting_revokes_the_earlier_card_of_the_same_kind_only(db, people):
    actor, workers = people
    (first,) = service.issue_cards(db, actor, workers[:1], "card", NOW)
    (letter,) = service.issue_cards(db, actor, workers[:1], "letter", NOW)
    (second,) = service.issue_cards(db, actor, workers[:1], "card", NOW + timedelta(days=1))
    db.refresh(first.card)
    db.refresh(letter.card)
    assert first.card.revoked_reason == "reprinted"
    assert service.refusal(first.card, NOW + timedelta(days=1)) == Outcome.REVOKED
    assert second.card.revoked_at is None
    assert letter.card.revoked_at is None  # a new card leaves the letter alone


def test_a_print_run_is_one_audit_entry_naming_everybody(db, people):
    actor, workers = people
    service.issue_cards(db, actor, workers, "card", NOW)
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "card.print")).all()
    assert entry.company_id == workers[0].company_id
    assert entry.actor_id == actor.user_id and entry.address == "203.0.113.0/24"
    assert entry.subject == "Werker 0, Werker 1, Werker 2"
    assert entry.changes["kind"] == [None, "card"]
    assert entry.changes["count"] == [None, 3]


def test_cards_are_printed_for_one_company_at_a_time(db, people):
    actor, workers = people
    stranger = make_user(db, make_company(db), name="Fremd")
    with pytest.raises(ValueError):
        service.issue_cards(db, actor, [workers[0], stranger], "card", NOW)


def test_revoking_a_lost_card_is_audited_and_stops_it(db, people):
    actor, workers = people
    (issued,) = service.issue_cards(db, actor, workers[:1], "card", NOW)
    assert service.revoke(db, actor, issued.card, "lost", NOW)
    assert service.refusal(issued.card, NOW) == Outcome.REVOKED
    assert not service.revoke(db, actor, issued.card, "left", NOW)  # once is enough
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "card.revoke"))
    assert entry is not None and entry.subject == "Werker 0"
    assert entry.changes == {"kind": [None, "card"], "revoked_reason": [None, "lost"]}
    with pytest.raises(ValueError):
        service.revoke(db, actor, issued.card, "because", NOW)


def test_a_letter_works_once_within_thirty_days(db, people):
    actor, workers = people
    (issued,) = service.issue_cards(db, actor, workers[:1], "letter", NOW)
    letter = issued.card
    assert letter.expires_at == NOW + timedelta(days=30)
    assert service.refusal(letter, NOW + timedelta(days=29)) is None
    assert service.refusal(letter, NOW + timedelta(days=30)) == Outcome.EXPIRED
    assert service.use_letter(db, letter, NOW)
    assert not service.use_letter(db, letter, NOW)  # a second (or concurrent) use
    assert letter.revoked_reason == "used"
    assert service.refusal(letter, NOW) == Outcome.REVOKED


def test_a_deactivated_or_erased_holder_cannot_use_a_card(db, people):
    actor, workers = people
    (issued,) = service.issue_cards(db, actor, workers[:2], "card", NOW)[:1]
    workers[0].is_active = False
    assert service.refusal(issued.card, NOW) == Outcome.INACTIVE
    workers[0].is_active = True
    workers[0].company.is_active = False
    assert service.refusal(issued.card, NOW) == Outcome.INACTIVE


def test_every_use_is_logged_and_a_good_one_sets_last_used(db, people):
    actor, workers = people
    (issued,) = service.issue_cards(db, actor, workers[:1], "card", NOW)
    service.log_use(db, issued.card, Outcome.REVOKED, NOW, network="198.51.100.0/24")
    assert issued.card.last_used_at is None
    later = NOW + timedelta(minutes=5)
    service.log_use(db, issued.card, Outcome.SIGNED_IN, later, network="198.51.100.0/24")
    assert issued.card.last_used_at == later
    uses = service.recent_uses(db, [issued.card.id])
    assert [u.outcome for u in uses] == [Outcome.SIGNED_IN, Outcome.REVOKED]
    assert all(u.company_id == workers[0].company_id for u in uses)


def test_the_active_cards_of_a_company_by_person_and_kind(db, people):
    actor, workers = people
    service.issue_cards(db, actor, workers[:2], "card", NOW)
    service.issue_cards(db, actor, workers[1:2], "letter", NOW)
    found = service.active_cards(db, workers[0].company_id, [w.id for w in workers])
    assert set(found) == {workers[0].id, workers[1].id}
    assert set(found[workers[1].id]) == {"card", "letter"}


def test_cards_and_their_uses_go_with_the_person(db, people):
    actor, workers = people
    (issued,) = service.issue_cards(db, actor, workers[:1], "card", NOW)
    service.log_use(db, issued.card, Outcome.SIGNED_IN, NOW)
    db.delete(workers[0])
    db.flush()
    db.expunge_all()
    assert db.scalars(select(LoginCard)).all() == []
    assert db.scalars(select(LoginCardUse)).all() == []


def test_a_long_name_with_any_letters_prints_on_the_card():
    import shutil
    import subprocess

    from lms.login_cards import pdf

    name = "Małgorzata Ölçü-Żółkiewska von Hohenzollern-Sigmaringen"
    face = pdf.CardFace(
        name=name, company="Müller Metallbau GmbH", kind_label="Login-Karte",
        url="https://lernwerk.example/k/" + "A" * 43, code_label="Code:",
        code="K7QM-3XPA-W9RT", details=["Anmeldecode: ZEXVCY"],
        lost="Karte verloren? Sagen Sie Ihrer Führungskraft Bescheid.",
    )  # fmt: skip
    data = pdf.render_cards([face] * 9, "Login-Karten", "Kopf")
    assert data.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert "Ölçü" in text and "Żółkiewska" in text and "Führungskraft" in text
    assert text.count("K7QM-3XPA-W9RT") == 9
