"""Spaced refreshers on the learner's side ("Kurzwiederholung"): a few questions of a completed
module on the start page or their own page, and the answers graded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.clock import now, today
from lms.db import db
from lms.learn import bp
from lms.models import Completion, CourseVersion, User
from lms.services import learning, refreshers
from lms.services.refreshers import DrawnQuestion, DueRefresher
from lms.services.review import refresher_review
from lms.templating import date_filter, page_language

# How many of the open refreshers the start page shows with their questions; the
# others are links to their own page.
SHOWN_IN_FULL = 1


@dataclass(frozen=True)
class OfferedRefresher:
    """An open refresher as the start page lists it."""

    due: DueRefresher
    title: str  # the module's title in the page's language if it has it
    questions: tuple[DrawnQuestion, ...]  # empty for those shown as a link only
    title_language: str  # the language the title is written in (`lang` when not the page's)


def offered(
    user: User, language: str, completions: Iterable[tuple[Completion, str | None]]
) -> list[OfferedRefresher]:
    """The learner's open refreshers for the start page, the first with its questions.
    `completions` are the learner's, oldest first, each with its version's `refresh`:
    the start page reads them anyway."""
    if user.company_id is None:
        return []
    completed = (
        refreshers.CompletedCourse(
            c.id, c.user_id, c.course_id, c.version_id, c.completed_at, c.revoked_at, refresh
        )
        for c, refresh in completions
    )
    found = refreshers.open_among(db.session, user.company_id, completed, today())
    if not found:
        return []
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(CourseVersion).where(CourseVersion.id.in_({d.version_id for d in found}))
        )
    }
    result = []
    for position, due in enumerate(found):
        version = versions[due.version_id]
        drawn = (
            refreshers.draw(version, due.completion_id, due.step, language)
            if position < SHOWN_IN_FULL
            else []
        )
        texts = learning.course_texts(version, language)
        result.append(OfferedRefresher(due, texts.title, tuple(drawn), texts.language))
    return result


def _open(completion_id: int, step: int, grace: bool = False) -> DueRefresher | None:
    """The learner's refresher if it is open today; with `grace`, also if it was open
    yesterday (answers sent just after midnight on its last day still count)."""
    user: User = current_user._get_current_object()
    if user.company_id is None:
        return None
    days = (today(), today() - timedelta(days=1)) if grace else (today(),)
    for day in days:
        found = refreshers.find_open(db.session, user.company_id, user.id, completion_id, step, day)
        if found is not None:
            return found
    return None


def _version(version_id: int) -> CourseVersion:
    version = db.session.get(CourseVersion, version_id)
    assert version is not None  # a completion keeps its version
    return version


@bp.get("/refreshers/<int:completion_id>/<int:step>")
def refresher(completion_id: int, step: int) -> ResponseReturnValue:
    due = _open(completion_id, step)
    if due is None:
        if refreshers.done_refresher(db.session, current_user.id, completion_id, step):
            return redirect(
                url_for("learn.refresher_result", completion_id=completion_id, step=step)
            )
        abort(404)
    return _page(due, {})


def _page(
    due: DueRefresher, saved: dict[str, dict[str, object]], status: int = 200
) -> ResponseReturnValue:
    language = page_language()
    version = _version(due.version_id)
    drawn = refreshers.draw(version, due.completion_id, due.step, language)
    texts = learning.course_texts(version, language)
    offer = OfferedRefresher(due, texts.title, tuple(drawn), texts.language)
    return (
        render_template("learn/refresher.html", offer=offer, saved=saved, language=language),
        status,
    )


@bp.post("/refreshers/<int:completion_id>/<int:step>")
def answer_refresher(completion_id: int, step: int) -> ResponseReturnValue:
    due = _open(completion_id, step, grace=True)
    if due is None:
        if refreshers.done_refresher(db.session, current_user.id, completion_id, step):
            # A second submit (another tab, a double click): the first one counts.
            return redirect(
                url_for("learn.refresher_result", completion_id=completion_id, step=step)
            )
        flash(_("This refresher is no longer open."), "info")
        return redirect(url_for("learn.index"))
    language = page_language()
    if request.form.get("action") == "skip":
        if refreshers.skip(db.session, due, language, now()) is None:
            # Answered or set aside a moment ago (another tab): that one counts.
            db.refuse("refresher-done")
            return redirect(
                url_for("learn.refresher_result", completion_id=completion_id, step=step)
            )
        if due.next_on is None:
            flash(_("Refresher set aside. It was the last one for this module."), "info")
        else:
            flash(
                _(
                    "Refresher set aside. The next one comes on %(date)s.",
                    date=date_filter(due.next_on),
                ),
                "info",
            )
        return redirect(url_for("learn.index"))
    version = _version(due.version_id)
    drawn = refreshers.draw(version, due.completion_id, due.step, language)
    entered = refreshers.form_fields(drawn, request.form.to_dict(flat=False))
    if not any(entered.values()):
        flash(_("Answer at least one question, or set the refresher aside."), "error")
        return _page(due, entered, 422)
    if refreshers.answer(db.session, due, version, language, entered, now(), drawn) is None:
        db.refuse("refresher-done")  # answered or set aside a moment ago: that one counts
    return redirect(url_for("learn.refresher_result", completion_id=completion_id, step=step))


@bp.get("/refreshers/<int:completion_id>/<int:step>/result")
def refresher_result(completion_id: int, step: int) -> ResponseReturnValue:
    done = refreshers.done_refresher(db.session, current_user.id, completion_id, step)
    if done is None:
        abort(404)
    if done.answered_at is None:  # set aside (perhaps in another tab): no answers to show
        flash(_("This refresher was set aside."), "info")
        return redirect(url_for("learn.index"))
    version = _version(done.version_id)
    show, answers = refresher_review(done, version)
    texts = learning.course_texts(version, done.language)
    return render_template(
        "learn/refresher_result.html",
        refresher=done,
        title=texts.title,
        title_language=texts.language,
        answers=answers,
        show_answers=show,
    )
