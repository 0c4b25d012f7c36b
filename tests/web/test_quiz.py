"""Quizzes: attempts pinned to their version, saved per page, graded once, on the server."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.content.importer import import_course
from lms.models import AttemptAnswer, Completion, QuizAttempt
from tests.unit.test_course_parser import COURSE_MD, FULL_QUIZ, quiz, write_course

EN = {"Accept-Language": "en"}
CHECK = "/learn/courses/testkurs/check"

# The answers to FULL_QUIZ as form fields (choice values are authored indexes).
RIGHT = {
    "q-laenge": "1",
    "q-merkmale": ["0", "1"],
    "q-zettel": "false",
    "q-zahl": "2,9",
    "q-begriff": "Phishing",
    "q-luecke-0": "E-Mail",
    "q-luecke-1": "1",
}


@pytest.fixture
def publish(app, db, tmp_path):
    folder = write_course(
        tmp_path, {"02-check.md": quiz(FULL_QUIZ, "pass_mark: 60\nmax_attempts: 2\n")}
    )

    def run(**files: str) -> None:
        for name, text in files.items():
            (folder / name).write_text(text)
        with app.test_request_context():
            import_course(db, folder, datetime.now(UTC))

    run()
    return run


@pytest.fixture
def learner(client, world, login, publish):
    login(world.a.employees[0])
    client.post("/learn/courses/testkurs/enroll")
    return world.a.employees[0]


def start(client) -> str:
    response = client.post(f"{CHECK}/attempts")
    assert response.status_code == 302
    return response.location


def form_for_page(client, url):
    """Fields of the page, answered right where we know the answer."""
    page = client.get(url).get_data(as_text=True)
    names = set(re.findall(r'name="(q-[^"]+)"', page))
    data = {name: RIGHT[name] for name in names if name in RIGHT}
    # Matching: the right option per left item, by option text.
    for left_index, right_text in ((0, "gefälschte Mail"), (1, "Sicherung")):
        field = f"q-paare-{left_index}"
        if field in names:
            options = dict(
                re.findall(
                    r'<option value="(\d+)"[^>]*>([^<]+)</option>',
                    page.split(f'name="{field}"')[1].split("</select>")[0],
                )
            )
            data[field] = next(k for k, v in options.items() if v == right_text)
    # Ordering: items are shown shuffled; give each its correct position.
    for index in range(3):
        field = f"q-schritte-{index}"
        if field in names:
            label = page.split(f'for="{field}"')[1].split(">", 1)[1].split("<")[0]
            data[field] = str(["Nicht öffnen", "Melden", "Löschen"].index(label) + 1)
    return page, data


def first_button(page: str) -> str:
    """The action of a form's first submit button: what Enter in one of its fields sends."""
    return re.search(r'<button type="submit" name="action" value="(\w+)"', page).group(1)


def answer_all(client, url, *, right=True):
    """Answer every page (right, or not at all) as Enter would send it, then hand in from
    the summary the last page leads to."""
    page_url = url
    while True:
        page, data = form_for_page(client, page_url)
        if not right:
            data = {}
        data["action"] = first_button(page)
        data["page"] = re.search(r'name="page" value="(\d+)"', page).group(1)
        response = client.post(url.split("?")[0], data=data)
        assert response.status_code == 302
        if response.location.endswith("/summary"):
            return hand_in(client, response.location)
        page_url = response.location


def hand_in(client, summary_url: str):
    """Press "Hand in now" on the summary."""
    page = client.get(summary_url).get_data(as_text=True)
    sequence = re.search(r'name="sequence" value="(\d+)"', page).group(1)
    action = summary_url.removesuffix("/summary")
    return client.post(action, data={"action": "submit", "sequence": sequence})


