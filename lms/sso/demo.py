"""Single sign-on in `lms demo`: Müller Metallbau signs in the people of its domain
sso.mueller-metallbau.example through the test provider of tests/oidc_provider,
started on this machine (docs/integration.md, "Trying it in the demo").

A domain of its own, not the company's mueller-metallbau.example: the tour's people
keep signing in with their demo password. Run inside an app context (the client
secret is sealed with the app's key). Safe to run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.models import Company, Department, SsoGroupMapping
from lms.sso import service

ISSUER = "http://127.0.0.1:5190"
CLIENT_ID = "lernwerk-demo"
# The test provider's client secret (tests/oidc_provider/demo.json): a demo value.
CLIENT_SECRET = "demo-secret-not-for-production"  # noqa: S105
DOMAIN = "sso.mueller-metallbau.example"
PROVIDER_COMMAND = (
    "npm ci --prefix tests/oidc_provider && "
    "node tests/oidc_provider/provider.mjs --config tests/oidc_provider/demo.json"
)
# Group of the provider → (department, makes manager).
GROUPS = {"Produktion": ("Fertigung", False), "Lernwerk-Fuehrungskraefte": (None, True)}


@dataclass(frozen=True)
class SsoDemo:
    company: str
    issuer: str
    domain: str
    command: str


def seed_sso(session: Session, company: Company, now: datetime) -> SsoDemo:
    actor = Actor.command()
    if service.settings_of(session, company.id) is None:
        service.save_settings(session, actor, company, service.SettingsFields(
            enabled=True, issuer=ISSUER, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
            domains=(DOMAIN,), required=False, create_people=True, group_claim="groups",
            provider_logout=True), now)  # fmt: skip
    mapped = set(
        session.scalars(
            select(SsoGroupMapping.group_name).where(SsoGroupMapping.company_id == company.id)
        )
    )
    for group, (department_name, manager) in GROUPS.items():
        if group in mapped:
            continue
        department = session.scalar(
            select(Department).where(
                Department.company_id == company.id, Department.name == department_name
            )
        ) if department_name else None  # fmt: skip
        service.add_group_mapping(session, actor, company, group, department, manager, now)
    return SsoDemo(company.name, ISSUER, DOMAIN, PROVIDER_COMMAND)
