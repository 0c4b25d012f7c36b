"""Login cards in Chromium with a camera: the tablet's camera sees the card's QR code
and the person is signed in (a shared device of their company), or refused (a revoked
card).

The camera is Chromium's fake capture device playing a Y4M video of the card's QR
code, made here from the card's address; 127.0.0.1 is a secure context, so the page
may open it (`Permissions-Policy: camera=(self)` on the scanner's page).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import segno
from sqlalchemy import select

from lms.audit.service import Actor
from lms.login_cards import service
from lms.models import Company, Role, User
from lms.models.shop_floor import LoginCardUse
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, TIMEOUT_MS, LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Page, Playwright

WIDTH, HEIGHT = 640, 480


def qr_video(url: str, path: Path, frames: int = 10) -> Path:
    """A Y4M video (what Chromium's fake camera plays) showing the QR code of `url`
    big, black on white, still."""
    matrix = [list(row) for row in segno.make(url, error="m").matrix_iter(border=4)]
    size = len(matrix)
    scale = min(WIDTH, HEIGHT) * 9 // 10 // size
    left, top = (WIDTH - size * scale) // 2, (HEIGHT - size * scale) // 2
    luma = bytearray(b"\xff" * (WIDTH * HEIGHT))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for line in range(top + y * scale, top + (y + 1) * scale):
                    start = line * WIDTH + left + x * scale
                    luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (WIDTH * HEIGHT // 4)
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path


def new_person(live_server: LiveServer, name: str, number: str) -> tuple[int, int]:
    """A shop-floor employee of Müller Metallbau without an e-mail address: (their id,
    their company's id)."""
    with live_server.app.app_context(), live_server.app.extensions["db"].begin() as session:
        company = session.scalar(select(Company).where(Company.name == "Müller Metallbau GmbH"))
        assert company is not None
        person = User(
            email=None, display_name=name, personnel_number=number, company=company,
            created_at=datetime.now(UTC),
        )  # fmt: skip
        person.grant(Role.LEARNER)
        session.add(person)
        session.flush()
        return person.id, company.id


def issue_card(live_server: LiveServer, user_id: int, revoked: bool = False) -> tuple[str, int]:
    """A card for the person: the address in its QR code, and its id."""
    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        person = session.get(User, user_id)
        (issued,) = service.issue_cards(
            session, Actor.command(), [person], "card", datetime.now(UTC)
        )
        if revoked:
            service.revoke(session, Actor.command(), issued.card, "lost", datetime.now(UTC))
        return live_server(f"/k/{issued.secret}"), issued.card.id


CameraPage = Callable[..., "Page"]


@pytest.fixture
def camera_page(
    playwright_instance: Playwright, live_server: LiveServer, tmp_path: Path
) -> Iterator[CameraPage]:
    """`camera_page(url, cookies=[...])`: a page in a Chromium whose camera shows the
    QR code of `url` (a browser of its own: the video is a launch option)."""
    browsers = []

    def open_page(url: str, cookies: list[dict[str, str]] | None = None) -> Page:
        video = qr_video(url, tmp_path / f"card-{len(browsers)}.y4m")
        browser = playwright_instance.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        browsers.append(browser)
        context = browser.new_context(
            locale="de-DE",
            extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
            viewport=DESKTOP,
            permissions=["camera"],
        )
        context.set_default_timeout(TIMEOUT_MS)
        if cookies:
            context.add_cookies([{**cookie, "url": live_server.url} for cookie in cookies])
        return context.new_page()

    yield open_page
    for browser in browsers:
        browser.close()


def uses_of(live_server: LiveServer, card_id: int) -> list[LoginCardUse]:
    with live_server.app.extensions["db"].begin() as session:
        uses = session.scalars(select(LoginCardUse).where(LoginCardUse.card_id == card_id)).all()
        session.expunge_all()
        return list(uses)


def test_a_cards_qr_signs_a_person_in_on_a_shared_device(
    camera_page: CameraPage, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    from tests.shared_device_helpers import enrolled_cookie

    user_id, company_id = new_person(live_server, "Karla Karte", "E2E-CARD-1")
    url, card_id = issue_card(live_server, user_id)
    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        name, value = enrolled_cookie(session, session.get_one(Company, company_id), "Pausenraum")
    page = camera_page(url, cookies=[{"name": name, "value": value}])

    page.goto(live_server("/card"))
    scan = page.locator("[data-card-scan-start]")
    expect(scan).to_be_visible()
    scan.click()
    # The camera sees the card: the page posts its address, the person is signed in
    # at once (a shared device) and, having no PIN yet, chooses one first.
    expect(page).to_have_url(re.compile(r"/pin/choose"), timeout=15_000)
    expect(page.locator("h1")).to_be_visible()
    (use,) = uses_of(live_server, card_id)
    assert use.outcome == "signed_in" and use.shared_device_id is not None


def test_a_revoked_card_is_refused(camera_page: CameraPage, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    user_id, _company_id = new_person(live_server, "Rolf Gesperrt", "E2E-CARD-2")
    url, card_id = issue_card(live_server, user_id, revoked=True)
    page = camera_page(url)

    page.goto(live_server("/card"))
    page.locator("[data-card-scan-start]").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(re.compile("gesperrt|blocked"), timeout=15_000)
    expect(page.locator("h1")).to_contain_text(re.compile("nicht möglich|not possible"))
    assert "/pin/choose" not in page.url
    (use,) = uses_of(live_server, card_id)
    assert use.outcome == "revoked"
