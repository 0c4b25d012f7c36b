"""How the audit log reads: each action ("company.suspend") and each changed field
("privacy_level") by its name in the reader's language, and the values that are codes
(privacy levels, roles, states, yes/no, languages) as words.

The entries keep their keys, so the log stays the same whatever the language: only
the page translates. A key without a label here (an entry of an older or newer
version) shows as itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import LazyString, format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import AuditEntry, CourseVersion, Department, Role
from lms.templating import ROLE_LABELS, date_filter

ACTIONS: dict[str, LazyString] = {
    "assignment.create": _l("Module assigned"),
    "assignment.path": _l("Learning path assigned"),
    "assignment.withdraw": _l("Assignment withdrawn"),
    "attendance.check-in": _l("Checked in to a session"),
    "attendance.record": _l("Attendance recorded"),
    "booking.approve": _l("Booking approved"),
    "booking.cancel": _l("Booking cancelled"),
    "booking.decline": _l("Booking declined"),
    "booking.team": _l("Team booked for a session"),
    "card.print": _l("Login cards or invitation letters printed"),
    "card.revoke": _l("Login card or invitation letter blocked"),
    "catalogue.update": _l("Companies that see a module changed"),
    "company.accent": _l("Company's accent colour changed"),
    "company.create": _l("Company created"),
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "scim_token.create": _l("SCIM token created"),
    "scim_token.revoke": _l("SCIM token revoked"),
    "company.delete": _l("Company deleted"),
    "company.export": _l("Company's data exported"),
    "company.logo": _l("Company's logo uploaded"),
    "company.logo_remove": _l("Company's logo removed"),
    "company.reactivate": _l("Company reactivated"),
    "company.reminders": _l("Company's reminder settings changed"),
    "company.pin_only_on_shared_devices": _l("Company's PIN sign-in setting changed"),
    "company.sign_in_code": _l("Company's sign-in code renewed"),
    "company.settings": _l("Company's privacy and booking settings changed"),
    "company.sso": _l("Company's single sign-on settings changed"),
    "company.sso_group": _l("Group of the company's sign-in service mapped"),
    "company.sso_group_remove": _l("Group of the company's sign-in service no longer mapped"),
    "company.suspend": _l("Company suspended"),
    "company.update": _l("Company changed"),
    "course.editors": _l("Module's editors changed"),
    "course.publish": _l("Module published"),
    "course.rollback": _l("Module's content reset to an earlier version"),
    "db.restore": _l("Database restored from a backup"),
    "device.enrol": _l("Shared device set up"),
    "device.revoke": _l("Shared device revoked"),
    "department.create": _l("Department created"),
    "department.delete": _l("Department deleted"),
    "department.merge": _l("Departments merged"),
    "department.rename": _l("Department renamed"),
    "mail.send_again": _l("E-mail sent again"),
    "lti_platform.create": _l("Learning platform (LTI) registered"),
    "lti_platform.delete": _l("Learning platform (LTI) deleted"),
    "lti_platform.update": _l("Learning platform (LTI) changed"),
    "lti_score.send_again": _l("Result sent to a learning platform (LTI) again"),
    "people.import": _l("People imported from a file"),
    "person.create": _l("Person added"),
    "person.deactivate": _l("Person deactivated"),
    "person.erase": _l("Person erased"),
    "person.export": _l("Person's data downloaded"),
    "person.reactivate": _l("Person reactivated"),
    "person.scim_remove": _l("Person removed by the identity system (SCIM)"),
    "person.update": _l("Person changed"),
    "pin.locked": _l("PIN locked after too many wrong PINs"),
    "pin.reset": _l("PIN reset"),
    "pin.set": _l("PIN set for someone else"),
    "record.add": _l("Training elsewhere entered"),
    "handin.grade": _l("Hand-in graded"),
    "handin.submit": _l("Hand-in handed in"),
    "quiz.essays_grade": _l("Free-text answers graded"),
    "record.confirm": _l("Proof of training confirmed"),
    "record.delete": _l("Training elsewhere deleted"),
    "record.import": _l("Trainings elsewhere imported from a file"),
    "record.reject": _l("Proof of training rejected"),
    "record.submit": _l("Proof of training handed in"),
    "record.withdraw": _l("Proof of training withdrawn"),
    "reminder.send": _l("Reminder sent by a manager"),
    "retention.run": _l("Retention run: old accounts erased, old log entries pruned"),
    "security.unexpected-fields": _l("Form with unexpected fields refused"),
    "signoff.sign": _l("On-the-job task signed off"),
    "signoff.tick": _l("Points of an on-the-job task ticked"),
    "staff.create": _l("Staff member added"),
    "staff.deactivate": _l("Staff member deactivated"),
    "staff.reactivate": _l("Staff member reactivated"),
    "staff.roles": _l("Staff member's roles changed"),
    "webhook.create": _l("Webhook endpoint added"),
    "webhook.delete": _l("Webhook endpoint deleted"),
    "webhook.resend": _l("Webhook event sent again"),
    "webhook.secret": _l("Webhook signing secret renewed"),
    "webhook.test": _l("Webhook test event sent"),
    "webhook.update": _l("Webhook endpoint changed"),
    "two_factor.recovery_code_used": _l("Logged in with a recovery code"),
    "two_factor.recovery_codes": _l("New recovery codes made"),
    "two_factor.reset": _l("Second factor reset by an administrator"),
    "two_factor.set_up": _l("Second factor set up"),
    "two_factor.turn_off": _l("Second factor turned off"),
}

# The keys of `changes`, across all actions (a key means the same in each).
FIELDS: dict[str, LazyString] = {
    # Companies
    "name": _l("Name"),
    "short_name": _l("Short name"),
    "default_language": _l("Language"),
    "self_enrolment": _l("Employees may start modules themselves"),
    "retention_months": _l("Erase accounts unused for (months)"),
    "managers_manage_people": _l("Managers manage their people"),
    "privacy_level": _l("What managers see"),
    "recertification_lead_days": _l("Recertification lead time (days)"),
    "booking_approval": _l("Bookings need the manager's approval"),
    "logo": _l("Logo"),
    "accent_color": _l("Accent colour"),
    "remind_due_soon": _l("Reminder before the due date"),
    "remind_due_soon_days": _l("Days before the due date"),
    "remind_overdue": _l("Weekly reminder while overdue"),
    "remind_expiry": _l("Reminder when a certificate expires"),
    "remind_digest": _l("Weekly overview for managers"),
    "sign_in_code": _l("Sign-in code"),
    "pin_only_on_shared_devices": _l("PIN sign-in only on shared devices"),
    # Single sign-on
    "enabled": _l("Single sign-on switched on"),
    "issuer": _l("Issuer address"),
    "client_id": _l("Client ID"),
    "client_secret": _l("Client secret"),
    "required": _l("Only through the company's service"),
    "create_people": _l("People added at their first sign-in"),
    "group_claim": _l("Claim with the groups"),
    "provider_logout": _l("Signing out also at the service"),
    "domains": _l("E-mail domains"),
    # Learning platforms (LTI)
    "deployment_ids": _l("Deployment IDs"),
    "auth_login_url": _l("Authentication request URL"),
    "token_url": _l("Access token URL"),
    "jwks_url": _l("Public keyset URL"),
    "group": _l("Group"),
    "makes_manager": _l("Members are managers"),
    # People and staff
    "display_name": _l("Name"),
    "email": _l("E-mail address"),
    "personnel_number": _l("Personnel number"),
    "department_id": _l("Department"),
    "department": _l("Department"),
    "language": _l("Language"),
    "role_names": _l("Roles"),
    "roles": _l("Roles"),
    "managed_names": _l("Manager of the departments"),
    "companies": _l("Companies"),
    "managers_now_of_it": _l("Managers now of it"),
    "standing_assignments": _l("Department assignments"),
    "new_assignments": _l("New assignments"),
    # Imports: how many people or records
    "create": _l("Added"),
    "update": _l("Changed"),
    "move": _l("Moved to another department"),
    # PINs
    "pin": _l("PIN chosen"),
    "pin_locked": _l("PIN locked"),
    "failures": _l("Wrong PINs in a row"),
    "unchanged": _l("Unchanged"),
    "deactivate": _l("Deactivated"),
    "new": _l("New"),
    # Assignments and bookings
    "to": _l("Assigned to"),
    "due_on": _l("Due on"),
    "people": _l("People"),
    "retake": _l("Also for those who completed it"),
    "assignments": _l("Assignments"),
    "status": _l("Status"),
    "confirmed": _l("Booked"),
    "waitlisted": _l("On the waiting list"),
    "requested": _l("Awaiting approval"),
    "attendance": _l("Attendance"),
    "attendance_note": _l("Note"),
    # Modules and on-the-job tasks
    "editors": _l("Editors"),
    "version": _l("Version"),
    "note": _l("Change note"),
    "requalification": _l("Everyone must take it again"),
    "content": _l("Content"),
    "content_of": _l("Content of version"),
    "shared": _l("Open to every company"),
    "ticked": _l("Points ticked"),
    "comment": _l("Comment"),
    "feedback": _l("Feedback"),
    "replaced": _l("Replaces an earlier file"),
    "essay_points": _l("Points of the free-text answers"),
    "passed": _l("Passed"),
    # Training elsewhere
    "title": _l("Title"),
    "provider": _l("Provider"),
    "completed_on": _l("Completed on"),
    "valid_until": _l("Valid until"),
    "course_id": _l("Counts for the module"),
    "file": _l("File"),
    "reason": _l("Reason"),
    # Login cards
    "kind": _l("Kind"),
    "count": _l("How many"),
    "revoked_reason": _l("Reason"),
    # Commands and security
    "backup": _l("Backup"),
    "revision": _l("Schema revision"),
    "erased_again": _l("Accounts erased again"),
    "erased": _l("Accounts erased"),
    "log_entries_pruned": _l("Log entries pruned"),
    "fields": _l("Unexpected fields"),
    # Webhooks
    "url": _l("Address"),
    "events": _l("Events"),
    "description": _l("Description"),
    "active": _l("Active"),
    # Second factor
    "again": _l("On a new phone"),
    "left": _l("Recovery codes left"),
}

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}  # each in its own language

# Values that are codes, by the field that holds them.
VALUES: dict[str, Mapping[str, str | LazyString]] = {
    "privacy_level": {"status": _l("status only"), "results": _l("with results")},
    "kind": {"card": _l("login card"), "letter": _l("invitation letter")},
    "revoked_reason": {"lost": _l("lost"), "left": _l("left the company")},
    "default_language": LANGUAGE_NAMES,
    "language": LANGUAGE_NAMES,
    "attendance": {
        "present": _l("present"),
        "partial": _l("partly present"),
        "absent": _l("absent"),
        "excused": _l("excused"),
    },
    # A booking's (confirmed … declined) or a training record's (pending … rejected)
    "status": {
        "confirmed": _l("confirmed"),
        "requested": _l("awaits approval"),
        "waitlisted": _l("on the waiting list"),
        "cancelled": _l("booking cancelled"),
        "declined": _l("declined"),
        "pending": _l("waiting for confirmation"),
        "rejected": _l("rejected"),
        # A hand-in's
        "waiting": _l("waiting for a grade"),
        "accepted": _l("accepted"),
        "redo": _l("to be handed in again"),
    },
}
ROLE_FIELDS = frozenset({"role_names", "roles"})  # "learner, manager"
DATE_FIELDS = frozenset({"due_on", "completed_on", "valid_until"})  # "2026-11-23"


def action_label(action: str) -> str:
    """The action in the reader's language; an unknown one as its key."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else action


