"""A company's single sign-on: its settings, its e-mail domains, its group mappings,
and who a provider's person is in Lernwerk.

Plain functions taking the session, the actor and `now`; they flush, the request
commits. Every change is audited without the client secret (the entry says only that
a new one was stored).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lms import secret_box
from lms.audit import service as audit
from lms.audit.service import Actor
from lms.clock import today
from lms.models import Company, Department, Role, User
from lms.models.integration import SsoDomain, SsoGroupMapping, SsoIdentity, SsoSettings
from lms.reports.compliance import cells_changed
from lms.services import accounts
from lms.services.assignments import apply_rules_to_newcomer
from lms.services.companies import PERSON_FIELDS

log = logging.getLogger("lms.sso")

# The password "hash" of a person who signs in through their company's provider and
# has no Lernwerk password: no password ever matches it (it is no Argon2 hash), and
# it tells `accounts.can_log_in` that the account is in use (not an open invitation).
NO_PASSWORD = "!sso"  # noqa: S105 (a marker, not a password)

SETTINGS_FIELDS = (
    "enabled",
    "issuer",
    "client_id",
    "required",
    "create_people",
    "group_claim",
    "provider_logout",
)
NAME_LENGTH = 200  # users.display_name
EMAIL_LENGTH = 254  # users.email
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class SsoError(ValueError):
    """A setting that cannot be kept: `code` says which ("domain-invalid",
    "domain-taken", "secret-missing", "issuer-missing", "client-id-missing",
    "group-taken", "department-or-manager"); `value` the domain or group concerned,
    `other` the company that owns a taken domain."""

    def __init__(self, code: str, value: str = "", other: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.value = value
        self.other = other


class SsoRefused(Exception):
    """A person the provider vouched for may not sign in here; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- Reading --------------------------------------------------------------------------


def settings_of(session: Session, company_id: int) -> SsoSettings | None:
    return session.get(SsoSettings, company_id)


def domains_of(session: Session, company_id: int) -> list[str]:
    return list(
        session.scalars(
            select(SsoDomain.domain)
            .where(SsoDomain.company_id == company_id)
            .order_by(SsoDomain.domain)
        )
    )


def mappings_of(session: Session, company_id: int) -> list[SsoGroupMapping]:
    return list(
        session.scalars(
            select(SsoGroupMapping)
            .where(SsoGroupMapping.company_id == company_id)
            .order_by(SsoGroupMapping.group_name)
        )
    )


def domain_of(email: str) -> str:
    return accounts.normalize_email(email).rpartition("@")[2]


def settings_for_address(session: Session, email: str) -> SsoSettings | None:
    """The sign-in settings of the company owning the address's domain, if it has
    single sign-on switched on (and is not suspended)."""
    domain = domain_of(email)
    if not domain:
        return None
    settings = session.scalar(
        select(SsoSettings)
        .join(SsoDomain, SsoDomain.company_id == SsoSettings.company_id)
        .where(SsoDomain.domain == domain, SsoSettings.enabled.is_(True))
    )
    if settings is None or not settings.company.is_active:
        return None
    return settings


def required_for(session: Session, user: User | None) -> bool:
    """Whether `user` must sign in through their company's provider (no password,
    no password reset). The provider's own staff (no company) never must."""
    if user is None or user.company_id is None:
        return False
    settings = settings_of(session, user.company_id)
    return settings is not None and settings.enabled and settings.required


def password_refused(session: Session, email: str, known: User | None = None) -> bool:
    """Whether a password sign-in (or reset) for this address is refused because its
    company signs its people in through its provider only: the person's company
    requires it (the provider's staff are never refused), or, for an address Lernwerk
    does not know, the company owning its domain does."""
    person = known if known is not None else accounts.find_user_by_email(session, email)
    if person is not None:
        return required_for(session, person)
    settings = settings_for_address(session, email)
    return settings is not None and settings.required


# --- Settings -------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsFields:
    enabled: bool
    issuer: str
    client_id: str
    client_secret: str  # empty: keep the stored one
    domains: tuple[str, ...]
    required: bool
    create_people: bool
    group_claim: str
    provider_logout: bool


def parse_domains(text: str) -> tuple[str, ...]:
    """The domains typed one per line (or separated by commas or spaces), lower case,
    without "@" or duplicates."""
    found: list[str] = []
    for part in re.split(r"[\s,;]+", text):
        domain = part.strip().lower().lstrip("@").rstrip(".")
        if domain and domain not in found:
            found.append(domain)
    return tuple(found)


def _check_domains(session: Session, company: Company, domains: Iterable[str]) -> None:
    for domain in domains:
        if not _DOMAIN.match(domain):
            raise SsoError("domain-invalid", domain)
        owner = session.scalar(
            select(Company)
            .join(SsoDomain, SsoDomain.company_id == Company.id)
            .where(SsoDomain.domain == domain, SsoDomain.company_id != company.id)
        )
        if owner is not None:
            raise SsoError("domain-taken", domain, owner.name)


