"""The summary before handing in (issue 18, point 1): a knowledge check is never handed
in by accident. Enter in a field saves and moves on; the last page leads to a summary of
every question, answered or not, each linked to its page; only its "Hand in now"
hands in, once, and only what is saved."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from lms.models import AttemptAnswer, QuizAttempt
from tests.web.test_quiz import CHECK, EN, first_button, form_for_page, learner, publish, start
from tests.web.test_quiz_windows import hidden, log_in_again, session_ends, shown, the_attempt

__all__ = ["learner", "publish"]  # fixtures

SUMMARY = f"{CHECK}/attempts/1/summary"


def summary_form(client) -> dict[str, str]:
    """The hidden fields of the summary's hand-in form."""
    page = client.get(SUMMARY, headers=EN).get_data(as_text=True)
    names = ("csrf_token", "sequence", "attempt_key")
    return {name: hidden(page, name) for name in names if f'name="{name}"' in page}


def test_enter_in_a_field_saves_and_moves_on_on_every_page_and_never_hands_in(client, db, learner):
    url = start(client)
    for number in (1, 2):
        page = client.get(f"{url}?page={number}", headers=EN).get_data(as_text=True)
        # A form's implicit submission (Enter in a text or number field) uses its first
        # submit button: "next page" or, on the last page, "continue to the summary".
        assert first_button(page) == ("next" if number == 1 else "summary")
        body = page.split("<body", 1)[1]  # the head's offline script carries texts only
        assert 'value="submit"' not in body and "Hand in" not in body
    # Enter in the text field of the last page: the page is saved, nothing handed in.
    _page, right = form_for_page(client, f"{url}?page=2")
    response = client.post(url, data={**right, "page": "2", "action": first_button(_page)})
    assert response.location == SUMMARY
    attempt = the_attempt(db)
    assert attempt.status == "open" and attempt.responses["luecke"]["q-luecke-0"] == "E-Mail"
    assert db.scalar(select(func.count()).select_from(AttemptAnswer)) == 0


def test_the_summary_lists_every_question_with_its_page_and_what_is_unanswered(client, db, learner):
    url = start(client)
    client.post(url, data={"page": "1", "action": "summary", "q-laenge": "1", "q-zahl": "3"})
    # Of the cloze question one gap of two: partly answered.
    client.post(url, data={"page": "2", "action": "summary", "q-luecke-0": "E-Mail"})

    page = client.get(SUMMARY, headers=EN).get_data(as_text=True)

    attempt = the_attempt(db)
    items = re.findall(r'<li class="summary-list__item">(.*?)</li>', page, re.S)
    assert len(items) == len(attempt.layout) == 8
    for number, (entry, item) in enumerate(zip(attempt.layout, items, strict=True), start=1):
        page_number = 1 if number <= 5 else 2
        link = f'href="{url}?page={page_number}#question-{entry["id"]}"'
        assert link in item and f"Question {number}</a>" in item
        state = {"laenge": "answered", "zahl": "answered", "luecke": "partly answered"}
        assert " ".join(item.split()).count(state.get(entry["id"], "not answered")) == 1
    assert f'href="{url}?page=1">Page 1 of 2</a>' in page
    assert f'href="{url}?page=2">Page 2 of 2</a>' in page
    assert "You have answered 2 of 8 questions." in page
    # Before the button, in words: how many are not answered.
    notice = page.index("5 questions are not answered.")
    assert page.index("1 question is only partly answered.") > notice
    assert notice < page.index(">Hand in now</button>")
    assert the_attempt(db).status == "open"


def test_handing_in_from_the_summary_grades_what_is_saved_once(client, db, learner):
    url = start(client)
    _page, first = form_for_page(client, url)
    client.post(url, data={**first, "page": "1", "action": "next"})
    _page, last = form_for_page(client, f"{url}?page=2")
    client.post(url, data={**last, "page": "2", "action": "summary"})
    form = summary_form(client)
    assert "page" not in form  # the summary sends no answers: the saved ones count

    handed_in = client.post(url, data={**form, "action": "submit"})
    again = client.post(url, data={**form, "action": "submit"})  # a double click

    assert handed_in.location == again.location == f"{CHECK}/attempts/1/result"
    attempt = the_attempt(db)
    assert attempt.status == "submitted" and attempt.percent == 100
    assert db.scalar(select(func.count()).select_from(AttemptAnswer)) == 8
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == 1
    # A closed attempt's summary leads to its result.
    assert client.get(SUMMARY).location == f"{CHECK}/attempts/1/result"


