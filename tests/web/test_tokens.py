"""The admin's token pages: a new token is shown once and stored only as its digest;
revoking stops it at once; only admins reach the pages, and only a company's own
tokens."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.clock import today
from lms.models import ApiToken, AuditEntry, TokenKind
from lms.tokens import service as tokens
from tests import factories

VALUE = re.compile(r">(lw_(?:scim|api)_[^<]+)</textarea>")


def _create(client: FlaskClient, url: str, **data: Any) -> Any:
    return client.post(url + "new", data={"name": "Entra ID", "kind": "scim", **data})


def test_a_new_token_is_shown_once_and_stored_as_a_digest(
    client: FlaskClient, login: Any, world: factories.World, db: Session
) -> None:
    login(world.admin)
    url = f"/admin/companies/{world.a.company.id}/tokens/"
    answer = _create(client, url)
    assert answer.status_code == 201
    assert answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    value = VALUE.search(page)
    assert value is not None and "nur dieses eine Mal" in page
    token = db.scalar(select(ApiToken).where(ApiToken.company_id == world.a.company.id))
    assert token is not None and token.kind == "scim" and token.writes
    assert token.token_hash == tokens.digest(value[1]) and value[1] not in token.token_hash
    listing = client.get(url).get_data(as_text=True)
    assert value[1] not in listing and token.prefix in listing
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "scim_token.create"))
    assert entry is not None and value[1] not in str(entry.changes) + entry.subject
    # It works on the SCIM endpoint.
    scim = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {value[1]}"})
    assert scim.status_code == 200


def test_api_token_scope_and_expiry(
    client: FlaskClient, login: Any, world: factories.World, db: Session
) -> None:
    login(world.admin)
    url = f"/admin/companies/{world.a.company.id}/tokens/"
    too_late = (today() + timedelta(days=3 * 366 + 2)).isoformat()
    refused = _create(client, url, kind="api", scope="read_write", expires_on=too_late)
    assert refused.status_code == 422
    assert "drei Jahre" in refused.get_data(as_text=True)
    answer = _create(client, url, kind="api", scope="read_write", expires_on="")
    assert answer.status_code == 201
    token = db.scalar(select(ApiToken).where(ApiToken.kind == "api"))
    assert token is not None and token.writes and token.expires_at is not None
    assert (token.expires_at.date() - today()).days in (365, 366)


def test_revoking_stops_the_token(
    client: FlaskClient, login: Any, world: factories.World, db: Session
) -> None:
    created = tokens.create(db, Actor.command(), TokenKind.SCIM, world.a.company, "Sync",
                            factories_now())  # fmt: skip
    headers = {"Authorization": f"Bearer {created.value}"}
    assert client.get("/scim/v2/Users", headers=headers).status_code == 200
    login(world.admin)
    url = f"/admin/companies/{world.a.company.id}/tokens/{created.token.id}/revoke"
    assert "widerrufen" in client.get(url).get_data(as_text=True)
    unconfirmed = client.post(url, data={})
    assert unconfirmed.status_code == 302
    assert client.get("/scim/v2/Users", headers=headers).status_code == 200
    assert client.post(url, data={"confirm": "y"}).status_code == 302
    assert client.get("/scim/v2/Users", headers=headers).status_code == 401
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "scim_token.revoke"))


def test_only_admins_and_only_the_company_own_tokens(
    client: FlaskClient, login: Any, world: factories.World, db: Session
) -> None:
    other = tokens.create(db, Actor.command(), TokenKind.API, world.b.company, "B", factories_now())
    provider = tokens.create(db, Actor.command(), TokenKind.API, None, "Billing", factories_now())
    login(world.a.manager)
    assert client.get(f"/admin/companies/{world.a.company.id}/tokens/").status_code == 403
    assert client.get("/admin/platform/api-tokens/").status_code == 403
    client.post("/logout")
    login(world.admin)
    a_url = f"/admin/companies/{world.a.company.id}/tokens/"
    assert client.get(f"{a_url}{other.token.id}/revoke").status_code == 404
    assert client.post(f"{a_url}{other.token.id}/revoke", data={"confirm": "y"}).status_code == 404
    assert client.get(f"{a_url}{provider.token.id}/revoke").status_code == 404
    assert client.get(f"/admin/platform/api-tokens/{other.token.id}/revoke").status_code == 404
    db.refresh(other.token)
    assert other.token.revoked_at is None
    # The provider's page lists the provider's tokens only, and makes API tokens.
    page = client.get("/admin/platform/api-tokens/").get_data(as_text=True)
    assert provider.token.prefix in page and other.token.prefix not in page
    made = client.post("/admin/platform/api-tokens/new", data={"name": "Reports", "kind": "scim",
                                                                "scope": "read"})  # fmt: skip
    assert made.status_code == 201
    kept = db.scalar(select(ApiToken).where(ApiToken.name == "Reports"))
    assert kept is not None and kept.company_id is None and kept.kind == "api"


def factories_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_the_company_section_names_the_tokens_in_use(
    app: Any, client: FlaskClient, login: Any, world: factories.World, db: Session
) -> None:
    from flask import render_template_string

    created = tokens.create(db, Actor.command(), TokenKind.SCIM, world.a.company, "Entra",
                            factories_now())  # fmt: skip
    login(world.admin)
    with app.test_request_context():
        html = render_template_string(
            '{% include "tokens/_company_section.html" %}', company=world.a.company
        )
    assert created.token.prefix in html and "Entra" in html
    assert f"/admin/companies/{world.a.company.id}/tokens/" in html


def test_a_token_needs_a_name_and_a_valid_until_day_ahead(
    client: FlaskClient, login: Any, world: factories.World, db: Session
) -> None:
    login(world.admin)
    url = f"/admin/companies/{world.a.company.id}/tokens/"
    for data in (
        {"name": "   "},
        {"name": "x" * 121},
        {"kind": "api", "expires_on": (today() - timedelta(days=1)).isoformat()},
        {"kind": "api", "expires_on": today().isoformat()},
        {"kind": "api", "expires_on": "9999-12-31"},
        {"kind": "root"},
        {"kind": "api", "scope": "admin"},
    ):
        assert _create(client, url, **data).status_code == 422, data
    assert db.scalar(select(ApiToken)) is None


def test_a_token_value_never_reaches_the_log(
    client: FlaskClient, login: Any, world: factories.World, db: Session, caplog: Any
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    login(world.admin)
    url = f"/admin/companies/{world.a.company.id}/tokens/"
    value = VALUE.search(_create(client, url, kind="api").get_data(as_text=True))
    assert value is not None
    headers = {"Authorization": f"Bearer {value[1]}"}
    assert client.get("/api/v1/people", headers=headers).status_code == 200
    assert client.get("/api/v1/people?cursor=broken", headers=headers).status_code == 400
    token = db.scalar(select(ApiToken))
    assert token is not None
    client.post(f"{url}{token.id}/revoke", data={"confirm": "y"})
    assert client.get("/api/v1/people", headers=headers).status_code == 401
    assert value[1] not in caplog.text
    assert value[1][len(token.prefix) :] not in caplog.text
