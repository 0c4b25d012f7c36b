"""How a cell's state reads: word, icon and colour class, the same on pages and in exports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel.dates import format_date as format_date_babel
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


class CellText:
    """Cells as text: "completed (valid until 12.03.2027)" for exports, and the date
    part alone for pages.

    A page has up to 2,000 cells and an export 40,000: words are translated once per
    instance, days formatted once per process.
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
        self._external = _("%(text)s, external")

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
        return f"{self._labels[cell.state]} ({self.date(cell)})"


@lru_cache(maxsize=4096)
def _day(language: str, day: date) -> str:
    """A day as the `date` filter shows it."""
    return format_date_babel(day, DATE_PATTERNS[language], locale=language)


class CellWriter(CellText):
    """Cells as HTML: icon, word and colour class, and the date under them."""

    def __init__(self) -> None:
        super().__init__()
        self._heads = {
            state: (
                f'<span class="status status--{STATE_CLASSES[state]}">'
                f'<span aria-hidden="true">{STATE_ICONS[state]}</span> '
                f"{escape(self._labels[state])}</span>"
            )
            for state in CellState
        }
        # In the matrix the cell itself carries the state's class (shorter pages).
        self._cell_heads = {
            state: (
                f'<td class="c--{STATE_CLASSES[state]}"><span aria-hidden="true">'
                f"{STATE_ICONS[state]}</span> {escape(self._labels[state])}"
            )
            for state in CellState
        }
        self._tds: dict[tuple[CellState, date, datetime | None, bool], str] = {}
        self._empty = (
            '<td class="c--none">–'
            f'<span class="visually-hidden"> {escape(_("not assigned"))}</span></td>'
        )

    def _date(self, cell: Cell) -> str:
        return str(escape(self.date(cell)))

    def __call__(self, cell: Cell | None) -> Markup:
        if cell is None:
            return Markup("")
        html = f'{self._heads[cell.state]}<span class="cell__date">{self._date(cell)}</span>'
        # Every piece of text in it was escaped above.
        return Markup(html)  # noqa: S704

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
            key = (cell.state, cell.due_on, cell.valid_until, cell.external)
            html = self._tds.get(key)
            if html is None:
                html = f"{self._cell_heads[cell.state]}<small>{self._date(cell)}</small></td>"
                self._tds[key] = html
            parts.append(html)
        # Every piece of text in it was escaped above.
        return Markup("".join(parts))  # noqa: S704

    def rows(
        self,
        matrix: Matrix,
        department_names: Mapping[int, str],
        person_url: Callable[[int], str],
        scores: dict[tuple[int, int], Any] | None = None,
    ) -> Markup:
        """The matrix's body: per person a `<tr>` with the name (a link to the person's
        page), the department and the cells."""
        parts = []
        for row in matrix.rows:
            department = "–"
            if row.department_id is not None:
                department = department_names.get(row.department_id, "–")
            link = escape(person_url(row.user_id))
            parts.append(
                f'<tr><th scope="row" class="matrix__name"><a href="{link}">'
                f"{escape(row.name)}</a></th><td>{escape(department)}</td>"
                f"{self.row(matrix, row.user_id, scores)}</tr>\n"
            )
        # Every piece of text in it was escaped above.
        return Markup("".join(parts))  # noqa: S704


def state_context() -> dict[str, Any]:
    return {
        "state_labels": STATE_LABELS,
        "state_icons": STATE_ICONS,
        "state_classes": STATE_CLASSES,
        "write_cell": CellWriter(),
    }