def save_settings(
    session: Session, actor: Actor, company: Company, fields: SettingsFields, now: datetime
) -> bool:
    """Store a company's sign-in settings and domains; audit what changed (the secret
    only as "a new one was stored"). Raises SsoError before anything changes. True
    when something changed. Flushes."""
    issuer = fields.issuer.strip()
    client_id = fields.client_id.strip()
    settings = settings_of(session, company.id)
    if fields.enabled and not issuer:
        raise SsoError("issuer-missing")
    if fields.enabled and not client_id:
        raise SsoError("client-id-missing")
    has_secret = bool(fields.client_secret) or bool(settings and settings.client_secret)
    if fields.enabled and not has_secret:
        raise SsoError("secret-missing")
    _check_domains(session, company, fields.domains)
    if settings is None:
        settings = SsoSettings(company_id=company.id, issuer="", client_id="", client_secret="")
        session.add(settings)
        before: dict[str, Any] = {name: None for name in SETTINGS_FIELDS}
    else:
        before = audit.snapshot(settings, SETTINGS_FIELDS)
    settings.enabled = fields.enabled
    settings.issuer = issuer
    settings.client_id = client_id
    settings.required = fields.required
    settings.create_people = fields.create_people
    settings.group_claim = fields.group_claim.strip()
    settings.provider_logout = fields.provider_logout
    changes = {
        name: [before[name], value]
        for name, value in audit.snapshot(settings, SETTINGS_FIELDS).items()
        if before[name] != value
    }
    if fields.client_secret:
        settings.client_secret = secret_box.seal(fields.client_secret)
        changes["client_secret"] = ["", "new"]  # never the secret itself
    old_domains = domains_of(session, company.id)
    if sorted(old_domains) != sorted(fields.domains):
        session.execute(
            delete(SsoDomain).where(
                SsoDomain.company_id == company.id, SsoDomain.domain.not_in(fields.domains)
            )
        )
        for domain in fields.domains:
            if domain not in old_domains:
                session.add(SsoDomain(company_id=company.id, domain=domain))
        changes["domains"] = [", ".join(old_domains), ", ".join(sorted(fields.domains))]
    if not changes:
        return False
    session.flush()
    audit.record(session, actor, "company.sso", company.id, now,
                 subject=company.name, subject_id=company.id, changes=changes)  # fmt: skip
    return True


def client_secret_of(settings: SsoSettings) -> str:
    """The stored client secret, decrypted (SecretUnreadable when the key changed)."""
    return secret_box.open_sealed(settings.client_secret) if settings.client_secret else ""


def add_group_mapping(
    session: Session,
    actor: Actor,
    company: Company,
    group_name: str,
    department: Department | None,
    makes_manager: bool,
    now: datetime,
) -> SsoGroupMapping:
    """Let a provider's group put its members into `department` and/or make them
    managers. Flushes."""
    name = group_name.strip()
    if department is None and not makes_manager:
        raise SsoError("department-or-manager", name)
    if department is not None and department.company_id != company.id:
        raise SsoError("department-or-manager", name)
    taken = session.scalar(
        select(SsoGroupMapping.id).where(
            SsoGroupMapping.company_id == company.id, SsoGroupMapping.group_name == name
        )
    )
    if taken:
        raise SsoError("group-taken", name)
    mapping = SsoGroupMapping(
        company_id=company.id, group_name=name, department=department, makes_manager=makes_manager
    )
    session.add(mapping)
    session.flush()
    audit.record(session, actor, "company.sso_group", company.id, now, subject=company.name,
                 subject_id=company.id,
                 changes={"group": [None, name],
                          "department": [None, department.name if department else None],
                          "makes_manager": [None, makes_manager]})  # fmt: skip
    return mapping


def remove_group_mapping(
    session: Session, actor: Actor, company: Company, mapping: SsoGroupMapping, now: datetime
) -> None:
    audit.record(session, actor, "company.sso_group_remove", company.id, now,
                 subject=company.name, subject_id=company.id,
                 changes={"group": [mapping.group_name, None]})  # fmt: skip
    session.delete(mapping)
    session.flush()


# --- Signing in -----------------------------------------------------------------------


def sso_actor(network: str) -> Actor:
    """Who acts when a sign-in changes a person: the company's provider."""
    return Actor(None, network, label="Single sign-on (OpenID Connect)")


