"""Bought packages in the browser: SCORM 1.2 and SCORM 2004 test packages
(tests/packages/) played in Lernwerk's player, with their files on another origin of
the same live server (http://localhost:<port>, while Lernwerk is 127.0.0.1) and, in
one test, without one (a sandboxed frame on Lernwerk's host).

Each test has a learner of its own, enrolled in the course tests/e2e/courses/e2e-pakete.
Texts new with the packages are not translated yet when these tests are written, so
they find the player's status by the texts in its configuration, not by German words.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import time
import wave
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tests.e2e.conftest import LiveServer, PageFactory
from tests.e2e.test_browser import log_in

SLUG = "e2e-pakete"
_numbers = itertools.count(1)


def new_learner(live_server: LiveServer) -> str:
    """A learner of the demo's first company, enrolled in the package course; the email."""
    from sqlalchemy import select

    from lms.models import Course, User
    from lms.services import learning
    from tests.factories import make_user

    app = live_server.app
    email = f"paket-{next(_numbers)}@example.com"
    with app.app_context(), app.extensions["db"].begin() as session:
        colleague = session.scalar(
            select(User).where(User.email == "jonas.becker@mueller-metallbau.example")
        )
        person = make_user(
            session,
            colleague.company,
            department=colleague.department,
            email=email,
            password=live_server.password,
        )
        course = session.scalar(select(Course).where(Course.slug == SLUG))
        learning.enroll(session, person, course, datetime.now(UTC))
    return email


def attempts_of(live_server: LiveServer, email: str, unit_id: str) -> list[Any]:
    """The learner's attempts at a unit's items, oldest first (detached rows)."""
    from sqlalchemy import select

    from lms.models import PackageAttempt, User

    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        rows = session.scalars(
            select(PackageAttempt)
            .join(User, User.id == PackageAttempt.user_id)
            .where(User.email == email, PackageAttempt.unit_id == unit_id)
            .order_by(PackageAttempt.id)
        ).all()
        session.expunge_all()
        return list(rows)


def units_done(live_server: LiveServer, email: str) -> set[str]:
    """The units of the package course the learner has completed."""
    from sqlalchemy import select

    from lms.models import Enrollment, UnitProgress, User

    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        return set(
            session.scalars(
                select(UnitProgress.unit_id)
                .join(Enrollment, Enrollment.id == UnitProgress.enrollment_id)
                .join(User, User.id == Enrollment.user_id)
                .where(User.email == email)
            )
        )


def wait_for(check: Callable[[], bool]) -> None:
    """Wait until the server's state passes `check` (at most 5 s): the status line may
    still say "saved" of the commit before the one just sent."""
    for _ in range(50):
        if check():
            return
        time.sleep(0.1)
    assert check()


def open_unit(page: Page, live_server: LiveServer, unit_id: str) -> None:
    page.goto(live_server(f"/learn/courses/{SLUG}/{unit_id}"))
    expect(page.locator("#package")).to_be_visible()


def start(page: Page, item: str) -> FrameLocator:
    """Press the item's start button on the unit page; the SCO once it is ready."""
    page.locator(f'#package form:has(input[name=item][value="{item}"]) button').click()
    expect(page).to_have_url(re.compile(r"/learn/play/\d+$"))
    frame = page.frame_locator("#package-frame")
    expect(frame.locator("body[data-ready=yes]")).to_be_attached()
    return frame


def learner_playing(
    page: Page, live_server: LiveServer, unit_id: str = "brandschutz", item: str = "sco"
) -> tuple[str, FrameLocator]:
    """A new learner, signed in, who started an item of a unit: the email and the item."""
    email = new_learner(live_server)
    log_in(page, live_server, email)
    open_unit(page, live_server, unit_id)
    return email, start(page, item)


def texts(page: Page) -> dict[str, str]:
    """The player's status texts (from its configuration)."""
    config = json.loads(page.locator("#package-config").text_content() or "{}")
    return dict(config["texts"])


def expect_saved(page: Page) -> None:
    expect(page.locator("#package-status")).to_have_text(texts(page)["saved"])


