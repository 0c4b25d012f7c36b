"""A company's learning platforms (LTI 1.3), the launches on their way, who a
platform's person is in Lernwerk, and where their results go back to.

Plain functions taking the session, the actor and `now`; they flush, the request
commits. Changes to a platform are audited ("lti_platform.create", ".update",
".delete").
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.content.importer import is_visible
from lms.lti import protocol
from lms.models import Company, Course, Role, User
from lms.models.lti import (
    LtiGradeLink,
    LtiHandoff,
    LtiIdentity,
    LtiLaunchState,
    LtiPlatform,
)
from lms.services import accounts, learning
from lms.services.companies import PERSON_FIELDS
from lms.sso.service import NO_PASSWORD
from lms.two_factor import service as two_factor

log = logging.getLogger("lms.lti")

PLATFORM_FIELDS = (
    "name", "issuer", "client_id", "deployment_ids", "auth_login_url", "token_url", "jwks_url",
)  # fmt: skip
# A launch on its way (login initiation to launch) takes seconds; this is generous.
STATE_SECONDS = 10 * 60
# A framed launch's ticket for the new window.
HANDOFF_SECONDS = 5 * 60
NAME_LENGTH = 200  # users.display_name


class LtiError(ValueError):
    """A platform that cannot be kept: `code` "taken" (the issuer and client ID are
    registered already)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- Platforms --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformFields:
    name: str
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_login_url: str
    token_url: str
    jwks_url: str


def parse_deployments(text: str) -> tuple[str, ...]:
    """The deployment IDs typed one per line (or separated by commas), no duplicates."""
    found: list[str] = []
    for line in text.replace(",", "\n").splitlines():
        value = line.strip()
        if value and value not in found:
            found.append(value)
    return tuple(found)


def platforms_of(session: Session, company_id: int) -> list[LtiPlatform]:
    return list(
        session.scalars(
            select(LtiPlatform)
            .where(LtiPlatform.company_id == company_id)
            .order_by(LtiPlatform.name, LtiPlatform.id)
        )
    )


def platform_of_company(session: Session, platform_id: int, company_id: int) -> LtiPlatform | None:
    return session.scalar(
        select(LtiPlatform).where(
            LtiPlatform.id == platform_id, LtiPlatform.company_id == company_id
        )
    )


def _apply(platform: LtiPlatform, fields: PlatformFields) -> None:
    platform.name = fields.name.strip()
    platform.issuer = fields.issuer.strip()
    platform.client_id = fields.client_id.strip()
    platform.deployment_ids = "\n".join(fields.deployment_ids)
    platform.auth_login_url = fields.auth_login_url.strip()
    platform.token_url = fields.token_url.strip()
    platform.jwks_url = fields.jwks_url.strip()


def _check_free(session: Session, fields: PlatformFields, platform_id: int | None) -> None:
    taken = session.scalar(
        select(LtiPlatform.id).where(
            LtiPlatform.issuer == fields.issuer.strip(),
            LtiPlatform.client_id == fields.client_id.strip(),
        )
    )
    if taken is not None and taken != platform_id:
        raise LtiError("taken")


def create_platform(
    session: Session, actor: Actor, company: Company, fields: PlatformFields, now: datetime
) -> LtiPlatform:
    """Register a platform for `company`. Raises LtiError("taken"). Flushes."""
    _check_free(session, fields, None)
    platform = LtiPlatform(company_id=company.id, created_at=now, updated_at=now)
    _apply(platform, fields)
    session.add(platform)
    session.flush()
    audit.record(session, actor, "lti_platform.create", company.id, now,
                 subject=platform.name, subject_id=platform.id,
                 changes=audit.created(platform, PLATFORM_FIELDS))  # fmt: skip
    return platform


def update_platform(
    session: Session, actor: Actor, platform: LtiPlatform, fields: PlatformFields, now: datetime
) -> bool:
    """Change a platform; True when something changed. Raises LtiError. Flushes."""
    _check_free(session, fields, platform.id)
    before = audit.snapshot(platform, PLATFORM_FIELDS)
    _apply(platform, fields)
    changes = audit.changed(before, platform)
    if not changes:
        return False
    platform.updated_at = now
    session.flush()
    audit.record(session, actor, "lti_platform.update", platform.company_id, now,
                 subject=platform.name, subject_id=platform.id, changes=changes)  # fmt: skip
    return True


def delete_platform(session: Session, actor: Actor, platform: LtiPlatform, now: datetime) -> None:
    """Delete a platform with its launches, links of people and grade links (the
    people and their progress stay). Flushes."""
    before = audit.snapshot(platform, PLATFORM_FIELDS)
    audit.record(session, actor, "lti_platform.delete", platform.company_id, now,
                 subject=platform.name, subject_id=platform.id,
                 changes={name: [value, None] for name, value in before.items()})  # fmt: skip
    session.delete(platform)
    session.flush()


# --- Launches ---------------------------------------------------------------------------