def person_for(
    session: Session,
    settings: SsoSettings,
    issuer: str,
    claims: dict[str, Any],
    now: datetime,
    network: str,
) -> User:
    """The person the provider's verified claims name, for the company of
    `settings`: the one linked to (issuer, sub); else, at the first sign-in, the
    active person of this company with the verified address (then linked), or a new
    learner (`create_people`). Group claims set department and manager role. Raises
    SsoRefused. Flushes."""
    company = settings.company
    subject = str(claims["sub"])
    email = accounts.normalize_email(str(claims["email"]))
    identity = session.scalar(
        select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
    )
    actor = sso_actor(network)
    if identity is not None:
        # The link and the person must both still belong to this company: a link made
        # in company A never signs in an account that belongs to company B by now.
        if identity.company_id != company.id or identity.user.company_id != company.id:
            raise SsoRefused("other-company")
        person = identity.user
    else:
        if domain_of(email) not in domains_of(session, company.id):
            raise SsoRefused("foreign-address")
        if not _domain_vouched(issuer, claims, email):
            raise SsoRefused("foreign-address")
        found = accounts.find_user_by_email(session, email)
        if found is not None and found.company_id != company.id:
            raise SsoRefused("other-company")
        if found is None:
            if not settings.create_people or len(email) > EMAIL_LENGTH:
                raise SsoRefused("unknown-person")
            found = _create_learner(session, actor, company, email, claims, now)
        elif not found.is_active:
            raise SsoRefused("deactivated")
        person = found
        identity = SsoIdentity(
            user_id=person.id, company_id=company.id, issuer=issuer, subject=subject, linked_at=now
        )
        session.add(identity)
        log.info("linked person %s of company %s to its provider", person.id, company.id)
    if not person.is_active:
        raise SsoRefused("deactivated")
    if not company.is_active:
        raise SsoRefused("company-suspended")
    if person.password_hash is None:
        person.password_hash = NO_PASSWORD  # the account is in use now
    identity.last_used_at = now
    if settings.group_claim and settings.group_claim in claims:
        _apply_groups(session, actor, person, claims[settings.group_claim], now)
    elif settings.group_claim:
        # No claim at all (Entra ID's "overage" for people in very many groups, or an
        # app set up without groups) says nothing about the groups: nothing changes.
        log.info("no %r claim for person %s: groups not applied", settings.group_claim, person.id)
    session.flush()
    return person


# Google signs in private accounts too, and one may carry a work address (Google
# verified the mailbox once, not that the company owns the account): only accounts of
# the company's Google Workspace name its domain in the claim `hd`.
GOOGLE_ISSUER = "https://accounts.google.com"


def _domain_vouched(issuer: str, claims: dict[str, Any], email: str) -> bool:
    """Whether the provider vouches that the account belongs to the address's domain."""
    if issuer.rstrip("/") in (GOOGLE_ISSUER, "accounts.google.com"):
        return claims.get("hd") == domain_of(email)
    return True


def _create_learner(
    session: Session, actor: Actor, company: Company, email: str, claims: dict[str, Any],
    now: datetime,
) -> User:  # fmt: skip
    name = claims.get("name")
    name = " ".join(name.split())[:NAME_LENGTH].strip() if isinstance(name, str) else ""
    person = accounts.create_user(
        session,
        accounts.NewPerson(
            email=email,
            display_name=name or email[:NAME_LENGTH],
            roles=(Role.LEARNER,),
            company=company,
        ),
        now,
    )
    person.password_hash = NO_PASSWORD  # no invitation: the provider vouched for them
    audit.record(session, actor, "person.create", company.id, now,
                 subject=person.display_name, subject_id=person.id,
                 changes=audit.created(person, PERSON_FIELDS))  # fmt: skip
    log.info("created learner %s of company %s at their first sign-in", person.id, company.id)
    return person


def _group_names(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, Sequence):
        return {str(item) for item in value if isinstance(item, str | int)}
    return set()


def _apply_groups(session: Session, actor: Actor, person: User, value: Any, now: datetime) -> None:
    """Department and manager role from the person's groups: the department of the
    first mapped group (by name) they are in, else unchanged; the manager role
    follows the groups whenever a group grants it."""
    mappings = mappings_of(session, person.company_id or 0)
    if not mappings:
        return
    groups = _group_names(value)
    before = audit.snapshot(person, PERSON_FIELDS)
    departments = [m.department for m in mappings if m.department and m.group_name in groups]
    moved = False
    if departments and departments[0].id != person.department_id:
        person.department = departments[0]
        moved = True
    if any(m.makes_manager for m in mappings):
        if any(m.makes_manager and m.group_name in groups for m in mappings):
            person.grant(Role.MANAGER)
        else:
            person.revoke(Role.MANAGER)
            person.managed_departments = []
    session.flush()
    changes = audit.changed(before, person)
    if not changes:
        return
    cells_changed(session, person.company_id)
    if moved:
        apply_rules_to_newcomer(session, person, now, today(now))
    audit.record(session, actor, "person.update", person.company_id, now,
                 subject=person.display_name, subject_id=person.id, changes=changes)  # fmt: skip


def company_to_sign_in_with(session: Session, email: str, known: User | None) -> int | None:
    """The company whose provider the login page sends this address to: the owner of
    its domain, if single sign-on is on there, unless the person is known and is not
    one of that company's (the provider's staff, a person of another company)."""
    settings = settings_for_address(session, email)
    if settings is None:
        return None
    if known is not None and known.company_id != settings.company_id:
        return None
    return settings.company_id
