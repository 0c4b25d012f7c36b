"""Evaluating a module on a phone without JavaScript (issue 18, point 20): the invitation on
the completed module's page, the questionnaire at 360 px, a required question left open
keeps what was typed, and the answers are sent once."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import PHONE, TIMEOUT_MS, LiveServer
from tests.e2e.test_browser import fill_login, scroll_width


def someone_who_completed(live_server: LiveServer, slug: str) -> str:
    """The e-mail address of a demo learner who completed `slug` and has not evaluated it."""
    from sqlalchemy import select

    from lms.db import db
    from lms.models import Company, Course, Enrollment, EvaluationParticipation, User

    with live_server.app.app_context():
        answered = select(EvaluationParticipation.user_id)
        email = db.session.scalar(
            select(User.email)
            .join(Enrollment, Enrollment.user_id == User.id)
            .join(Course, Course.id == Enrollment.course_id)
            .join(Company, Company.id == User.company_id)
            .where(
                Course.slug == slug,
                Enrollment.completed_at.is_not(None),
                User.id.not_in(answered),
                User.is_active.is_(True),
                Company.is_active.is_(True),
            )
            .order_by(User.id)
            .limit(1)
        )
    assert email is not None
    return str(email)


def test_a_module_is_evaluated_on_a_phone_without_javascript(
    browser: Browser, live_server: LiveServer, screens
) -> None:
    # A context of its own: like the shared fixtures' phone, but with JavaScript off.
    context = browser.new_context(
        locale="de-DE",
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        email = someone_who_completed(live_server, "it-sicherheit")
        page.goto(live_server("/login"))
        fill_login(page, email, live_server.password)
        expect(page).not_to_have_url(re.compile(r"/login"))
        # In English: the words checked below are the message ids themselves.
        page.locator('.lang-switch button[value="en"]').click()

        page.goto(live_server("/learn/courses/it-sicherheit"))
        page.get_by_role("link", name="How was the module? (2 minutes)").click()
        expect(page).to_have_url(re.compile(r"/learn/evaluation/modules/it-sicherheit$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("How was the module?")
        assert scroll_width(page) <= PHONE["width"]
        screens(page, "evaluation-phone")

        # Only the free text typed: refused, and the text is still there.
        page.get_by_label("What should we change?").fill("Mehr Beispiele aus dem Lager")
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_role("alert")).to_contain_text("Please correct the following")
        expect(page.get_by_label("What should we change?")).to_have_value(
            re.compile("Mehr Beispiele aus dem Lager")
        )
        screens(page, "evaluation-phone-errors")

        page.locator("#q-overall-4").check()
        page.locator("#q-useful-5").check()
        page.get_by_role("button", name="Send my answers").click()
        expect(page).to_have_url(re.compile(r"/learn/courses/it-sicherheit$"))
        expect(page.get_by_role("status").first).to_contain_text("Thank you")
        expect(page.get_by_role("link", name="How was the module? (2 minutes)")).to_have_count(0)
    finally:
        context.close()
