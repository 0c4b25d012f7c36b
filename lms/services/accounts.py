"""Accounts: log-in checks, passwords, single-use links, invitations.

Plain functions: they take a session and the time, flush, and never commit;
the caller (a view or a command) commits.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lms.audit.service import shorten_address
from lms.clock import now as clock_now
from lms.clock import today
from lms.models import (
    AccountToken,
    Company,
    Department,
    LoginEvent,
    Role,
    SsoDomain,
    TokenPurpose,
    User,
)
from lms.reports.compliance import cells_changed
from lms.services.assignments import apply_rules_to_newcomers
from lms.services.passwords import hash_password, needs_rehash, password_problems, verify_password
from lms.webhooks import events as webhook_events
from lms.webhooks import service as webhooks


class AccountError(ValueError):
    """A request about an account that cannot be carried out.

    `code` names the reason (e.g. "invalid-token"); views turn it into words.
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class PasswordRejected(AccountError):
    """The new password breaks the policy; `problems` are translated sentences."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("password-rejected")
        self.problems = problems


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def can_log_in(user: User) -> bool:
    """Active people of an active company (or of none, for provider staff). Someone
    with an e-mail address but neither password nor PIN has not accepted the invitation
    yet; a person without an address signs in with a PIN or a login card (issue 19)."""
    if not user.is_active:
        return False
    if user.password_hash is None and user.pin_hash is None and user.has_email:
        return False
    return user.company is None or user.company.is_active


def authenticate(user: User | None, password: str) -> User | None:
    """The user if the password matches an account that may log in, else None.

    Unknown e-mail, wrong password and a deactivated account give the same
    answer and take the same time. Reads nothing from the database but the
    user's company, after the password was checked.
    """
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not can_log_in(user):
        return None
    return user


def upgrade_password_hash(session: Session, user: User, password: str) -> None:
    """Hash the (matching) password again if the hashing parameters changed. Flushes."""
    assert user.password_hash is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()


def reset_mails_since(session: Session, user: User, since: datetime) -> int:
    """How many reset links were sent to the person since then, counted while their row
    is locked (PostgreSQL), so two requests at once cannot both send the last one."""
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    return (
        session.scalar(
            select(func.count())
            .select_from(AccountToken)
            .where(
                AccountToken.user_id == user.id,
                AccountToken.purpose == TokenPurpose.RESET.value,
                AccountToken.created_at > since,
            )
        )
        or 0
    )


def record_login(
    session: Session, user: User, now: datetime, address: str | None, user_agent: str | None
) -> None:
    """Keep a login in the person's history (shown to them in their data export).

    A login is no change of the person's data: `updated_at` (the API's and SCIM's
    "changed since") stays as it was."""
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(last_login_at=now, updated_at=User.updated_at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(user, "last_login_at", now)
    session.add(
        LoginEvent(
            user_id=user.id,
            at=now,
            network=shorten_address(address),
            user_agent=(user_agent or "")[:200],
        )
    )
    session.flush()


def password_context(user: User) -> tuple[str, ...]:
    return (user.sign_in_name, user.display_name)


def set_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password and end every other session of the user."""
    problems = password_problems(new_password, context=password_context(user))
    if problems:
        raise PasswordRejected(problems)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    end_all_sessions(user)
    session.flush()


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie of the user."""
    user.session_version = (user.session_version or 0) + 1


def reactivate_user(session: Session, user: User) -> None:
    user.is_active = True
    cells_changed(session, user.company_id)
    session.flush()


def update_profile(session: Session, user: User, display_name: str, language: str | None) -> None:
    """What a person changes of themselves on their profile page."""
    user.display_name = display_name.strip()
    user.language = language
    cells_changed(session, user.company_id)
    session.flush()


def choose_language(session: Session, user: User, language: str) -> None:
    """The language a person picked in the page's language switch: their pages and
    their mails speak it from now on."""
    user.language = language
    session.flush()


def deactivate_user(session: Session, user: User, now: datetime | None = None) -> None:
    """Deactivate the account and end every session of it. Every way a person is
    deactivated (admin and manager pages, imports, SCIM, the API, SSO) comes here, so
    the company's systems are told here too (webhook "person.deactivated", written
    in this transaction; `now`: when, default the clock's now)."""
    was_active = user.is_active
    user.is_active = False
    end_all_sessions(user)
    cells_changed(session, user.company_id)
    session.flush()
    if was_active and user.company_id is not None:
        webhooks.emit(
            session,
            user.company_id,
            webhook_events.PERSON_DEACTIVATED,
            lambda: webhook_events.person_changed(user),
            now or clock_now(),
            user_id=user.id,
        )


