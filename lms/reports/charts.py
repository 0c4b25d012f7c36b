"""Accessible SVG charts, drawn on the server: no JavaScript, no inline styles.

Every chart is one `<svg role="img">` named by its `<title>` and `<desc>`
(`aria-labelledby`), scales to its container (`viewBox`, `width="100%"`) and is
meant to sit next to a table with the same figures, which the template builds.
Text is escaped, drawn in the page's font and at least 12 px high on a 360 px
wide phone; colours are the site's (lms/static/css/app.css) with at least 3:1
contrast against white, and a pattern or a marker shape tells the parts apart
as well, so colour is never the only clue (WCAG 1.4.1).

Callers pass translated labels and may pass `format_number` (for example
`flask_babel.format_number`) for the locale's digit grouping. The results are
`Markup`, so a template writes `{{ chart }}`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["STYLE_COLOURS", "chart_summary", "line_chart", "stacked_bar"]

WIDTH = 480
"""Width of every chart's viewBox; 18 units of text are 12 px at 320 px."""
FONT_SIZE = 18
LINE_HEIGHT = 24
# An estimate of a character's width in ems, generous so that text rarely overlaps.
CHAR_WIDTH = 0.6

TEXT = "#1b1f24"
MUTED = "#50565e"
BACKGROUND = "#ffffff"
SUBTLE = "#f4f6f8"
GRID = "#c9ced4"

STYLE_COLOURS = {
    "ok": "#1b6e31",  # abgeschlossen
    "progress": "#0b5cad",  # in Bearbeitung
    "idle": "#5c636b",  # nicht begonnen
    "warn": "#7a4f00",  # läuft bald ab
    "danger": "#a4231b",  # überfällig, abgelaufen
}
"""The segment styles `stacked_bar` knows, with their colours (app.css's state colours)."""

SERIES_COLOURS = ("#0b5cad", "#a4231b", "#1b6e31", "#7a4f00", "#1b1f24", "#5c636b")

# White lines or dots on the segment's colour, drawn in an 8 × 8 tile.
_PATTERN_MARKS = {
    "solid": "",
    "diagonal": '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#ffffff" stroke-width="2"/>',
    "dots": '<circle cx="4" cy="4" r="1.8" fill="#ffffff"/>',
    "horizontal": '<path d="M0,4 h8" stroke="#ffffff" stroke-width="2"/>',
    "crosshatch": (
        '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4 M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4"'
        ' stroke="#ffffff" stroke-width="1.5"/>'
    ),
    "vertical": '<path d="M4,0 v8" stroke="#ffffff" stroke-width="2"/>',
    "backdiagonal": '<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke="#ffffff" stroke-width="2"/>',
}
_STYLE_PATTERNS = {
    "ok": "solid",
    "progress": "diagonal",
    "idle": "dots",
    "warn": "horizontal",
    "danger": "crosshatch",
}
# For a second segment of the same style (overdue and expired are both "danger").
_SPARE_PATTERNS = ("backdiagonal", "vertical", *_STYLE_PATTERNS.values())

_MARKER_SHAPES = ("circle", "square", "triangle", "diamond", "triangle-down", "cross", "plus")
_DASHES = ("", "8 4", "2 4")

_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

Segment = tuple[str, int, str]
"""(label, count, style); style is a key of STYLE_COLOURS."""
Series = tuple[str, Sequence[float]]
"""(label, one value per x label)."""


# --- Drawing helpers ------------------------------------------------------------------


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH * FONT_SIZE


def _wrap(text: str, width: float, max_lines: int = 3) -> list[str]:
    """The text in lines that fit `width` (estimated), at most `max_lines`, cut with "…"."""
    per_line = max(int(width / (CHAR_WIDTH * FONT_SIZE)), 1)
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > per_line:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:per_line])
            word = word[per_line:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= per_line:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: per_line - 1].rstrip() + "…"
    return lines


def _text(x: float, y: float, content: str, **attributes: str) -> str:
    extra = "".join(
        f' {name.replace("_", "-")}="{escape(value)}"' for name, value in attributes.items()
    )
    return f'<text x="{_num(x)}" y="{_num(y)}" fill="{TEXT}"{extra}>{escape(content)}</text>'


def _check_id_prefix(id_prefix: str) -> None:
    if not _ID_PREFIX.fullmatch(id_prefix):
        raise ValueError(
            f"id_prefix must start with a letter and hold only letters, digits, - and _: "
            f"{id_prefix!r}"
        )


def _svg(id_prefix: str, height: float, title: str, description: str, body: list[str]) -> Markup:
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    # Every piece of text in `body` went through escape() (see _text); the rest is numbers.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart__svg" width="100%"'
        f' viewBox="0 0 {WIDTH} {_num(height)}" role="img"'
        f' aria-labelledby="{title_id} {desc_id}" font-family="inherit" font-size="{FONT_SIZE}">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(description)}</desc>'
        f"{''.join(body)}</svg>"
    )


