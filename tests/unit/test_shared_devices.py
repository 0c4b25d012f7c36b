"""Shared devices (kiosk mode): enrolling, revoking, the signed cookie, the company's
sign-in code and PIN setting (lms/shared_devices/service.py, cookie.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.models import AuditEntry, Company
from lms.models.shop_floor import SharedDevice
from lms.shared_devices import cookie, service
from tests import factories
from tests.shared_device_helpers import enrolled_cookie

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    # The cookie is signed with the app's secret key.
    with app.app_context():
        yield


def _audit(db: Session, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_enrol_keeps_only_the_digest_and_the_cookie_names_the_device(
    app: Flask, db: Session
) -> None:
    company = factories.make_company(db, "Metallbau")
    manager = factories.make_user(db, company, factories.Role.MANAGER)
    device, value = service.enrol(db, Actor(manager), company, "  Tablet   Pausenraum  ", NOW)
    parsed = cookie._read(value)
    assert parsed is not None
    device_id, secret = parsed
    assert device_id == device.id
    assert device.name == "Tablet Pausenraum"
    assert device.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in device.secret_hash
    assert device.enrolled_by_id == manager.id and device.enrolled_at == NOW
    [entry] = _audit(db, "device.enrol")
    assert entry.company_id == company.id and entry.subject == "Tablet Pausenraum"


def test_a_cookie_signed_with_another_key_or_salt_is_no_device(app: Flask, db: Session) -> None:
    from itsdangerous import URLSafeSerializer

    company = factories.make_company(db)
    _name, value = enrolled_cookie(db, company)
    parsed = cookie._read(value)
    assert parsed is not None
    payload = {"d": parsed[0], "s": parsed[1]}
    forged = URLSafeSerializer("another key", salt=cookie.SALT).dumps(payload)
    other_salt = URLSafeSerializer(str(app.secret_key), salt="itsdangerous").dumps(payload)
    assert cookie._read(forged) is None
    assert cookie._read(other_salt) is None
    assert cookie._read("garbage") is None


def test_revoke_once_and_audited(db: Session) -> None:
    company = factories.make_company(db)
    manager = factories.make_user(db, company, factories.Role.MANAGER)
    device = SharedDevice(company_id=company.id, name="Tablet", secret_hash="x" * 64)
    db.add(device)
    db.flush()
    service.revoke(db, Actor(manager), device, NOW)
    service.revoke(db, Actor(manager), device, NOW + timedelta(hours=1))
    assert device.revoked_at == NOW and device.revoked_by_id == manager.id
    assert len(_audit(db, "device.revoke")) == 1


def test_company_devices_lists_working_ones_first_with_names(db: Session) -> None:
    company, other = factories.make_company(db), factories.make_company(db)
    manager = factories.make_user(db, company, factories.Role.MANAGER, name="Sabine Krüger")
    old, _ = service.enrol(db, Actor(manager), company, "Alt", NOW - timedelta(days=3))
    new, _ = service.enrol(db, Actor(manager), company, "Neu", NOW - timedelta(days=1))
    gone, _ = service.enrol(db, Actor(manager), company, "Weg", NOW)
    service.enrol(db, Actor(manager), other, "Fremd", NOW)
    service.revoke(db, Actor(manager), gone, NOW)
    rows = service.company_devices(db, company.id)
    assert [row.device.name for row in rows] == ["Neu", "Alt", "Weg"]
    assert rows[0].enrolled_by == "Sabine Krüger" and rows[2].revoked_by == "Sabine Krüger"
    assert service.device_of_company(db, old.id, other.id) is None
    assert service.device_of_company(db, old.id, company.id) is old
    assert new.id != old.id


def test_last_seen_is_written_at_most_every_few_minutes(db: Session) -> None:
    company = factories.make_company(db)
    device, _ = service.enrol(db, Actor.command(), company, "Tablet", NOW)
    assert service.seen_due(device, NOW)
    service.touch(db, device.id, NOW)
    db.refresh(device)
    assert not service.seen_due(device, NOW + timedelta(minutes=4))
    service.touch(db, device.id, NOW + timedelta(minutes=4))  # too soon: nothing written
    db.refresh(device)
    assert device.last_seen_at is not None
    assert device.last_seen_at.replace(tzinfo=UTC) == NOW
    assert service.seen_due(device, NOW + timedelta(minutes=5))


def test_a_new_sign_in_code_is_unique_and_audited(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    company, other = factories.make_company(db), factories.make_company(db)
    other.sign_in_code = "AAAAAA"
    old = company.sign_in_code
    db.flush()
    offered = iter(["AAAAAA", old or "CCCCCC", "DDDDDD"])  # taken, the old one, then free
    monkeypatch.setattr(service, "new_sign_in_code", lambda: next(offered))
    code = service.new_code(db, Actor.command(), company, NOW)
    assert code == company.sign_in_code == "DDDDDD"
    [entry] = _audit(db, "company.sign_in_code")
    assert entry.changes == {"sign_in_code": [old, "DDDDDD"]}


def test_pin_setting_changes_once_and_is_audited(db: Session) -> None:
    company = factories.make_company(db)
    assert service.set_pin_only_on_shared_devices(db, Actor.command(), company, True, NOW)
    assert not service.set_pin_only_on_shared_devices(db, Actor.command(), company, True, NOW)
    assert db.get(Company, company.id).pin_only_on_shared_devices  # type: ignore[union-attr]
    [entry] = _audit(db, "company.pin_only_on_shared_devices")
    assert entry.changes == {"pin_only_on_shared_devices": [False, True]}
