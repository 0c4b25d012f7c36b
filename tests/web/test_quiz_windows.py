"""A quiz open in two windows, and a quiz page sent after the session ended (issue 16).

Every page of an attempt carries the attempt's sequence number: a save from a page
shown before another save is refused, with the newer answers shown and nothing typed
lost. A page sent after the session ended is kept with the attempt and saved when the
learner logs in again.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from lms.models import AttemptAnswer, QuizAttempt
from tests.conftest import PASSWORD
from tests.web.test_quiz import CHECK, EN, database_for, form_for_page, learner, publish, start

__all__ = ["learner", "publish"]  # fixtures


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def shown(client, url: str) -> tuple[str, dict[str, str]]:
    """A page of the attempt as a window shows it, and the hidden fields it sends."""
    page = client.get(url, headers=EN).get_data(as_text=True)
    names = ("csrf_token", "page", "sequence", "attempt_key", "kept_shown")
    return page, {name: hidden(page, name) for name in names if f'name="{name}"' in page}


def the_attempt(db) -> QuizAttempt:
    attempt = db.scalar(select(QuizAttempt))
    db.refresh(attempt)
    return attempt


# --- Two windows ---------------------------------------------------------------------


def test_a_save_from_an_older_window_is_refused_with_the_newer_answers_shown(client, db, learner):
    url = start(client)
    _page, older = shown(client, url)
    _page, newer = shown(client, url)
    saved = client.post(url, data={**newer, "action": "next", "q-laenge": "2", "q-zettel": "true"})
    assert saved.status_code == 302

    refused = client.post(
        url, data={**older, "action": "next", "q-laenge": "0", "q-zettel": "true"}, headers=EN
    )

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "This knowledge check was changed in another window" in page
    # The newer answers are filled in; what this window sent is listed where it differs.
    assert re.search(r'name="q-laenge" value="2" checked', page)
    assert not re.search(r'name="q-laenge" value="0" checked', page)
    unsaved = page.split('id="unsaved-laenge"')[1].split("</div>")[0]
    assert "Your entry, not saved:" in unsaved and "6 Zeichen" in unsaved
    assert 'id="unsaved-zettel"' not in page  # the same answer in both windows
    attempt = the_attempt(db)
    assert attempt.responses["laenge"] == {"q-laenge": "2"} and attempt.sequence == 1
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == 1

    # The refused page carries the current number: sent again, it saves.
    again = client.post(
        url, data={**shown(client, url)[1], "action": "next", "q-laenge": "0"}, headers=EN
    )
    assert again.status_code == 302
    assert the_attempt(db).responses["laenge"] == {"q-laenge": "0"}


def test_what_a_refused_page_entered_is_listed_in_words_for_every_kind_of_question(
    client, db, learner
):
    url = start(client)
    _page, older = shown(client, url)
    entered_first = {
        "q-laenge": "0",
        "q-merkmale": ["0", "2"],
        "q-zettel": "true",
        "q-zahl": "7",
        "q-begriff": "Spam",
    }
    client.post(url, data={**shown(client, url)[1], "action": "next"})
    page = client.post(url, data={**older, **entered_first}, headers=EN).get_data(as_text=True)
    listed = {
        qid: page.split(f'id="unsaved-{qid}"')[1].split("</div>")[0]
        for qid in ("laenge", "merkmale", "zettel", "zahl", "begriff")
    }
    assert "6 Zeichen" in listed["laenge"]
    assert "Zeitdruck" in listed["merkmale"] and "korrektem Namen" in listed["merkmale"]
    assert "True" in listed["zettel"] and "7" in listed["zahl"] and "Spam" in listed["begriff"]

    last_url = f"{url}?page=2"
    _page, older = shown(client, last_url)
    _page, right = form_for_page(client, last_url)
    client.post(url, data={**shown(client, last_url)[1], "action": "previous"})
    page = client.post(url, data={**older, **right, "action": "submit"}, headers=EN)
    assert page.status_code == 409
    page = page.get_data(as_text=True)
    listed = {
        qid: " ".join(page.split(f'id="unsaved-{qid}"')[1].split("</div>")[0].split())
        for qid in ("luecke", "paare", "schritte")
    }
    assert "Gap 1: E-Mail" in listed["luecke"] and "verdächtig" in listed["luecke"]
    assert "Phishing: gefälschte Mail" in listed["paare"]
    assert "Backup: Sicherung" in listed["paare"]
    assert "1. Nicht öffnen" in listed["schritte"] and "3. Löschen" in listed["schritte"]
    assert the_attempt(db).status == "open"


def test_two_browsers_of_the_learner_do_not_overwrite_each_other(
    client, other_client, db, login, learner
):
    login(learner, target=other_client)
    url = start(client)
    _page, first = shown(client, f"{url}?page=1")
    _page, second = shown(other_client, f"{url}?page=1")
    assert (
        other_client.post(url, data={**second, "action": "next", "q-laenge": "1"}).status_code
        == 302
    )
    refused = client.post(url, data={**first, "action": "previous", "q-laenge": "2"})
    assert refused.status_code == 409
    assert the_attempt(db).responses["laenge"] == {"q-laenge": "1"}


def test_a_hand_in_from_an_older_window_grades_nothing(client, db, learner):
    url = start(client)
    answer_all_but_last = client.post(url, data={**shown(client, url)[1], "action": "next"})
    last_url = answer_all_but_last.location
    _page, last = shown(client, last_url)
    _page, first = shown(client, f"{url}?page=1")
    client.post(url, data={**first, "action": "next", "q-laenge": "1"})  # another window

    refused = client.post(url, data={**last, "action": "submit"}, headers=EN)

    assert refused.status_code == 409
    assert "changed in another window" in refused.get_data(as_text=True)
    attempt = the_attempt(db)
    assert attempt.status == "open" and attempt.responses["laenge"] == {"q-laenge": "1"}
    assert db.scalar(select(func.count()).select_from(AttemptAnswer)) == 0
    # Handed in from the page as it is now, it grades the newer answers.
    response = client.post(url, data={**shown(client, last_url)[1], "action": "submit"})
    assert response.location.endswith("/result")
    assert the_attempt(db).responses["laenge"] == {"q-laenge": "1"}


def test_two_saves_of_the_same_page_at_once_save_one(app, tmp_path):
    """Two requests save from the same page at the same moment: one saves, the other
    is refused (PostgreSQL: the conditional update waits for the row; SQLite: for
    the write lock)."""
    from lms.content.importer import import_course
    from lms.db import db as handle
    from lms.services import learning, quizzes
    from tests.conftest import make_test_app, reset_database
    from tests.factories import make_company, make_user
    from tests.unit.test_course_parser import FULL_QUIZ, quiz, write_course
    from tests.web.test_quiz import _course

    separate = make_test_app(tmp_path, DATABASE_URL=database_for(tmp_path))
    reset_database(separate)
    folder = write_course(tmp_path / "c", {"02-check.md": quiz(FULL_QUIZ)})
    now = datetime.now(UTC)
    with separate.test_request_context(), handle.begin() as session:
        import_course(session, folder, now)
        user = make_user(session, make_company(session))
        enrollment = learning.enroll(session, user, _course(session), now)
        attempt_id = quizzes.start_attempt(session, enrollment, "check", "de", now).id
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def save(answer: str) -> None:
        barrier.wait(timeout=30)
        try:
            with separate.test_request_context(), handle.begin() as session:
                attempt = session.get(QuizAttempt, attempt_id)
                quizzes.save_page(session, attempt, 1, {"q-laenge": [answer]}, seen=0)
            outcomes.append("saved")
        except quizzes.AttemptChanged:
            outcomes.append("refused")

    threads = [threading.Thread(target=save, args=(answer,)) for answer in ("0", "2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused", "saved"]
    with separate.app_context():
        attempt = handle.session.get(QuizAttempt, attempt_id)
        assert attempt.sequence == 1 and attempt.responses["laenge"]["q-laenge"] in ("0", "2")
    reset_database(separate)
    separate.extensions["db"].engine.dispose()


# --- A session that ends during a quiz -----------------------------------------------


@pytest.fixture
def with_csrf(app, learner):
    app.config["WTF_CSRF_ENABLED"] = True


def log_in_again(client, user, next_url: str | None = None):
    page = client.get("/login", headers=EN).get_data(as_text=True)
    data = {"csrf_token": hidden(page, "csrf_token"), "email": user.email, "password": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data, headers=EN)


def start_with_csrf(client) -> str:
    _page, fields = shown(client, CHECK)
    return client.post(f"{CHECK}/attempts", data={"csrf_token": fields["csrf_token"]}).location


def session_ends(client) -> None:
    """The session cookie is gone, as after 12 hours without a request."""
    client.delete_cookie("lms_session")


def test_a_page_sent_after_the_session_ended_is_saved_at_the_next_login(
    client, db, learner, with_csrf
):
    url = start_with_csrf(client)
    _page, fields = shown(client, url)
    session_ends(client)

    sent = client.post(
        url,
        data={**fields, "action": "next", "q-laenge": "1", "q-begriff": "Phishing"},
        headers=EN,
    )

    assert sent.status_code == 302 and sent.location.startswith("/login?next=")
    attempt = the_attempt(db)
    assert attempt.responses == {} and attempt.kept_pages["1"]["sequence"] == 0
    page = client.get(sent.location, headers=EN).get_data(as_text=True)
    assert "Your session had ended. The answers on this page are kept" in page
    next_url = parse_qs(urlsplit(sent.location).query)["next"][0]
    logged_in = log_in_again(client, learner, next_url=next_url)
    assert logged_in.location == f"{url}?page=1"
    attempt = the_attempt(db)
    assert attempt.responses["laenge"] == {"q-laenge": "1"}
    assert attempt.responses["begriff"] == {"q-begriff": "Phishing"}
    assert attempt.sequence == 1 and attempt.kept_pages is None
    page = client.get(logged_in.location, headers=EN).get_data(as_text=True)
    assert "The answers you entered before your session ended are saved." in page
    assert re.search(r'name="q-laenge" value="1" checked', page)
    assert 'value="Phishing"' in page


def test_a_kept_page_is_not_saved_over_answers_saved_since(
    client, other_client, db, learner, with_csrf
):
    url = start_with_csrf(client)
    _page, fields = shown(client, url)
    log_in_again(other_client, learner)
    _page, elsewhere = shown(other_client, url)  # the page open on another device too
    session_ends(client)
    client.post(url, data={**fields, "action": "next", "q-laenge": "0"})
    # Meanwhile, on the other device, the learner answers the page again.
    other_client.post(url, data={**elsewhere, "action": "next", "q-laenge": "2"})

    log_in_again(client, learner)

    attempt = the_attempt(db)
    assert attempt.responses["laenge"] == {"q-laenge": "2"} and attempt.kept_pages
    page = client.get(f"{url}?page=1", headers=EN).get_data(as_text=True)
    assert "Your answers from before your session ended are not saved" in page
    assert re.search(r'name="q-laenge" value="2" checked', page)
    assert "6 Zeichen" in page.split('id="unsaved-laenge"')[1].split("</div>")[0]
    # Saving the page settles it: the kept entries are gone.
    _page, current = shown(client, f"{url}?page=1")
    client.post(url, data={**current, "action": "next", "q-laenge": "2"})
    assert the_attempt(db).kept_pages is None


def test_a_hand_in_sent_after_the_session_ended_is_kept_not_handed_in(
    client, db, learner, with_csrf
):
    url = start_with_csrf(client)
    _page, fields = shown(client, f"{url}?page=2")
    session_ends(client)
    sent = client.post(url, data={**fields, "action": "submit", "q-paare-0": "0"})
    assert sent.location.startswith("/login?next=")
    log_in_again(client, learner)
    attempt = the_attempt(db)
    assert attempt.status == "open" and attempt.responses["paare"]["q-paare-0"] == "0"


def test_nothing_is_kept_without_the_pages_key(client, db, learner, world, with_csrf):
    url = start_with_csrf(client)
    _page, fields = shown(client, url)
    session_ends(client)
    for key in ("", "forged.key", fields["attempt_key"][:-2] + "xx"):
        response = client.post(url, data={**fields, "attempt_key": key, "q-laenge": "0"})
        assert response.status_code == 400
    assert the_attempt(db).kept_pages is None


def test_kept_answers_reach_only_their_own_learners_attempt(
    client, other_client, db, world, learner, with_csrf
):
    """A page of one learner sent after their session ended, then a colleague logs in
    on the same browser: nothing reaches the colleague's attempt at the same address;
    the page is saved at its own learner's next login."""
    url = start_with_csrf(client)
    colleague = world.a.employees[1]
    log_in_again(other_client, colleague)
    _page, fields = shown(other_client, CHECK)
    other_client.post("/learn/courses/testkurs/enroll", data={"csrf_token": fields["csrf_token"]})
    assert start_with_csrf(other_client) == url  # each learner's attempt 1
    _page, mine = shown(client, url)
    session_ends(client)
    client.post(url, data={**mine, "action": "next", "q-laenge": "0"})

    log_in_again(client, colleague)

    attempts = {a.user_id: a for a in db.scalars(select(QuizAttempt))}
    for attempt in attempts.values():
        db.refresh(attempt)
    assert attempts[colleague.id].responses == {} and attempts[colleague.id].sequence == 0
    assert attempts[learner.id].responses == {} and attempts[learner.id].kept_pages
    page = client.get(f"{url}?page=1").get_data(as_text=True)
    assert not re.search(r'name="q-laenge" value="0" checked', page)
    client.post("/logout", data={"csrf_token": hidden(page, "csrf_token")})
    log_in_again(client, learner)
    db.refresh(attempts[learner.id])
    assert attempts[learner.id].responses["laenge"] == {"q-laenge": "0"}


