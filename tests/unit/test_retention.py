"""Retention: unused accounts are erased after the company's period; old log entries go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from lms.audit.service import Actor, record
from lms.models import AuditEntry, Role, User
from lms.services.retention import due_for_erasure, run_retention
from tests.factories import make_user

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def test_accounts_unused_for_the_period_are_due_and_staff_and_recent_are_not(db, world):
    company = world.a.company
    company.retention_months = 12
    old = make_user(db, company, name="Lange Weg")
    old.last_login_at = NOW - timedelta(days=400)
    never = make_user(db, company, name="Nie Da")
    never.created_at = NOW - timedelta(days=370)
    recent = make_user(db, company, name="Neulich")
    recent.last_login_at = NOW - timedelta(days=300)
    trainer = make_user(db, company, Role.TRAINER, name="Trainerin")
    trainer.last_login_at = NOW - timedelta(days=800)
    for person in [*world.a.employees, world.a.manager, world.a.limited_manager]:
        person.last_login_at = NOW - timedelta(days=1)
    db.flush()
    assert {p.display_name for p in due_for_erasure(db, company, NOW)} == {"Lange Weg", "Nie Da"}
    world.b.company.retention_months = None
    assert due_for_erasure(db, world.b.company, NOW) == []


def test_a_dry_run_changes_nothing_and_a_run_erases_and_prunes(db, world):
    company = world.a.company
    company.retention_months = 6
    gone = make_user(db, company, name="Längst Weg")
    gone.last_login_at = NOW - timedelta(days=365)
    for person in [*world.a.employees, world.a.manager, world.a.limited_manager]:
        person.last_login_at = NOW
    record(db, Actor.command(), "company.update", company.id, NOW - timedelta(days=4 * 365))
    record(db, Actor.command(), "company.update", company.id, NOW - timedelta(days=10))
    db.flush()
    dry = run_retention(db, NOW, log_days=3 * 365, dry_run=True)
    assert dry.erased == [(company.short_name, gone.id)] and dry.audit_pruned == 1
    assert db.get(User, gone.id).erased_at is None
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 2

    run_retention(db, NOW, log_days=3 * 365, dry_run=False)
    db.expire_all()
    assert db.get(User, gone.id).erased_at == NOW
    assert db.get(User, gone.id).display_name.startswith("Gelöschte Person")
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 1
    # Erased once: the next run leaves the record alone.
    assert run_retention(db, NOW, log_days=3 * 365, dry_run=True).erased == []
