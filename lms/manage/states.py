"""How a cell's state reads: word, icon and colour class, the same on pages and in exports.

The HTML of a cell is in the macros of templates/manage/_cells.html; this module
gives them each cell's look (`CellText.look`: class, icon, word and date in words),
and gives exports the same words.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from babel.dates import format_date as format_date_babel
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from lms.clock import local_zone
from lms.reports.compliance import Cell, CellState, Matrix, Row
from lms.templating import DATE_PATTERNS, page_language

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


class CellLook(NamedTuple):
    """A cell as a page shows it (the macros of templates/manage/_cells.html): the
    state's colour class, icon and word, and the date that matters, in words."""

    css: str
    icon: str
    label: str
    date: str


class MatrixLine(NamedTuple):
    """One person's row of the matrix for the `matrix_row` macro: per column the cell's
    look (None: not assigned), the best result (None: not shown), the column's module
    title, escaped once per page (a phone shows each row as a card, the title beside its
    state), and the title's language when it is not the page's (else None)."""

    row: Row
    cells: list[tuple[CellLook | None, Any, Markup, str | None]]


class CellText:
    """Cells in words: "completed (valid until 12.03.2027)" for exports, and their look
    for pages.

    A page has up to 2,000 cells and an export 40,000: words are translated once per
    instance, days formatted once per process, and the cells of one assignment (same
    state and dates) looked up once per instance.
    """

    def __init__(self) -> None:
        self._zone = local_zone()
        self._language = page_language()
        self.labels = {state: str(STATE_LABELS[state]) for state in CellState}
        valid_until = _("valid until %(date)s")
        self._templates = {
            CellState.COMPLETED: valid_until,
            CellState.EXPIRING: valid_until,
            CellState.EXPIRED: _("since %(date)s"),
        }
        self._due = _("due on %(date)s")
        self._no_expiry = _("no expiry")
        self._external = _("%(text)s, external")
        self._looks: dict[tuple[CellState, date, datetime | None, bool], CellLook] = {}

    def date(self, cell: Cell) -> str:
        """The date that matters for the cell, in words: due, valid until, expired since;
        marked when a training done elsewhere fulfils it."""
        template = self._templates.get(cell.state)
        if template is None:
            return self._due % {"date": _day(self._language, cell.due_on)}
        if cell.valid_until is None:
            text = self._no_expiry
        else:
            day = cell.valid_until.astimezone(self._zone).date()
            text = template % {"date": _day(self._language, day)}
        return self._external % {"text": text} if cell.external else text

    def __call__(self, cell: Cell | None) -> str:
        if cell is None:
            return ""
        return f"{self.labels[cell.state]} ({self.date(cell)})"

    def look(self, cell: Cell) -> CellLook:
        """How the cell reads on a page."""
        key = (cell.state, cell.due_on, cell.valid_until, cell.external)
        found = self._looks.get(key)
        if found is None:
            state = cell.state
            found = CellLook(
                STATE_CLASSES[state], STATE_ICONS[state], self.labels[state], self.date(cell)
            )
            self._looks[key] = found
        return found

    def lines(
        self,
        matrix: Matrix,
        scores: dict[tuple[int, int], Any] | None = None,
        title_languages: dict[int, str] | None = None,
    ) -> list[MatrixLine]:
        """The matrix's rows with a look per column, and the best results from `scores`
        (by person and course) when they are shown; `title_languages`: the language of
        each module's title (`compliance.title_languages`)."""
        cells, scores, languages = matrix.cells, scores or {}, title_languages or {}
        columns = [
            (course_id, escape(title), _foreign(languages.get(course_id), self._language))
            for course_id, title in matrix.courses
        ]
        lines = []
        for row in matrix.rows:
            looks: list[tuple[CellLook | None, Any, Markup, str | None]] = []
            for course_id, title, language in columns:
                cell = cells.get((row.user_id, course_id))
                best = scores.get((row.user_id, course_id)) if cell is not None else None
                looks.append((None if cell is None else self.look(cell), best, title, language))
            lines.append(MatrixLine(row, looks))
        return lines


def _foreign(language: str | None, page: str) -> str | None:
    """`language` if it is not the page's (a title marked with `lang`), else None."""
    return language if language and language != page else None


@lru_cache(maxsize=4096)
def _day(language: str, day: date) -> str:
    """A day as the `date` filter shows it."""
    return format_date_babel(day, DATE_PATTERNS[language], locale=language)


def state_context() -> dict[str, Any]:
    """The states' words and icons, and the cells' looks (`cell_text.look(cell)`) for
    the macros of templates/manage/_cells.html."""
    return {
        "state_labels": STATE_LABELS,
        "state_icons": STATE_ICONS,
        "state_classes": STATE_CLASSES,
        "cell_text": CellText(),
    }
