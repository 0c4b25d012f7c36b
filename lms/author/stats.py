"""Item statistics of a knowledge check, per course version, for trainers (issue 9); for a
package unit (SCORM, cmi5) the figures of the interactions the package reported.

Figures only, never a learner: see `lms.services.item_stats` and `lms.packages.reporting`.
"""

from __future__ import annotations

from typing import Any

from babel.numbers import parse_pattern
from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from markupsafe import Markup

from lms.author import bp
from lms.author.routes import _course, _preview_language, _version
from lms.cache import remembered
from lms.db import db
from lms.models import CourseVersion
from lms.packages.reporting import STANDARD_NAMES, interaction_statistics
from lms.services.item_stats import MIN_ATTEMPTS, quiz_statistics
from lms.templating import GAP_MARK

# Number patterns parsed once; the page shows several hundred numbers.
_WHOLE = parse_pattern("#,##0")
_TWO_PLACES = parse_pattern("0.00")


def _formatters() -> dict[str, Any]:
    """Counts (1.234), shares (62 %) and correlations (0,42) as the locale writes them;
    the same output as the `points` and `percent` filters, a fifth of their cost."""
    locale = get_locale()

    def whole(value: float) -> str:
        return str(_WHOLE.apply(value, locale))

    def share(value: float) -> str:
        return f"{_WHOLE.apply(round(value * 100), locale)}\u00a0%"

    def two_places(value: float) -> str:
        return str(_TWO_PLACES.apply(value, locale))

    return {"whole": whole, "share": share, "two_places": two_places}


def _prompt_html(question: dict[str, Any]) -> Markup:
    """The question's stored, sanitised HTML; a cloze's gaps shown as [1], [2], …"""
    html = str(question.get("prompt_html", ""))
    return Markup(GAP_MARK.sub(lambda m: f"[{int(m.group(1)) + 1}]", html))  # noqa: S704


def _source_path(version: CourseVersion, language: str, unit_id: str) -> str:
    """The unit's file in the course folder, e.g. it-sicherheit/02-check.md. Read from the
    version's whole stored spec, which is large: kept in the cache (versions never change)."""

    def find() -> str:
        units: dict[str, list[dict[str, Any]]] = version.spec["units"]
        return next(
            (
                str(unit["path"])
                for lang in (language, version.language)
                for unit in units.get(lang, [])
                if unit["id"] == unit_id
            ),
            "",
        )

    return remembered(("unit-path", version.id, version.content_hash, language, unit_id), find)


# The units with item statistics: a knowledge check's questions, a package's interactions.
_WITH_STATISTICS = ("quiz", "package")


@bp.get("/courses/<slug>/v<int:number>/stats/<unit_id>")
def item_stats(slug: str, number: int, unit_id: str) -> ResponseReturnValue:
    version = _version(_course(slug), number)
    lang = _preview_language(version)
    units: list[dict[str, Any]] = version.content["units"][lang]
    unit = next((u for u in units if u["id"] == unit_id and u["type"] in _WITH_STATISTICS), None)
    if unit is None:
        abort(404)
    if unit["type"] == "package":
        return _package_stats(version, lang, unit)
    rendered = {q["id"]: q for q in unit["questions"]}
    statistics = quiz_statistics(db.session, version.id, unit_id, lang)
    return render_template(
        "author/stats.html",
        version=version,
        lang=lang,
        unit=unit,
        attempts=statistics.attempts,
        items=statistics.items,
        prompts={qid: _prompt_html(q) for qid, q in rendered.items()},
        source=_source_path(version, lang, unit_id),
        min_attempts=MIN_ATTEMPTS,
        **_formatters(),
    )


def _package_stats(version: CourseVersion, lang: str, unit: dict[str, Any]) -> ResponseReturnValue:
    """The interactions a package unit reported (`cmi.interactions`), per interaction id."""
    statistics = interaction_statistics(db.session, version.id, unit["id"])
    return render_template(
        "author/package_stats.html",
        version=version,
        lang=lang,
        unit=unit,
        package=unit.get("package") or {},
        standard_names=STANDARD_NAMES,
        attempts=statistics.attempts,
        items=statistics.items,
        min_attempts=MIN_ATTEMPTS,
        **_formatters(),
    )
