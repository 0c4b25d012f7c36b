"""The current time, in one place, so tests can set it.

Services take `now` as an argument; views and commands ask this module. A test
sets `app.config["CLOCK"]` to a callable returning an aware datetime.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, has_app_context


def now() -> datetime:
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            value: datetime = clock()
            return value
    return datetime.now(UTC)