# --- Single-use links -----------------------------------------------------


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def issue_token(
    session: Session, user: User, purpose: TokenPurpose, now: datetime, lifetime: timedelta
) -> str:
    """Create a token and return its raw value (sent once by e-mail, never stored).

    Earlier unused tokens of the same purpose stop working.
    """
    return issue_tokens(session, [user], purpose, now, lifetime)[user.id]


def issue_tokens(
    session: Session,
    users: Sequence[User],
    purpose: TokenPurpose,
    now: datetime,
    lifetime: timedelta,
) -> dict[int, str]:
    """`issue_token` for many people at once (an import's invitations): one update per
    500 people and one flush. Returns each person's raw token by id."""
    ids = [user.id for user in users]
    for start in range(0, len(ids), 500):
        session.execute(
            update(AccountToken)
            .where(
                AccountToken.user_id.in_(ids[start : start + 500]),
                AccountToken.purpose == purpose.value,
                AccountToken.used_at.is_(None),
            )
            .values(used_at=now)
        )
    raws = {user_id: secrets.token_urlsafe(32) for user_id in ids}
    session.add_all(
        AccountToken(
            user_id=user_id,
            purpose=purpose.value,
            token_hash=_digest(raw),
            created_at=now,
            expires_at=now + lifetime,
        )
        for user_id, raw in raws.items()
    )
    session.flush()
    return raws


def peek_token(
    session: Session, raw_token: str, purpose: TokenPurpose, now: datetime
) -> User | None:
    """The user a still valid token belongs to, without using it up."""
    token = session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _digest(raw_token),
            AccountToken.purpose == purpose.value,
        )
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        return None
    if not token.user.is_active or (token.user.company and not token.user.company.is_active):
        return None
    return token.user


