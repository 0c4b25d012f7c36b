"""The learner's start page on a phone (issue 18, points 2 and 11): a module a learning path
still locks says so and names what comes first instead of offering "Beginnen", progress
shows its percentage in words, and a refresher waits in a compact card that does not push
the assigned modules off the first screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_browser import log_in, scroll_width

EMAIL = "eva.start@startseite.example"
LOCKED = "KI im Betrieb – Grundlagen für Beschäftigte"
FIRST = "Datenschutz im Arbeitsalltag"

PATH_FILE = """\
---
title: Erst Datenschutz, dann KI
summary: Zwei Schritte.
steps:
  - datenschutz-im-arbeitsalltag
  - ki-im-betrieb
---
"""


@pytest.fixture(scope="module")
def learner(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A learner of a company of their own (nobody else's page changes): follows a path
    on which "KI im Betrieb" waits for "Datenschutz", has both assigned and the first
    begun, and completed "IT-Sicherheit" eight days ago, so its first refresher is open."""
    from sqlalchemy import select

    from lms.content.paths import import_paths
    from lms.demo import complete_course
    from lms.models import Course, LearningPath
    from lms.services import assignments, learning, paths
    from tests.factories import make_company, make_user

    folder: Path = tmp_path_factory.mktemp("start-page")
    (folder / "_paths").mkdir()
    (folder / "_paths" / "e2e-startseite.md").write_text(PATH_FILE, encoding="utf-8")
    app = live_server.app
    moment = datetime.now(UTC)
    with app.test_request_context(), app.extensions["db"].begin() as session:
        company = make_company(session, "Startseite GmbH")
        person = make_user(
            session, company, email=EMAIL, password=live_server.password, name="Eva Start"
        )
        courses = {c.slug: c for c in session.scalars(select(Course))}
        complete_course(session, person, courses["it-sicherheit"], moment - timedelta(days=8))
        import_paths(session, folder, moment)
        path = session.scalar(select(LearningPath).where(LearningPath.slug == "e2e-startseite"))
        paths.follow(session, person, path, moment)
        due = moment.date() + timedelta(days=14)
        for slug in ("datenschutz-im-arbeitsalltag", "ki-im-betrieb"):
            assignments.assign_to_people(session, None, courses[slug], [person], due, "", moment)
        begun = learning.enroll(session, person, courses["datenschutz-im-arbeitsalltag"], moment)
        first = learning.rendered_units(begun.version, "de")[0]
        learning.mark_lesson_done(session, begun, first["id"], moment)
    return EMAIL


def test_a_phone_shows_the_lock_the_percentage_and_a_compact_refresher(
    phone_page: Page, live_server: LiveServer, learner: str, screens
) -> None:
    page = phone_page
    log_in(page, live_server, learner)
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Lernmodule")
    assert scroll_width(page) <= PHONE["width"]

    # The locked module: no start button, says why and links the module that comes first.
    locked = page.locator(".course-card").filter(
        has=page.get_by_role("heading", name=LOCKED, level=3)
    )
    expect(locked.get_by_role("button")).to_have_count(0)
    expect(locked).to_contain_text("gesperrt")
    expect(locked.get_by_role("link", name=FIRST)).to_be_visible()

    # The module begun: its progress in words, with the percentage.
    begun = page.locator(".course-card").filter(
        has=page.get_by_role("heading", name=FIRST, level=3)
    )
    expect(begun.locator(".progress")).to_contain_text(
        re.compile(r"1 von \d+ Lerneinheiten · \d+\s%")
    )
    expect(begun.get_by_role("link", name="Weiter")).to_be_visible()

    # The assigned modules start on the first screen; the refresher waits below, closed.
    first_card = page.locator(".start__assigned .course-card").first
    box = first_card.bounding_box()
    assert box is not None and box["y"] < PHONE["height"]
    refresher = page.locator(".refresher")
    expect(refresher).to_have_count(1)
    assert refresher.bounding_box()["y"] > box["y"]  # type: ignore[index]
    questions = refresher.locator(".question")
    expect(questions.first).to_be_hidden()
    assert refresher.bounding_box()["height"] < 250  # type: ignore[index]
    screens(page, "start-page-phone")

    # It opens in place, without a script of ours: a <details>.
    refresher.get_by_text(re.compile(r"kurze Fragen? beantworten|short questions?")).click()
    expect(questions.first).to_be_visible()
    expect(refresher.get_by_role("button", name="Antworten prüfen")).to_be_visible()
    assert scroll_width(page) <= PHONE["width"]