@dataclass(frozen=True)
class _LegendItem:
    swatch: Callable[[float, float], str]  # draws a 24 × 20 swatch at (x, y)
    text: str


_SWATCH_WIDTH = 24
_SWATCH_GAP = 8
_ITEM_GAP = 20


def _legend(items: Sequence[_LegendItem], top: float) -> tuple[list[str], float]:
    """The items in rows, left to right, wrapped to the width; returns parts and bottom."""
    parts: list[str] = []
    text_room = WIDTH - _SWATCH_WIDTH - _SWATCH_GAP
    x, y, row_height = 0.0, top, 0.0
    for item in items:
        lines = _wrap(item.text, text_room)
        item_width = _SWATCH_WIDTH + _SWATCH_GAP + max(_text_width(line) for line in lines)
        if x > 0 and x + item_width > WIDTH:
            x, y, row_height = 0.0, y + row_height + 8, 0.0
        parts.append(item.swatch(x, y + (LINE_HEIGHT - 20) / 2))
        for number, line in enumerate(lines):
            baseline = y + number * LINE_HEIGHT + LINE_HEIGHT - 6
            parts.append(_text(x + _SWATCH_WIDTH + _SWATCH_GAP, baseline, line))
        row_height = max(row_height, len(lines) * LINE_HEIGHT)
        x += item_width + _ITEM_GAP
    return parts, y + row_height


# --- Stacked bar ----------------------------------------------------------------------


def chart_summary(segments: Sequence[Segment]) -> list[tuple[str, int, float]]:
    """(label, count, percent of the total) per segment; percents are 0.0 when all are 0."""
    total = sum(count for _label, count, _style in segments)
    return [
        (label, count, count * 100 / total if total else 0.0) for label, count, _style in segments
    ]


def _patterns_for(segments: Sequence[Segment]) -> list[str]:
    """A pattern per segment: the style's own, another one where a style comes again."""
    used: set[str] = set()
    chosen = []
    for _label, _count, style in segments:
        pattern = _STYLE_PATTERNS[style]
        if pattern in used:
            pattern = next((p for p in _SPARE_PATTERNS if p not in used), pattern)
        used.add(pattern)
        chosen.append(pattern)
    return chosen


def _pattern_def(pattern_id: str, colour: str, pattern: str) -> str:
    return (
        f'<pattern id="{pattern_id}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{colour}"/>{_PATTERN_MARKS[pattern]}</pattern>'
    )


BAR_X = 1.0
BAR_WIDTH = WIDTH - 2 * BAR_X
BAR_Y = 1.0
BAR_HEIGHT = 48.0


def stacked_bar(
    segments: Sequence[Segment],
    *,
    title: str,
    description: str,
    id_prefix: str,
    format_number: Callable[[int], str] = str,
) -> Markup:
    """One horizontal bar split into segments in proportion to their counts, with a legend.

    `segments` are (label, count, style) in the order to draw; style is one of
    STYLE_COLOURS ("ok", "progress", "idle", "warn", "danger"). Each segment is
    filled with its style's colour and its own pattern (a style used twice gets
    a second pattern) and shows its count where there is room; the legend
    below repeats colour and pattern with "label: count" for every segment,
    those with 0 included. Segments' widths add up to the bar's width; when all
    counts are 0 the bar is drawn empty with "0" in it.

    `id_prefix` makes the ids in the SVG unique on the page (letters, digits,
    "-" and "_", starting with a letter). Raises ValueError for an unknown
    style, a negative count or a bad `id_prefix`.
    """
    _check_id_prefix(id_prefix)
    for label, count, style in segments:
        if style not in STYLE_COLOURS:
            raise ValueError(f"Unknown segment style {style!r} for {label!r}")
        if count < 0:
            raise ValueError(f"Negative count {count} for {label!r}")
    patterns = _patterns_for(segments)
    fills = []
    defs = []
    for index, (segment, pattern) in enumerate(zip(segments, patterns, strict=True)):
        colour = STYLE_COLOURS[segment[2]]
        if pattern == "solid":
            fills.append(colour)
        else:
            pattern_id = f"{id_prefix}-pattern-{index}"
            defs.append(_pattern_def(pattern_id, colour, pattern))
            fills.append(f"url(#{pattern_id})")
    body = [f"<defs>{''.join(defs)}</defs>"] if defs else []

    total = sum(count for _label, count, _style in segments)
    middle = BAR_Y + BAR_HEIGHT / 2
    if total == 0:
        body.append(
            f'<rect class="chart__bar" x="{_num(BAR_X)}" y="{_num(BAR_Y)}"'
            f' width="{_num(BAR_WIDTH)}" height="{_num(BAR_HEIGHT)}"'
            f' fill="{SUBTLE}" stroke="{MUTED}" stroke-width="1"/>'
        )
        body.append(
            _text(WIDTH / 2, middle + FONT_SIZE * 0.35, format_number(0), text_anchor="middle")
        )
    else:
        body.extend(_segments(segments, fills, total, format_number))

    items = [
        _LegendItem(_square_swatch(fill, STYLE_COLOURS[style]), f"{label}: {format_number(count)}")
        for (label, count, style), fill in zip(segments, fills, strict=True)
    ]
    legend, bottom = _legend(items, BAR_Y + BAR_HEIGHT + 16)
    body.extend(legend)
    return _svg(id_prefix, bottom + 4, title, description, body)


