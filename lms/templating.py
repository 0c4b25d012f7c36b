"""What every template gets: navigation for the user's roles, languages, formats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel import dates as babel_dates
from flask import Flask, request, session
from flask_babel import (
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
    ngettext,
    to_user_timezone,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from lms.company_look.page import page_look
from lms.grading.header import to_grade
from lms.models import Role
from lms.notices.header import unread_notices


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    prefix: str


# One entry per area, in the order shown; each needs one of its roles.
NAV = (
    (Role.LEARNER, NavItem("learn.index", _l("My modules"), "/learn")),
    (Role.LEARNER, NavItem("learn.sessions", _l("My sessions"), "/learn/sessions")),
    (Role.LEARNER, NavItem("learn.my_certificates", _l("My certificates"), "/learn/certificates")),
    (Role.MANAGER, NavItem("manage.index", _l("My team"), "/team")),
    (
        Role.MANAGER,
        NavItem("manage.signoff.practical_tasks", _l("On-the-job tasks"), "/team/tasks"),
    ),
    (Role.TRAINER, NavItem("author.index", _l("Course authoring"), "/author")),
    (Role.TRAINER, NavItem("author.sessions", _l("In-person sessions"), "/author/sessions")),
    (
        Role.TRAINER,
        NavItem("author.signoff.practical_tasks", _l("On-the-job tasks"), "/author/tasks"),
    ),
    (Role.TRAINER, NavItem("author.grading.queue", _l("To grade"), "/author/grading")),
    (Role.ADMIN, NavItem("admin.index", _l("Administration"), "/admin")),
)


ROLE_LABELS = {
    Role.LEARNER: _l("Employee"),
    Role.MANAGER: _l("Manager"),
    Role.TRAINER: _l("Trainer"),
    Role.ADMIN: _l("Administrator"),
}


UNIT_TYPE_LABELS = {
    "lesson": _l("Lesson"),
    "quiz": _l("Knowledge check"),
    "in-person": _l("In-person part"),
    "practical": _l("On-the-job task"),
    "handin": _l("Hand-in task"),
    "package": _l("Learning package"),
}


def nav_items() -> list[NavItem]:
    user = current_user._get_current_object()  # once, not once per item
    if not user.is_authenticated:
        return []
    return [item for role, item in NAV if user.has_role(role)]


def is_current(item: NavItem) -> bool:
    """Whether the page belongs to `item`: the item with the longest matching prefix."""
    path = request.path
    if not path.startswith(item.prefix):
        return False
    return not any(
        other.prefix.startswith(item.prefix)
        and len(other.prefix) > len(item.prefix)
        and path.startswith(other.prefix)
        for _role, other in NAV
    )


def current_item(items: list[NavItem]) -> NavItem | None:
    return next((item for item in items if is_current(item)), None)


def site_header() -> dict[str, Any]:
    """What the site header shows (`_site_header.html`, included by base.html): brand,
    navigation for the user's roles, account links and language switch."""
    user = current_user._get_current_object()
    authenticated = bool(user and user.is_authenticated)
    # A person who must choose a PIN first (lms/pins) reaches no other page: no menu
    # to lead them around in a circle.
    items = [] if session.get("must_choose_pin") else nav_items()
    company = user.company if authenticated else None
    current = current_item(items)
    return {
        "lang": page_language(),
        "authenticated": authenticated,
        "company_name": company.name if company else None,
        "look": page_look(),
        "unread_notices": unread_notices(),
        "to_grade": to_grade(),
        "main_nav": items,
        "nav_key": ",".join(item.endpoint for item in items),
        "current": current,
        "current_key": current.endpoint if current else "",
        "on_profile": authenticated and request.path.startswith("/profile"),
        "token": generate_csrf(),
        "next": request.full_path if request.query_string else request.path,
    }


# Formats from the design sheet: 23.11.2026, 14:30 Uhr / 23 Nov 2026, 2:30 pm.
DATE_PATTERNS = {"de": "dd.MM.yyyy", "en": "d MMM yyyy"}
# A session's day with its weekday, as a learner plans it: Do., 10. Dez. 2026 / Thu, 10 Dec 2026.
WEEKDAY_PATTERNS = {"de": "EEE, d. MMM yyyy", "en": "EEE, d MMM yyyy"}
DATETIME_PATTERNS = {"de": "dd.MM.yyyy, HH:mm 'Uhr'", "en": "d MMM yyyy, h:mm a"}
TIME_PATTERNS = {"de": "HH:mm", "en": "h:mm a"}


