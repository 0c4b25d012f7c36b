"""How a cell's state reads: word, icon and colour class, the same on pages and in exports."""

from __future__ import annotations

from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.services.compliance import Cell, CellState

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


def cell_text(cell: Cell | None) -> str:
    """The cell as one line of text (exports): "completed (valid until 12.03.2027)"."""
    if cell is None:
        return ""
    return f"{STATE_LABELS[cell.state]} ({cell_date(cell)})"


def state_context() -> dict[str, Any]:
    return {
        "state_labels": STATE_LABELS,
        "state_icons": STATE_ICONS,
        "state_classes": STATE_CLASSES,
        "cell_date": cell_date,
    }
