"""Learning paths in the browser: the learner's path page and locks, the manager's assignment."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.audit.service import Actor
from lms.clock import now, today
from lms.models import Assignment, AuditEntry, Enrollment, LearningPath, PathEnrollment
from lms.services import assignments, paths
from tests.unit.test_assignments import complete
from tests.unit.test_paths import NOW, three  # noqa: F401  (fixture)

EN = {"Accept-Language": "en"}


def test_a_learner_follows_a_path_and_its_later_modules_stay_locked(
    client,
    db,
    world,
    login,
    three,  # noqa: F811
):
    person = world.a.employees[0]
    login(person)
    start = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "Learning paths" in start and "Mein Pfad" in start
    page = client.get("/learn/paths/mein-pfad", headers=EN).get_data(as_text=True)
    assert "0 of 3 modules completed" in page and "Follow this learning path" in page
    client.post("/learn/paths/mein-pfad/follow")
    assert db.scalar(select(PathEnrollment).where(PathEnrollment.user_id == person.id))

    locked = client.get("/learn/courses/zwei", headers=EN).get_data(as_text=True)
    assert "opens once you have completed: " in locked and "Start module" not in locked
    assert '<a href="/learn/courses/eins">Course one</a>' in locked
    refused = client.post("/learn/courses/zwei/enroll")
    assert refused.status_code == 302
    assert db.scalar(select(Enrollment).where(Enrollment.user_id == person.id)) is None

    complete(db, person, three["eins"], NOW)
    page = client.get("/learn/paths/mein-pfad", headers=EN).get_data(as_text=True)
    assert "1 of 3 modules completed" in page and "Continue with" in page
    assert client.post("/learn/courses/zwei/enroll").status_code == 302
    assert db.scalar(select(Enrollment).where(Enrollment.course_id == three["zwei"].id))


def test_a_path_outside_the_companys_catalogue_is_not_found(
    client,
    db,
    world,
    login,
    three,  # noqa: F811
):
    three["drei"].shared = False
    db.flush()
    login(world.a.employees[0])
    assert client.get("/learn/paths/mein-pfad").status_code == 404
    assert client.post("/learn/paths/mein-pfad/follow").status_code == 404


def test_a_manager_assigns_a_whole_path(client, db, world, login, three):  # noqa: F811
    people = world.a.employees[:2]
    login(world.a.manager)
    page = client.get("/team/assign-path", headers=EN).get_data(as_text=True)
    assert "Mein Pfad" in page and world.b.employees[0].display_name not in page
    path_id = db.scalar(select(LearningPath.id))
    due = (today() + timedelta(days=30)).isoformat()
    response = client.post(
        "/team/assign-path",
        data={"path": path_id, "people": [p.id for p in people], "due_on": due, "note": ""},
    )
    assert response.status_code == 302
    rows = db.scalars(select(Assignment)).all()
    assert len(rows) == 6 and {r.user_id for r in rows} == {p.id for p in people}
    assert len(db.scalars(select(PathEnrollment)).all()) == 2
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "assignment.path"))
    assert entry.changes["assignments"] == [None, 6] and entry.actor_id == world.a.manager.id
    # Someone of another company cannot be slipped in.
    client.post(
        "/team/assign-path",
        data={"path": path_id, "people": [world.b.employees[0].id], "due_on": due},
    )
    assert len(db.scalars(select(Assignment)).all()) == 6
    assert len(db.scalars(select(AuditEntry)).all()) == 1


def test_the_path_service_records_the_actor_and_network(db, world, three):  # noqa: F811
    path = db.scalar(select(LearningPath))
    people = world.a.employees[:2]
    due = today() + timedelta(days=30)
    actor = Actor(world.a.manager, "198.51.100.0/24")
    made = paths.assign_path(db, actor, world.a.company.id, path, people, due, "", NOW)
    (entry,) = db.scalars(select(AuditEntry))
    assert (entry.action, entry.subject) == ("assignment.path", path.slug)
    assert entry.subject_id == path.id
    assert (entry.actor_id, entry.address, entry.company_id) == (
        world.a.manager.id, "198.51.100.0/24", world.a.company.id,
    )  # fmt: skip
    assert entry.changes == {
        "to": [None, ", ".join(p.display_name for p in people)],
        "due_on": [None, due.isoformat()],
        "assignments": [None, made],
    }
    assert made == 6


def card(page, title):
    """The start page's card whose heading names `title`."""
    start = page.index(f">{title}</a></h3>")
    return page[page.rindex("<li", 0, start) : page.index("</li>", start)]


