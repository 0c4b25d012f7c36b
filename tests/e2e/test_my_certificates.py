"""A learner's certificates on a 360 px phone (issue 18, point 16): a card per
certificate, the current one first and the earlier round's below it, nothing off to the
right; the PDF downloads and the verification link opens the public check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_browser import log_in, scroll_width

try:
    from playwright.sync_api import Page, expect
except ModuleNotFoundError:  # conftest skips every test (or fails them with LMS_E2E_REQUIRED=1)
    Page = expect = None  # type: ignore[assignment,misc]

EMAIL = "rita.rund@zertifikate.example"


@pytest.fixture(scope="module")
def learner(live_server: LiveServer) -> list[str]:
    """A learner of a company of their own who took IT security twice: 400 days ago
    (expired) and 20 days ago. Returns the codes, newest first."""
    from sqlalchemy import select

    from lms.demo import complete_course
    from lms.models import Completion, Course
    from tests.factories import make_company, make_user

    app = live_server.app
    moment = datetime.now(UTC)
    with app.test_request_context(), app.extensions["db"].begin() as session:
        company = make_company(session, "Zertifikate GmbH")
        person = make_user(
            session, company, email=EMAIL, password=live_server.password, name="Rita Rund"
        )
        course = session.scalar(select(Course).where(Course.slug == "it-sicherheit"))
        complete_course(session, person, course, moment - timedelta(days=400))
        complete_course(session, person, course, moment - timedelta(days=20))
        codes = session.scalars(
            select(Completion.code)
            .where(Completion.user_id == person.id)
            .order_by(Completion.completed_at.desc())
        ).all()
    return [code for code in codes if code]


def test_a_phone_shows_a_card_per_certificate_with_its_pdf_and_check(
    phone_page: Page, live_server: LiveServer, learner: list[str], screens
) -> None:
    page = phone_page
    log_in(page, live_server, EMAIL)
    page.locator('nav a[href="/learn/certificates"]').click()
    newer, older = learner
    cards = page.locator("table.my-certificates tbody tr")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text(newer)
    expect(cards.nth(1)).to_contain_text(older)
    expect(cards.nth(0)).to_contain_text("IT-Sicherheit am Arbeitsplatz")
    expect(cards.nth(0).locator(".status--ok")).to_be_visible()  # ✓ valid until …
    expect(cards.nth(1).locator(".status--danger")).to_be_visible()  # ✕ expired on …
    for card in cards.all():
        box = card.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert scroll_width(page) <= PHONE["width"]
    screens(page, "my-certificates-360")

    with page.expect_download() as download:
        cards.nth(1).get_by_role("link", name="Zertifikat herunterladen (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    cards.nth(0).locator(f'a[href="/verify/{newer}"]').click()
    expect(page.locator("main p.notice--success")).to_contain_text("Gültig")
