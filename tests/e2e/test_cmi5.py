"""A cmi5 package in the browser: started from the unit page, played in the player.

The course tests/e2e/courses/e2e-cmi5 has one package unit, the cmi5 test package
(tests/packages/cmi5): a check (moveOn CompletedAndPassed, mastery score 0.8) and a
page to read (moveOn Completed). The AU pages are plain JavaScript: they fetch the
auth token, read LMS.LaunchData, send their statements to the endpoint on their own
and show the outcome in their page, which the test reads inside the player's frame.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import FrameLocator, Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import log_in

COURSE = "/learn/courses/e2e-cmi5"
UNIT = f"{COURSE}/brandschutz"


def unit_status(live_server: LiveServer, email: str) -> str | None:
    """The unit's recorded status for the learner (None while it is open)."""
    from sqlalchemy import select

    from lms.db import db
    from lms.models import Course, Enrollment, UnitProgress, User

    with live_server.app.app_context():
        return db.session.scalar(
            select(UnitProgress.status)
            .join(Enrollment, Enrollment.id == UnitProgress.enrollment_id)
            .join(User, User.id == Enrollment.user_id)
            .join(Course, Course.id == Enrollment.course_id)
            .where(
                User.email == email,
                Course.slug == "e2e-cmi5",
                UnitProgress.unit_id == "brandschutz",
            )
        )


def start(page: Page, live_server: LiveServer, title: str) -> FrameLocator:
    """Start the AU `title` from the unit page; the AU in the player, ready."""
    page.goto(live_server(UNIT))
    item = page.locator("li.package-item", has=page.get_by_role("heading", name=title))
    item.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/learn/play/\d+"))
    frame = page.frame_locator("#package-frame")
    expect(frame.locator("#status")).to_contain_text("Bereit", timeout=10_000)
    return frame


def enrol(page: Page, live_server: LiveServer, email: str) -> None:
    log_in(page, live_server, email)
    page.goto(live_server(COURSE))
    page.get_by_role("button", name="Lernmodul beginnen").click()


def test_passing_the_check_and_reading_the_page_completes_the_unit(
    page: Page, live_server: LiveServer, screens: Any
) -> None:
    email = "erik.zimmermann@nordlicht-logistik.example"
    enrol(page, live_server, email)
    check = start(page, live_server, "Wissenscheck Feuerlöscher")
    expect(check.locator("body")).to_have_attribute("data-move-on", "CompletedAndPassed")
    expect(check.locator("body")).to_have_attribute("data-mastery-score", "0.8")
    screens(page, "cmi5-player-check")
    check.locator("#pass").click()
    expect(check.locator("#status")).to_have_attribute("data-ended", "true")
    expect(check.locator("#status")).to_have_attribute("data-outcome", "passed")
    expect(check.locator("#log")).to_contain_text("terminated: 200")
    assert unit_status(live_server, email) is None  # the page is still to be read

    read = start(page, live_server, "Fluchtwege lesen")
    read.locator("#finish").click()
    expect(read.locator("#status")).to_have_attribute("data-outcome", "completed")
    expect(read.locator("#status")).to_have_attribute("data-ended", "true")
    assert unit_status(live_server, email) in ("done", "passed")
    # The AU goes to its returnURL: the player takes the learner back to the unit page.
    read.get_by_role("link", name="Zurück zur Einheit").click()
    expect(page).to_have_url(re.compile(re.escape(UNIT) + "$"))
    screens(page, "cmi5-unit-done")
    assert page.locator("li.package-item .status--ok").count() == 2


def test_a_failed_check_leaves_the_unit_open(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    email = "mehmet.kaya@nordlicht-logistik.example"
    enrol(page, live_server, email)
    read = start(page, live_server, "Fluchtwege lesen")
    read.locator("#finish").click()
    expect(read.locator("#status")).to_have_attribute("data-ended", "true")
    check = start(page, live_server, "Wissenscheck Feuerlöscher")
    check.locator("#fail").click()
    expect(check.locator("#status")).to_have_attribute("data-outcome", "failed")
    expect(check.locator("#status")).to_have_attribute("data-ended", "true")
    assert unit_status(live_server, email) is None
    page.goto(live_server(UNIT))
    failed = page.locator("li.package-item", has=page.get_by_role("heading", name="Wissenscheck"))
    expect(failed.locator(".status--danger")).to_be_visible()
