"""The current time, in one place, so tests can set it.

Services take `now` as an argument; views and commands ask this module. A test
sets `app.config["CLOCK"]` to a callable returning an aware datetime.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def now() -> datetime:
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            value: datetime = clock()
            return value
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    """The platform's time zone (dates such as due dates are days there)."""
    name = "Europe/Berlin"
    if has_app_context():
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", name)
    return ZoneInfo(name)


def today(at: datetime | None = None) -> date:
    """The calendar day in the platform's time zone at `at` (default: now)."""
    return (at or now()).astimezone(local_zone()).date()


def day_start(day: date) -> datetime:
    """The moment a calendar day begins in the platform's time zone, in UTC."""
    return datetime.combine(day, time.min, local_zone()).astimezone(UTC)


def day_end(day: date) -> datetime:
    """The last moment of a calendar day in the platform's time zone, in UTC: when
    something done "on that day" (a training recorded by its date) counts as done."""
    return day_start(day + timedelta(days=1)) - timedelta(microseconds=1)
