"""A free-text answer graded by a trainer (issue 18, point 21): an employee writes an essay
answer on a phone (360 px), where Enter makes a new line, hands in and sees that it waits
for the trainer; the trainer grades it with the rubric; the employee sees the points per
criterion and the feedback."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, PageFactory
from tests.e2e.test_browser import log_in, scroll_width

LEARNER = "jonas.becker@mueller-metallbau.example"
CHECK = "/learn/courses/datenschutz-im-arbeitsalltag/wissenscheck"
ESSAY = "#q-datenpanne-rat"


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


def test_an_essay_written_on_a_phone_is_graded_with_the_rubric(
    new_page: PageFactory, live_server: LiveServer, screens
) -> None:
    with live_server.app.app_context():
        _enrolled()
    phone = new_page(phone=True)
    log_in(phone, live_server, LEARNER)
    phone.goto(live_server(CHECK))
    phone.locator(f'form[action$="{CHECK}/attempts"] button[type=submit]').click()
    # The questions are shuffled: go through the pages until the essay shows.
    for _page in range(3):
        if phone.locator(ESSAY).count():
            break
        phone.locator('button[name="action"][value="next"]').click()
    essay = phone.locator(ESSAY)
    essay.click()
    essay.type("Sie sollte es sofort ihrer Vorgesetzten und dem Datenschutzbeauftragten melden.")
    essay.press("Enter")  # a new line, never a hand-in
    essay.type("Der Betrieb hat nur 72 Stunden Zeit und kann den Schaden so begrenzen.")
    expect(essay).to_have_value(
        "Sie sollte es sofort ihrer Vorgesetzten und dem Datenschutzbeauftragten melden.\n"
        "Der Betrieb hat nur 72 Stunden Zeit und kann den Schaden so begrenzen."
    )
    assert "/summary" not in phone.url and "/result" not in phone.url
    assert scroll_width(phone) <= 360
    screens(phone, "essay-learner-360")
    phone.locator('button[name="action"][value="summary"]').click()
    phone.locator('button[name="action"][value="submit"]').click()
    expect(phone.locator("h1")).to_have_text("Ihr Ergebnis")
    expect(phone.locator(".review__item").filter(has=phone.locator(".essay__text"))).to_have_count(
        1
    )
    assert scroll_width(phone) <= 360
    screens(phone, "essay-waiting-360")
    result_url = phone.url

    desk = new_page()
    log_in(desk, live_server, "trainer@zukunftszentrum.example")
    desk.goto(live_server("/author/grading"))
    desk.get_by_role("row").filter(has_text="Jonas Becker").get_by_role("link").click()
    expect(desk.locator(".essay__answer")).to_contain_text("72 Stunden")
    desk.locator('input[name="p-datenpanne-rat-0"][value="2"]').check()
    desk.locator('input[name="p-datenpanne-rat-1"][value="1"]').check()
    desk.locator("#f-datenpanne-rat").fill("Genau so: sofort melden.")
    desk.locator(".essay-grading button[type=submit]").click()
    expect(desk.get_by_role("row").filter(has_text="Jonas Becker")).to_have_count(0)

    phone.goto(result_url)
    expect(
        phone.locator(".review__item").filter(has_text="Genau so: sofort melden.")
    ).to_have_count(1)
    expect(phone.locator(".review__answer").filter(has_text="2 von 2 Punkten")).to_have_count(1)
    assert scroll_width(phone) <= 360
    screens(phone, "essay-graded-360")
