"""Learning paths in the browser: the learner's path page and locks, the manager's assignment."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.audit.service import Actor
from lms.clock import today
from lms.models import Assignment, AuditEntry, Enrollment, LearningPath, PathEnrollment
from lms.services import paths
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
    assert "opens once you have completed: Testkurs" in locked and "Start module" not in locked
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