def page_language() -> str:
    """The language of the page: "de" or "en"."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in DATE_PATTERNS else "de"


def date_filter(value: date | None, weekday: bool = False) -> str:
    """A day (or the day of a moment, in the user's time zone) as the page writes it;
    with `weekday`, as a session's day: Do., 10. Dez. 2026."""
    if not value:
        return "–"
    day = to_user_timezone(value).date() if isinstance(value, datetime) else value
    return _day_text(page_language(), day, weekday)


@lru_cache(maxsize=4096)
def _day_text(language: str, day: date, weekday: bool = False) -> str:
    # Kept: Babel takes some 50 µs per date, and a list of fifty people or a
    # manager's matrix writes the same days again and again.
    patterns = WEEKDAY_PATTERNS if weekday else DATE_PATTERNS
    return babel_dates.format_date(day, patterns[language], locale=language)


def datetime_filter(value: datetime | None) -> str:
    return format_datetime(value, DATETIME_PATTERNS[page_language()]) if value else "–"


def timespan_filter(start: datetime, end: datetime, weekday: bool = False) -> str:
    """A date's time span: 23.11.2026, 14:30–16:00 Uhr / 23 Nov 2026, 2:30 pm–4:00 pm;
    with `weekday`: Mo., 23. Nov. 2026, 14:30–16:00 Uhr / Mon, 23 Nov 2026, 2:30 pm–4:00 pm."""
    language = page_language()
    pattern = TIME_PATTERNS[language]
    suffix = " Uhr" if language == "de" else ""
    if to_user_timezone(start).date() != to_user_timezone(end).date():
        if not weekday:
            return f"{datetime_filter(start)} – {datetime_filter(end)}"
        return " – ".join(
            f"{date_filter(moment, True)}, {format_time(moment, pattern)}{suffix}"
            for moment in (start, end)
        )
    day = date_filter(start, weekday)
    return f"{day}, {format_time(start, pattern)}–{format_time(end, pattern)}{suffix}"


def validity_filter(value: str | None) -> str:
    """A stored validity ("12 months") in words of the page: 12 Monate / 12 months."""
    count, _sep, unit = (value or "").partition(" ")
    if not count.isdigit():
        return value or ""
    number = int(count)
    words = {
        "days": ngettext("%(num)d day", "%(num)d days", number),
        "months": ngettext("%(num)d month", "%(num)d months", number),
        "years": ngettext("%(num)d year", "%(num)d years", number),
    }
    return str(words.get(unit, value))


def points_filter(value: Any) -> str:
    """Points as the locale writes them, without needless decimals: 1,5 / 1.5 / 2."""
    return format_decimal(value if value is not None else 0, format="#,##0.##")


def number_filter(value: Any) -> str:
    """An authored number as the locale writes it, with its decimals: 2,5 / 0,125 / 1.000."""
    return format_decimal(value if value is not None else 0, format="#,##0.##########")


def percent_filter(value: Any) -> str:
    """A whole percentage with a non-breaking space: 80 %."""
    return f"{format_decimal(round(value or 0), format='#,##0')}\u00a0%"


GAP_MARK = re.compile(r"\{\{gap:(\d+)\}\}")


@dataclass(frozen=True)
class Gap:
    """A gap of a cloze question, as its field shows it."""

    index: int  # from 0; the field is named "<question's name>-<index>"
    kind: str  # "choice": a list to choose from; otherwise a text field
    options: tuple[str, ...]  # a choice's options as plain text (an <option> holds no HTML)


def cloze_parts(question: dict[str, Any]) -> list[Markup | Gap]:
    """A cloze question's stored, sanitised prompt HTML cut at its gap marks: the HTML
    between them and the gaps, in order, for the `cloze_prompt` macro
    (templates/macros/questions.html), which writes the fields."""
    gaps = question.get("gaps", [])
    pieces = GAP_MARK.split(str(question.get("prompt_html", "")))
    parts: list[Markup | Gap] = []
    for position, piece in enumerate(pieces):
        if position % 2 == 0:
            if piece:
                # Sanitised at import; only the gap marks are taken out.
                parts.append(Markup(piece))  # noqa: S704
            continue
        index = int(piece)
        if index >= len(gaps):
            continue  # a mark without its gap shows nothing
        gap = gaps[index]
        options = tuple(Markup(text).striptags() for text in gap.get("options", []))  # noqa: S704
        parts.append(Gap(index, gap["kind"], options))
    return parts


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        site_header=site_header,
        page_look=page_look,
        role_labels=ROLE_LABELS,
        page_language=page_language,
        cloze_parts=cloze_parts,
        unit_type_labels=UNIT_TYPE_LABELS,
    )
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.filters["points"] = points_filter
    app.jinja_env.filters["number"] = number_filter
    app.jinja_env.filters["percent"] = percent_filter
    app.jinja_env.filters["datetime"] = datetime_filter
    app.jinja_env.filters["timespan"] = timespan_filter
    app.jinja_env.filters["validity"] = validity_filter
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