@pytest.fixture
def without_package_origin(live_server: LiveServer) -> Iterator[None]:
    """Lernwerk without a package origin: packages in a sandbox on its own host."""
    config = live_server.app.config
    saved = config["PACKAGE_ORIGIN"]
    config["PACKAGE_ORIGIN"] = None
    try:
        yield
    finally:
        config["PACKAGE_ORIGIN"] = saved


def test_scorm12_complete_finishes_the_unit(
    page: Page, live_server: LiveServer, screens: Callable[[Page, str], Path]
) -> None:
    email, frame = learner_playing(page, live_server)
    # The files come from the package origin; the learner's name from Lernwerk.
    package_origin = live_server.url.replace("127.0.0.1", "localhost")
    src = page.locator("#package-frame").get_attribute("src") or ""
    assert src.startswith(package_origin + "/package-files/")
    expect(frame.locator("#learner")).not_to_be_empty()
    expect(frame.locator("#entry")).to_have_text("ab-initio")

    frame.get_by_label("Mit einem Fettbrandlöscher").check()
    frame.get_by_role("button", name="Antwort speichern").click()
    expect_saved(page)
    frame.get_by_role("button", name="complete").click()
    expect(frame.locator("#log")).to_have_text("Als abgeschlossen gemeldet.")
    expect_saved(page)
    wait_for(lambda: units_done(live_server, email) == {"brandschutz"})
    (attempt,) = attempts_of(live_server, email, "brandschutz")
    assert attempt.completion == "completed"

    page.locator("#package-back").click()
    expect(page).to_have_url(live_server(f"/learn/courses/{SLUG}/brandschutz"))
    expect(page.locator("#package .status--ok")).to_be_visible()
    expect(page.locator("#package .notice--success")).to_be_visible()
    screens(page, "package-unit-done-1280")
    page.goto(live_server(f"/learn/courses/{SLUG}"))
    expect(page.get_by_text(re.compile(r"1 von 3"))).to_be_visible()


def test_scorm2004_fail_then_pass_then_the_summary(page: Page, live_server: LiveServer) -> None:
    email, frame = learner_playing(page, live_server, "gefahrstoffe", "check")
    frame.get_by_role("button", name="fail").click()
    expect(frame.locator("#log")).to_have_text("40 Punkte gemeldet.")
    expect_saved(page)
    frame.get_by_role("button", name="exit", exact=True).click()
    expect(frame.locator("#log")).to_have_text("Beendet.")
    wait_for(lambda: attempts_of(live_server, email, "gefahrstoffe")[0].ended_at is not None)
    (failed,) = attempts_of(live_server, email, "gefahrstoffe")
    assert failed.ended_at is not None
    assert (failed.success, str(failed.score_scaled)) == ("failed", "0.4000")
    assert units_done(live_server, email) == set()

    # Below the pass mark the unit stays open; a new attempt starts afresh.
    page.locator("#package-back").click()
    expect(page.locator("#package .status--danger")).to_be_visible()
    frame = start(page, "check")
    expect(frame.locator("#entry")).to_have_text("ab-initio")
    frame.get_by_role("button", name="pass").click()
    expect_saved(page)
    wait_for(lambda: attempts_of(live_server, email, "gefahrstoffe")[-1].success == "passed")
    first, second = attempts_of(live_server, email, "gefahrstoffe")
    assert (first.number, second.number) == (1, 2)
    assert second.success == "passed"  # 0.9 ≥ the scaled passing score 0.8
    assert units_done(live_server, email) == set()  # the summary is still open

    page.locator("#package-back").click()
    frame = start(page, "summary")
    frame.get_by_role("button", name="complete").click()
    wait_for(lambda: units_done(live_server, email) == {"gefahrstoffe"})


