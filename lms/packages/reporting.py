"""What the reports show of package units (SCORM 1.2, SCORM 2004, cmi5): read models only.

- `identity`: which package a unit of a version played – its title, identifier, version
  and standard, from the version's rendered units (`"package"`, see `PackageSpec`); the
  proof of instruction prints it.
- `results_of_completions` / `results_of_person`: a learner's result in a package unit,
  worked out from their `PackageAttempt` rows with one SQL aggregate: passed, completed,
  not passed or in progress, the best score, the time spent and the number of attempts.
  For a completion, the attempts that led to it count: those started after the person's
  previous completion of the module, up to this one (as `reports.evidence` takes
  sessions and sign-offs).
- `interaction_statistics`: the trainer's figures per interaction id
  (`cmi.interactions.n.id`) of a package unit of one version, from `PackageInteraction`
  with SQL aggregates: how often it was answered, the share answered correctly and the
  most frequent wrong responses. Like a knowledge check's item statistics, figures need
  `MIN_ATTEMPTS` answers and never name a learner; an erased person's responses are
  empty and count on without their text.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, distinct, exists, func, null, or_, select
from sqlalchemy.orm import Session, aliased

from lms.models import Completion, CourseVersion, Enrollment, PackageAttempt, PackageInteraction
from lms.services.item_stats import MIN_ATTEMPTS, WRONG_ANSWERS_SHOWN

# The standards' own names: not translated.
STANDARD_NAMES = {"scorm12": "SCORM 1.2", "scorm2004": "SCORM 2004", "cmi5": "cmi5"}

# `cmi.interactions.n.result` as SCORM 1.2 ("wrong") and SCORM 2004 ("incorrect") write
# it; "unanticipated" (2004) is a response the package did not expect, so not correct.
# "neutral", a number or nothing: not judged, counted in the answers only.
CORRECT = "correct"
NOT_CORRECT = ("wrong", "incorrect", "unanticipated")


class PackageState(enum.StrEnum):
    PASSED = "passed"  # every item passed
    COMPLETED = "completed"  # every item met its requirement
    FAILED = "failed"  # an item failed and not every item met its requirement
    INCOMPLETE = "incomplete"  # attempted, not yet done


@dataclass(frozen=True)
class PackageIdentity:
    """The package a unit played: `title` is the package's own (its manifest's),
    `unit_title` the unit's in the course."""

    unit_id: str
    unit_title: str
    language: str
    file: str
    standard: str
    identifier: str
    version: str
    title: str
    items: int

    @property
    def standard_name(self) -> str:
        return STANDARD_NAMES.get(self.standard, self.standard)


@dataclass(frozen=True)
class PackageResult:
    """A learner's result in one package unit (over all its items and attempts)."""

    package: PackageIdentity
    state: PackageState
    # Only where results may be shown (None otherwise):
    score: Decimal | None  # the best scaled score of an attempt, 0…1
    seconds: int | None  # time spent, over all attempts
    attempts: int | None
    course_id: int = 0
    course_title: str = ""  # the module's title in the version's language
    last_activity: datetime | None = None

    @property
    def percent(self) -> Decimal | None:
        return None if self.score is None else self.score * 100


def identity(
    version: CourseVersion, unit_id: str, language: str, file: str | None = None
) -> PackageIdentity | None:
    """The package unit `unit_id` of `version`: in the language whose edition is `file`
    (the ZIP an attempt played; a translation may name its own), else in `language`, else
    in the version's main language. None if the version has no such package unit."""
    units = version.content["units"]
    found: dict[str, Any] | None = None
    for code in dict.fromkeys([language, version.language, *units]):
        unit = next((u for u in units.get(code) or [] if u["id"] == unit_id), None)
        if unit is None or unit.get("type") != "package" or not unit.get("package"):
            continue
        if file is None or unit["package"].get("file") == file:
            found = unit
            break
        found = found or unit
    if found is None:
        return None
    package = found["package"]
    return PackageIdentity(
        unit_id=unit_id,
        unit_title=str(found.get("title", "")),
        language=str(found.get("language", version.language)),
        file=str(package.get("file", "")),
        standard=str(package.get("standard", "")),
        identifier=str(package.get("identifier", "")),
        version=str(package.get("version", "") or ""),
        title=str(package.get("title", "")),
        items=len(package.get("items") or ()) or 1,
    )


# --- In words (the proof's cells, the certificate's lines) --------------------------------

STATE_WORDS = {
    PackageState.PASSED: _l("passed"),
    PackageState.COMPLETED: _l("completed"),
    PackageState.FAILED: _l("not passed"),
    PackageState.INCOMPLETE: _l("in progress"),
}


