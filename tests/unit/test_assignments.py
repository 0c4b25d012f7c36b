"""Assigning courses, standing department rules, requalification and the state of each cell."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.clock import today
from lms.content.importer import import_course
from lms.models import (
    Assignment,
    AssignmentRule,
    AuditEntry,
    Completion,
    Course,
    Enrollment,
    Notice,
    Role,
)
from lms.reports import compliance
from lms.reports.compliance import CellState, Filters, Scope
from lms.services import assignments
from lms.services.accounts import NewPerson, create_user
from lms.services.assignments import MIN_NEWCOMER_DAYS
from tests.factories import make_user
from tests.unit.test_course_parser import COURSE_MD, write_course

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(tmp_path, {})
    with app.test_request_context():
        import_course(db, folder, NOW - timedelta(days=400))
    course = db.scalar(select(Course).where(Course.slug == "testkurs"))
    course.folder = folder  # for tests that publish a new version
    return course


def complete(db, user, course, at, valid_until=None):
    version = course.versions[-1]
    enrollment = db.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )
    if enrollment is None:
        enrollment = Enrollment(
            company_id=user.company_id,
            user_id=user.id,
            course_id=course.id,
            version_id=version.id,
            enrolled_at=at,
            counts_from=at,
        )
        db.add(enrollment)
        db.flush()
    enrollment.completed_at = at
    db.add(
        Completion(
            company_id=user.company_id,
            user_id=user.id,
            enrollment_id=enrollment.id,
            course_id=course.id,
            version_id=version.id,
            completed_at=at,
            valid_until=valid_until,
        )
    )
    compliance.cells_changed(db, user.company_id)  # as learning._complete_if_done does
    db.flush()


def states(db, company, now=NOW, lead_days=30):
    scope = Scope(company.id, now, today(now), lead_days)
    return {(c.user_id, c.course_id): c.state for c in _all_cells(db, scope)}


def _all_cells(db, scope):
    result = compliance.matrix(db, scope, Filters(), "de", page_size=None)
    return list(result.cells.values())


def test_assigning_people_and_assigning_again_keeps_one_open_row_and_the_history(db, world, course):
    people = world.a.employees[:2]
    first = assignments.assign_to_people(
        db, world.a.manager, course, people, TODAY + timedelta(days=30), "Bitte bis Monatsende", NOW
    )
    assert (first.created, first.replaced) == (2, 0)
    again = assignments.assign_to_people(
        db, world.a.manager, course, people[:1], TODAY + timedelta(days=7), "", NOW
    )
    assert (again.created, again.replaced) == (0, 1)
    rows = assignments.history(db, people[0])
    assert [r.ended_reason for r in rows] == [None, "replaced"]
    assert rows[0].due_on == TODAY + timedelta(days=7)
    assert rows[1].note == "Bitte bis Monatsende"


def test_a_department_assignment_reaches_its_members_and_later_newcomers(db, world, course):
    a = world.a
    warehouse = a.departments[0]
    rule, result = assignments.assign_to_group(
        db,
        a.manager,
        a.company,
        course,
        warehouse,
        TODAY + timedelta(days=20),
        "",
        NOW,
        today=TODAY,
    )
    # The two people of the warehouse and its manager; nobody from the office.
    assert result.created == 3
    assigned = set(db.scalars(select(Assignment.user_id).where(Assignment.rule_id == rule.id)))
    assert assigned == {p.id for p in a.employees[:2]} | {a.limited_manager.id}

    later = NOW + timedelta(days=15)
    newcomer = create_user(
        db,
        NewPerson("neu@example.com", "Neu", (Role.LEARNER,), a.company, warehouse),
        later,
    )
    row = db.scalar(select(Assignment).where(Assignment.user_id == newcomer.id))
    assert row.reason == "newcomer" and row.rule_id == rule.id
    # Joined 5 days before the rule's date: gets the rule's 20 days from joining instead.
    assert row.due_on == today(later) + timedelta(days=20)
    # The newcomer hears of it in the app, with the module and its due date.
    (notice,) = db.scalars(select(Notice).where(Notice.user_id == newcomer.id))
    assert notice.kind == "assigned" and notice.params["due_on"] == row.due_on.isoformat()
    assert notice.params["slug"] == course.slug
    office = create_user(
        db,
        NewPerson("buero@example.com", "Büro", (Role.LEARNER,), a.company, a.departments[1]),
        later,
    )
    assert db.scalar(select(Assignment).where(Assignment.user_id == office.id)) is None


def test_withdrawing_a_department_assignment_ends_its_rows_but_keeps_them(db, world, course):
    a = world.a
    rule, _ = assignments.assign_to_group(
        db, a.manager, a.company, course, None, TODAY, "", NOW, today=TODAY
    )
    ended = assignments.withdraw_rule(db, Actor(a.manager), rule, NOW + timedelta(hours=1))
    assert ended == 5  # every active person of Alpha, managers included
    rows = db.scalars(select(Assignment).where(Assignment.rule_id == rule.id)).all()
    assert {r.ended_reason for r in rows} == {"withdrawn"}
    assert states(db, a.company) == {}
    # New people no longer receive it.
    newcomer = create_user(
        db, NewPerson("spaet@example.com", "Spät", (Role.LEARNER,), a.company), NOW
    )
    assert db.scalar(select(Assignment).where(Assignment.user_id == newcomer.id)) is None


def test_each_state_of_a_cell(db, world, course):
    a = world.a
    p = [make_user(db, a.company, name=f"Person {i}") for i in range(6)]
    due_later, due_past = TODAY + timedelta(days=10), TODAY - timedelta(days=1)
    assignments.assign_to_people(db, a.manager, course, p[:1], due_later, "", NOW)  # not started
    assignments.assign_to_people(db, a.manager, course, p[1:2], due_later, "", NOW)  # in progress
    db.add(
        Enrollment(
            company_id=a.company.id,
            user_id=p[1].id,
            course_id=course.id,
            version_id=course.versions[-1].id,
            enrolled_at=NOW,
            counts_from=NOW,
        )
    )
    assignments.assign_to_people(db, a.manager, course, p[2:], due_past, "", NOW)
    complete(db, p[3], course, NOW - timedelta(days=100), NOW + timedelta(days=200))
    complete(db, p[4], course, NOW - timedelta(days=300), NOW + timedelta(days=29))
    complete(db, p[5], course, NOW - timedelta(days=400), NOW - timedelta(days=1))
    result = states(db, a.company)
    assert [result[(person.id, course.id)] for person in p] == [
        CellState.NOT_STARTED,
        CellState.IN_PROGRESS,
        CellState.OVERDUE,
        CellState.COMPLETED,
        CellState.EXPIRING,
        CellState.EXPIRED,
    ]
    # The company's lead time decides what counts as expiring soon.
    assert states(db, a.company, lead_days=7)[(p[4].id, course.id)] is CellState.COMPLETED


def test_due_dates_are_days_in_germany_across_the_new_year(db, world, course):
    person = world.a.employees[0]
    assignments.assign_to_people(db, None, course, [person], date(2026, 12, 31), "", NOW)
    before = datetime(2026, 12, 31, 22, 59, tzinfo=UTC)  # 23:59 in Berlin
    after = datetime(2026, 12, 31, 23, 1, tzinfo=UTC)  # 00:01 on 1 January in Berlin
    assert states(db, world.a.company, before)[(person.id, course.id)] is CellState.NOT_STARTED
    assert states(db, world.a.company, after)[(person.id, course.id)] is CellState.OVERDUE


def test_retake_makes_earlier_completions_not_count(db, world, course):
    person = world.a.employees[0]
    complete(db, person, course, NOW - timedelta(days=10))
    assignments.assign_to_people(db, None, course, [person], TODAY, "", NOW)
    assert states(db, world.a.company)[(person.id, course.id)] is CellState.COMPLETED
    assignments.assign_to_people(db, None, course, [person], TODAY, "", NOW, retake=True)
    assert states(db, world.a.company)[(person.id, course.id)] is CellState.NOT_STARTED
    complete(db, person, course, NOW + timedelta(minutes=5))
    later = NOW + timedelta(minutes=10)
    assert states(db, world.a.company, later)[(person.id, course.id)] is CellState.COMPLETED


def test_a_version_asking_for_requalification_makes_assignments_due_again(app, db, world, course):
    done, waiting = world.a.employees[:2]
    assignments.assign_to_people(db, None, course, [done, waiting], TODAY, "", NOW)
    complete(db, done, course, NOW - timedelta(days=5))
    assert states(db, world.a.company)[(done.id, course.id)] is CellState.COMPLETED

    (course.folder / "course.md").write_text(
        COURSE_MD.replace("---\n", "---\nrequalification: required\n", 1) + "\nNeu.\n"
    )
    imported = NOW + timedelta(days=1)
    with app.test_request_context():
        import_course(db, course.folder, imported)
    after = imported + timedelta(minutes=1)
    result = states(db, world.a.company, after)
    assert result[(done.id, course.id)] is CellState.NOT_STARTED
    row = db.scalar(
        select(Assignment).where(Assignment.user_id == done.id, Assignment.ended_at.is_(None))
    )
    assert row.reason == "requalification"
    assert row.due_on == today(imported) + timedelta(days=world.a.company.recertification_lead_days)
    assert len(assignments.history(db, done)) == 2


def test_a_certificate_is_valid_through_the_day_its_validity_ends(db, world, course):
    person = world.a.employees[0]
    assignments.assign_to_people(db, None, course, [person], TODAY, "", NOW)
    ends = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)  # 14:30 in Berlin
    complete(db, person, course, ends - timedelta(days=365), ends)
    afternoon = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    next_day = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 00:30 on the 24th in Berlin
    assert states(db, world.a.company, afternoon)[(person.id, course.id)] is CellState.EXPIRING
    assert states(db, world.a.company, next_day)[(person.id, course.id)] is CellState.EXPIRED


def test_rules_for_many_people_at_once_give_each_what_one_at_a_time_gives(db, world, course):
    a = world.a
    lager, buero = a.departments
    assignments.assign_to_group(
        db, a.manager, a.company, course, None, TODAY + timedelta(days=3), "", NOW, today=TODAY
    )
    office_course = Course(slug="ablage", shared=True)
    db.add(office_course)
    db.flush()
    assignments.assign_to_group(
        db, a.manager, a.company, office_course, buero, TODAY + timedelta(days=40), "Ablage",
        NOW, today=TODAY,
    )  # fmt: skip
    # Moved to the office later; one already has the office course open, one left.
    twins = []
    for _ in range(2):
        pair = [make_user(db, a.company, Role.LEARNER, department=lager) for _ in range(3)]
        for person in pair:
            person.department = buero
        pair[1].is_active = False
        db.flush()
        assignments.assign_to_people(
            db, a.manager, office_course, [pair[2]], TODAY + timedelta(days=5), "", NOW
        )
        twins.append(pair)
    later = NOW + timedelta(days=3)
    single = sum(assignments.apply_rules_to_newcomer(db, p, later, today(later)) for p in twins[0])
    batch = assignments.apply_rules_to_newcomers(db, twins[1], later, today(later))
    # The first: both courses; the second is deactivated; the third has the office's open.
    assert single == batch == 3

    def made(people):
        return [
            [(r.course_id, r.rule_id, r.due_on, r.reason, r.note, r.ended_at)
             for r in db.scalars(
                 select(Assignment).where(Assignment.user_id == p.id).order_by(Assignment.id)
             )]
            for p in people
        ]  # fmt: skip

    first, deactivated, had_it = made(twins[1])
    assert made(twins[0]) == [first, deactivated, had_it]
    assert [(course_id, due_on) for course_id, _r, due_on, *_ in first] == [
        (course.id, today(later) + timedelta(days=MIN_NEWCOMER_DAYS)),
        (office_course.id, today(later) + timedelta(days=40)),  # the rule's 40 days
    ]
    assert deactivated == [] and [row[3] for row in had_it] == ["person", "newcomer"]


def test_assigning_and_withdrawing_write_their_entries_with_the_actors_network(db, world, course):
    a = world.a
    actor = Actor(a.manager, "198.51.100.0/24")
    due = TODAY + timedelta(days=20)
    to_people = assignments.assign_course(
        db, actor, a.company, course, people=a.employees[:2], department=None,
        due_on=due, note="", now=NOW, today=TODAY, retake=True,
    )  # fmt: skip
    to_department = assignments.assign_course(
        db, actor, a.company, course, people=None, department=a.departments[1],
        due_on=due, note="", now=NOW, today=TODAY,
    )  # fmt: skip
    office = assignments.members(db, a.company.id, a.departments[1].id)
    assert (to_people.total, to_department.total) == (2, len(office))
    rule = db.scalar(select(AssignmentRule))
    ended = assignments.withdraw_rule(db, actor, rule, NOW)
    row = assignments.history(db, a.employees[0])[0]
    assignments.withdraw(db, actor, row, NOW)
    made, by_department, rule_withdrawn, one_withdrawn = db.scalars(
        select(AuditEntry).order_by(AuditEntry.id)
    ).all()
    assert {(e.actor_id, e.address, e.company_id) for e in db.scalars(select(AuditEntry))} == {
        (a.manager.id, "198.51.100.0/24", a.company.id)
    }
    assert made.action == "assignment.create" and made.subject == course.slug
    assert made.changes == {
        "to": [None, f"{a.employees[0].display_name}, {a.employees[1].display_name}"],
        "due_on": [None, due.isoformat()],
        "people": [None, 2],
        "retake": [None, True],
    }
    assert by_department.changes["to"] == [None, a.departments[1].name]
    assert rule_withdrawn.action == "assignment.withdraw"
    assert rule_withdrawn.subject == f"rule {rule.id}"
    assert rule_withdrawn.changes == {"people": [ended, 0]} and ended == len(office)
    assert one_withdrawn.subject == a.employees[0].display_name
    assert one_withdrawn.subject_id == row.id
    assert row.ended_reason == "withdrawn" and row.ended_by_id == a.manager.id