def consume_token(
    session: Session, raw_token: str, purpose: TokenPurpose, now: datetime
) -> User | None:
    """Use a token up. Of two concurrent uses only one succeeds."""
    user = peek_token(session, raw_token, purpose, now)
    if user is None:
        return None
    result = session.execute(
        update(AccountToken)
        .where(
            AccountToken.token_hash == _digest(raw_token),
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return user


def reset_password_with_token(
    session: Session, raw_token: str, new_password: str, now: datetime
) -> User:
    user = peek_token(session, raw_token, TokenPurpose.RESET, now)
    if user is None:
        raise AccountError("invalid-token")
    set_password(session, user, new_password)
    if consume_token(session, raw_token, TokenPurpose.RESET, now) is None:
        raise AccountError("invalid-token")
    return user


def accept_invitation(
    session: Session, raw_token: str, display_name: str, new_password: str, now: datetime
) -> User:
    user = peek_token(session, raw_token, TokenPurpose.INVITE, now)
    if user is None:
        raise AccountError("invalid-token")
    if display_name.strip():
        user.display_name = display_name.strip()
        cells_changed(session, user.company_id)
    set_password(session, user, new_password)
    if consume_token(session, raw_token, TokenPurpose.INVITE, now) is None:
        raise AccountError("invalid-token")
    return user


# --- Creating people ---------------------------------------------------------


# Roles that need an e-mail address: their holders sign in with it and a password, and
# receive what goes by mail. A learner may have none (issue 19: the shop floor) and signs
# in with the company's sign-in code, their personnel number and a PIN instead.
ROLES_NEEDING_EMAIL = frozenset({Role.MANAGER, Role.TRAINER, Role.ADMIN})


def address_problem(
    email: str | None, personnel_number: str | None, roles: Iterable[Role]
) -> str | None:
    """Why a person with this (normalised) address, number and roles cannot be kept, as
    a code ("invalid-email", "email-required", "personnel-number-required"), or None.

    A person without an address must be a learner only and have a personnel number,
    which is how they sign in."""
    if email:
        return None if "@" in email else "invalid-email"
    if ROLES_NEEDING_EMAIL.intersection(roles):
        return "email-required"
    if not (personnel_number or "").strip():
        return "personnel-number-required"
    return None


@dataclass(frozen=True)
class NewPerson:
    email: str | None
    display_name: str
    roles: tuple[Role, ...]
    company: Company | None = None
    department: Department | None = None
    language: str | None = None
    personnel_number: str | None = None


def sso_domain_owners(session: Session, emails: Iterable[str]) -> dict[str, int]:
    """For each address at a domain a company signs its people in for (single sign-on,
    lms/sso), that company's id; addresses at other domains are left out."""
    domains = {email: email.rpartition("@")[2].lower() for email in emails if "@" in email}
    if not domains:
        return {}
    owners: dict[str, int] = {
        domain: company_id
        for domain, company_id in session.execute(
            select(SsoDomain.domain, SsoDomain.company_id).where(
                SsoDomain.domain.in_(set(domains.values()))
            )
        )
    }
    return {email: owners[domain] for email, domain in domains.items() if domain in owners}


def check_sso_domain(session: Session, email: str | None, company_id: int | None) -> None:
    """Refuse an address at a domain another company signs its people in for: the
    person there could no longer sign in through their own company (and no one may
    claim another company's addresses). Raises AccountError("email-sso-domain")."""
    owner = sso_domain_owners(session, [email]).get(email) if email else None
    if owner is not None and owner != company_id:
        raise AccountError("email-sso-domain")


def _check_personnel_numbers(session: Session, people: Sequence[NewPerson]) -> None:
    """A personnel number is unique within its company (it signs in people without an
    address): one listed twice, or held already, is taken."""
    pairs = [
        (person.company.id, person.personnel_number)
        for person in people
        if person.company is not None and person.personnel_number
    ]
    if len(set(pairs)) != len(pairs):
        raise AccountError("personnel-number-taken")
    wanted = sorted(pairs)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found = session.execute(
            select(User.company_id, User.personnel_number).where(
                User.company_id.in_({company for company, _ in chunk}),
                User.personnel_number.in_({number for _, number in chunk}),
            )
        ).all()
        if set(chunk).intersection((row[0], row[1]) for row in found):
            raise AccountError("personnel-number-taken")


def create_user(session: Session, person: NewPerson, now: datetime) -> User:
    """Create an account without a password (it is set through an invitation)."""
    return create_users(session, [person], now)[0]


def create_users(session: Session, people: Sequence[NewPerson], now: datetime) -> list[User]:
    """`create_user` for many people at once (a bulk import): same checks, same result.

    Every person is checked before anything is added (one query for the
    addresses of all), so a refusal leaves the session untouched; an address
    listed twice is taken. The accounts are added in one flush, then the
    standing assignments of all newcomers in one pass. Returns the users in
    the order given.
    """
    emails = [normalize_email(person.email or "") or None for person in people]
    for person, email in zip(people, emails, strict=True):
        problem = address_problem(email, person.personnel_number, person.roles)
        if problem is not None:
            raise AccountError(problem)
    given = [email for email in emails if email is not None]
    if len(set(given)) != len(given):
        raise AccountError("email-taken")
    wanted = sorted(given)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        if session.scalar(select(func.count()).select_from(User).where(User.email.in_(chunk))):
            raise AccountError("email-taken")
    owners = sso_domain_owners(session, given)
    for person, email in zip(people, emails, strict=True):
        company_id = person.company.id if person.company is not None else None
        if email in owners and owners[email] != company_id:
            raise AccountError("email-sso-domain")
    _check_personnel_numbers(session, people)
    for person in people:
        if person.department is not None and (
            person.company is None or person.department.company_id != person.company.id
        ):
            raise AccountError("department-of-other-company")
        if (
            Role.LEARNER in person.roles or Role.MANAGER in person.roles
        ) and person.company is None:
            raise AccountError("company-required")
    users = []
    for person, email in zip(people, emails, strict=True):
        user = User(
            email=email,
            display_name=person.display_name.strip() or email or person.personnel_number or "",
            company=person.company,
            department=person.department,
            language=person.language,
            personnel_number=person.personnel_number,
            created_at=now,
        )
        for role in person.roles:
            user.grant(role)
        users.append(user)
    session.add_all(users)
    session.flush()
    cells_changed(session, *{user.company_id for user in users})
    apply_rules_to_newcomers(session, users, now, today(now))
    _announce_newcomers(session, users, now)
    return users


def _announce_newcomers(session: Session, users: Sequence[User], now: datetime) -> None:
    """Webhook "person.created" for each new person of a company (every way people are
    added comes through `create_users`): one query per company for its endpoints."""
    by_company: dict[int, list[User]] = {}
    for user in users:
        if user.company_id is not None:
            by_company.setdefault(user.company_id, []).append(user)
    for company_id, people in by_company.items():
        told = webhook_events.person_changed
        items = [(functools.partial(told, user), user.id) for user in people]
        webhooks.emit_each(session, company_id, webhook_events.PERSON_CREATED, items, now)


def create_admin(session: Session, email: str, now: datetime) -> tuple[User, str]:
    """An admin with a random first password that must be changed at first login.

    If the e-mail belongs to an existing account, it is made admin and given a
    new first password.
    """
    password = secrets.token_urlsafe(15)
    user = find_user_by_email(session, email)
    if user is None:
        user = create_user(
            session,
            NewPerson(email=email, display_name=email.split("@")[0], roles=(Role.ADMIN,)),
            now,
        )
    user.grant(Role.ADMIN)
    user.is_active = True
    cells_changed(session, user.company_id)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_all_sessions(user)
    session.flush()
    return user, password
