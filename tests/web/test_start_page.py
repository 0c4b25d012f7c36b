"""The learner's start page and a module's page (issue 18, point 11): progress with its
percentage in words, the due date and overdue state on the module's page too, a refresher
as a closed card, weekdays on session dates, and no query per card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import select

from lms.clock import now, today
from lms.models import Completion, Course, LearningPath
from lms.services import assignments, learning, paths
from lms.templating import date_filter, timespan_filter
from tests.unit.test_booking import import_in_person_course, schedule
from tests.unit.test_paths import NOW, three  # noqa: F401  (fixture)
from tests.web.test_learn import courses, enroll  # noqa: F401  (fixture)
from tests.web.test_refreshers import setup  # noqa: F401  (fixture)

EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}


def english(day):
    """A day as an English page writes it; a moment's day is the platform's (Berlin)."""
    if isinstance(day, datetime):
        day = today(day)
    return format_date(day, "d MMM yyyy", locale="en")


def test_progress_shows_its_percentage_in_words(client, world, login, courses):  # noqa: F811
    login(world.a.employees[0])
    enroll(client)
    client.post("/learn/courses/testkurs/einstieg/done")
    percent = '1 of 2 units · <strong class="progress__percent">50\u00a0%</strong>'
    assert percent in client.get("/learn/", headers=EN).get_data(as_text=True)
    assert percent in client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    german = client.get("/learn/courses/testkurs", headers=DE).get_data(as_text=True)
    assert '1 von 2 Lerneinheiten · <strong class="progress__percent">50\u00a0%</strong>' in german


def test_the_modules_page_says_when_it_is_due_and_that_it_is_overdue(
    client,
    db,
    world,
    login,
    courses,  # noqa: F811
):
    person = world.a.employees[0]
    course = db.scalar(select(Course))
    login(person)
    intro = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "due on" not in intro and "overdue" not in intro  # not assigned: no date
    due = today() + timedelta(days=12)
    assignments.assign_to_people(db, None, course, [person], due, "", now())
    intro = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert f"due on {english(due)}" in intro and "Start module" in intro
    enroll(client)
    page = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert f"due on {english(due)}" in page
    late = today() - timedelta(days=3)
    assignments.assign_to_people(db, None, course, [person], late, "", now())
    page = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert f"overdue since {english(late)}" in page and "status--danger" in page


def test_a_module_due_again_offers_a_new_round_on_its_own_page(
    client,
    db,
    world,
    login,
    courses,  # noqa: F811
):
    person = world.a.employees[0]
    login(person)
    enroll(client)
    client.post("/learn/courses/testkurs/einstieg/done")
    client.post("/learn/courses/testkurs/vertiefung/done")
    completion = db.scalar(select(Completion))
    completion.valid_until = datetime.now(UTC) + timedelta(days=10)  # within the 30 days
    assignments.assign_to_people(db, None, db.scalar(select(Course)), [person], today(), "", now())
    page = client.get("/learn/courses/testkurs", headers=EN).get_data(as_text=True)
    assert f"renew by {english(completion.valid_until)}" in page
    assert 'action="/learn/courses/testkurs/renew"' in page and "Take it again" in page


def test_a_refresher_waits_in_a_closed_card_after_the_modules(
    client,
    login,
    setup,  # noqa: F811
):
    _version, learner, completion = setup
    login(learner)
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert '<div class="start start--split">' in page  # two columns on a wide screen
    # The modules come first; the refresher's questions wait in a closed <details>.
    assert page.index("progress-heading") < page.index("refreshers-heading")
    opened = page.index('<details class="refresher__questions">')
    closed = page.index("</details>", opened)
    assert "Answer 3 short questions" in page[opened:closed]
    questions = [i for i in range(len(page)) if page.startswith('id="question-', i)]
    assert questions and all(opened < i < closed for i in questions)
    assert f'action="/learn/refreshers/{completion.id}/0"' in page[opened:closed]


def test_without_refreshers_or_paths_the_start_page_keeps_one_column(
    client,
    world,
    login,
    courses,  # noqa: F811
):
    login(world.a.employees[0])
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert '<div class="start">' in page


def test_session_dates_show_their_weekday(app, client, db, world, login, tmp_path, monkeypatch):
    then = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    monkeypatch.setitem(app.config, "CLOCK", lambda: then)
    course = import_in_person_course(app, db, tmp_path)
    # Monday, 30 March 2026, 9:00 in Berlin (summer time).
    monday = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    in_person = schedule(db, world, course, now=then, starts_at=monday)
    person = world.a.employees[0]
    learning.enroll(db, person, course, then)
    login(person)
    unit = client.get("/learn/courses/praesenzkurs/workshop", headers=EN).get_data(as_text=True)
    assert "Mon, 30 Mar 2026, 9:00" in unit
    client.post(f"/learn/sessions/{in_person.id}/book")
    unit = client.get("/learn/courses/praesenzkurs/workshop", headers=DE).get_data(as_text=True)
    assert "Mo., 30. März 2026, 09:00–10:30 Uhr" in unit
    sessions = client.get("/learn/sessions", headers=EN).get_data(as_text=True)
    assert "Mon, 30 Mar 2026, 9:00" in sessions


def test_the_weekday_formats(app):
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    with app.test_request_context(headers=DE):
        assert date_filter(monday, weekday=True) == "Mo., 7. Dez. 2026"
        assert date_filter(monday) == "07.12.2026"  # elsewhere unchanged
        two_days = timespan_filter(monday, monday + timedelta(days=1), weekday=True)
        assert two_days == "Mo., 7. Dez. 2026, 09:00 Uhr – Di., 8. Dez. 2026, 09:00 Uhr"
    with app.test_request_context(headers=EN):
        assert date_filter(monday, weekday=True) == "Mon, 7 Dec 2026"
        assert date_filter(monday) == "7 Dec 2026"


def test_the_start_page_needs_no_query_per_card(
    client,
    db,
    world,
    login,
    count_queries,
    three,  # noqa: F811
):
    """Locks, due dates, titles in the page's language and the paths' progress are read for
    all cards at once: three assigned modules (two locked) cost what one does."""
    person = world.a.employees[0]
    paths.follow(db, person, db.scalar(select(LearningPath)), NOW)
    due = today() + timedelta(days=20)
    assignments.assign_to_people(db, None, three["eins"], [person], due, "", now())
    login(person)

    def statements() -> int:
        client.get("/learn/", headers=EN)  # the versions' content is then in the cache
        count_queries.statements.clear()
        page = client.get("/learn/", headers=EN).get_data(as_text=True)
        assert "Learning paths" in page
        return count_queries.count

    one = statements()
    for slug in ("zwei", "drei"):
        assignments.assign_to_people(db, None, three[slug], [person], due, "", now())
    # user; enrolments; assignments; their live versions; completions; catalogue; the
    # paths (six); an enrolment adds its courses, versions and progress (three)
    assert statements() == one <= 12, count_queries.statements