def find_platform(session: Session, issuer: str, client_id: str) -> LtiPlatform | None:
    """The platform registered for the issuer and client ID; without a client ID the
    issuer's only platform (an issuer registered twice is then ambiguous: None)."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer.strip())
    if client_id:
        return session.scalar(query.where(LtiPlatform.client_id == client_id.strip()))
    found = list(session.scalars(query.limit(2)))
    return found[0] if len(found) == 1 else None


def begin_launch(session: Session, platform: LtiPlatform, now: datetime) -> LtiLaunchState:
    """A new launch on its way: fresh random state and nonce, used once. Flushes."""
    pending = LtiLaunchState(
        platform_id=platform.id,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(seconds=STATE_SECONDS),
    )
    session.add(pending)
    session.flush()
    return pending


def pending_launch(session: Session, state: str, now: datetime) -> LtiLaunchState | None:
    """The launch on its way with this state, if it is neither used nor expired."""
    if not state or len(state) > 64:
        return None
    return session.scalar(
        select(LtiLaunchState).where(
            LtiLaunchState.state == state,
            LtiLaunchState.used_at.is_(None),
            LtiLaunchState.expires_at > now,
        )
    )


def use_launch(session: Session, pending_id: int, now: datetime) -> bool:
    """Mark the launch used; False when another request used it first (a conditional
    UPDATE: of two launches with one state only one gets through)."""
    result = session.execute(
        update(LtiLaunchState)
        .where(LtiLaunchState.id == pending_id, LtiLaunchState.used_at.is_(None))
        .values(used_at=now)
        .returning(LtiLaunchState.id)
    )
    return result.first() is not None


def prune_launches(session: Session, now: datetime) -> None:
    """Forget launches that expired a day ago (their states can no longer be used)."""
    old = now - timedelta(days=1)
    session.execute(delete(LtiLaunchState).where(LtiLaunchState.expires_at < old))
    session.execute(delete(LtiHandoff).where(LtiHandoff.expires_at < old))


def launchable_course(session: Session, slug: str, company_id: int) -> Course | None:
    """The live module named by the launch's target link, if the company sees it."""
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None or learning.latest_version(session, course) is None:
        return None
    return course if is_visible(session, course, company_id) else None


class LaunchRefused(Exception):
    """The platform vouched for a person who may not come in here; `code` says why,
    `detail` is for the log (never an address)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def has_second_factor(person: User) -> bool:
    """Whether signing in asks `person` for a second factor (they have one, or must set
    one up): the platform's word never replaces it, so LTI never signs them in."""
    return two_factor.is_asked(person)


def may_be_linked_by_address(person: User) -> bool:
    """Whether a platform's unverified e-mail claim may link `person`: a learner only
    (no manager, trainer or admin role) without a second factor. Anyone else's
    account would be taken over by whoever types their address into the platform."""
    return person.roles == {Role.LEARNER} and not has_second_factor(person)


def lti_actor(platform: LtiPlatform, network: str) -> Actor:
    return Actor(None, network, label=f"LTI: {platform.name}"[:200])


def person_for(
    session: Session, platform: LtiPlatform, claims: dict[str, Any], now: datetime, network: str
) -> User:
    """The person the platform's verified launch names, in the platform's company:
    the one linked to (platform, sub); else, at the first launch, the person of this
    company with the launch's e-mail address if they are a learner only without a
    second factor (the platform's address is not verified); else a new learner (without
    the address when a person of another company has it). Raises LaunchRefused:
    "address-taken" when the address is a manager's, a trainer's, an admin's or a
    person's with a second factor (nothing is linked), "second-factor" for a linked
    person who has one now, "not-a-learner" for one who has more roles now,
    "other-company", "deactivated", "company-suspended".
    Flushes."""
    company = platform.company
    if not company.is_active:
        raise LaunchRefused("company-suspended")
    subject = str(claims["sub"])
    identity = session.scalar(
        select(LtiIdentity).where(
            LtiIdentity.platform_id == platform.id, LtiIdentity.subject == subject
        )
    )
    if identity is not None:
        person = identity.user
        if person.company_id != company.id:
            raise LaunchRefused("other-company")
    else:
        email = claims.get("email")
        email = accounts.normalize_email(email) if isinstance(email, str) and "@" in email else ""
        found = accounts.find_user_by_email(session, email) if email else None
        if found is not None and (
            found.company_id is None
            or (found.company_id == company.id and not may_be_linked_by_address(found))
        ):
            # Staff of the training provider, or a person of this company whose account
            # the platform's word alone must not open: they sign in to Lernwerk directly.
            raise LaunchRefused(
                "address-taken",
                f"the address is person {found.id}'s, who is not a learner only "
                "(or has a second factor): not linked",
            )
        if found is not None and found.company_id == company.id:
            person = found
        else:
            # An address of another company's person is not theirs to use here.
            free = email if found is None and len(email) <= 254 else ""
            person = _create_learner(session, platform, subject, free, claims, now, network)
        identity = LtiIdentity(
            platform_id=platform.id, subject=subject, user_id=person.id, linked_at=now
        )
        session.add(identity)
    if not person.is_active:
        raise LaunchRefused("deactivated")
    if has_second_factor(person):
        raise LaunchRefused("second-factor", f"person {person.id} has a second factor")
    if person.roles != {Role.LEARNER}:
        # Linked as a learner, a manager or trainer since: the platform's word must not
        # open an account with more rights than a learner's.
        raise LaunchRefused("not-a-learner", f"person {person.id} is not a learner only")
    identity.last_used_at = now
    session.flush()
    return person