def _segments(
    segments: Sequence[Segment], fills: list[str], total: int, format_number: Callable[[int], str]
) -> list[str]:
    parts = []
    separators = []
    middle = BAR_Y + BAR_HEIGHT / 2
    running = 0
    for (_label, count, _style), fill in zip(segments, fills, strict=True):
        if count == 0:
            continue
        # Boundaries from the running total, so that the widths add up to the bar exactly.
        start = BAR_X + BAR_WIDTH * running / total
        running += count
        end = BAR_X + BAR_WIDTH * running / total
        start, end = round(start, 2), round(end, 2)
        parts.append(
            f'<rect class="chart__segment" x="{_num(start)}" y="{_num(BAR_Y)}"'
            f' width="{_num(end - start)}" height="{_num(BAR_HEIGHT)}" fill="{fill}"'
            f' data-count="{count}"/>'
        )
        if start > BAR_X:
            separators.append(
                f'<line x1="{_num(start)}" y1="{_num(BAR_Y)}" x2="{_num(start)}"'
                f' y2="{_num(BAR_Y + BAR_HEIGHT)}" stroke="{BACKGROUND}" stroke-width="2"/>'
            )
        number = format_number(count)
        chip_width = _text_width(number) + 10
        if end - start >= chip_width + 4:
            centre = (start + end) / 2
            parts.append(
                f'<rect x="{_num(centre - chip_width / 2)}" y="{_num(middle - FONT_SIZE / 2 - 4)}"'
                f' width="{_num(chip_width)}" height="{_num(FONT_SIZE + 8)}" rx="4"'
                f' fill="{BACKGROUND}"/>'
            )
            parts.append(_text(centre, middle + FONT_SIZE * 0.35, number, text_anchor="middle"))
    return parts + separators


def _square_swatch(fill: str, colour: str) -> Callable[[float, float], str]:
    def draw(x: float, y: float) -> str:
        return (
            f'<rect x="{_num(x + 2)}" y="{_num(y)}" width="20" height="20"'
            f' fill="{fill}" stroke="{colour}" stroke-width="1"/>'
        )

    return draw


# --- Line chart -----------------------------------------------------------------------


def _nice_scale(largest: float) -> tuple[int, int]:
    """(top, step): a round step (1, 2 or 5 × 10ⁿ, at least 1) and the top as a multiple of it."""
    if largest <= 0:
        return 1, 1
    rough = largest / 5
    magnitude = 10 ** max(math.floor(math.log10(rough)), 0)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    return step * math.ceil(largest / step), step


_POLYGONS = {
    "triangle": ((0, -7), (6.5, 5), (-6.5, 5)),
    "triangle-down": ((0, 7), (6.5, -5), (-6.5, -5)),
    "diamond": ((0, -7), (7, 0), (0, 7), (-7, 0)),
}
_STROKES = {
    "cross": (((-5, -5), (5, 5)), ((5, -5), (-5, 5))),
    "plus": (((-6, 0), (6, 0)), ((0, -6), (0, 6))),
}


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    """A marker of the shape centred on (x, y): filled with a white rim, or two strokes."""
    outline = f'fill="{colour}" stroke="{BACKGROUND}" stroke-width="1.5"'
    if shape == "circle":
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="5.5" {outline}/>'
    if shape == "square":
        return f'<rect x="{_num(x - 5)}" y="{_num(y - 5)}" width="10" height="10" {outline}/>'
    if shape in _POLYGONS:
        points = " ".join(f"{_num(x + dx)},{_num(y + dy)}" for dx, dy in _POLYGONS[shape])
        return f'<polygon points="{points}" {outline}/>'
    d = " ".join(
        f"M{_num(x + x1)},{_num(y + y1)} L{_num(x + x2)},{_num(y + y2)}"
        for (x1, y1), (x2, y2) in _STROKES[shape]
    )
    return f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="3"/>'


def _series_look(index: int) -> tuple[str, str, str]:
    """(colour, marker shape, dash pattern) of the index-th series; the triple repeats late."""
    return (
        SERIES_COLOURS[index % len(SERIES_COLOURS)],
        _MARKER_SHAPES[index % len(_MARKER_SHAPES)],
        _DASHES[index % len(_DASHES)],
    )


