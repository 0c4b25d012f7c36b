"""What every template gets: navigation for the user's roles, languages, formats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, request
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.models import Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    prefix: str


# One entry per area, in the order shown; each needs one of its roles.
NAV = (
    (Role.LEARNER, NavItem("learn.index", _l("My modules"), "/learn")),
    (Role.MANAGER, NavItem("manage.index", _l("My team"), "/team")),
    (Role.TRAINER, NavItem("author.index", _l("Course authoring"), "/author")),
    (Role.ADMIN, NavItem("admin.index", _l("Administration"), "/admin")),
)


ROLE_LABELS = {
    Role.LEARNER: _l("Employee"),
    Role.MANAGER: _l("Manager"),
    Role.TRAINER: _l("Trainer"),
    Role.ADMIN: _l("Administrator"),
}


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    return [item for role, item in NAV if current_user.has_role(role)]


def is_current(item: NavItem) -> bool:
    return request.path.startswith(item.prefix)


# Formats from the design sheet: 23.11.2026, 14:30 Uhr / 23 Nov 2026, 2:30 pm.
DATE_PATTERNS = {"de": "dd.MM.yyyy", "en": "d MMM yyyy"}
DATETIME_PATTERNS = {"de": "dd.MM.yyyy, HH:mm 'Uhr'", "en": "d MMM yyyy, h:mm a"}


def page_language() -> str:
    """The language of the page: "de" or "en"."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in DATE_PATTERNS else "de"


def date_filter(value: datetime | None) -> str:
    return format_date(value, DATE_PATTERNS[page_language()]) if value else "–"


def datetime_filter(value: datetime | None) -> str:
    return format_datetime(value, DATETIME_PATTERNS[page_language()]) if value else "–"


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        nav_items=nav_items,
        is_current=is_current,
        role_labels=ROLE_LABELS,
        page_language=page_language,
    )
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.filters["datetime"] = datetime_filter
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
