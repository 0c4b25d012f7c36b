"""Spaced refreshers in the learner's browser: the start page on the day, answering once,
setting one aside, and nobody else's refresher. The clock is set per test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.models import Refresher, RefresherAnswer
from lms.services import refreshers
from tests.unit.test_item_stats import ATTEMPTS as QUIZ_ATTEMPTS
from tests.unit.test_item_stats import add_attempt
from tests.unit.test_refreshers import COMPLETED, answers_for, complete, refresher_course

EN = {"Accept-Language": "en"}
ON_THE_DAY = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)  # 8:00 in Berlin, 7 days after completing


@pytest.fixture
def setup(app, db, tmp_path, world, monkeypatch):
    version = refresher_course(app, db, tmp_path)
    learner = world.a.employees[0]
    completion = complete(db, version, learner)
    monkeypatch.setitem(app.config, "CLOCK", lambda: ON_THE_DAY)
    return version, learner, completion


def path(completion, step=0, end=""):
    return f"/learn/refreshers/{completion.id}/{step}{end}"


def count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_the_start_page_asks_the_questions_on_the_day(app, client, db, login, setup, monkeypatch):
    version, learner, completion = setup
    login(learner)
    monkeypatch.setitem(app.config, "CLOCK", lambda: COMPLETED)
    assert "Refresher" not in client.get("/learn/", headers=EN).get_data(as_text=True)
    monkeypatch.setitem(app.config, "CLOCK", lambda: ON_THE_DAY)
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert '<h2 id="refreshers-heading">Refresher</h2>' in page
    # The German-only title is marked on the English page (issue 18, point 4).
    assert 'A few questions from <span lang="de">Testkurs</span>, which you completed' in page
    assert f'action="{path(completion)}"' in page
    drawn = refreshers.draw(version, completion.id, 0, "de")
    for item in drawn:
        assert f'id="question-{item.question.id}"' in page
    # No answer key, feedback or explanation before answering.
    assert "correct" not in page.lower().replace("correctly", "")
    assert "Check my answers" in page and "Not now, set aside" in page


def test_answering_grades_once_and_shows_the_result(client, db, login, setup):
    version, learner, completion = setup
    login(learner)
    drawn = refreshers.draw(version, completion.id, 0, "de")
    form = {"action": "answer", **answers_for(drawn)}
    response = client.post(path(completion), data=form, headers=EN)
    assert response.status_code == 302
    assert response.location.endswith(path(completion, end="/result"))
    # The same form again (a double click): still one refresher, same answers.
    again = client.post(path(completion), data=form, headers=EN)
    assert again.location.endswith(path(completion, end="/result"))
    assert count(db, Refresher) == 1 and count(db, RefresherAnswer) == len(drawn)
    result = client.get(path(completion, end="/result"), headers=EN).get_data(as_text=True)
    assert "All right." in result and "You answered all 3 questions correctly." in result
    assert '<h1>Refresher: <span lang="de">Testkurs</span></h1>' in result
    assert "Refresher" not in client.get("/learn/", headers=EN).get_data(as_text=True)
    # The refresher's page now leads to its result.
    assert client.get(path(completion)).location.endswith(path(completion, end="/result"))


def test_wrong_answers_show_how_many_were_right_and_the_solution(client, db, login, setup):
    version, learner, completion = setup
    login(learner)
    drawn = refreshers.draw(version, completion.id, 0, "de")
    client.post(path(completion), data={"action": "answer", **answers_for(drawn, right=False)})
    result = client.get(path(completion, end="/result"), headers=EN).get_data(as_text=True)
    assert "0 of 3 questions right." in result and "Correct answer:" in result


def test_nothing_answered_is_refused_and_nothing_is_written(client, db, login, setup):
    _version, learner, completion = setup
    login(learner)
    response = client.post(path(completion), data={"action": "answer"}, headers=EN)
    assert response.status_code == 422
    assert "Answer at least one question, or set the refresher aside." in response.get_data(
        as_text=True
    )
    assert count(db, Refresher) == 0


def test_a_refresher_set_aside_is_gone_from_the_start_page(client, db, login, setup):
    version, learner, completion = setup
    login(learner)
    response = client.post(path(completion), data={"action": "skip"}, headers=EN)
    assert response.status_code == 302 and response.location.endswith("/learn/")
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "Refresher set aside." in page and "refreshers-heading" not in page
    # Answers sent from another tab afterwards: nothing is graded.
    drawn = refreshers.draw(version, completion.id, 0, "de")
    late = client.post(path(completion), data={"action": "answer", **answers_for(drawn)})
    assert late.location.endswith(path(completion, end="/result"))
    followed = client.get(late.location, headers=EN)
    assert followed.status_code == 302 and followed.location.endswith("/learn/")
    assert "This refresher was set aside." in client.get("/learn/", headers=EN).get_data(
        as_text=True
    )
    assert count(db, RefresherAnswer) == 0


def test_nobody_else_reaches_a_learners_refresher(app, db, login, setup, world):
    version, _learner, completion = setup
    drawn = refreshers.draw(version, completion.id, 0, "de")
    for other in (world.a.employees[1], world.b.employees[0]):
        client = login(other, target=app.test_client())
        assert client.get(path(completion)).status_code == 404
        response = client.post(path(completion), data={"action": "answer", **answers_for(drawn)})
        assert response.status_code == 302 and response.location.endswith("/learn/")
        assert client.get(path(completion, end="/result")).status_code == 404
    assert count(db, Refresher) == 0


def test_a_refresher_not_due_is_not_found(client, login, setup):
    _version, learner, completion = setup
    login(learner)
    assert client.get(path(completion, step=1)).status_code == 404  # due on 1 April
    assert client.get(path(completion, step=7)).status_code == 404


def test_the_trainer_sees_refresher_answers_in_the_item_statistics(
    client, other_client, db, login, setup, world
):
    version, learner, completion = setup
    for answers in QUIZ_ATTEMPTS:
        add_attempt(db, version, world.a.company, answers)
    login(learner)
    drawn = refreshers.draw(version, completion.id, 0, "de")
    client.post(path(completion), data={"action": "answer", **answers_for(drawn)})
    login(world.trainer, target=other_client)
    page = other_client.get(
        f"/author/courses/auffrischkurs/v{version.number}/stats/check", headers=EN
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("(1 of them in a refresher)") == len(drawn)
    assert learner.display_name not in text


def test_the_trainer_sees_when_refreshers_come(other_client, login, setup, world):
    login(world.trainer, target=other_client)
    page = other_client.get("/author/courses/auffrischkurs", headers=EN).get_data(as_text=True)
    assert "<dt>Refreshers after completing</dt><dd>7 days, 30 days</dd>" in page
    german = other_client.get("/author/courses/auffrischkurs", headers={"Accept-Language": "de"})
    assert "<dd>7 Tage, 30 Tage</dd>" in german.get_data(as_text=True)


def test_setting_aside_names_the_next_day_or_says_it_was_the_last(
    app, client, db, login, setup, monkeypatch
):
    _version, learner, completion = setup
    login(learner)
    client.post(path(completion), data={"action": "skip"}, headers=EN)
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "Refresher set aside. The next one comes on 1 Apr 2026." in page
    monkeypatch.setitem(app.config, "CLOCK", lambda: datetime(2026, 4, 1, 7, 0, tzinfo=UTC))
    client.post(path(completion, step=1), data={"action": "skip"}, headers=EN)
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "Refresher set aside. It was the last one for this module." in page


def test_answers_sent_just_after_midnight_on_the_last_day_still_count(
    app, client, db, login, setup, monkeypatch
):
    version, learner, completion = setup
    login(learner)
    # Offered from 9 March for 14 days: 22 March is its last day (Berlin).
    monkeypatch.setitem(app.config, "CLOCK", lambda: datetime(2026, 3, 22, 22, 50, tzinfo=UTC))
    assert client.get(path(completion)).status_code == 200
    monkeypatch.setitem(app.config, "CLOCK", lambda: datetime(2026, 3, 22, 23, 10, tzinfo=UTC))
    assert client.get(path(completion)).status_code == 404  # 0:10 on 23 March: gone
    drawn = refreshers.draw(version, completion.id, 0, "de")
    sent = client.post(path(completion), data={"action": "answer", **answers_for(drawn)})
    assert sent.location.endswith(path(completion, end="/result"))
    assert count(db, Refresher) == 1


def test_refresher_questions_show_no_points(client, login, setup):
    _version, learner, completion = setup
    login(learner)
    page = client.get(path(completion), headers=EN).get_data(as_text=True)
    assert "Question 1" in page and "point" not in page