def test_an_assigned_module_a_path_locks_says_what_comes_first_and_offers_no_start(
    client,
    db,
    world,
    login,
    three,  # noqa: F811
):
    person = world.a.employees[0]
    paths.follow(db, person, db.scalar(select(LearningPath)), NOW)
    for slug in ("eins", "zwei"):
        assignments.assign_to_people(
            db, None, three[slug], [person], today() + timedelta(days=20), "", now()
        )
    login(person)
    start = client.get("/learn/", headers=EN).get_data(as_text=True)
    locked = card(start, "Kurs zwei")
    assert "/learn/courses/zwei/enroll" not in locked and "Start</button>" not in locked
    assert "locked" in locked and "due on" in locked
    assert 'opens once you have completed: <a href="/learn/courses/eins">Course one</a>' in locked
    # The module that comes first can be started.
    assert 'action="/learn/courses/eins/enroll"' in card(start, "Course one")
    # Its own page says the same, with the due date, and offers no start either.
    page = client.get("/learn/courses/zwei", headers=EN).get_data(as_text=True)
    assert "locked" in page and "due on" in page and "/learn/courses/zwei/enroll" not in page
    assert '<a href="/learn/courses/eins">Course one</a>' in page
    # A start sent from a page shown before the lock: no error, the page says why.
    response = client.post("/learn/courses/zwei/enroll", headers=EN)
    assert response.location == "/learn/courses/zwei"
    followed = client.get(response.location, headers=EN).get_data(as_text=True)
    assert 'role="alert"' not in followed and "notice--error" not in followed
    assert "opens once you have completed" in followed
    complete(db, person, three["eins"], NOW)
    start = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert 'action="/learn/courses/zwei/enroll"' in card(start, "Kurs zwei")


def test_in_english_a_module_only_in_german_is_marked_and_the_path_names_it_as_its_card(
    client,
    db,
    world,
    login,
    three,  # noqa: F811
):
    person = world.a.employees[0]
    paths.follow(db, person, db.scalar(select(LearningPath)), NOW)
    login(person)
    start = client.get("/learn/", headers=EN).get_data(as_text=True)
    # The catalogue's cards: the English module in English, the others marked German.
    assert '<h3><a href="/learn/courses/eins">Course one</a></h3>' in start
    assert "<p>The first steps.</p>" in start
    assert '<h3 lang="de"><a href="/learn/courses/zwei">Kurs zwei</a></h3>' in start
    assert '<p lang="de">Ein Kurs für Tests</p>' in start
    # The path (written in German) and its next module, by the title of the module's card.
    assert '<h3 lang="de"><a href="/learn/paths/mein-pfad">Mein Pfad</a></h3>' in start
    assert "Next: Course one" in start and "Kurs eins" not in start
    page = client.get("/learn/paths/mein-pfad", headers=EN).get_data(as_text=True)
    assert '<h1 lang="de">Mein Pfad</h1>' in page
    assert '<h2 class="h3"><a href="/learn/courses/eins">Course one</a></h2>' in page
    assert '<h2 class="h3" lang="de">Kurs zwei</h2>' in page
    assert "Continue with Course one" in page and "Kurs eins" not in page
    # The module pages mark what exists only in German.
    intro = client.get("/learn/courses/zwei", headers=EN).get_data(as_text=True)
    assert '<h1 lang="de">Kurs zwei</h1>' in intro
    assert '<p class="lead" lang="de">Ein Kurs für Tests</p>' in intro
    assert '<div class="prose" lang="de">' in intro
    english = client.get("/learn/courses/eins", headers=EN).get_data(as_text=True)
    assert "<h1>Course one</h1>" in english and 'lang="de"' not in english.split("</h1>")[1]
    # A German page marks nothing.
    german = client.get("/learn/courses/zwei", headers={"Accept-Language": "de"})
    assert 'lang="de"' not in german.get_data(as_text=True).split("<main", 1)[1]