def package_words(package: PackageIdentity) -> str:
    """Which package a unit played, in the reader's language: the unit, the package's own
    title where it differs, its identifier, version and standard."""
    what = (
        _("%(identifier)s, version %(version)s, %(standard)s", identifier=package.identifier,
          version=package.version, standard=package.standard_name)
        if package.version
        else _("%(identifier)s, %(standard)s", identifier=package.identifier,
               standard=package.standard_name)
    )  # fmt: skip
    own = package.title if package.title and package.title != package.unit_title else ""
    if own:
        return _("%(unit)s: %(title)s (%(what)s)", unit=package.unit_title, title=own, what=what)
    return _("%(unit)s (%(what)s)", unit=package.unit_title, what=what)


# --- A learner's results -----------------------------------------------------------------

_A = PackageAttempt
_I = PackageInteraction
# Per group of attempts (one learner, one unit, one version's package): the items passed,
# satisfied and failed, counted once each; with results, the number of attempts, the time
# and the best score too (without, they are not even read: see `results_visible`).
_STATES = (
    func.count(distinct(case((_A.success == "passed", _A.item_id)))),
    func.count(distinct(case((_A.satisfied_at.is_not(None), _A.item_id)))),
    func.count(distinct(case((_A.success == "failed", _A.item_id)))),
    func.max(_A.updated_at),
)
_RESULTS = (
    func.count(_A.id),
    func.coalesce(func.sum(_A.total_seconds), 0),
    func.max(_A.score_scaled),
)
_NO_RESULTS = (null(), null(), null())


def _figures(with_results: bool) -> tuple[Any, ...]:
    return (*(_RESULTS if with_results else _NO_RESULTS), *_STATES)


def _state(items: int, passed: int, satisfied: int, failed: int) -> PackageState:
    if passed >= items:
        return PackageState.PASSED
    if satisfied >= items:
        return PackageState.COMPLETED
    if failed:
        return PackageState.FAILED
    return PackageState.INCOMPLETE


def _results(
    session: Session,
    rows: Iterable[Sequence[Any]],
    language: str,
) -> list[tuple[Any, PackageResult]]:
    """(key, result) per row of (key, course id, unit id, version id, package, *_figures);
    rows whose version no longer has the package unit are left out."""
    versions: dict[int, CourseVersion | None] = {}
    result = []
    for row in rows:
        key, course_id, unit_id, version_id, file, *figures = row
        n, seconds, best, passed, met, failed, last = figures
        if version_id not in versions:
            versions[version_id] = session.get(CourseVersion, version_id)
        version = versions[version_id]
        package = identity(version, unit_id, language, file) if version is not None else None
        if package is None:
            continue
        result.append(
            (
                key,
                PackageResult(
                    package=package,
                    state=_state(package.items, passed, met, failed),
                    score=Decimal(str(best)) if best is not None else None,
                    seconds=None if seconds is None else int(seconds),
                    attempts=None if n is None else int(n),
                    course_id=course_id,
                    course_title=version.title if version is not None else "",
                    last_activity=last,
                ),
            )
        )
    return result


def results_of_completions(
    session: Session, completions: Sequence[Completion], language: str, *, with_results: bool
) -> dict[int, list[PackageResult]]:
    """Per completion id, the learner's result in each package unit: over the attempts of
    the completion's enrolment started after the previous completion (if any) and by this
    one. One query for all completions; score, time and attempts only `with_results`."""
    if not completions:
        return {}
    this, between = aliased(Completion), aliased(Completion)
    started_by = and_(_A.enrollment_id == this.enrollment_id, _A.started_at <= this.completed_at)
    # An attempt belongs to the first completion at or after its start.
    earlier_one = exists().where(
        between.enrollment_id == this.enrollment_id,
        between.completed_at < this.completed_at,
        between.completed_at >= _A.started_at,
    )
    rows = session.execute(
        select(
            this.id, this.course_id, _A.unit_id, _A.version_id, _A.package, *_figures(with_results)
        )
        .select_from(_A)
        .join(this, started_by)
        .where(this.id.in_([c.id for c in completions]), ~earlier_one)
        .group_by(this.id, this.course_id, _A.unit_id, _A.version_id, _A.package)
        .order_by(this.id, _A.unit_id, _A.version_id)
    ).all()
    found: dict[int, list[PackageResult]] = {}
    for completion_id, package_result in _results(session, rows, language):
        found.setdefault(completion_id, []).append(package_result)
    return found


