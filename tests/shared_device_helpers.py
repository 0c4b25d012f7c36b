"""Test helper: a browser marked as a shared device (kiosk mode) of a company.

    name, value = enrolled_cookie(db, company)
    client.set_cookie(name, value)                      # Flask test client
    context.add_cookies([{"name": name, "value": value, "url": live_server.url}])  # Playwright

Needs an app context (the cookie is signed with the app's secret key).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.models import Company
from lms.shared_devices import service
from lms.shared_devices.cookie import COOKIE_NAME


def enrolled_cookie(session: Session, company: Company, name: str = "Tablet") -> tuple[str, str]:
    """Enrol a new shared device of `company` (flushed in `session`): the cookie's name
    and value that make a browser that device."""
    _device, value = service.enrol(session, Actor.command(), company, name, datetime.now(UTC))
    return COOKIE_NAME, value