def test_a_full_quiz_is_graded_on_the_server_and_completes_the_unit(client, db, learner):
    url = start(client)
    assert url == f"{CHECK}/attempts/1"
    response = answer_all(client, url)
    assert response.location == f"{CHECK}/attempts/1/result"
    attempt = db.scalar(select(QuizAttempt))
    assert attempt.status == "submitted" and attempt.passed and attempt.percent == 100
    result = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "Passed" in result and "100\u00a0% of the points" in result
    assert "Lange Passphrasen sind sicher." in result  # explanation after submit
    course = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "✓</span> passed" in course


def test_answer_keys_never_reach_the_browser_before_submission(client, learner):
    url = start(client)
    for page_number in (1, 2):
        page = client.get(f"{url}?page={page_number}").get_data(as_text=True)
        for secret in (
            "Richtig.",
            "Zu kurz.",
            "Lange Passphrasen",
            "Leider nein",
            "correct",
            "E-Mail |",
            "^ph?ishing$",
            "2.5",
            "tolerance",
        ):
            assert secret not in page, secret


def test_answers_are_saved_per_page_and_shown_again(client, db, learner):
    url = start(client)
    client.post(url, data={"page": "1", "action": "next", "q-laenge": "2", "q-zettel": "true"})
    page = client.get(f"{url}?page=1").get_data(as_text=True)
    assert re.search(r'name="q-laenge" value="2" checked', page)
    assert re.search(r'value="true" checked', page)
    assert db.scalar(select(QuizAttempt)).responses["laenge"] == {"q-laenge": "2"}


def test_submitting_twice_grades_once(client, db, learner):
    url = start(client)
    last_page = f"{url}?page=2"
    client.post(url, data={"page": "2", "action": "submit"})
    again = client.post(url, data={"page": "2", "action": "submit", "q-laenge": "1"})
    assert again.location.endswith("/result")
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == 1
    assert db.scalar(select(func.count()).select_from(AttemptAnswer)) == 8
    assert client.get(last_page).location.endswith("/result")


def test_a_failed_attempt_offers_a_retry_until_attempts_run_out(client, db, learner):
    answer_all(client, start(client), right=False)
    result = client.get(f"{CHECK}/attempts/1/result", headers=EN).get_data(as_text=True)
    assert "Not passed" in result and "1 attempt left." in result
    second = start(client)
    assert second == f"{CHECK}/attempts/2"
    answer_all(client, second, right=False)
    assert client.post(f"{CHECK}/attempts").location == CHECK  # none left
    page = client.get(CHECK, headers=EN).get_data(as_text=True)
    assert "no attempts left" in page
    assert db.scalar(select(func.count()).select_from(Completion)) == 0


def test_starting_twice_continues_the_open_attempt(client, db, learner):
    assert start(client) == start(client)
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == 1


def test_an_attempt_stays_on_its_version_when_the_content_changes(client, db, learner, publish):
    url = start(client)
    changed = quiz(FULL_QUIZ.replace("- ( ) 6 Zeichen", "- ( ) 7 Zeichen"), "pass_mark: 60\n")
    publish(**{"02-check.md": changed})
    page = client.get(url).get_data(as_text=True)
    assert "6 Zeichen" in page and "7 Zeichen" not in page
    answer_all(client, url)
    assert db.scalar(select(QuizAttempt)).version.number == 1


def test_answers_are_hidden_when_the_quiz_says_never(client, db, world, login, publish):
    publish(**{"02-check.md": quiz(FULL_QUIZ, "show_answers: never\n")})
    login(world.a.employees[1])
    client.post("/learn/courses/testkurs/enroll")
    response = answer_all(client, start(client))
    result = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "are not shown" in result and "Lange Passphrasen" not in result


def test_another_learners_attempt_is_not_reachable(client, world, login, learner):
    url = start(client)
    client.post("/logout")
    login(world.a.employees[1])
    client.post("/learn/courses/testkurs/enroll")
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/result").status_code == 404


