"""SVG charts (lms.reports.charts): valid, accessible, escaped, and drawn to scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from lms.reports import charts
from lms.reports.charts import chart_summary, line_chart, stacked_bar

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "Kurs <script>alert(1)</script> & „Co“"

STATES = [
    ("nicht begonnen", 120, "idle"),
    ("in Bearbeitung", 45, "progress"),
    ("abgeschlossen", 610, "ok"),
    ("läuft bald ab", 30, "warn"),
    ("überfällig", 12, "danger"),
    ("abgelaufen", 0, "danger"),
]
MONTHS = ["Dez. 25", "Jan. 26", "Feb. 26", "März 26", "Apr. 26", "Mai 26"]


def parse(svg: Markup) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314  (our own output)


def bar(segments=STATES, **kwargs) -> Markup:  # type: ignore[no-untyped-def]
    return stacked_bar(
        segments,
        title="Zuweisungen nach Stand",
        description="Wie viele …",
        id_prefix="states",
        **kwargs,
    )


def lines(series, x_labels=MONTHS, **kwargs) -> Markup:  # type: ignore[no-untyped-def]
    return line_chart(
        series,
        title="Abschlüsse pro Monat",
        description="Abschlüsse je Monat",
        x_labels=x_labels,
        id_prefix="completions",
        **kwargs,
    )


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def attribute_floats(element: ET.Element, *names: str) -> list[float]:
    return [float(element.attrib[name]) for name in names]


def relative_luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_on_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


ALL_CHARTS = [
    pytest.param(lambda: bar(), id="bar"),
    pytest.param(lambda: bar([(label, 0, style) for label, _n, style in STATES]), id="empty-bar"),
    pytest.param(lambda: lines([("Staplerschein", [1, 0, 3, 7, 2, 0])]), id="lines"),
    pytest.param(lambda: lines([]), id="no-lines"),
]


@pytest.mark.parametrize("make", ALL_CHARTS)
def test_every_chart_is_an_accessible_scalable_image(make) -> None:  # type: ignore[no-untyped-def]
    svg = make()
    assert isinstance(svg, Markup)
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.attrib["role"] == "img"
    assert root.attrib["width"] == "100%"
    assert re.fullmatch(r"0 0 \d+ [\d.]+", root.attrib["viewBox"])
    assert root.attrib["font-family"] == "inherit"
    ids = {element.attrib["id"]: element for element in root.iter() if "id" in element.attrib}
    labelled_by = root.attrib["aria-labelledby"].split()
    assert [ids[name].tag for name in labelled_by] == [f"{SVG}title", f"{SVG}desc"]
    # The title and description come first, so that every reader finds them.
    assert [child.tag for child in root[:2]] == [f"{SVG}title", f"{SVG}desc"]
    all_ids = re.findall(r'\bid="([^"]+)"', str(svg))
    assert len(all_ids) == len(set(all_ids))
    prefix = labelled_by[0].split("-")[0]
    assert all(name.startswith(prefix + "-") for name in all_ids)


@pytest.mark.parametrize("make", ALL_CHARTS)
def test_no_styles_or_scripts(make) -> None:  # type: ignore[no-untyped-def]
    text = str(make())
    assert "style=" not in text
    assert "<style" not in text
    assert "<script" not in text.lower()
    assert "javascript:" not in text.lower()


@pytest.mark.parametrize("make", ALL_CHARTS)
def test_text_is_at_least_12_px_on_a_phone(make) -> None:  # type: ignore[no-untyped-def]
    root = parse(make())
    view_width = float(root.attrib["viewBox"].split()[2])
    sizes = [float(root.attrib["font-size"])]
    sizes += [float(e.attrib["font-size"]) for e in root.iter() if "font-size" in e.attrib]
    # A 360 px screen leaves about 320 px for the chart beside the page's margins.
    assert min(sizes) * 320 / view_width >= 12


def test_colours_have_3_to_1_contrast_on_white() -> None:
    for colour in [*charts.STYLE_COLOURS.values(), *charts.SERIES_COLOURS]:
        assert contrast_on_white(colour) >= 3, colour


def test_labels_are_escaped() -> None:
    for svg in (
        bar([(HOSTILE, 3, "ok")], format_number=lambda n: f"<b>{n}</b>"),
        lines([(HOSTILE, [1] * 6)], x_labels=["<i>Jan</i>", *MONTHS[1:]]),
        stacked_bar([], title="<script>", description="<script>", id_prefix="x"),
    ):
        text = str(svg)
        assert "<script" not in text
        assert "<b>" not in text and "<i>" not in text
        assert "&lt;script&gt;" in text
        parse(svg)
    root = parse(bar([(HOSTILE, 3, "ok")]))
    assert f"{HOSTILE}: 3" in texts(root)


def test_the_title_and_description_are_the_callers() -> None:
    root = parse(bar())
    assert root.find(f"{SVG}title").text == "Zuweisungen nach Stand"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Wie viele …"  # type: ignore[union-attr]


def test_bad_id_prefixes_are_refused() -> None:
    for prefix in ("", "1chart", 'a"b', "a b"):
        with pytest.raises(ValueError):
            stacked_bar(STATES, title="t", description="d", id_prefix=prefix)
        with pytest.raises(ValueError):
            line_chart([], title="t", description="d", x_labels=[], id_prefix=prefix)


# --- Stacked bar ----------------------------------------------------------------------


def segment_rects(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}rect") if e.attrib.get("class") == "chart__segment"]


def test_segment_widths_are_proportional_and_fill_the_bar() -> None:
    rects = segment_rects(parse(bar()))
    drawn = [(label, count) for label, count, _style in STATES if count]
    assert len(rects) == len(drawn)
    total = sum(count for _label, count in drawn)
    widths = [float(rect.attrib["width"]) for rect in rects]
    assert sum(widths) == pytest.approx(charts.BAR_WIDTH, abs=0.05)
    for width, (_label, count) in zip(widths, drawn, strict=True):
        assert width == pytest.approx(charts.BAR_WIDTH * count / total, abs=0.02)
    # Side by side, from the bar's start, without gaps or overlaps.
    x = charts.BAR_X
    for rect in rects:
        assert float(rect.attrib["x"]) == pytest.approx(x, abs=0.02)
        x += float(rect.attrib["width"])


def test_every_segment_is_in_the_legend_with_its_count() -> None:
    shown = texts(parse(bar(format_number=lambda n: f"{n:,}".replace(",", "."))))
    for label, count, _style in STATES:
        assert f"{label}: {count}" in shown
    shown = texts(parse(bar([("abgeschlossen", 1234, "ok")], format_number=lambda n: f"{n:,}")))
    assert "abgeschlossen: 1,234" in shown


def test_segments_differ_in_more_than_colour() -> None:
    root = parse(bar())
    fills = [rect.attrib["fill"] for rect in segment_rects(root)]
    assert len(set(fills)) == len(fills)
    # Overdue and expired share a colour, so they must not share a pattern.
    both = parse(bar([("überfällig", 2, "danger"), ("abgelaufen", 3, "danger")]))
    first, second = (rect.attrib["fill"] for rect in segment_rects(both))
    assert first != second
    patterns = {p.attrib["id"]: p for p in both.iter(f"{SVG}pattern")}
    assert len(patterns) == 2
    marks = [ET.tostring(p[1]) for p in patterns.values()]
    assert marks[0] != marks[1]


def test_counts_are_written_in_wide_segments() -> None:
    shown = texts(parse(bar()))
    assert "610" in shown and "120" in shown


def test_all_zero_gives_an_empty_bar_with_a_zero() -> None:
    root = parse(bar([(label, 0, style) for label, _n, style in STATES]))
    assert segment_rects(root) == []
    assert "0" in texts(root)
    assert [e for e in root.iter(f"{SVG}rect") if e.attrib.get("class") == "chart__bar"]
    assert parse(stacked_bar([], title="t", description="d", id_prefix="empty")) is not None


def test_bad_segments_are_refused() -> None:
    with pytest.raises(ValueError):
        bar([("x", 1, "purple")])
    with pytest.raises(ValueError):
        bar([("x", -1, "ok")])


def test_chart_summary() -> None:
    assert chart_summary([("a", 1, "ok"), ("b", 3, "idle")]) == [("a", 1, 25.0), ("b", 3, 75.0)]
    assert chart_summary([("a", 0, "ok"), ("b", 0, "idle")]) == [("a", 0, 0.0), ("b", 0, 0.0)]
    assert chart_summary([]) == []


# --- Line chart -----------------------------------------------------------------------


def plot_area(root: ET.Element) -> tuple[float, float, float, float]:
    (plot,) = (e for e in root.iter(f"{SVG}rect") if e.attrib.get("class") == "chart__plot")
    x, y, width, height = attribute_floats(plot, "x", "y", "width", "height")
    return x, y, x + width, y + height


def series_points(root: ET.Element) -> list[list[tuple[float, float]]]:
    result = []
    for group in root.iter(f"{SVG}g"):
        if group.attrib.get("class") == "chart__series":
            polyline = group.find(f"{SVG}polyline")
            assert polyline is not None
            pairs = [pair.split(",") for pair in polyline.attrib["points"].split()]
            result.append([(float(x), float(y)) for x, y in pairs])
    return result


def test_points_lie_in_the_plot_area_and_scale() -> None:
    series = [("Staplerschein", [0, 3, 14, 7, 2, 0]), ("Datenschutz", [5, 5, 5, 5, 5, 5])]
    root = parse(lines(series))
    left, top, right, bottom = plot_area(root)
    drawn = series_points(root)
    assert [len(points) for points in drawn] == [6, 6]
    for points in drawn:
        for x, y in points:
            assert left <= x <= right
            assert top <= y <= bottom
        xs = [x for x, _y in points]
        assert xs == sorted(xs)
    # 0 sits on the axis; the same value gives the same height in both series.
    assert drawn[0][0][1] == pytest.approx(bottom)
    assert drawn[0][4][1] < drawn[0][0][1]
    assert drawn[0][2][1] < drawn[1][2][1]


def test_the_y_axis_has_round_numbered_ticks() -> None:
    shown = texts(parse(lines([("Staplerschein", [0, 3, 14, 7, 2, 0])])))
    assert {"0", "5", "10", "15"} <= set(shown)
    shown = texts(parse(lines([("Staplerschein", [0, 3, 14, 7, 2, 0])], y_max=40)))
    assert {"0", "20", "40"} <= set(shown)
    root = parse(lines([("Staplerschein", [0, 0, 0, 0, 0, 0])]))
    assert {"0", "1"} <= set(texts(root))
    _left, _top, _right, bottom = plot_area(root)
    assert all(y == pytest.approx(bottom) for _x, y in series_points(root)[0])


def test_points_stay_inside_even_above_y_max() -> None:
    root = parse(lines([("Staplerschein", [0, 3, 140, 7, 2, 0])], y_max=10))
    _left, top, _right, bottom = plot_area(root)
    assert all(top <= y <= bottom for _x, y in series_points(root)[0])
    assert "150" in texts(root)


def marker_shape(marker: ET.Element, centre: tuple[float, float]) -> tuple[object, ...]:
    """The marker's geometry relative to its point: equal for equal shapes only."""
    if marker.tag == f"{SVG}circle":
        return ("circle", marker.attrib["r"])
    if marker.tag == f"{SVG}rect":
        return ("rect", marker.attrib["width"], marker.attrib["height"])
    numbers = [
        float(n) for n in re.findall(r"-?[\d.]+", marker.attrib.get("points") or marker.attrib["d"])
    ]
    pairs = zip(numbers[::2], numbers[1::2], strict=True)
    return (
        marker.tag,
        tuple(sorted((round(x - centre[0], 1), round(y - centre[1], 1)) for x, y in pairs)),
    )


