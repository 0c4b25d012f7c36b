"""Reading offline in Chromium (issue 19, point 5): a lesson opened online reads offline,
"Als erledigt markieren" pressed offline arrives once after reconnecting, a module saved
"für unterwegs" reads offline, a knowledge check keeps its answers without a network,
and nothing of the person stays in Cache Storage after signing out.

Service workers need a secure context: http://127.0.0.1 is one. Waits poll from Python
(locators, `page.evaluate`); `page.wait_for_function` with a string is eval, which the
Content-Security-Policy blocks.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import log_in

try:
    from playwright.sync_api import Page, expect
except ModuleNotFoundError:  # conftest skips every test (or fails them with LMS_E2E_REQUIRED=1)
    Page = expect = None  # type: ignore[assignment,misc]

MODULE = "/learn/courses/it-sicherheit"
LESSON = f"{MODULE}/passwoerter"  # a lesson with an image
UNOPENED = f"{MODULE}/geraete"
# The knowledge check's alert without a network (German once the lead's translation is in).
ANSWERS_KEPT = re.compile(
    r"Keine Verbindung\. Ihre Antworten bleiben hier stehen\.|No connection\. Your answers stay here\."
)


def until(check: Callable[[], Any], seconds: float = 15, message: str = "") -> Any:
    """Poll `check` until it returns something true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {message}")
        time.sleep(0.2)


def controlled(page: Page) -> None:
    """Wait until the service worker controls the page (it claims it once active)."""
    until(
        lambda: page.evaluate("() => Boolean(navigator.serviceWorker.controller)"),
        message="service worker controls the page",
    )


def cache_urls(page: Page) -> dict[str, list[str]]:
    """Every cache of the site and the addresses it holds."""
    return page.evaluate(
        """async () => {
            const found = {};
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                found[name] = (await cache.keys()).map((r) => new URL(r.url).pathname);
            }
            return found;
        }"""
    )


@pytest.fixture
def learner(live_server: LiveServer) -> tuple[str, int]:
    """A learner of a company of their own, enrolled on IT security, nothing done yet.
    Returns the e-mail address and the enrolment's id."""
    from sqlalchemy import select

    from lms.models import Course
    from lms.services import learning
    from tests.factories import make_company, make_user

    app = live_server.app
    stamp = time.monotonic_ns()
    email = f"otto.offline{stamp}@unterwegs.example"
    with app.test_request_context(), app.extensions["db"].begin() as session:
        company = make_company(session, f"Unterwegs {stamp}")
        person = make_user(session, company, email=email, password=live_server.password)
        course = session.scalar(select(Course).where(Course.slug == "it-sicherheit"))
        enrollment = learning.enroll(session, person, course, datetime.now(UTC))
        session.flush()
        return email, enrollment.id


def lesson_records(live_server: LiveServer, enrollment_id: int, unit_id: str) -> tuple[int, int]:
    """How many progress rows and "experienced" learning records the unit has."""
    from sqlalchemy import func, select

    from lms.models import Enrollment, LearningRecord, UnitProgress

    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        enrollment = session.get(Enrollment, enrollment_id)
        assert enrollment is not None
        rows = session.scalar(
            select(func.count())
            .select_from(UnitProgress)
            .where(UnitProgress.enrollment_id == enrollment_id, UnitProgress.unit_id == unit_id)
        )
        records = session.scalar(
            select(func.count())
            .select_from(LearningRecord)
            .where(
                LearningRecord.user_id == enrollment.user_id,
                LearningRecord.unit == unit_id,
                LearningRecord.verb == "experienced",
            )
        )
        return int(rows or 0), int(records or 0)


def test_a_lesson_read_offline_and_marked_done_arrives_once(
    page: Page, live_server: LiveServer, learner: tuple[str, int], screens
) -> None:
    email, enrollment_id = learner
    log_in(page, live_server, email)
    page.goto(live_server(MODULE))
    controlled(page)
    page.goto(live_server(LESSON))
    expect(page.locator("main h1")).to_have_text("Starke Passwörter und Passwortmanager")

    context = page.context
    context.set_offline(True)
    try:
        expect(page.locator(".offline-banner")).to_be_visible()  # a quiet banner, at once
        page.reload()
        expect(page.locator("main h1")).to_have_text("Starke Passwörter und Passwortmanager")
        image = page.locator(".lesson img").first
        expect(image).to_be_visible()
        until(lambda: image.evaluate("(img) => img.complete && img.naturalWidth > 0"), 5, "image")
        screens(page, "offline-lesson-1280")

        page.locator(".unit-actions button[type=submit]").click()
        queued = page.locator(".offline-queued")
        expect(queued).to_be_visible()
        expect(queued).to_have_attribute("role", "status")
        assert page.url == live_server(LESSON)  # back on the lesson, the mark gone
        time.sleep(1)
        assert lesson_records(live_server, enrollment_id, "passwoerter") == (0, 0)
    finally:
        context.set_offline(False)

    until(
        lambda: lesson_records(live_server, enrollment_id, "passwoerter")[0],
        20,
        "the queued 'done' arrives after reconnecting",
    )
    time.sleep(2)  # a second sending would arrive now
    assert lesson_records(live_server, enrollment_id, "passwoerter") == (1, 1)

    # Online, the worker sends "done" straight on and the page moves to the next lesson.
    page.goto(live_server(f"{MODULE}/phishing"))
    page.locator(".unit-actions button[type=submit]").click()
    expect(page).to_have_url(live_server(f"{MODULE}/geraete"))
    assert lesson_records(live_server, enrollment_id, "phishing") == (1, 1)


