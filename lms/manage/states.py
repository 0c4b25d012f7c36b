"""How a cell's state reads: word, icon and colour class, the same on pages and in exports."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel.dates import format_date as format_date_babel
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from lms.clock import local_zone
from lms.services.compliance import Cell, CellState, Matrix
from lms.templating import DATE_PATTERNS, page_language, percent_filter

STATE_LABELS = {
    CellState.NOT_STARTED: _l("not started"),
    CellState.IN_PROGRESS: _l("in progress"),
    CellState.COMPLETED: _l("completed"),
    CellState.EXPIRING: _l("expiring soon"),
    CellState.OVERDUE: _l("overdue"),
    CellState.EXPIRED: _l("expired"),
}

STATE_ICONS = {
    CellState.NOT_STARTED: "○",
    CellState.IN_PROGRESS: "◐",
    CellState.COMPLETED: "✓",
    CellState.EXPIRING: "⚠",
    CellState.OVERDUE: "✕",
    CellState.EXPIRED: "✕",
}

STATE_CLASSES = {
    CellState.NOT_STARTED: "idle",
    CellState.IN_PROGRESS: "progress",
    CellState.COMPLETED: "ok",
    CellState.EXPIRING: "warn",
    CellState.OVERDUE: "danger",
    CellState.EXPIRED: "danger",
}

# The chart's segment style for each state (see lms.reports.charts).
STATE_STYLES = STATE_CLASSES


def cell_date(cell: Cell) -> str:
    """The date that matters for the cell, in words: due, valid until, expired on."""
    if cell.state is CellState.COMPLETED:
        if cell.valid_until is None:
            return _("no expiry")
        return _("valid until %(date)s", date=format_date(cell.valid_until))
    if cell.state is CellState.EXPIRING:
        return _("valid until %(date)s", date=format_date(cell.valid_until))
    if cell.state is CellState.EXPIRED:
        return _("since %(date)s", date=format_date(cell.valid_until))
    return _("due on %(date)s", date=format_date(cell.due_on))


class CellText:
    """Cells as one line of text for exports: "completed (valid until 12.03.2027)".

    An export has up to 40,000 cells: words are translated once, days formatted once.
    """

    def __init__(self) -> None:
        self._zone = local_zone()
        self._language = page_language()
        self._labels = {state: str(STATE_LABELS[state]) for state in CellState}
        valid_until = _("valid until %(date)s")
        self._templates = {
            CellState.COMPLETED: valid_until,
            CellState.EXPIRING: valid_until,
            CellState.EXPIRED: _("since %(date)s"),
        }
        self._due = _("due on %(date)s")
        self._no_expiry = _("no expiry")

    def __call__(self, cell: Cell | None) -> str:
        if cell is None:
            return ""
        template = self._templates.get(cell.state)
        if template is None:
            text = self._due % {"date": _day_plain(self._language, cell.due_on)}
        elif cell.valid_until is None:
            text = self._no_expiry
        else:
            day = cell.valid_until.astimezone(self._zone).date()
            text = template % {"date": _day_plain(self._language, day)}
        return f"{self._labels[cell.state]} ({text})"


@lru_cache(maxsize=4096)
def _day_plain(language: str, day: date) -> str:
    """A day as the `date` filter shows it."""
    return format_date_babel(day, DATE_PATTERNS[language], locale=language)


@lru_cache(maxsize=4096)
def _day_text(language: str, day: date) -> str:
    """A day as the `date` filter shows it, HTML-escaped."""
    return str(escape(_day_plain(language, day)))


class CellWriter:
    """Writes matrix cells as HTML, the same as `manage/_cell.html`, but fast.

    A page of the matrix has up to 2,000 cells; their words repeat, so each is
    translated once per page, and each day is formatted once per process.
    """

    def __init__(self) -> None:
        self._zone = local_zone()
        self._locale = page_language()
        self._heads = {
            state: (
                f'<span class="status status--{STATE_CLASSES[state]}">'
                f'<span aria-hidden="true">{STATE_ICONS[state]}</span> '
                f"{escape(str(STATE_LABELS[state]))}</span>"
            )
            for state in CellState
        }
        # In the matrix the cell itself carries the state's class (shorter pages).
        self._cell_heads = {
            state: (
                f'<td class="c--{STATE_CLASSES[state]}"><span aria-hidden="true">'
                f"{STATE_ICONS[state]}</span> {escape(str(STATE_LABELS[state]))}"
            )
            for state in CellState
        }
        valid_until = str(escape(_("valid until %(date)s")))
        self._templates = {
            CellState.COMPLETED: valid_until,
            CellState.EXPIRING: valid_until,
            CellState.EXPIRED: str(escape(_("since %(date)s"))),
        }
        self._due = str(escape(_("due on %(date)s")))
        self._no_expiry = str(escape(_("no expiry")))
        self._tds: dict[tuple[CellState, date, datetime | None], str] = {}
        self._empty = (
            '<td class="c--none">–'
            f'<span class="visually-hidden"> {escape(_("not assigned"))}</span></td>'
        )

    def _date(self, cell: Cell) -> str:
        template = self._templates.get(cell.state)
        if template is None:
            return self._due % {"date": _day_text(self._locale, cell.due_on)}
        if cell.valid_until is None:
            return self._no_expiry
        day = cell.valid_until.astimezone(self._zone).date()
        return template % {"date": _day_text(self._locale, day)}

    def _html(self, cell: Cell) -> str:
        return f'{self._heads[cell.state]}<span class="cell__date">{self._date(cell)}</span>'

    def __call__(self, cell: Cell) -> Markup:
        # Every piece of text in it was escaped above.
        return Markup(self._html(cell))  # noqa: S704

    def row(
        self, matrix: Matrix, user_id: int, scores: dict[tuple[int, int], Any] | None = None
    ) -> Markup:
        """The cells of one person's row, one `<td>` per column of the matrix."""
        parts = []
        cells = matrix.cells
        for course_id, _title in matrix.courses:
            cell = cells.get((user_id, course_id))
            if cell is None:
                parts.append(self._empty)
                continue
            best = scores.get((user_id, course_id)) if scores else None
            if best is not None:
                result = escape(_("best result %(percent)s", percent=percent_filter(best)))
                parts.append(
                    f"{self._cell_heads[cell.state]}<small>{self._date(cell)}</small>"
                    f"<small>{result}</small></td>"
                )
                continue
            # Cells of one assignment (same state and dates) read the same.
            key = (cell.state, cell.due_on, cell.valid_until)
            html = self._tds.get(key)
            if html is None:
                html = f"{self._cell_heads[cell.state]}<small>{self._date(cell)}</small></td>"
                self._tds[key] = html
            parts.append(html)
        # Every piece of text in it was escaped above.
        return Markup("".join(parts))  # noqa: S704


def state_context() -> dict[str, Any]:
    return {
        "state_labels": STATE_LABELS,
        "state_icons": STATE_ICONS,
        "state_classes": STATE_CLASSES,
        "cell_date": cell_date,
        "write_cell": CellWriter(),
    }