def test_leave_and_resume_brings_back_suspend_data_and_location(
    page: Page, live_server: LiveServer
) -> None:
    email, frame = learner_playing(page, live_server)
    frame.get_by_label("Notiz").fill("Fluchtweg gelesen")
    frame.get_by_role("button", name="Zwischenstand speichern").click()
    expect_saved(page)
    frame.get_by_role("button", name="suspend and exit").click()
    expect(frame.locator("#log")).to_have_text("Beendet – später fortsetzen.")
    expect_saved(page)
    page.locator("#package-back").click()

    frame = start(page, "sco")
    expect(frame.locator("#entry")).to_have_text("resume")
    expect(frame.locator("#location")).to_have_text("seite-2")
    expect(frame.locator("#suspend")).to_have_text("Fluchtweg gelesen")
    assert len(attempts_of(live_server, email, "brandschutz")) == 1


def test_a_dropped_connection_loses_nothing_committed(page: Page, live_server: LiveServer) -> None:
    email, frame = learner_playing(page, live_server)
    frame.get_by_label("Notiz").fill("vor dem Funkloch")
    frame.get_by_role("button", name="Zwischenstand speichern").click()
    expect_saved(page)

    page.context.set_offline(True)
    frame.get_by_label("Notiz").fill("im Funkloch")
    frame.get_by_role("button", name="Zwischenstand speichern").click()
    expect(page.locator("#package-status")).to_have_text(texts(page)["offline"])
    (attempt,) = attempts_of(live_server, email, "brandschutz")
    assert attempt.suspend_data == "vor dem Funkloch"  # what was committed stays

    # Back online, the player sends what is unsaved; a reload resumes from it.
    page.context.set_offline(False)
    expect_saved(page)
    wait_for(
        lambda: attempts_of(live_server, email, "brandschutz")[0].suspend_data == "im Funkloch"
    )
    page.reload()
    frame = page.frame_locator("#package-frame")
    expect(frame.locator("#suspend")).to_have_text("im Funkloch")
    expect(frame.locator("#location")).to_have_text("seite-2")


def test_a_window_the_item_was_opened_again_in_says_its_data_is_not_saved(
    page: Page, live_server: LiveServer
) -> None:
    email, first = learner_playing(page, live_server)
    first.get_by_label("Notiz").fill("erstes Fenster")
    first.get_by_role("button", name="Zwischenstand speichern").click()
    expect_saved(page)

    other = page.context.new_page()  # the same learner opens the item in another window
    open_unit(other, live_server, "brandschutz")
    second = start(other, "sco")
    expect(second.locator("#suspend")).to_have_text("erstes Fenster")

    first.get_by_label("Notiz").fill("im alten Fenster")
    first.get_by_role("button", name="Zwischenstand speichern").click()
    status = page.locator("#package-status")
    # At once, not after the 5 s retry; and no "trying again" after it.
    expect(status).to_have_text(texts(page)["superseded"], timeout=3000)
    page.wait_for_timeout(200)
    expect(status).to_have_text(texts(page)["superseded"])
    (attempt,) = attempts_of(live_server, email, "brandschutz")
    assert attempt.suspend_data == "erstes Fenster"

    second.get_by_label("Notiz").fill("im neuen Fenster")
    second.get_by_role("button", name="Zwischenstand speichern").click()
    expect_saved(other)
    wait_for(
        lambda: attempts_of(live_server, email, "brandschutz")[0].suspend_data == "im neuen Fenster"
    )
    other.close()


def test_leaving_the_page_sends_what_the_sco_did_not_commit(
    page: Page, live_server: LiveServer
) -> None:
    email = new_learner(live_server)
    log_in(page, live_server, email)
    # As for every learner after the first page: the service worker controls the player
    # (a beacon it had to pass was sometimes lost with the page; lms/templates/offline/sw.js).
    page.wait_for_function("() => Boolean(navigator.serviceWorker.controller)")
    open_unit(page, live_server, "brandschutz")
    frame = start(page, "sco")
    status = page.locator("#package-status")
    expect(status).to_have_attribute("data-unsaved", "false")  # the start is saved
    frame.get_by_label("Notiz").fill("ohne Commit")
    frame.get_by_role("button", name="Notiz merken").click()
    expect(frame.locator("#log")).to_have_text("Notiz gemerkt.")
    (attempt,) = attempts_of(live_server, email, "brandschutz")
    assert attempt.suspend_data == ""  # the SCO did not commit; the next autocommit is far
    # The note reached the player (by postMessage, a moment after the SCO set it).
    expect(status).to_have_attribute("data-unsaved", "true")
    # Leaving by any way but the back link (here: another address) hides the page: the
    # player sends the data by beacon.
    page.goto(live_server("/learn/"))
    wait_for(
        lambda: attempts_of(live_server, email, "brandschutz")[0].suspend_data == "ohne Commit"
    )