@pytest.mark.parametrize("phone", [False, True], ids=["1280", "360"])
def test_a_module_saved_for_the_way_reads_offline_and_sign_out_clears_it(
    new_page: Callable[..., Page],
    live_server: LiveServer,
    learner: tuple[str, int],
    screens,
    phone: bool,
) -> None:
    email, _enrollment = learner
    page = new_page(phone=phone)
    width = 360 if phone else 1280
    log_in(page, live_server, email)
    page.goto(live_server(MODULE))
    controlled(page)
    section = page.locator("[data-offline-save]")
    expect(section).to_be_visible()
    section.locator("button").click()
    expect(section).to_have_class("offline-save offline-save--saved", timeout=20_000)
    expect(section.locator("[role=status]")).to_contain_text("✓")
    kept = cache_urls(page)
    assert UNOPENED in kept["lernwerk-pages"] and MODULE in kept["lernwerk-pages"]
    assert any(url.startswith("/content/it-sicherheit/") for url in kept["lernwerk-content"])
    page.reload()  # the saved state lasts
    expect(section.locator("button")).to_be_hidden()
    expect(section.locator("[role=status]")).to_contain_text("✓")
    screens(page, f"offline-module-saved-{width}")

    page.context.set_offline(True)
    try:
        page.goto(live_server(UNOPENED))  # never opened: saved by the button
        expect(page.locator("main h1")).to_contain_text("Geräte schützen")
        screens(page, f"offline-lesson-{width}")
        page.goto(live_server("/learn/sessions"))  # not kept: the offline page
        expect(page.locator("main h1")).to_be_visible()
        saved = page.locator("[data-saved-modules] a")
        expect(saved).to_have_count(1)
        expect(saved).to_have_attribute("href", live_server(MODULE))
        screens(page, f"offline-page-{width}")
    finally:
        page.context.set_offline(False)

    page.goto(live_server(MODULE))
    with page.expect_response(lambda answer: answer.url.endswith("/logout")) as signing_out:
        page.locator(".user-nav button[type=submit]").click()
    assert '"storage"' in (signing_out.value.all_headers().get("clear-site-data") or "")
    expect(page).to_have_url(live_server("/login"))
    page.wait_for_load_state()
    until(lambda: cache_urls(page) == {}, 10, "Cache Storage empty after sign-out")
    registrations = "async () => (await navigator.serviceWorker.getRegistrations()).length"
    assert page.evaluate(registrations) == 0


def test_a_knowledge_check_keeps_the_answers_without_a_network(
    page: Page, live_server: LiveServer, learner: tuple[str, int]
) -> None:
    email, _enrollment = learner
    log_in(page, live_server, email)
    page.goto(live_server(f"{MODULE}/wissenscheck"))
    controlled(page)
    page.locator("main form button[type=submit]").first.click()  # start an attempt
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    attempt_url = page.url
    field = page.locator("main form input[type=radio], main form input[type=checkbox]").first
    field.check()
    page.context.set_offline(True)
    try:
        page.locator("main form button[type=submit]").last.click()
        alert = page.locator(".offline-alert")
        expect(alert).to_be_visible()
        expect(alert).to_have_attribute("role", "alert")
        expect(alert).to_have_text(ANSWERS_KEPT)
        assert page.url == attempt_url
        expect(field).to_be_checked()  # nothing typed is lost
    finally:
        page.context.set_offline(False)

    # The browser believes it is online, but nothing arrives: the worker keeps the page.
    page.reload()
    page.context.route("**/attempts/*", lambda route: route.abort("internetdisconnected"))
    field = page.locator("main form input[type=radio], main form input[type=checkbox]").first
    field.check()
    try:
        page.locator("main form button[type=submit]").last.click()
        alert = page.locator(".offline-alert")
        expect(alert).to_have_text(ANSWERS_KEPT)
        assert page.url == attempt_url
        expect(field).to_be_checked()
    finally:
        page.context.unroute("**/attempts/*")
    page.locator("main form button[type=submit]").last.click()
    expect(page).not_to_have_url(attempt_url)
    expect(page.locator(".offline-alert")).to_have_count(0)