def test_a_page_sent_while_a_colleague_is_logged_in_is_kept_for_its_learner(
    client, db, world, learner, with_csrf
):
    """The learner's session ended and a colleague logged in on the same browser: the
    colleague sees the usual refusal (400), and the page is still kept, for the
    learner's next login, though the request answered with an error."""
    url = start_with_csrf(client)
    _page, fields = shown(client, url)
    session_ends(client)
    log_in_again(client, world.a.employees[1])

    sent = client.post(url, data={**fields, "action": "next", "q-laenge": "0"})

    assert sent.status_code == 400
    attempt = the_attempt(db)
    assert attempt.responses == {} and attempt.kept_pages["1"]["sequence"] == 0
    assert attempt.kept_pages["1"]["fields"]["laenge"] == {"q-laenge": "0"}


def test_after_logging_out_a_page_of_the_old_session_keeps_nothing(client, db, learner, with_csrf):
    url = start_with_csrf(client)
    _page, fields = shown(client, url)
    client.post("/logout", data={"csrf_token": fields["csrf_token"]})
    response = client.post(url, data={**fields, "action": "next", "q-laenge": "0"})
    assert response.status_code == 400
    assert the_attempt(db).kept_pages is None


def test_a_page_whose_token_failed_while_logged_in_is_shown_again_to_send(
    client, db, learner, with_csrf
):
    """Logged in again by the "stay logged in" cookie, the page's token is of the old
    session: its answers are filled in again, nothing is saved without a valid token."""
    url = start_with_csrf(client)
    _page, fields = shown(client, url)
    response = client.post(
        url, data={**fields, "csrf_token": "old", "action": "next", "q-laenge": "0"}, headers=EN
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This page is not saved yet" in page
    assert re.search(r'name="q-laenge" value="0" checked', page)
    attempt = the_attempt(db)
    assert attempt.responses == {} and attempt.kept_pages is None
    # Without the page's key it is the usual refusal.
    forged = client.post(url, data={"csrf_token": "old", "page": "1", "q-laenge": "0"})
    assert forged.status_code == 400
    resent = client.post(url, data={**shown(client, url)[1], "action": "next", "q-laenge": "0"})
    assert resent.status_code == 302
    assert the_attempt(db).responses["laenge"] == {"q-laenge": "0"}


def test_erasing_the_person_erases_the_pages_kept_for_them(client, db, learner, with_csrf):
    from lms.services.erasure import erase_person

    url = start_with_csrf(client)
    _page, fields = shown(client, url)
    session_ends(client)
    client.post(url, data={**fields, "action": "next", "q-begriff": "Mein Geheimnis"})
    assert the_attempt(db).kept_pages

    erase_person(db, learner, datetime.now(UTC))

    attempt = the_attempt(db)
    assert attempt.kept_pages is None and "Mein Geheimnis" not in repr(attempt.responses)


def test_handing_in_drops_what_was_kept(client, other_client, db, learner, with_csrf):
    url = start_with_csrf(client)
    _page, fields = shown(client, url)
    session_ends(client)
    client.post(url, data={**fields, "action": "next", "q-begriff": "Phishing"})
    log_in_again(other_client, learner)  # the kept page is saved here …
    _page, last = shown(other_client, f"{url}?page=2")
    client.post(url, data={**fields, "action": "next", "q-begriff": "Spam"})  # … and kept again
    assert the_attempt(db).kept_pages

    handed_in = other_client.post(url, data={**last, "action": "submit"})

    assert handed_in.location.endswith("/result")
    attempt = the_attempt(db)
    assert attempt.status == "submitted" and attempt.kept_pages is None
    assert attempt.responses["begriff"] == {"q-begriff": "Phishing"}
