"""The audit log: one entry per change, with before and after; scoped per company."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.clock import today
from lms.in_person import booking
from lms.models import AuditEntry, Role
from lms.people import importing as people_import
from lms.services import catalogue, companies, drafts, erasure, learning
from lms.services.companies import CompanyError
from tests.unit.test_booking import WORKSHOP, fields
from tests.web.test_signoff import PRACTICAL

EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}


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
    assert "Module assigned" in own and "Company suspended" not in own
    assert "audit-key" not in own  # the keys are for admins
    everything = other_client.get("/admin/audit", headers=EN).get_data(as_text=True)
    assert "Module assigned" in everything and "Company suspended" in everything
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
    url = f"/author/sessions/{date.id}/attendance"
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


# --- Services write their own entries (issue 17) ------------------------------------------

NETWORK = "198.51.100.0/24"


def test_staff_services_record_who_changed_what_from_which_network(app, db, world, mails):
    actor = Actor(world.admin, NETWORK)
    moment = datetime.now(UTC)
    with app.test_request_context():
        theo = companies.add_staff_member(
            db, actor, email="theo@zz.example", display_name="Theo Trainer",
            roles=(Role.TRAINER,), now=moment, invite_lifetime=timedelta(days=14),
        )  # fmt: skip
    companies.set_staff_roles(
        db, actor, theo, admin=True, trainer=True, companies=(world.b.company,), now=moment
    )
    companies.deactivate_staff_member(db, actor, theo, moment)
    companies.reactivate_staff_member(db, actor, theo, moment)
    logged = entries(db)
    assert [e.action for e in logged] == [
        "staff.create", "staff.roles", "staff.deactivate", "staff.reactivate",
    ]  # fmt: skip
    assert {(e.actor_id, e.address, e.subject_id) for e in logged} == {
        (world.admin.id, NETWORK, theo.id)
    }
    assert logged[0].changes == {"roles": [None, "trainer"]}
    assert logged[1].changes == {
        "roles": ["trainer", "admin, trainer"], "companies": ["", world.b.company.name],
    }  # fmt: skip
    assert [m.to for m in mails] == ["theo@zz.example"]  # queued with the account


def test_a_staff_rule_refused_by_the_service_writes_no_entry(db, world):
    with pytest.raises(CompanyError, match="own-account"):
        companies.deactivate_staff_member(db, Actor(world.admin), world.admin, datetime.now(UTC))
    with pytest.raises(CompanyError, match="own-admin-role"):
        companies.set_staff_roles(
            db, Actor(world.admin), world.admin, admin=False, trainer=False, companies=(),
            now=datetime.now(UTC),
        )  # fmt: skip
    assert entries(db) == []


def test_a_refused_staff_change_in_the_browser_keeps_nothing(client, db, world, login, mails):
    login(world.admin)
    taken = client.post(
        "/admin/staff",
        data={"display_name": "Doppelt", "email": world.a.employees[0].email, "admin": "y"},
    )
    assert taken.status_code == 302
    own = client.post(f"/admin/staff/{world.admin.id}/roles", data={"trainer": "y"})
    assert own.status_code == 302
    db.refresh(world.admin)
    assert world.admin.has_role(Role.ADMIN) and not world.admin.has_role(Role.TRAINER)
    assert entries(db) == [] and list(mails) == []


def test_an_import_records_its_counts_and_queues_the_invitations_with_it(app, db, world, mails):
    company = world.a.company
    data = b"E-Mail;Vorname;Nachname\nneu@alpha.example;Nina;Neu\n"
    plan = people_import.plan(db, company, people_import.read_file(data, "leute.csv"))
    with app.test_request_context():
        summary = people_import.apply_and_invite(
            db, Actor(world.admin, NETWORK), company, plan, source="leute.csv",
            now=datetime.now(UTC), invite_lifetime=timedelta(days=14),
        )  # fmt: skip
    assert len(summary.new_people_ids) == 1
    (entry,) = entries(db, "people.import")
    assert (entry.company_id, entry.actor_id, entry.address) == (
        company.id,
        world.admin.id,
        NETWORK,
    )
    assert entry.subject == "leute.csv" and entry.changes == {"create": [None, 1]}
    assert [m.to for m in mails] == ["neu@alpha.example"]


def test_catalogue_changes_are_recorded_by_the_service_and_by_the_command(app, db, world, tmp_path):
    from lms.content.importer import import_course
    from lms.models import Course
    from tests.unit.test_course_parser import write_course

    with app.test_request_context():
        import_course(db, write_course(tmp_path, {}), datetime.now(UTC))
    course = db.scalar(select(Course))
    a = world.a.company
    catalogue.open_course(
        db, Actor(world.admin, NETWORK), course, shared=False, companies=[a, a],
        now=datetime.now(UTC),
    )  # fmt: skip
    drafts.set_editors(db, Actor(world.admin), course, [world.trainer], datetime.now(UTC))
    opened, editors = entries(db)  # each change once
    assert (opened.action, opened.actor_id, opened.address) == (
        "catalogue.update", world.admin.id, NETWORK,
    )  # fmt: skip
    assert opened.changes == {"shared": [True, False], "companies": [[], [a.id]]}
    assert (editors.action, editors.actor_id, editors.subject, editors.subject_id) == (
        "course.editors", world.admin.id, course.slug, course.id,
    )  # fmt: skip
    assert editors.changes == {"editors": [[], [world.trainer.display_name]]}
    # `lms courses open` leaves an entry too: no person, no network.
    result = app.test_cli_runner().invoke(args=["courses", "open", course.slug, "--shared"])
    assert result.exit_code == 0, result.output
    by_command = entries(db, "catalogue.update")[-1]
    assert (by_command.actor_id, by_command.actor_name, by_command.address) == (None, "", "")
    assert by_command.changes == {"shared": [False, True], "companies": [[a.id], []]}


def test_an_erasure_on_request_records_the_admin_and_only_the_pseudonym(db, world):
    person = world.a.employees[0]
    erased = erasure.erase_on_request(db, Actor(world.admin, NETWORK), person, datetime.now(UTC))
    (entry,) = entries(db, "person.erase")
    assert (entry.company_id, entry.actor_id, entry.address) == (
        world.a.company.id, world.admin.id, NETWORK,
    )  # fmt: skip
    assert (entry.subject, entry.subject_id) == (erased.pseudonym, person.id)


def test_the_admins_download_of_a_persons_data_is_recorded_in_its_own_transaction(
    client, db, world, login
):
    person = world.a.employees[0]
    login(world.admin)
    response = client.get(f"/admin/companies/{world.a.company.id}/people/{person.id}/data.json")
    assert response.status_code == 200
    (entry,) = entries(db, "person.export")
    assert (entry.actor_id, entry.subject_id, entry.address) == (
        world.admin.id, person.id, "127.0.0.0/24",
    )  # fmt: skip


def test_a_commands_run_is_recorded_once_with_no_person_and_no_network(app, db):
    result = app.test_cli_runner().invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    (entry,) = entries(db)
    assert (entry.action, entry.company_id, entry.subject, entry.subject_id) == (
        "retention.run", None, "", None,
    )  # fmt: skip
    assert (entry.actor_id, entry.actor_name, entry.address) == (None, "", "")
    assert entry.changes == {"erased": [None, 0], "log_entries_pruned": [None, 0]}


# --- The log in the reader's language (issue 18) ------------------------------------------


def test_the_log_names_actions_fields_and_codes_in_german_and_english(client, db, world, login):
    company = world.a.company
    login(world.admin)
    client.post(
        f"/admin/companies/{company.id}/reporting",
        data={
            "privacy_level": "results",
            "recertification_lead_days": "30",
            "booking_approval": "y",
        },
    )
    client.post(f"/admin/companies/{company.id}/suspend")
    english = client.get("/admin/audit", headers=EN).get_data(as_text=True)
    assert "Company suspended" in english
    assert '<span title="privacy_level">What managers see</span>: status only → with results' in (
        english
    )
    assert ": no → yes" in english  # booking approval
    # The filter lists the kinds by name; admins keep the key, quietly.
    assert '<option value="company.suspend">Company suspended</option>' in english
    assert '<code class="audit-key">company.suspend</code>' in english
    assert "privacy_level: status" not in english
    german = client.get("/admin/audit", headers=DE).get_data(as_text=True)
    assert "Unternehmen gesperrt" in german
    assert ">Was Führungskräfte sehen</span>: nur Status → mit Ergebnissen" in german
    assert ": nein → ja" in german
    assert '<option value="company.suspend">Unternehmen gesperrt</option>' in german


def test_the_log_names_departments_roles_states_and_days(client, db, world, login):
    from lms.audit.service import record

    a = world.a
    person, office = a.employees[0], a.departments[1]
    moment = datetime.now(UTC)
    actor = Actor(world.admin, NETWORK)
    record(
        db,
        actor,
        "person.update",
        a.company.id,
        moment,
        subject=person.display_name,
        changes={
            "department_id": [a.departments[0].id, office.id],
            "role_names": ["learner", "learner, manager"],
            "language": [None, "en"],
        },
    )
    record(
        db,
        actor,
        "attendance.record",
        a.company.id,
        moment,
        subject=person.display_name,
        changes={"attendance": [None, "excused"]},
    )
    record(
        db,
        actor,
        "assignment.create",
        a.company.id,
        moment,
        subject="kurs",
        changes={"due_on": [None, "2026-11-23"], "retake": [None, False], "people": [None, 1234]},
    )
    record(db, Actor.command(), "retention.run", None, moment, changes={"erased": [None, 0]})
    login(world.admin)
    page = client.get("/admin/audit", headers=EN).get_data(as_text=True)
    assert f">Department</span>: {a.departments[0].name} → {office.name}" in page
    assert ">Roles</span>: Employee → Employee, Manager" in page
    assert ">Language</span>: English" in page  # a new value: no arrow
    assert ">Attendance</span>: excused" in page
    assert ">Due on</span>: 23 Nov 2026" in page
    assert ">People</span>: 1,234" in page
    assert "lms command" in page  # who ran retention
    german = client.get("/admin/audit", headers=DE).get_data(as_text=True)
    assert ">Rollen</span>: Mitarbeiter:in → Mitarbeiter:in, Führungskraft" in german
    assert ">Anwesenheit</span>: entschuldigt" in german
    assert ">Fällig am</span>: 23.11.2026" in german
    assert ">Personen</span>: 1.234" in german


def test_an_unknown_key_shows_as_itself(client, db, world, login):
    from lms.audit.service import record

    record(db, Actor(world.admin), "future.thing", world.a.company.id, datetime.now(UTC),
           changes={"mystery": ["a", "b"]})  # fmt: skip
    login(world.a.manager)
    page = client.get("/team/audit", headers=EN).get_data(as_text=True)
    assert "future.thing" in page
    assert '<span title="mystery">mystery</span>: a → b' in page