@dataclass(frozen=True)
class Names:
    """The names of what entries refer to by id: companies, departments, modules."""

    companies: Mapping[int, str] = field(default_factory=dict)
    departments: Mapping[int, str] = field(default_factory=dict)
    courses: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One changed field as the log shows it; `before`/`after` None: nothing."""

    key: str
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Shown:
    """An entry with its action and changes in the reader's language."""

    entry: AuditEntry
    action: str
    changes: list[Change]


def shown_entries(entries: Sequence[AuditEntry], names: Names) -> list[Shown]:
    """The entries as the log shows them; a field that was and stays empty is left out."""
    shown = []
    for entry in entries:
        changes = []
        for key, (before, after) in entry.changes.items():
            change = Change(
                key, str(FIELDS.get(key, key)), value_text(key, before, names),
                value_text(key, after, names),
            )  # fmt: skip
            if change.before is not None or change.after is not None:
                changes.append(change)
        shown.append(Shown(entry, action_label(entry.action), changes))
    return shown


def value_text(key: str, value: Any, names: Names) -> str | None:
    """A value as words: codes translated, ids named, days written as the page writes
    them; None for nothing (None, an empty text or list)."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, list):
        parts = [value_text(key, item, names) for item in value]
        return ", ".join(part for part in parts if part) or None
    if isinstance(value, int):
        lookup = {"department_id": names.departments, "companies": names.companies,
                  "course_id": names.courses}.get(key)  # fmt: skip
        if lookup is not None:
            return lookup.get(value, f"#{value}")
        return str(format_decimal(value))
    text = str(value)
    if key in ROLE_FIELDS:
        return ", ".join(_role(name.strip()) for name in text.split(","))
    if key in DATE_FIELDS:
        try:
            return date_filter(date.fromisoformat(text))
        except ValueError:
            return text
    label = VALUES.get(key, {}).get(text)
    return str(label) if label is not None else text


def _role(name: str) -> str:
    try:
        return str(ROLE_LABELS[Role(name)])
    except ValueError:
        return name


def names_for(
    session: Session,
    entries: Iterable[AuditEntry],
    company_ids: list[int] | None,
    companies: Mapping[int, str],
) -> Names:
    """The departments and modules `entries` name by id (two queries at most), the
    departments only of `company_ids` (None: of every company)."""
    wanted: dict[str, set[int]] = {"department_id": set(), "course_id": set()}
    for entry in entries:
        for key, ids in wanted.items():
            for value in entry.changes.get(key, ()):
                if isinstance(value, int) and not isinstance(value, bool):
                    ids.add(value)
    departments: dict[int, str] = {}
    if wanted["department_id"]:
        query = select(Department.id, Department.name).where(
            Department.id.in_(wanted["department_id"])
        )
        if company_ids is not None:
            query = query.where(Department.company_id.in_(company_ids))
        departments = {row.id: row.name for row in session.execute(query)}
    courses: dict[int, str] = {}
    if wanted["course_id"]:  # by the title of its newest version
        query = (
            select(CourseVersion.course_id, CourseVersion.title)
            .where(CourseVersion.course_id.in_(wanted["course_id"]))
            .order_by(CourseVersion.number)
        )
        courses = {row.course_id: row.title for row in session.execute(query)}
    return Names(companies=companies, departments=departments, courses=courses)