def sound(seconds: int) -> bytes:
    """A WAV file of a plain tone (8 kHz, 8 bit, mono): 8 KB a second."""
    frames = bytes([128, 176, 128, 80]) * (seconds * 2000)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(frames)
    return buffer.getvalue()


def add_to_package(live_server: LiveServer, attempt: Any, path: str, data: bytes) -> None:
    """Put a file into the package the attempt plays (its course version's copy)."""
    from lms.models import CourseVersion
    from lms.packages.storage import file_info, store_package_files

    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        if file_info(session, attempt.version_id, attempt.package, path) is None:
            version = session.get(CourseVersion, attempt.version_id)
            store_package_files(session, version, attempt.package, {path: data})


def test_a_long_sound_plays_from_where_the_learner_seeks(
    page: Page, live_server: LiveServer
) -> None:
    email, _frame = learner_playing(page, live_server)
    (attempt,) = attempts_of(live_server, email, "brandschutz")
    # 400 s, 3.2 MB: longer than a part the server reads at a time (storage.PART_BYTES).
    add_to_package(live_server, attempt, "media/ton.wav", sound(400))
    frame_src = page.locator("#package-frame").get_attribute("src") or ""
    player = page.context.new_page()
    answers: list[tuple[str, int]] = []
    player.on("response", lambda r: answers.append((r.request.headers.get("range", ""), r.status)))
    player.goto(frame_src.rsplit("/", 1)[0] + "/media/ton.wav")
    expect(player.locator("video")).to_be_attached()
    seeked = player.evaluate(
        """async () => {
            const media = document.querySelector("video");
            if (!(media.duration > 0)) {
                await new Promise((done) => media.addEventListener("loadedmetadata", done, { once: true }));
            }
            const seeked = new Promise((done) => media.addEventListener("seeked", done, { once: true }));
            media.currentTime = 300;
            await seeked;
            return { duration: media.duration, at: media.currentTime, error: media.error };
        }"""
    )
    assert seeked["error"] is None
    assert round(seeked["duration"]) == 400
    assert round(seeked["at"]) == 300
    # The browser's player asked for byte ranges and got them (206), part by part.
    assert ("bytes=0-", 206) in answers, answers
    player.close()


def _evil_checks(page: Page, live_server: LiveServer, email: str) -> None:
    """Open the package's hostile page and check that every attempt failed."""
    player = page.url
    frame = page.frame_locator("#package-frame")
    frame.get_by_role("link", name="Zur Sicherheitsprüfung").click()
    results = frame.locator("#results")
    expect(results.locator("[data-check=cookie]")).to_have_text("cookie: blocked")
    expect(results.locator("[data-check=top-read]")).to_have_text("top-read: blocked")
    expect(results.locator("[data-check=fetch]")).to_have_text("fetch: blocked")
    expect(results.locator("[data-check=form]")).to_have_text("form: sent")
    # The form's POST to "mark the lesson as done" changed nothing, and the player stayed.
    page.wait_for_timeout(200)
    assert page.url == player
    assert "einfuehrung" not in units_done(live_server, email)
    page.goto(live_server(f"/learn/courses/{SLUG}/einfuehrung"))
    expect(page.locator(".unit-actions form button")).to_be_visible()  # still to be done


def test_a_hostile_package_page_reaches_nothing_of_lernwerk(
    page: Page, live_server: LiveServer
) -> None:
    email, _frame = learner_playing(page, live_server)
    _evil_checks(page, live_server, email)


def test_without_a_package_origin_the_sandbox_plays_and_protects(
    page: Page, live_server: LiveServer, without_package_origin: None
) -> None:
    email, frame = learner_playing(page, live_server)
    src = page.locator("#package-frame").get_attribute("src") or ""
    assert src.startswith("/package-files/")
    frame.get_by_role("button", name="complete").click()
    wait_for(lambda: units_done(live_server, email) == {"brandschutz"})
    _evil_checks(page, live_server, email)