def results_of_person(
    session: Session, user_id: int, company_id: int, language: str
) -> list[PackageResult]:
    """The person's result in every package unit they tried, per module, unit and
    version, newest activity first, with score, time and attempts (for pages that may
    show results)."""
    rows = session.execute(
        select(
            _A.enrollment_id,
            Enrollment.course_id,
            _A.unit_id,
            _A.version_id,
            _A.package,
            *_figures(True),
        )
        .join(Enrollment, Enrollment.id == _A.enrollment_id)
        .where(_A.user_id == user_id, _A.company_id == company_id)
        .group_by(_A.enrollment_id, Enrollment.course_id, _A.unit_id, _A.version_id, _A.package)
    ).all()
    results = [package_result for _key, package_result in _results(session, rows, language)]
    results.sort(key=lambda r: (r.last_activity is not None, r.last_activity or 0), reverse=True)
    return results


# --- The trainer's item statistics -------------------------------------------------------


@dataclass(frozen=True)
class WrongResponse:
    text: str  # readable (see `readable_response`)
    count: int


@dataclass(frozen=True)
class InteractionStats:
    """The figures of one interaction id; None or empty while `too_few`."""

    interaction_id: str
    description: str
    kind: str
    answers: int  # interaction rows: every time it was answered, in every attempt
    too_few: bool
    judged: int = 0  # answers the package marked correct or not correct
    share_correct: float | None = None  # of the judged answers
    wrong_responses: tuple[WrongResponse, ...] = ()


@dataclass(frozen=True)
class InteractionStatistics:
    attempts: int  # package attempts at the unit of the version
    items: tuple[InteractionStats, ...]


def _unit_rows(version_id: int, unit_id: str) -> ColumnElement[bool]:
    return and_(_I.version_id == version_id, _I.unit_id == unit_id)


def interaction_statistics(
    session: Session, version_id: int, unit_id: str
) -> InteractionStatistics:
    """The figures of every interaction the package unit reported, in the order the
    package first reported them; three queries whatever the number of answers."""
    attempts = (
        session.scalar(
            select(func.count()).where(_A.version_id == version_id, _A.unit_id == unit_id)
        )
        or 0
    )
    judged = or_(_I.result == CORRECT, _I.result.in_(NOT_CORRECT))
    rows = session.execute(
        select(
            _I.interaction_id,
            func.max(_I.description),
            func.max(_I.kind),
            func.count(),
            func.count(case((judged, 1))),
            func.count(case((_I.result == CORRECT, 1))),
            func.min(_I.position),
        )
        .where(_unit_rows(version_id, unit_id))
        .group_by(_I.interaction_id)
        .order_by(func.min(_I.position), _I.interaction_id)
    ).all()
    # The most frequent wrong responses of each interaction, ranked in SQL.
    counted = (
        select(_I.interaction_id, _I.response, func.count().label("n"))
        .where(_unit_rows(version_id, unit_id), _I.result.in_(NOT_CORRECT), _I.response != "")
        .group_by(_I.interaction_id, _I.response)
        .subquery()
    )
    rank = func.row_number().over(
        partition_by=counted.c.interaction_id, order_by=(counted.c.n.desc(), counted.c.response)
    )
    ranked = select(counted, rank.label("rank")).subquery()
    wrong: dict[str, list[WrongResponse]] = {}
    for interaction_id, response, n in session.execute(
        select(ranked.c.interaction_id, ranked.c.response, ranked.c.n)
        .where(ranked.c.rank <= WRONG_ANSWERS_SHOWN)
        .order_by(ranked.c.interaction_id, ranked.c.rank)
    ):
        wrong.setdefault(interaction_id, []).append(
            WrongResponse(readable_response(response), int(n))
        )
    items = []
    for interaction_id, description, kind, answers, n_judged, correct, _first in rows:
        if answers < MIN_ATTEMPTS:
            items.append(
                InteractionStats(interaction_id, description or "", kind or "", answers, True)
            )
            continue
        items.append(
            InteractionStats(
                interaction_id=interaction_id,
                description=description or "",
                kind=kind or "",
                answers=answers,
                too_few=False,
                judged=n_judged,
                share_correct=correct / n_judged if n_judged else None,
                wrong_responses=tuple(wrong.get(interaction_id, ())),
            )
        )
    return InteractionStatistics(attempts, tuple(items))


_DELIMITER = re.compile(r"^\{(?:lang|case_matters|order_matters)=[^}]*\}")


def readable_response(response: str) -> str:
    """A learner response as SCORM writes it, as a trainer reads it: SCORM 2004's
    separators `[,]` (several answers) and `[.]` (a pair) as "; " and " → ", its
    leading `{lang=…}`/`{case_matters=…}` delimiters dropped."""
    text = response
    while match := _DELIMITER.match(text):
        text = text[match.end() :]
    return text.replace("[,]", "; ").replace("[.]", " → ").replace("[:]", "–").strip()
