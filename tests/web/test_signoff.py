"""On-the-job tasks: supervisors and trainers tick the checklist and sign off; the learner sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.models import AuditEntry, Course, PracticalSignoff
from lms.services import learning
from lms.signoff import service as signoff
from lms.signoff.service import SignoffError
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

PRACTICAL = """\
---
type: practical
title: Arbeitsplatz sicher verlassen
---
Zeigen Sie Ihrer Führungskraft, dass Sie den Arbeitsplatz sicher verlassen.

## Checkliste
- [ ] Bildschirm sperren {#sperren}
- [ ] Keine Zettel mit Passwörtern {#zettel}
"""


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(tmp_path, {"02-praxis.md": PRACTICAL}, slug="praxiskurs")
    with app.test_request_context():
        import_course(db, folder, NOW - timedelta(days=3))
    return db.scalar(select(Course).where(Course.slug == "praxiskurs"))


@pytest.fixture
def enrollment(db, world, course):
    person = world.a.employees[0]  # department "Lager"
    enrollment = learning.enroll(db, person, course, NOW)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    return enrollment


def test_who_may_sign_off(world):
    a, b = world.a, world.b
    warehouse_worker, office_worker = a.employees[0], a.employees[2]
    assert signoff.may_sign_off(a.manager, warehouse_worker)  # whole company
    assert signoff.may_sign_off(a.limited_manager, warehouse_worker)  # their department
    assert not signoff.may_sign_off(a.limited_manager, office_worker)  # another department
    assert not signoff.may_sign_off(b.manager, warehouse_worker)  # another company
    assert signoff.may_sign_off(world.trainer, warehouse_worker)  # serves company A
    assert not signoff.may_sign_off(world.trainer, b.employees[0])  # does not serve B
    assert not signoff.may_sign_off(a.manager, a.manager)  # nobody signs off themselves


def test_signing_off_needs_every_item_and_completes_the_module(db, world, enrollment):
    manager = world.a.manager
    with pytest.raises(SignoffError) as error:
        signoff.save(db, Actor(manager), enrollment, "praxis", ["sperren"], "", sign=True, now=NOW)
    assert error.value.code == "not-all-ticked"
    signoff.save(db, Actor(manager), enrollment, "praxis", ["sperren"], "Gut", sign=False, now=NOW)
    assert learning.course_progress(db, enrollment, "de").units[1].status == "pending"
    row = signoff.save(
        db,
        Actor(manager),
        enrollment,
        "praxis",
        ["sperren", "zettel", "fremd"],
        "Alles gut",
        sign=True,
        now=NOW,
    )
    assert row.ticked == ["sperren", "zettel"] and row.signed_off_by_id == manager.id
    progress = learning.course_progress(db, enrollment, "de")
    assert progress.units[1].status == "signed_off" and progress.complete
    with pytest.raises(SignoffError):
        signoff.save(db, Actor(manager), enrollment, "praxis", [], "", sign=False, now=NOW)


def test_saving_and_signing_off_write_their_audit_entries_and_a_refusal_none(db, world, enrollment):
    manager = Actor(world.a.manager, "192.0.2.0/24")
    person = world.a.employees[0]
    with pytest.raises(SignoffError):
        signoff.save(db, manager, enrollment, "praxis", ["sperren"], "", sign=True, now=NOW)
    signoff.save(db, manager, enrollment, "praxis", ["sperren"], " Gut ", sign=False, now=NOW)
    row = signoff.save(
        db, manager, enrollment, "praxis", ["sperren", "zettel"], "", sign=True, now=NOW
    )

    entries = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.changes) for e in entries] == [
        ("signoff.tick", {"ticked": [None, 1], "comment": [None, "Gut"]}),
        ("signoff.sign", {"ticked": [None, 2], "comment": [None, ""]}),
    ]
    for entry in entries:
        assert (entry.actor_id, entry.address) == (world.a.manager.id, "192.0.2.0/24")
        assert (entry.company_id, entry.subject_id) == (person.company_id, row.id)
        assert entry.subject == f"{person.display_name}: Arbeitsplatz sicher verlassen"


def test_a_new_round_starts_a_fresh_checklist_and_keeps_the_old_sign_off(db, world, enrollment):
    manager = world.a.manager
    signoff.save(
        db, Actor(manager), enrollment, "praxis", ["sperren", "zettel"], "", sign=True, now=NOW
    )
    learning.start_new_round(db, enrollment, NOW + timedelta(days=365))
    assert signoff.current(db, enrollment, "praxis") is None
    assert len(db.scalars(select(PracticalSignoff)).all()) == 1
    (task,) = signoff.open_practical_tasks(db, [world.a.employees[0]], "de")
    assert task.unit["id"] == "praxis" and task.ticked == 0


def test_a_manager_signs_off_in_the_browser_and_the_learner_sees_it(
    client, other_client, db, world, login, enrollment
):
    person = world.a.employees[0]
    login(world.a.limited_manager)
    listing = client.get("/team/tasks", headers=EN).get_data(as_text=True)
    assert person.display_name in listing and "0 of 2 ticked" in listing
    url = f"/team/tasks/{person.id}/praxiskurs/praxis"
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "Bildschirm sperren" in page and "Sign off the task" in page

    refused = client.post(
        url, data={"item": ["sperren"], "comment": "Fast", "action": "sign"}, headers=EN
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Tick every point" in html
    assert "Fast</textarea>" in html and 'value="sperren" id="item-sperren" checked' in html

    client.post(url, data={"item": ["sperren", "zettel"], "comment": "Sauber", "action": "sign"})
    assert "No task is waiting" in client.get("/team/tasks", headers=EN).get_data(as_text=True)

    login(person, target=other_client)
    unit = other_client.get("/learn/courses/praxiskurs/praxis", headers=EN).get_data(as_text=True)
    assert "Signed off by Lagerleitung Alpha" in unit and "Sauber" in unit


def test_managers_and_trainers_reach_only_the_people_they_may_sign_off(
    client, other_client, db, world, login, enrollment
):
    office_worker = world.a.employees[2]
    learning.enroll(db, office_worker, enrollment.course, NOW)
    login(world.a.limited_manager)  # limited to the warehouse
    assert client.get(f"/team/tasks/{office_worker.id}/praxiskurs/praxis").status_code == 404
    foreign = world.b.employees[0]
    learning.enroll(db, foreign, enrollment.course, NOW)
    assert client.get(f"/team/tasks/{foreign.id}/praxiskurs/praxis").status_code == 404
    login(world.trainer, target=other_client)  # serves company A only
    listing = other_client.get("/author/tasks", headers=EN).get_data(as_text=True)
    assert office_worker.display_name in listing and foreign.display_name not in listing
    assert other_client.get(f"/author/tasks/{foreign.id}/praxiskurs/praxis").status_code == 404
    own = other_client.get(f"/author/tasks/{office_worker.id}/praxiskurs/praxis")
    assert own.status_code == 200


def test_each_area_links_its_own_task_pages_and_the_managers_moved_below_team_tasks(
    app, client, other_client, db, world, login, enrollment
):
    person = world.a.employees[0]
    with app.test_request_context():
        assert (
            url_for(
                "manage.signoff.practical_task",
                user_id=person.id,
                slug="praxiskurs",
                unit_id="praxis",
            )
            == f"/team/tasks/{person.id}/praxiskurs/praxis"
        )
        assert url_for("author.signoff.practical_tasks") == "/author/tasks"
    login(world.a.manager)
    listing = client.get("/team/tasks", headers=EN).get_data(as_text=True)
    assert f'href="/team/tasks/{person.id}/praxiskurs/praxis"' in listing
    assert 'href="/team/tasks" aria-current="page"' in listing  # the header's item
    page = client.get(f"/team/tasks/{person.id}/praxiskurs/praxis", headers=EN)
    assert '<a href="/team/tasks">← On-the-job tasks</a>' in page.get_data(as_text=True)
    assert client.get(f"/team/people/{person.id}/tasks/praxiskurs/praxis").status_code == 404

    login(world.trainer, target=other_client)
    listing = other_client.get("/author/tasks", headers=EN).get_data(as_text=True)
    assert f'href="/author/tasks/{person.id}/praxiskurs/praxis"' in listing
    page = other_client.get(f"/author/tasks/{person.id}/praxiskurs/praxis", headers=EN)
    assert '<a href="/author/tasks">← On-the-job tasks</a>' in page.get_data(as_text=True)


def test_a_trainer_cannot_sign_off_for_a_company_they_do_not_serve(
    client, other_client, db, world, login, course
):
    foreign = world.b.employees[0]
    learning.enroll(db, foreign, course, NOW)
    login(world.trainer)  # serves company A only
    url = f"/author/tasks/{foreign.id}/praxiskurs/praxis"
    assert client.get(url).status_code == 404
    sign = {"item": ["sperren", "zettel"], "comment": "", "action": "sign"}
    assert client.post(url, data=sign).status_code == 404
    assert db.scalars(select(PracticalSignoff)).all() == []
    assert db.scalars(select(AuditEntry)).all() == []
    # Nor a manager of company A, whose people page does not reach company B.
    login(world.a.manager, target=other_client)
    refused = other_client.post(f"/team/tasks/{foreign.id}/praxiskurs/praxis", data=sign)
    assert refused.status_code == 404
    assert db.scalars(select(PracticalSignoff)).all() == []
