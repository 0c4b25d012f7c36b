"""A company's shared devices and its sign-in settings (issue 19).

Plain functions taking the session, the actor and the clock; each change writes its
audit entry in the same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import Company, User
from lms.models.shop_floor import SharedDevice
from lms.models.tenancy import new_sign_in_code
from lms.shared_devices.cookie import cookie_value, hash_secret

# A device's "last seen" is written at most this often (not on every request).
SEEN_EVERY = timedelta(minutes=5)
NAME_LENGTH = 80


class DeviceError(ValueError):
    """A change the service refuses; the message is for the person."""


def enrol(
    session: Session, actor: Actor, company: Company, name: str, now: datetime
) -> tuple[SharedDevice, str]:
    """Mark a browser as a shared device of `company`: the new device and the value of
    the cookie that browser is to keep (its secret is stored only as a digest)."""
    name = " ".join(name.split())[:NAME_LENGTH]
    secret = secrets.token_urlsafe(32)
    device = SharedDevice(
        company_id=company.id,
        name=name,
        secret_hash=hash_secret(secret),
        enrolled_at=now,
        enrolled_by_id=actor.user_id,
    )
    session.add(device)
    session.flush()
    audit.record(
        session,
        actor,
        "device.enrol",
        company.id,
        now,
        subject=name,
        subject_id=device.id,
        changes={"name": [None, name]},
    )
    return device, cookie_value(device.id, secret)


def revoke(session: Session, actor: Actor, device: SharedDevice, now: datetime) -> None:
    """End kiosk mode on `device` (its cookie stops working at the next request).
    Revoking a revoked device changes nothing."""
    if device.revoked_at is not None:
        return
    device.revoked_at = now
    device.revoked_by_id = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        "device.revoke",
        device.company_id,
        now,
        subject=device.name,
        subject_id=device.id,
    )


@dataclass(frozen=True)
class DeviceRow:
    device: SharedDevice
    enrolled_by: str | None  # the name of who set it up (None: a command, or erased)
    revoked_by: str | None


def company_devices(session: Session, company_id: int) -> list[DeviceRow]:
    """The company's shared devices: working ones first, newest first, with the names
    of who set them up and who revoked them (one query)."""
    enrolled_by, revoked_by = aliased(User), aliased(User)
    rows = session.execute(
        select(SharedDevice, enrolled_by.display_name, revoked_by.display_name)
        .outerjoin(enrolled_by, enrolled_by.id == SharedDevice.enrolled_by_id)
        .outerjoin(revoked_by, revoked_by.id == SharedDevice.revoked_by_id)
        .where(SharedDevice.company_id == company_id)
        .order_by(
            SharedDevice.revoked_at.is_not(None),
            SharedDevice.enrolled_at.desc(),
            SharedDevice.id.desc(),
        )
    )
    return [DeviceRow(device, enrolled, revoked) for device, enrolled, revoked in rows]


def device_of_company(session: Session, device_id: int, company_id: int) -> SharedDevice | None:
    """The device `device_id` if it belongs to `company_id` (None across companies)."""
    return session.scalar(
        select(SharedDevice).where(
            SharedDevice.id == device_id, SharedDevice.company_id == company_id
        )
    )


def seen_due(device: SharedDevice, now: datetime) -> bool:
    """Whether the device's "last seen" is old enough to be written again."""
    seen = device.last_seen_at
    if seen is None:
        return True
    if seen.tzinfo is None and now.tzinfo is not None:
        now = now.replace(tzinfo=None)
    return now - seen >= SEEN_EVERY


def touch(session: Session, device_id: int, now: datetime) -> None:
    """Record that the device was seen (one UPDATE, skipped by the database when a
    concurrent request already wrote it)."""
    session.execute(
        update(SharedDevice)
        .where(
            SharedDevice.id == device_id,
            (SharedDevice.last_seen_at.is_(None)) | (SharedDevice.last_seen_at <= now - SEEN_EVERY),
        )
        .values(last_seen_at=now)
    )


def new_code(session: Session, actor: Actor, company: Company, now: datetime) -> str:
    """Give `company` a new sign-in code (unique among companies); the old one stops
    working at once."""
    old = company.sign_in_code
    for _attempt in range(20):
        code = new_sign_in_code()
        taken = session.scalar(select(Company.id).where(Company.sign_in_code == code))
        if taken is None and code != old:
            break
    else:  # pragma: no cover - 27^6 codes
        raise DeviceError("no free sign-in code")
    company.sign_in_code = code
    session.flush()
    audit.record(
        session,
        actor,
        "company.sign_in_code",
        company.id,
        now,
        subject=company.name,
        subject_id=company.id,
        changes={"sign_in_code": [old, code]},
    )
    return code


def set_pin_only_on_shared_devices(
    session: Session, actor: Actor, company: Company, value: bool, now: datetime
) -> bool:
    """Set whether PIN sign-in works only on the company's shared devices; False when
    nothing changed."""
    if company.pin_only_on_shared_devices == value:
        return False
    company.pin_only_on_shared_devices = value
    session.flush()
    audit.record(
        session,
        actor,
        "company.pin_only_on_shared_devices",
        company.id,
        now,
        subject=company.name,
        subject_id=company.id,
        changes={"pin_only_on_shared_devices": [not value, value]},
    )
    return True