def open_page_with_a_frame(
    page: Page, live_server: LiveServer, email: str, name: str, html: str
) -> FrameLocator:
    """Put `html` (a page with an iframe) into the learner's package as `name`, show it
    in the player's frame instead of the SCO; the iframe inside it."""
    (attempt,) = attempts_of(live_server, email, "brandschutz")
    add_to_package(live_server, attempt, name, html.encode())
    page.locator("#package-frame").evaluate(
        "(frame, name) => { frame.src = frame.src.replace(/[^/]*$/, name); }", name
    )
    return page.frame_locator("#package-frame").frame_locator("iframe")


# A package page that shows its SCO in a frame, as many authoring tools make them.
FRAMESET = """<!DOCTYPE html>
<html lang="de">
<head><meta charset="utf-8"><title>Rahmen</title></head>
<body><h1>Paket mit Rahmen</h1><iframe src="index.html" title="Inhalt" width="900" height="700"></iframe></body>
</html>
"""


@pytest.mark.parametrize("origin", ["package-origin", "sandbox"])
def test_a_sco_in_a_frame_of_the_package_page_finds_the_api(
    page: Page, live_server: LiveServer, request: pytest.FixtureRequest, origin: str
) -> None:
    if origin == "sandbox":
        request.getfixturevalue("without_package_origin")
    email, _frame = learner_playing(page, live_server)
    inner = open_page_with_a_frame(page, live_server, email, "rahmen.html", FRAMESET)
    expect(inner.locator("body[data-ready=yes]")).to_be_attached()
    expect(inner.locator("#learner")).not_to_be_empty()
    inner.get_by_label("Notiz").fill("aus dem Rahmen")
    inner.get_by_role("button", name="Zwischenstand speichern").click()
    wait_for(
        lambda: attempts_of(live_server, email, "brandschutz")[0].suspend_data == "aus dem Rahmen"
    )


# A package page that embeds a page from elsewhere (a data: URL: an origin of its
# own), which asks the player for the learner's name as a SCO's API would.
FOREIGN = """<!DOCTYPE html>
<html lang="de">
<head><meta charset="utf-8"><title>Fremd</title></head>
<body><iframe title="fremd" src="data:text/html,%3Cp id=out%3E%3C/p%3E%3Cscript%3E
const out = document.getElementById('out');
addEventListener('message', (e) => { out.textContent = 'Antwort'; });
top.postMessage({ messageId: 'fremd-1', method: 'LMSGetValue',
  params: ['cmi.core.student_name'] }, '*');
setTimeout(() => { if (!out.textContent) out.textContent = 'keine Antwort'; }, 1500);
%3C/script%3E"></iframe></body>
</html>
"""


def test_a_page_a_package_embeds_from_elsewhere_gets_no_answer_from_the_api(
    page: Page, live_server: LiveServer, without_package_origin: None
) -> None:
    # In the sandbox every frame's origin is "null": the launch's key, which only the
    # package's own pages have, tells them from a page the package embeds.
    email, _frame = learner_playing(page, live_server)
    foreign = open_page_with_a_frame(page, live_server, email, "fremd.html", FOREIGN)
    expect(foreign.locator("#out")).to_have_text("keine Antwort")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_screens_of_the_unit_page_and_the_player(
    new_page: PageFactory,
    live_server: LiveServer,
    screens: Callable[[Page, str], Path],
    phone: bool,
) -> None:
    page = new_page(phone=phone)
    size = "360" if phone else "1280"
    email = new_learner(live_server)
    log_in(page, live_server, email)
    open_unit(page, live_server, "gefahrstoffe")
    screens(page, f"package-unit-{size}")
    frame = start(page, "check")
    frame.get_by_role("button", name="pass").click()
    expect_saved(page)
    box = page.locator("#package-frame").bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["width"] >= viewport["width"] - 2  # the frame fills the width
    assert box["y"] + box["height"] >= viewport["height"] - 2  # and the rest of the height
    screens(page, f"package-player-{size}")