def _name_from(claims: dict[str, Any]) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(part for part in parts if isinstance(part, str))
    return " ".join(name.split())[:NAME_LENGTH].strip()


def _create_learner(
    session: Session, platform: LtiPlatform, subject: str, email: str, claims: dict[str, Any],
    now: datetime, network: str,
) -> User:  # fmt: skip
    # Without an address a learner needs a personnel number (how such people sign in
    # on the shop floor): one derived from the platform and `sub`, unique in the
    # company, which the admin may change.
    number = None
    if not email:
        number = f"LTI-{platform.id}-{hashlib.sha256(subject.encode()).hexdigest()[:12]}"
    name = _name_from(claims) or email or _("Employee from %(platform)s", platform=platform.name)
    person = accounts.create_user(
        session,
        accounts.NewPerson(
            email=email or None,
            display_name=name[:NAME_LENGTH],
            roles=(Role.LEARNER,),
            company=platform.company,
            personnel_number=number,
        ),
        now,
    )
    person.password_hash = NO_PASSWORD  # signs in through the platform, no invitation
    audit.record(session, lti_actor(platform, network), "person.create", platform.company_id,
                 now, subject=person.display_name, subject_id=person.id,
                 changes=audit.created(person, PERSON_FIELDS))  # fmt: skip
    log.info("created learner %s of company %s at their first LTI launch",
             person.id, platform.company_id)  # fmt: skip
    return person


def keep_grade_link(
    session: Session,
    platform: LtiPlatform,
    person: User,
    course: Course,
    claims: dict[str, Any],
    now: datetime,
) -> LtiGradeLink | None:
    """Keep the launch's line item (Assignment and Grade Services), where the platform
    offers one and lets Lernwerk send scores. Flushes."""
    endpoint = claims.get(protocol.AGS_ENDPOINT)
    if not isinstance(endpoint, dict):
        return None
    lineitem = endpoint.get("lineitem")
    scopes = endpoint.get("scope")
    scope_list = [s for s in scopes if isinstance(s, str)] if isinstance(scopes, list) else []
    if not isinstance(lineitem, str) or len(lineitem) > 2000:
        return None
    if protocol.SCORE_SCOPE not in scope_list:
        return None
    resource_link = str(claims[protocol.RESOURCE_LINK]["id"])[:255]
    link = session.scalar(
        select(LtiGradeLink).where(
            LtiGradeLink.platform_id == platform.id,
            LtiGradeLink.user_id == person.id,
            LtiGradeLink.resource_link_id == resource_link,
        )
    )
    if link is None:
        link = LtiGradeLink(
            platform_id=platform.id,
            company_id=platform.company_id,
            user_id=person.id,
            resource_link_id=resource_link,
            created_at=now,
        )
        session.add(link)
    link.course_id = course.id
    link.subject = str(claims["sub"])
    link.lineitem = lineitem
    link.scopes = " ".join(scope_list)[:1000]
    link.updated_at = now
    session.flush()
    return link


def new_handoff(session: Session, person: User, course: Course, now: datetime) -> str:
    """A one-time ticket that signs `person` in and opens `course` in a new window
    (a launch inside the platform's frame). Only its digest is kept. Flushes."""
    token = secrets.token_urlsafe(32)
    session.add(
        LtiHandoff(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            user_id=person.id,
            course_id=course.id,
            expires_at=now + timedelta(seconds=HANDOFF_SECONDS),
        )
    )
    session.flush()
    return token


def _handoff_digest(token: str) -> str | None:
    if not token or len(token) > 100:
        return None
    return hashlib.sha256(token.encode()).hexdigest()


def unused_handoff(session: Session, token: str, now: datetime) -> LtiHandoff | None:
    """The ticket's hand-off if it is neither used nor expired, left unused (the page
    that asks who continues)."""
    digest = _handoff_digest(token)
    if digest is None:
        return None
    return session.scalar(
        select(LtiHandoff).where(
            LtiHandoff.token_hash == digest,
            LtiHandoff.used_at.is_(None),
            LtiHandoff.expires_at > now,
        )
    )


def use_handoff(session: Session, token: str, now: datetime) -> LtiHandoff | None:
    """The ticket's hand-off, used now; None when unknown, used or expired."""
    digest = _handoff_digest(token)
    if digest is None:
        return None
    result = session.execute(
        update(LtiHandoff)
        .where(
            LtiHandoff.token_hash == digest,
            LtiHandoff.used_at.is_(None),
            LtiHandoff.expires_at > now,
        )
        .values(used_at=now)
        .returning(LtiHandoff.id)
    )
    found = result.first()
    return session.get(LtiHandoff, found[0]) if found is not None else None
