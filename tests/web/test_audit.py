"""The audit log: one entry per change, with before and after; scoped per company."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lms.clock import today
from lms.models import AuditEntry
from lms.services import booking, learning
from tests.unit.test_booking import WORKSHOP, fields
from tests.web.test_signoff import PRACTICAL

EN = {"Accept-Language": "en"}


def entries(db, action=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return db.scalars(query).all()


def test_company_changes_are_logged_once_with_before_and_after(client, db, world, login):
    company = world.a.company
    login(world.admin)
    client.post(
        f"/admin/companies/{company.id}/edit",
        data={"name": "Alpha Neu", "short_name": company.short_name, "default_language": "de"},
    )
    (entry,) = entries(db, "company.update")
    assert entry.company_id == company.id and entry.actor_id == world.admin.id
    assert entry.changes["name"][1] == "Alpha Neu"
    assert entry.address == "127.0.0.0/24"  # the network, not the device
    client.post(
        f"/admin/companies/{company.id}/reporting",
        data={"privacy_level": "results", "recertification_lead_days": "30"},
    )
    (settings,) = entries(db, "company.settings")
    assert settings.changes == {"privacy_level": ["status", "results"]}
    client.post(f"/admin/companies/{company.id}/suspend")
    assert len(entries(db, "company.suspend")) == 1


def test_a_refused_change_leaves_no_entry(client, db, world, login):
    company = world.a.company
    login(world.admin)
    first, second = world.a.departments
    client.post(
        f"/admin/companies/{company.id}/departments/{first.id}/rename",
        data={"name": second.name},
    )
    assert entries(db) == []
    client.post(
        f"/admin/companies/{company.id}/departments/{first.id}/rename", data={"name": "Halle 1"}
    )
    (entry,) = entries(db)
    assert (entry.action, entry.changes) == ("department.rename", {"name": [first.name, "Halle 1"]})


def test_assignments_are_logged_and_managers_see_only_their_company(
    app, client, other_client, db, world, login, tmp_path
):
    from lms.content.importer import import_course
    from lms.models import Course
    from tests.unit.test_course_parser import write_course

    with app.test_request_context():
        import_course(db, write_course(tmp_path, {}), datetime.now(UTC))
    course = db.scalar(select(Course))
    login(world.a.manager)
    client.post(
        "/team/assign",
        data={
            "course": course.id,
            "target": "company",
            "due_on": (today() + timedelta(days=20)).isoformat(),
        },
    )
    (entry,) = entries(db, "assignment.create")
    assert entry.company_id == world.a.company.id and entry.changes["people"][1] == 5
    login(world.admin, target=other_client)
    other_client.post(f"/admin/companies/{world.b.company.id}/suspend")
    own = client.get("/team/audit", headers=EN).get_data(as_text=True)
    assert "assignment.create" in own and "company.suspend" not in own
    everything = other_client.get("/admin/audit", headers=EN).get_data(as_text=True)
    assert "assignment.create" in everything and "company.suspend" in everything
    login(world.a.employees[0], target=app.test_client())


def test_attendance_and_sign_off_are_logged(app, client, db, world, login, tmp_path):
    course = import_hybrid_course(app, db, tmp_path)
    person = world.a.employees[0]
    moment = datetime.now(UTC)
    learning.enroll(db, person, course, moment)
    date = booking.schedule(
        db, course, "workshop",
        fields(starts_at=moment + timedelta(minutes=10), booking_deadline=moment),
        trainers=[world.trainer], companies=[], by=world.trainer, now=moment - timedelta(days=1),
    )  # fmt: skip
    seat, _ = booking.book(db, date, person, by=person, now=moment - timedelta(hours=1))
    login(world.trainer)
    url = f"/author/dates/{date.id}/attendance"
    client.post(url, data={f"attendance-{seat.id}": "present"})
    client.post(url, data={f"attendance-{seat.id}": "present"})  # unchanged: no second entry
    (entry,) = entries(db, "attendance.record")
    assert entry.changes["attendance"] == [None, "present"]
    client.post(
        f"/author/tasks/{person.id}/hybridkurs/praxis",
        data={"item": ["sperren", "zettel"], "action": "sign"},
    )
    (signed,) = entries(db, "signoff.sign")
    assert signed.company_id == world.a.company.id and signed.actor_id == world.trainer.id


def import_hybrid_course(app, db, tmp_path):
    from lms.content.importer import import_course
    from lms.models import Course
    from tests.unit.test_course_parser import write_course

    folder = write_course(
        tmp_path, {"02-workshop.md": WORKSHOP, "03-praxis.md": PRACTICAL}, slug="hybridkurs"
    )
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    return db.scalar(select(Course).where(Course.slug == "hybridkurs"))


def test_changes_to_people_are_logged_with_roles_and_department(client, db, world, login):
    company = world.a.company
    person, office = world.a.employees[0], world.a.departments[1]
    login(world.admin)
    client.post(
        f"/admin/companies/{company.id}/people/{person.id}/edit",
        data={
            "display_name": person.display_name,
            "email": person.email,
            "department": office.id,
            "manager": "y",
            "language": "",
        },
    )
    (entry,) = entries(db, "person.update")
    assert entry.changes["department_id"][1] == office.id
    assert entry.changes["role_names"] == ["learner", "learner, manager"]
    client.post(f"/admin/companies/{company.id}/people/{person.id}/deactivate")
    client.post(f"/admin/companies/{company.id}/people/{person.id}/reactivate")
    assert [e.action for e in entries(db)][-2:] == ["person.deactivate", "person.reactivate"]