def test_a_hand_in_with_nothing_answered_says_so_first(client, db, learner):
    url = start(client)
    response = client.post(url, data={"page": "1", "action": "summary"})
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "8 questions are not answered." in page and "You have answered 0 of 8" in page
    assert "After this attempt you have 1 attempt left." in page  # max_attempts: 2
    assert the_attempt(db).status == "open"


def test_a_hand_in_from_a_summary_shown_before_another_save_is_refused(client, db, learner):
    url = start(client)
    client.post(url, data={"page": "1", "action": "summary"})
    older = summary_form(client)
    _page, fields = shown(client, url)
    client.post(url, data={**fields, "action": "next", "q-laenge": "1"})  # another window

    refused = client.post(url, data={**older, "action": "submit"}, headers=EN)

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Nothing was handed in: answers were saved in another window" in page
    assert ">Hand in now</button>" in page and "7 questions are not answered." in page
    attempt = the_attempt(db)
    assert attempt.status == "open" and attempt.responses["laenge"] == {"q-laenge": "1"}
    # The refused summary carries the current number: sent again, it hands in.
    resent = client.post(url, data={"sequence": hidden(page, "sequence"), "action": "submit"})
    assert resent.location.endswith("/result") and the_attempt(db).status == "submitted"


def test_a_hand_in_after_the_session_ended_keeps_nothing_and_leads_back_to_the_summary(
    app, client, db, learner
):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(CHECK).get_data(as_text=True)
    url = client.post(f"{CHECK}/attempts", data={"csrf_token": hidden(page, "csrf_token")}).location
    _page, fields = shown(client, url)
    client.post(url, data={**fields, "action": "summary", "q-laenge": "1"})
    form = summary_form(client)
    session_ends(client)

    sent = client.post(url, data={**form, "action": "submit"}, headers=EN)

    assert sent.status_code == 302 and sent.location.startswith("/login?next=")
    assert parse_qs(urlsplit(sent.location).query)["next"] == [SUMMARY]
    attempt = the_attempt(db)
    assert attempt.status == "open" and attempt.kept_pages is None
    assert attempt.responses["laenge"] == {"q-laenge": "1"}  # no page was emptied
    login_page = client.get(sent.location, headers=EN).get_data(as_text=True)
    assert "nothing was handed in" in login_page
    assert log_in_again(client, learner, next_url=SUMMARY).location == SUMMARY


def test_another_learners_summary_is_not_reachable(client, world, login, learner):
    start(client)
    client.post("/logout")
    login(world.a.employees[1])
    client.post("/learn/courses/testkurs/enroll")
    assert client.get(SUMMARY).status_code == 404


def test_a_hand_in_whose_token_failed_while_logged_in_again_hands_in_nothing(
    app, client, db, learner
):
    """Logged in again by the "stay logged in" cookie, the summary's token is of the old
    session: nothing is handed in, the learner is back on the summary to hand in."""
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(CHECK).get_data(as_text=True)
    url = client.post(f"{CHECK}/attempts", data={"csrf_token": hidden(page, "csrf_token")}).location
    form = summary_form(client)

    sent = client.post(url, data={**form, "csrf_token": "old", "action": "submit"}, headers=EN)

    assert sent.status_code == 302 and sent.location == SUMMARY
    assert the_attempt(db).status == "open" and the_attempt(db).kept_pages is None
    again = client.get(SUMMARY, headers=EN).get_data(as_text=True)
    assert "nothing was handed in. Check the summary and hand in now." in again
    handed_in = client.post(url, data={**summary_form(client), "action": "submit"})
    assert handed_in.location.endswith("/result") and the_attempt(db).status == "submitted"


def test_the_summary_names_pages_whose_answers_are_kept_but_not_saved(
    app, client, other_client, db, learner
):
    """A page sent after the session ended, not saved at the login because another
    device saved since: the summary says so and links the page."""
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(CHECK).get_data(as_text=True)
    url = client.post(f"{CHECK}/attempts", data={"csrf_token": hidden(page, "csrf_token")}).location
    _page, fields = shown(client, url)
    log_in_again(other_client, learner)
    _page, elsewhere = shown(other_client, url)
    session_ends(client)
    client.post(url, data={**fields, "action": "next", "q-laenge": "0"})  # kept
    other_client.post(url, data={**elsewhere, "action": "next", "q-laenge": "2"})
    log_in_again(client, learner)
    assert the_attempt(db).kept_pages

    summary = client.get(SUMMARY, headers=EN).get_data(as_text=True)

    assert "Some answers are not saved yet" in summary
    assert f'<a href="{url}?page=1">Page 1</a>' in summary
