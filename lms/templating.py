"""What every template gets: navigation for the user's roles, languages, formats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel import dates as babel_dates
from flask import Flask, render_template, request
from flask_babel import (
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
    gettext,
    ngettext,
    to_user_timezone,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from lms.models import Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    prefix: str


# One entry per area, in the order shown; each needs one of its roles.
NAV = (
    (Role.LEARNER, NavItem("learn.index", _l("My modules"), "/learn")),
    (Role.LEARNER, NavItem("learn.dates", _l("My sessions"), "/learn/dates")),
    (Role.MANAGER, NavItem("manage.index", _l("My team"), "/team")),
    (Role.MANAGER, NavItem("manage.tasks", _l("On-the-job tasks"), "/team/tasks")),
    (Role.TRAINER, NavItem("author.index", _l("Course authoring"), "/author")),
    (Role.TRAINER, NavItem("author.dates", _l("In-person sessions"), "/author/dates")),
    (Role.TRAINER, NavItem("author.tasks", _l("On-the-job tasks"), "/author/tasks")),
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


# The site header of every page (`_site_header.html`), kept per process for each
# combination of what it shows: rendering it was a fifth of a lesson page's time
# (issue 4). Everything the partial shows is in the key; the session's CSRF token
# and the page's own address differ per request and are put in afterwards.
_HEADERS: dict[tuple[Any, ...], str] = {}
_HEADERS_MAX = 2048
_CSRF_MARK = "\x00csrf\x00"
_NEXT_MARK = "\x00next\x00"


def site_header() -> Markup:
    """The header with brand, navigation, account links and language switch."""
    user = current_user._get_current_object()
    authenticated = bool(user and user.is_authenticated)
    items = nav_items()
    current = current_item(items)
    company = user.company if authenticated else None
    language = page_language()
    key = (
        language,
        request.script_root,
        authenticated,
        company.name if company else None,
        tuple(item.endpoint for item in items),
        current.endpoint if current else None,
        authenticated and request.path.startswith("/profile"),
    )
    html = _HEADERS.get(key)
    if html is None:
        html = render_template(
            "_site_header.html",
            lang=language,
            authenticated=authenticated,
            company_name=key[3],
            main_nav=items,
            current=current,
            on_profile=key[6],
            token=_CSRF_MARK,
            next=_NEXT_MARK,
        )
        if len(_HEADERS) >= _HEADERS_MAX:
            _HEADERS.clear()
        _HEADERS[key] = html
    here = request.full_path if request.query_string else request.path
    return Markup(  # noqa: S704  (kept markup; the two values are escaped)
        html.replace(_CSRF_MARK, escape(generate_csrf())).replace(_NEXT_MARK, escape(here))
    )


# Formats from the design sheet: 23.11.2026, 14:30 Uhr / 23 Nov 2026, 2:30 pm.
DATE_PATTERNS = {"de": "dd.MM.yyyy", "en": "d MMM yyyy"}
DATETIME_PATTERNS = {"de": "dd.MM.yyyy, HH:mm 'Uhr'", "en": "d MMM yyyy, h:mm a"}
TIME_PATTERNS = {"de": "HH:mm", "en": "h:mm a"}


def page_language() -> str:
    """The language of the page: "de" or "en"."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in DATE_PATTERNS else "de"


def date_filter(value: date | None) -> str:
    """A day (or the day of a moment, in the user's time zone) as the page writes it."""
    if not value:
        return "–"
    day = to_user_timezone(value).date() if isinstance(value, datetime) else value
    return _day_text(page_language(), day)


@lru_cache(maxsize=4096)
def _day_text(language: str, day: date) -> str:
    # Kept: Babel takes some 50 µs per date, and a list of fifty people or a
    # manager's matrix writes the same days again and again.
    return babel_dates.format_date(day, DATE_PATTERNS[language], locale=language)


def datetime_filter(value: datetime | None) -> str:
    return format_datetime(value, DATETIME_PATTERNS[page_language()]) if value else "–"


def timespan_filter(start: datetime, end: datetime) -> str:
    """A date's time span: 23.11.2026, 14:30–16:00 Uhr / 23 Nov 2026, 2:30 pm–4:00 pm."""
    language = page_language()
    if to_user_timezone(start).date() != to_user_timezone(end).date():
        return f"{datetime_filter(start)} – {datetime_filter(end)}"
    pattern = TIME_PATTERNS[language]
    span = f"{date_filter(start)}, {format_time(start, pattern)}–{format_time(end, pattern)}"
    return f"{span} Uhr" if language == "de" else span


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


def percent_filter(value: Any) -> str:
    """A whole percentage with a non-breaking space: 80 %."""
    return f"{format_decimal(round(value or 0), format='#,##0')}\u00a0%"


GAP_MARK = re.compile(r"\{\{gap:(\d+)\}\}")


def fill_gaps(
    question: dict[str, Any],
    name: str,
    disabled: bool = False,
    saved: dict[str, Any] | None = None,
) -> Markup:
    """A cloze question's stored, sanitised HTML with its gaps turned into fields."""
    gaps = question.get("gaps", [])
    off = " disabled" if disabled else ""
    saved = saved or {}

    def field(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(gaps):
            return ""
        field_name = escape(f"{name}-{index}")
        label = escape(gettext("Gap %(n)d", n=index + 1))
        if gaps[index]["kind"] == "choice":
            # Options hold sanitised inline HTML; an <option> shows plain text only.
            chosen = str(saved.get(f"{name}-{index}", ""))
            options = "".join(
                f'<option value="{i}"{" selected" if chosen == str(i) else ""}>'
                f"{escape(Markup(text).striptags())}</option>"  # noqa: S704
                for i, text in enumerate(gaps[index]["options"])
            )
            blank = escape(gettext("Please choose"))
            return (
                f'<select name="{field_name}" aria-label="{label}"{off}>'
                f'<option value="">{blank}</option>{options}</select>'
            )
        value = escape(str(saved.get(f"{name}-{index}", "")))
        return (
            f'<input type="text" class="gap" name="{field_name}" aria-label="{label}"'
            f' value="{value}" autocomplete="off"{off}>'
        )

    # The stored HTML was sanitised at import; only the gap marks are replaced.
    return Markup(GAP_MARK.sub(field, str(question.get("prompt_html", ""))))  # noqa: S704


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        site_header=site_header,
        role_labels=ROLE_LABELS,
        page_language=page_language,
        fill_gaps=fill_gaps,
        unit_type_labels=UNIT_TYPE_LABELS,
    )
    app.jinja_env.filters["date"] = date_filter
    app.jinja_env.filters["points"] = points_filter
    app.jinja_env.filters["percent"] = percent_filter
    app.jinja_env.filters["datetime"] = datetime_filter
    app.jinja_env.filters["timespan"] = timespan_filter
    app.jinja_env.filters["validity"] = validity_filter
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
