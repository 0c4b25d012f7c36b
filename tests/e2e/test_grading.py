"""A photo hand-in graded by a trainer (issue 18, point 21): an employee hands in a photo on
a phone (360 px), the trainer asks for a new one with feedback, the employee sees it."""

from __future__ import annotations

import io

from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, PageFactory
from tests.e2e.test_browser import log_in, scroll_width

LEARNER = "uwe.richter@mueller-metallbau.example"
UNIT = "/learn/courses/datenschutz-im-arbeitsalltag/foto-arbeitsplatz"


def _enrolled() -> None:
    from sqlalchemy import select

    from lms.clock import now
    from lms.db import db
    from lms.models import Course, User
    from lms.services import learning

    with db.begin() as session:
        person = session.scalar(select(User).where(User.email == LEARNER))
        course = session.scalar(select(Course).where(Course.slug == "datenschutz-im-arbeitsalltag"))
        if learning.get_enrollment(session, person, course) is None:
            learning.enroll(session, person, course, now())


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (180, 190, 200)).save(out, format="JPEG")
    return out.getvalue()


def test_a_photo_handed_in_on_a_phone_is_graded_and_the_feedback_shown(
    new_page: PageFactory, live_server: LiveServer, screens
) -> None:
    with live_server.app.app_context():
        _enrolled()
    phone = new_page(phone=True)
    log_in(phone, live_server, LEARNER)
    phone.goto(live_server(UNIT))
    photo_field = phone.locator("#handin-file")
    expect(photo_field).to_have_attribute("capture", "environment")
    photo_field.set_input_files(
        {"name": "arbeitsplatz.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    phone.locator("#handin button[type=submit]").click()
    expect(phone.locator("#handin img.handin__photo")).to_be_visible()
    assert scroll_width(phone) <= 360
    screens(phone, "handin-learner-360")

    desk = new_page()
    log_in(desk, live_server, "trainer@zukunftszentrum.example")
    desk.goto(live_server("/author/grading"))
    desk.get_by_role("row").filter(has_text="Uwe Richter").get_by_role("link").click()
    expect(desk.locator("img.handin__photo")).to_be_visible()
    desk.locator("#feedback").fill("Auf dem Tisch liegt noch eine Liste mit Namen.")
    desk.locator('button[value="redo"]').click()
    expect(desk.get_by_role("row").filter(has_text="Uwe Richter")).to_have_count(0)

    phone.goto(live_server(UNIT))
    expect(phone.locator(".handin__feedback")).to_contain_text("Liste mit Namen")
    expect(phone.locator("#handin-file")).to_be_visible()  # may hand in again
    assert scroll_width(phone) <= 360
    screens(phone, "handin-feedback-360")
