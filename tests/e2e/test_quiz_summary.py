"""A knowledge check on a phone is never handed in by accident (issue 18, point 1): Enter in
a text field saves the page and moves on, the last page leads to a summary that says what
is unanswered, and only its "Hand in now" hands in."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import log_in, scroll_width


def answer_right_but(page: Page, live_server: LiveServer, unit_id: str, skip: set[str]) -> None:
    """Fill the visible questions but those in `skip` with the server's right answers."""
    from sqlalchemy import select

    from lms.content.stored import stored_questions
    from lms.db import db
    from lms.demo import right_fields
    from lms.models import QuizAttempt, User
    from lms.services import quizzes

    number = int(re.search(r"/attempts/(\d+)", page.url).group(1))
    with live_server.app.app_context():
        attempt = db.session.scalar(
            select(QuizAttempt)
            .join(User, User.id == QuizAttempt.user_id)
            .where(
                User.email == "lena.hoffmann@mueller-metallbau.example",
                QuizAttempt.unit_id == unit_id,
                QuizAttempt.number == number,
            )
        )
        public = quizzes.public_questions(attempt)
        keys = {q.id: q for q in stored_questions(attempt.version, attempt.language, unit_id)}
    for question_id in public:
        if question_id in skip or not page.locator(f"#question-{question_id}").count():
            continue
        for field, value in right_fields(keys[question_id], public[question_id]).items():
            for one in value if isinstance(value, list) else [value]:
                control = page.locator(f'[name="{field}"]')
                tag = control.first.evaluate("e => e.tagName + ':' + (e.type || '')")
                if tag.startswith("SELECT"):
                    control.select_option(one)
                elif tag.endswith(("radio", "checkbox")):
                    page.locator(f'[name="{field}"][value="{one}"]').check()
                else:
                    control.fill(one)


def test_on_a_phone_enter_never_hands_in_and_the_summary_says_what_is_unanswered(
    phone_page: Page, live_server: LiveServer, screens
) -> None:
    page = phone_page
    log_in(page, live_server, "lena.hoffmann@mueller-metallbau.example")
    # In English: the words checked below are the message ids themselves.
    page.locator('.lang-switch button[value="en"]').click()
    page.goto(live_server("/learn/courses/e2e-pruefung"))
    page.get_by_role("button", name="Start module").click()
    page.get_by_role("button", name="Mark as done").click()
    page.get_by_role("button", name="Start the knowledge check").click()
    expect(page).to_have_url(re.compile(r"/check/attempts/\d+$"))

    # Page 1: the true/false question left out; Enter in the text answer goes on.
    answer_right_but(page, live_server, "check", skip={"zettel"})
    page.locator('input[name="q-begriff"]').press("Enter")
    expect(page).to_have_url(re.compile(r"/attempts/\d+\?page=2$"))
    expect(page.get_by_text("Page 2 of 2", exact=False).first).to_be_visible()

    # The last page: Enter in a gap leads to the summary, nothing is handed in.
    answer_right_but(page, live_server, "check", skip=set())
    screens(page, "quiz-last-page-phone")
    page.locator('input[name="q-luecke-0"]').press("Enter")
    expect(page).to_have_url(re.compile(r"/attempts/\d+/summary$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Wissenscheck")

    unanswered = page.locator(".summary-list__item", has_text="Question 3")
    expect(unanswered).to_contain_text("not answered")
    expect(page.locator(".summary-list__item", has_text="Question 8")).to_contain_text("answered")
    notice = page.locator("#unanswered")
    expect(notice).to_contain_text("1 question is not answered.")
    hand_in = page.get_by_role("button", name="Hand in now")
    assert notice.bounding_box()["y"] < hand_in.bounding_box()["y"]  # said before the button
    assert scroll_width(page) <= 360
    screens(page, "quiz-summary-phone")

    # Back to the page of the unanswered question, then hand in from the summary.
    unanswered.get_by_role("link", name="Question 3").click()
    expect(page).to_have_url(re.compile(r"\?page=1#question-zettel$"))
    page.get_by_role("button", name="Save and show the summary").click()
    hand_in.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your result")
    expect(page.get_by_text("Passed", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="What comes next")).to_be_visible()
    assert scroll_width(page) <= 360
    screens(page, "quiz-result-phone")