def test_series_differ_in_marker_and_appear_in_the_legend() -> None:
    series = [(f"Lernmodul {n}", [n] * 6) for n in range(7)]
    root = parse(lines(series))
    groups = [g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == "chart__series"]
    shapes = {
        marker_shape(group[1], points[0])
        for group, points in zip(groups, series_points(root), strict=True)
    }
    assert len(shapes) == 7
    shown = texts(root)
    assert all(label in shown for label, _values in series)


def test_long_labels_wrap_inside_the_chart() -> None:
    title = "Arbeitsschutz-Unterweisung für Beschäftigte im Lager und in der Produktion " * 3
    root = parse(lines([(title, [1] * 6)]))
    width = float(root.attrib["viewBox"].split()[2])
    legend = [e for e in root.iter(f"{SVG}text") if "text-anchor" not in e.attrib]
    assert len(legend) == 3
    assert all(len(e.text or "") * 0.6 * 18 + float(e.attrib["x"]) <= width for e in legend)
    assert legend[-1].text.endswith("…")  # type: ignore[union-attr]


def test_x_labels_are_thinned_out_when_crowded() -> None:
    months = [f"Sept. {n:02}" for n in range(12)]
    shown = texts(parse(lines([("Staplerschein", list(range(12)))], x_labels=months)))
    assert months[0] in shown
    assert 1 < sum(month in shown for month in months) < 12


def test_empty_and_single_point_charts() -> None:
    root = parse(lines([], x_labels=[]))
    assert series_points(root) == []
    root = parse(lines([("Staplerschein", [4])], x_labels=["Jan. 26"]))
    ((point,),) = series_points(root)
    left, top, right, bottom = plot_area(root)
    assert left <= point[0] <= right and top <= point[1] <= bottom


def test_bad_series_are_refused() -> None:
    with pytest.raises(ValueError):
        lines([("Staplerschein", [1, 2])])
    with pytest.raises(ValueError):
        lines([("Staplerschein", [1, -2, 0, 0, 0, 0])])
