"""Two logs that the app only ever adds to: who looked at whose learning data (§87
BetrVG), and who changed what (the audit log). Admins see both; a company's managers
see their company's audit entries."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lms.models import AuditEntry, ReportAccess, User


def shorten_address(address: str | None) -> str:
    """The network of an IP address, not the device: 203.0.113.0/24 or 2001:db8:85a3::/48."""
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def log_report_access(
    session: Session,
    viewer: User,
    company_id: int,
    kind: str,
    now: datetime,
    *,
    subject: User | None = None,
    detail: str = "",
) -> ReportAccess:
    """Record one view of a person's report or one export (`kind` names which).

    The pages that call it only read: they pass the session of `db.writing()`, a
    write transaction of its own, never their reading one (issue 16).
    """
    entry = ReportAccess(
        company_id=company_id,
        viewer_id=viewer.id,
        viewer_name=viewer.display_name,
        at=now,
        kind=kind,
        subject_id=subject.id if subject is not None else None,
        detail=detail[:300],
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Actor:
    """Who changes something and from which network: what every audit entry names.

    Views build it from the request (`lms.audit.trail.current_actor()`); commands
    pass `Actor.command()`. A service that changes state receives it and writes the
    audit entry itself, in the same transaction as the change.
    """

    user: User | None
    address: str = ""  # the shortened network (shorten_address)
    # Who acts when no person does: an API or SCIM token ("API: HR-Sync"), shown as
    # the entry's actor.
    label: str = ""

    @classmethod
    def command(cls) -> Actor:
        """An `lms` command: no person, no network."""
        return cls(None)

    @property
    def name(self) -> str:
        return self.user.display_name if self.user is not None else self.label

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None


def record(
    session: Session,
    actor: Actor,
    action: str,
    company_id: int | None,
    now: datetime,
    *,
    subject: str = "",
    subject_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry for `actor` in the caller's transaction (a rolled-back
    change leaves none). The one way an audit entry is written."""
    entry = AuditEntry(
        company_id=company_id,
        actor_id=actor.user_id,
        actor_name=actor.name[:200],
        at=now,
        action=action,
        subject_id=subject_id,
        subject=subject[:300],
        changes=changes or {},
        address=actor.address,
    )
    session.add(entry)
    session.flush()
    return entry


def record_about(
    session: Session,
    actor: Actor,
    action: str,
    person: User,
    now: datetime,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """`record` an entry about one person (their company's, named by them)."""
    return record(session, actor, action, person.company_id, now,
                  subject=person.display_name, subject_id=person.id, changes=changes)  # fmt: skip


def created(obj: object, fields: Iterable[str]) -> dict[str, list[Any]]:
    """{field: [None, value]}: what a new object was created with."""
    return {name: [None, value] for name, value in snapshot(obj, fields).items()}


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` of `obj`, to compare with `changed` after a change."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def changed(before: dict[str, Any], obj: object) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields of `before` that `obj` now has otherwise."""
    result = {}
    for name, old in before.items():
        new = _plain(getattr(obj, name))
        if new != old:
            result[name] = [old, new]
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