def test_concurrent_submits_from_threads_grade_once(app, tmp_path):
    """Two requests hand in the same attempt at the same moment: one grade."""
    from lms.db import db as handle
    from lms.services import learning, quizzes
    from tests.conftest import make_test_app, reset_database
    from tests.factories import make_company, make_user

    separate = make_test_app(tmp_path, DATABASE_URL=database_for(tmp_path))
    reset_database(separate)
    folder = write_course(tmp_path / "c", {"02-check.md": quiz(FULL_QUIZ)})
    now = datetime.now(UTC)
    with separate.test_request_context(), handle.begin() as session:
        import_course(session, folder, now)
        user = make_user(session, make_company(session))
        enrollment = learning.enroll(session, user, _course(session), now)
        attempt_id = quizzes.start_attempt(session, enrollment, "check", "de", now).id
    outcomes: list[bool] = []
    barrier = threading.Barrier(2)

    def hand_in() -> None:
        barrier.wait(timeout=30)
        with separate.app_context(), handle.begin() as session:
            attempt = session.get(QuizAttempt, attempt_id)
            outcomes.append(quizzes.submit(session, attempt, datetime.now(UTC)))

    threads = [threading.Thread(target=hand_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == [False, True]
    with separate.app_context():
        assert handle.session.scalar(select(func.count()).select_from(AttemptAnswer)) == 8
    reset_database(separate)
    separate.extensions["db"].engine.dispose()


def _course(session):
    from lms.models import Course

    return session.scalar(select(Course))


def database_for(tmp_path) -> str:
    import os

    url = os.environ.get("LMS_DATABASE_URL")
    return url if url else f"sqlite:///{tmp_path / 'threads.sqlite3'}"


def test_my_data_contains_my_attempts_with_the_questions_and_nothing_of_others(
    client, other_client, db, world, login, publish
):
    import json

    other = world.a.employees[1]
    login(other, target=other_client)
    other_client.post("/learn/courses/testkurs/enroll")
    other_client.post(f"{CHECK}/attempts")
    other_client.post(f"{CHECK}/attempts/1", data={"page": "1", "action": "submit"})

    me = world.a.employees[0]
    login(me)
    client.post("/learn/courses/testkurs/enroll")
    answer_all(client, start(client))
    history = client.get("/learn/my-data", headers=EN).get_data(as_text=True)
    assert "Attempt 1" in history and "100" in history
    response = client.get("/learn/my-data.json")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == me.email
    (attempt,) = data["quiz_attempts"]
    assert attempt["passed"] is True
    questions = {a["question_id"]: a["question"] for a in attempt["answers"]}
    assert questions["laenge"] == "Wie lang sollte ein Passwort mindestens sein?"
    dump = json.dumps(data, ensure_ascii=False)
    assert other.email not in dump and other.display_name not in dump


def test_a_quiz_page_left_open_for_hours_still_saves(app, client, db, learner, monkeypatch):
    import time as time_module

    app.config["WTF_CSRF_ENABLED"] = True
    url = start_with_csrf(client)
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    later = time_module.time() + 3 * 3600
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    response = client.post(
        url, data={"csrf_token": token, "page": "1", "action": "next", "q-laenge": "1"}
    )
    assert response.status_code == 302
    assert db.scalar(select(QuizAttempt)).responses["laenge"] == {"q-laenge": "1"}


def start_with_csrf(client) -> str:
    page = client.get(CHECK).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(f"{CHECK}/attempts", data={"csrf_token": token}).location


# --- The result page: every answer, the solutions in words, what comes next ----------


def review_items(page: str) -> list[str]:
    """The reviewed answers of a result page, white space folded."""
    items = page.split('<ol class="review"')[1].split("\n</ol>")[0].split('class="review__item">')
    return [" ".join(item.split()) for item in items[1:]]


def test_the_result_shows_what_was_answered_and_the_solutions_as_a_person_reads_them(
    client, db, learner
):
    url = start(client)
    # The options to match are listed sorted: Ablenkung, Sicherung, gefälschte Mail; the
    # steps too: Löschen, Melden, Nicht öffnen. Right: laenge, zettel and gap 2.
    answers = {
        1: {"q-laenge": "1", "q-merkmale": ["0"], "q-zettel": "false", "q-zahl": "7",
            "q-begriff": "Spam"},
        2: {"q-luecke-0": "Brief", "q-luecke-1": "1", "q-paare-0": "2", "q-paare-1": "0",
            "q-schritte-0": "3", "q-schritte-1": "1", "q-schritte-2": "2"},
    }  # fmt: skip
    for number, fields in answers.items():
        client.post(url, data={**fields, "page": str(number), "action": "next"})
    hand_in(client, f"{url}/summary")

    page = client.get(f"{url}/result", headers=EN).get_data(as_text=True)

    items = {item.split("</div>")[0]: item for item in review_items(page)}
    assert len(items) == 8 and all("<dt>Your answer:</dt>" in item for item in items.values())

    def about(words: str) -> str:
        return next(item for prompt, item in items.items() if words in prompt)

    def solution(words: str) -> str:
        return about(words).split("<dt>Correct answer:</dt>")[1].split("</dd>")[0]

    # Answered right: the answer, no correct answer repeated.
    assert "<dt>Correct answer:</dt>" not in about("Wie lang") + about("Monitor")
    assert "<dd>False</dd>" in about("Monitor")
    assert "<dd>7</dd>" in about("Wie viele Zeichen")
    assert solution("Wie viele Zeichen") == ' <dd>2.5 ± 0.5 <span lang="de">m</span>'
    assert "<dd>Spam</dd>" in about("Betrug")
    assert 'Phishing</span> <span class="muted">(also accepted: ' in solution("Betrug")
    assert "<li>Zeitdruck</li><li>Falscher Absender</li>" in solution("Phishing?")
    cloze = about("Eine")
    assert (
        '<span class="review__gap">Gap 1</span> ist <span class="review__gap">Gap 2</span>' in cloze
    )
    assert 'Gap 1: <span lang="de">Brief</span> <span class="status status--danger">' in cloze
    assert 'Gap 2: <span lang="de">verdächtig</span> <span class="status status--ok">' in cloze
    assert 'Gap 1: <span lang="de">Mail</span> <span class="muted">(also accepted:' in cloze
    assert "1: Mail;" not in cloze and "; 2: " not in cloze  # not "1: Mail; 2: verdächtig"
    matching = about("Ordnen Sie zu")
    assert (
        '<span lang="de">Backup → Ablenkung</span> <span class="status status--danger">' in matching
    )
    assert "<li>Phishing → gefälschte Mail</li><li>Backup → Sicherung</li>" in solution("Ordnen")
    ordering = about("Reihenfolge")
    assert '<li><span lang="de">Melden</span> <span class="status status--danger">' in ordering
    assert '<li><span lang="de">Löschen</span> <span class="status status--ok">' in ordering
    assert solution("Reihenfolge") == (
        ' <dd><ol class="review__list" lang="de"><li>Nicht öffnen</li><li>Melden</li>'
        "<li>Löschen</li></ol>"
    )


def test_the_answers_are_listed_but_not_the_solutions_when_the_quiz_never_shows_them(
    client, db, world, login, publish
):
    publish(**{"02-check.md": quiz(FULL_QUIZ, "show_answers: never\n")})
    login(world.a.employees[1])
    client.post("/learn/courses/testkurs/enroll")
    response = answer_all(client, start(client))
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert page.count("<dt>Your answer:</dt>") == 8 and "<dt>Correct answer:</dt>" not in page
    assert "also accepted" not in page and "Sicherung</li>" not in page
    assert "✓</span> right</span></li>" not in page  # no gap or pair marked right or wrong


TRUE_FALSE = """\
## Sichere Passwörter stehen nicht auf Zetteln. {{#zettel}}
answer: {key}
feedback_true: Yes.
feedback_false: {feedback}
explanation: {explanation}
"""


@pytest.mark.parametrize(
    ("course_language", "page_language", "key", "feedback", "explanation"),
    [
        # An English module on a German page: the review falls back to the module's texts.
        ("en", "de", "true", "No: never on a note.", "Use a password manager."),
        # A German module on an English page.
        ("de", "en", "wahr", "Nein: nie auf einem Zettel.", "Nutzen Sie einen Passwortmanager."),
    ],
)
def test_a_module_in_another_language_shows_feedback_explanation_and_the_true_key(
    app, client, db, world, login, tmp_path, course_language, page_language, key, feedback,
    explanation,
):  # fmt: skip
    course_md = COURSE_MD.replace("language: de", f"language: {course_language}")
    body = TRUE_FALSE.format(key=key, feedback=feedback, explanation=explanation)
    folder = write_course(tmp_path, {"course.md": course_md, "02-check.md": quiz(body)})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    headers = {"Accept-Language": page_language}
    login(world.a.employees[0])
    client.post("/learn/courses/testkurs/enroll", headers=headers)
    url = client.post(f"{CHECK}/attempts", headers=headers).location
    client.post(url, data={"page": "1", "action": "summary", "q-zettel": "false"}, headers=headers)
    hand_in(client, f"{url}/summary")

    page = client.get(f"{url}/result", headers=headers).get_data(as_text=True)

    (item,) = review_items(page)
    # Answered "false"; the key is TRUE: "Richtige Antwort: Wahr" (or "Correct answer: True").
    words = {"de": ["Falsch", "Wahr"], "en": ["False", "True"]}[page_language]
    assert re.findall(r"<dd>(.*?)</dd>", item) == words
    correct = {"de": "Richtige Antwort:", "en": "Correct answer:"}[page_language]
    assert f"<dt>{correct}</dt> <dd>{words[1]}</dd>" in item
    assert f'<div class="question__prompt" lang="{course_language}">' in item
    assert f'<p lang="{course_language}"><em>{feedback}</em></p>' in item
    assert f'lang="{course_language}"><p>{explanation}</p></div>' in item


def test_after_passing_the_result_names_the_next_unit(client, db, learner):
    response = answer_all(client, start(client))
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "What comes next" in page and "Next in this module:" in page
    assert '<strong lang="de">Einstieg</strong>' in page
    assert 'href="/learn/courses/testkurs/einstieg">Continue with the next unit</a>' in page


def test_after_passing_the_last_unit_the_result_offers_the_certificate(client, db, learner):
    client.post("/learn/courses/testkurs/einstieg/done")
    response = answer_all(client, start(client))
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    completion = db.scalar(select(Completion))
    assert "You have completed this module." in page and "Your certificate is ready." in page
    assert f'href="/learn/certificates/{completion.code}.pdf">Download certificate' in page
    assert "Next in this module" not in page and "learning path" not in page


def test_after_completing_a_module_of_a_followed_path_the_result_names_the_next_module(
    app, client, db, tmp_path, learner
):
    from lms.content.paths import import_paths
    from lms.models import LearningPath
    from lms.services import paths
    from tests.unit.test_paths import write

    folder = write_course(tmp_path / "more", {}, slug="zwei")
    course_md = folder / "course.md"
    course_md.write_text(course_md.read_text().replace("Testkurs", "Kurs zwei"))
    write(tmp_path, "weiter.md", "---\ntitle: Sicher arbeiten\nsteps:\n  - testkurs\n"
          "  - course: zwei\n    after: [testkurs]\n---\n")  # fmt: skip
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
        import_paths(db, tmp_path, datetime.now(UTC))
    paths.follow(db, learner, db.scalar(select(LearningPath)), datetime.now(UTC))
    client.post("/learn/courses/testkurs/einstieg/done")

    response = answer_all(client, start(client))

    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "Next on your learning path “Sicher arbeiten”:" in page
    assert '<strong lang="de">Kurs zwei</strong>' in page
    assert 'href="/learn/courses/zwei">Go to the next module</a>' in page
    assert "Download certificate (PDF)" in page