def _line_swatch(colour: str, shape: str, dash: str) -> Callable[[float, float], str]:
    def draw(x: float, y: float) -> str:
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<line x1="{_num(x)}" y1="{_num(y + 10)}" x2="{_num(x + 24)}" y2="{_num(y + 10)}"'
            f' stroke="{colour}" stroke-width="2.5"{dash_attribute}/>'
            + _marker(shape, x + 12, y + 10, colour)
        )

    return draw


PLOT_TOP = FONT_SIZE / 2 + 4
PLOT_HEIGHT = 220.0
PLOT_RIGHT = WIDTH - 4.0


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    x_labels: Sequence[str],
    id_prefix: str,
    y_max: float | None = None,
    format_number: Callable[[int], str] = str,
) -> Markup:
    """Lines over the x labels (e.g. months), one per series, with axes and a legend.

    Each series is (label, values) with one non-negative value per x label.
    Series differ in colour, marker shape and dash pattern. The y axis starts
    at 0 and ends at a round number at or above the largest value and `y_max`
    (pass the same `y_max` to charts that should share a scale); its ticks are
    whole numbers. X labels are thinned out when they would not fit, every
    point keeps its tick. With no series or no x labels the axes are drawn
    empty.

    `id_prefix` makes the ids in the SVG unique on the page. Raises ValueError
    when a series' length differs from the x labels', a value is negative, or
    `id_prefix` is bad.
    """
    _check_id_prefix(id_prefix)
    for label, values in series:
        if len(values) != len(x_labels):
            raise ValueError(
                f"Series {label!r} has {len(values)} values for {len(x_labels)} x labels"
            )
        if any(value < 0 for value in values):
            raise ValueError(f"Series {label!r} has a negative value")
    largest = max([0.0, y_max or 0.0, *(v for _label, values in series for v in values)])
    top, step = _nice_scale(largest)
    ticks = list(range(0, top + 1, step))
    tick_labels = [format_number(tick) for tick in ticks]

    left = max(_text_width(label) for label in tick_labels) + 10
    plot_width = PLOT_RIGHT - left
    bottom = PLOT_TOP + PLOT_HEIGHT

    def y_of(value: float) -> float:
        return bottom - PLOT_HEIGHT * value / top

    body = [
        f'<rect class="chart__plot" x="{_num(left)}" y="{_num(PLOT_TOP)}"'
        f' width="{_num(plot_width)}" height="{_num(PLOT_HEIGHT)}" fill="none"/>'
    ]
    for tick, tick_label in zip(ticks, tick_labels, strict=True):
        y = y_of(tick)
        if tick:
            body.append(
                f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(PLOT_RIGHT)}" y2="{_num(y)}"'
                f' stroke="{GRID}" stroke-width="1"/>'
            )
        body.append(_text(left - 8, y + FONT_SIZE * 0.35, tick_label, text_anchor="end"))
    body.append(
        f'<line x1="{_num(left)}" y1="{_num(bottom)}" x2="{_num(PLOT_RIGHT)}" y2="{_num(bottom)}"'
        f' stroke="{MUTED}" stroke-width="1.5"/>'
    )

    band = plot_width / len(x_labels) if x_labels else plot_width
    xs = [left + band * (index + 0.5) for index in range(len(x_labels))]
    widest = max((_text_width(label) for label in x_labels), default=0.0)
    every = max(math.ceil((widest + 8) / band), 1)
    label_baseline = bottom + 6 + FONT_SIZE
    for index, (x, label) in enumerate(zip(xs, x_labels, strict=True)):
        body.append(
            f'<line x1="{_num(x)}" y1="{_num(bottom)}" x2="{_num(x)}" y2="{_num(bottom + 5)}"'
            f' stroke="{MUTED}" stroke-width="1.5"/>'
        )
        if index % every == 0:
            half = _text_width(label) / 2
            centre = min(max(x, half), WIDTH - half)
            body.append(_text(centre, label_baseline, label, text_anchor="middle"))

    items = []
    for index, (label, values) in enumerate(series):
        colour, shape, dash = _series_look(index)
        points = [(x, y_of(value)) for x, value in zip(xs, values, strict=True)]
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(
            f'<g class="chart__series"><polyline'
            f' points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in points)}"'
            f' fill="none" stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"'
            f"{dash_attribute}/>"
            + "".join(_marker(shape, x, y, colour) for x, y in points)
            + "</g>"
        )
        items.append(_LegendItem(_line_swatch(colour, shape, dash), label))

    legend, legend_bottom = _legend(items, label_baseline + 16)
    body.extend(legend)
    height = legend_bottom + 4 if items else label_baseline + 8
    return _svg(id_prefix, height, title, description, body)
