"""SCIM provisioning as Entra ID and other identity systems use it: the forms of PATCH
Entra ID sends, filters, pages, ETags, errors, deactivation ending sessions, and one
company's token never reaching another company."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.service import Actor
from lms.models import AuditEntry, Department, SsoSettings, TokenKind, User
from lms.tokens import service as tokens
from tests import factories

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Scim:
    """A SCIM client of one company's token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        response = self.client.open(
            "/scim/v2" + path,
            method=method,
            json=body,
            headers={**self.headers, **headers},
            content_type="application/scim+json" if body is not None else None,
        )
        if response.status_code != 304 and response.status_code != 204:
            assert response.content_type == "application/scim+json", response.data
        return response

    def patch(self, path: str, *operations: dict[str, Any], **headers: str) -> Any:
        return self("PATCH", path, {"schemas": [PATCH], "Operations": list(operations)},
                    **headers)  # fmt: skip


def _token(db: Session, company: Any) -> str:
    return tokens.create(db, Actor.command(), TokenKind.SCIM, company, "Entra", _now()).value


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def scim(client: FlaskClient, db: Session, world: factories.World) -> Scim:
    return Scim(client, _token(db, world.a.company))


def _new_user(scim: Scim, **extra: Any) -> dict[str, Any]:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "max.muster@alpha.example",
        "displayName": "Max Muster",
        "active": True,
        "externalId": "e-1001",
        "emails": [{"value": "max.muster@alpha.example", "type": "work", "primary": True}],
        ENTERPRISE: {"department": "Lager", "employeeNumber": "1001"},
        **extra,
    }
    response = scim("POST", "/Users", body)
    assert response.status_code == 201, response.json
    return response.json


def test_create_maps_the_person_and_invites_them(
    scim: Scim, db: Session, world: factories.World, mails: Any
) -> None:
    created = _new_user(scim)
    person = db.get(User, int(created["id"]))
    assert person is not None and person.company_id == world.a.company.id
    assert (person.email, person.display_name, person.personnel_number, person.external_id) == (
        "max.muster@alpha.example",
        "Max Muster",
        "1001",
        "e-1001",
    )
    assert person.department is not None and person.department.name == "Lager"
    assert created["userName"] == "max.muster@alpha.example"
    assert created["meta"]["location"].endswith(f"/scim/v2/Users/{person.id}")
    assert created["meta"]["version"].startswith('W/"')
    assert [m.to for m in mails] == ["max.muster@alpha.example"]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "person.create",
                                               AuditEntry.subject_id == person.id))  # fmt: skip
    assert entry is not None and entry.actor_name == "SCIM: Entra"


def test_no_invitation_when_the_company_signs_in_through_its_provider(
    scim: Scim, db: Session, world: factories.World, mails: Any
) -> None:
    db.add(SsoSettings(company_id=world.a.company.id, enabled=True, issuer="https://idp.example",
                       client_id="lernwerk"))  # fmt: skip
    db.flush()
    _new_user(scim)
    assert len(mails) == 0


def test_entra_patch_forms(scim: Scim, db: Session) -> None:
    created = _new_user(scim)
    path = f"/Users/{created['id']}"
    response = scim.patch(
        path,
        {"op": "Replace", "path": "displayName", "value": "Maximilian Muster"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "MM@alpha.example"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Versand"},
        {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "2002"},
        {"op": "Replace", "path": "preferredLanguage", "value": "en-US"},
        {"op": "Replace", "value": {"externalId": "e-2002", "name.givenName": "Maxi"}},
    )
    assert response.status_code == 200, response.json
    person = db.get(User, int(created["id"]))
    assert person is not None
    db.refresh(person)
    assert person.display_name == "Maximilian Muster"  # displayName wins over name parts
    assert person.email == "mm@alpha.example"
    assert person.personnel_number == "2002" and person.external_id == "e-2002"
    assert person.language == "en"
    assert person.department is not None and person.department.name == "Versand"
    assert response.json[ENTERPRISE] == {"employeeNumber": "2002", "department": "Versand"}

    response = scim.patch(path, {"op": "replace", "path": "name.givenName", "value": "Moritz"})
    assert response.json["displayName"] == "Moritz Muster"


def test_deactivation_by_string_false_ends_every_session(
    scim: Scim, db: Session, world: factories.World, login: Any, client: FlaskClient
) -> None:
    person = world.a.employees[0]
    login(person)
    assert client.get("/notices/").status_code == 200
    response = scim.patch(f"/Users/{person.id}",
                          {"op": "Replace", "path": "active", "value": "False"})  # fmt: skip
    assert response.status_code == 200 and response.json["active"] is False
    db.refresh(person)
    assert not person.is_active
    page = client.get("/notices/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    # Entra ID's form without a path, a dict as value, reactivates.
    response = scim.patch(f"/Users/{person.id}", {"op": "replace", "value": {"active": True}})
    assert response.json["active"] is True


def test_delete_deactivates_and_hides_but_keeps_the_person(
    scim: Scim, db: Session, world: factories.World
) -> None:
    person = world.a.employees[0]
    assert scim("DELETE", f"/Users/{person.id}").status_code == 204
    db.refresh(person)
    assert db.get(User, person.id) is not None and not person.is_active
    assert scim("GET", f"/Users/{person.id}").status_code == 404
    listed = scim("GET", f'/Users?filter=userName eq "{person.email}"').json
    assert listed["totalResults"] == 0
    # Posted again, the same person comes back.
    again = scim("POST", "/Users", {"userName": person.email, "displayName": "Back Again"})
    assert again.status_code == 201 and again.json["id"] == str(person.id)
    assert again.json["active"] is True


def test_filter_and_pagination(scim: Scim, world: factories.World) -> None:
    person = world.a.employees[1]
    found = scim("GET", f'/Users?filter=userName eq "{(person.email or "").upper()}"').json
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == str(person.id)
    people = scim("GET", "/Users?startIndex=2&count=2").json
    everyone = scim("GET", "/Users").json
    assert people["totalResults"] == everyone["totalResults"] == 5
    assert people["startIndex"] == 2 and people["itemsPerPage"] == 2
    assert [r["id"] for r in people["Resources"]] == [r["id"] for r in everyone["Resources"]][1:3]
    groups = scim("GET", '/Groups?filter=displayName eq "lager"').json
    assert groups["totalResults"] == 1
    assert {m["value"] for m in groups["Resources"][0]["members"]} == {
        str(p.id) for p in world.a.employees[:2]
    } | {str(world.a.limited_manager.id)}
    bad = scim("GET", '/Users?filter=title co "x"')
    assert bad.status_code == 400 and bad.json["scimType"] == "invalidFilter"
    assert bad.json["status"] == "400"


def test_etags(scim: Scim, world: factories.World) -> None:
    path = f"/Users/{world.a.employees[0].id}"
    first = scim("GET", path)
    etag = first.headers["ETag"]
    assert etag == first.json["meta"]["version"]
    assert scim("GET", path, **{"If-None-Match": etag}).status_code == 304
    changed = scim.patch(path, {"op": "replace", "path": "displayName", "value": "Neu"},
                         **{"If-Match": etag})  # fmt: skip
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    stale = scim.patch(path, {"op": "replace", "path": "displayName", "value": "Alt"},
                       **{"If-Match": etag})  # fmt: skip
    assert stale.status_code == 412
    assert scim("DELETE", path, **{"If-Match": etag}).status_code == 412


def test_errors(scim: Scim, world: factories.World) -> None:
    taken = scim("POST", "/Users", {"userName": world.a.employees[0].email, "displayName": "X"})
    assert taken.status_code == 409 and taken.json["scimType"] == "uniqueness"
    path = f"/Users/{world.a.employees[0].id}"
    wrong = scim.patch(path, {"op": "replace", "path": "active", "value": "maybe"})
    assert wrong.status_code == 400 and wrong.json["scimType"] == "invalidValue"
    immutable = scim.patch(path, {"op": "replace", "path": "id", "value": "7"})
    assert immutable.status_code == 400 and immutable.json["scimType"] == "mutability"
    no_target = scim.patch(path, {"op": "remove"})
    assert no_target.status_code == 400 and no_target.json["scimType"] == "noTarget"
    assert scim("GET", "/Users/999999").status_code == 404
    unauthenticated = Scim(scim.client, "lw_scim_wrong")("GET", "/Users")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_groups_members_add_and_remove(scim: Scim, db: Session, world: factories.World) -> None:
    created = scim("POST", "/Groups", {"displayName": "Versand", "externalId": "g-1"})
    assert created.status_code == 201
    group = f"/Groups/{created.json['id']}"
    person = world.a.employees[0]
    added = scim.patch(
        group, {"op": "Add", "path": "members", "value": [{"value": str(person.id)}]}
    )
    assert [m["value"] for m in added.json["members"]] == [str(person.id)]
    db.refresh(person)
    assert person.department is not None and person.department.name == "Versand"
    removed = scim.patch(group, {"op": "Remove", "path": f'members[value eq "{person.id}"]'})
    assert "members" not in removed.json
    db.refresh(person)
    assert person.department_id is None
    renamed = scim.patch(group, {"op": "Replace", "path": "displayName", "value": "Logistik"})
    assert renamed.json["displayName"] == "Logistik"
    assert scim("DELETE", group).status_code == 204
    assert db.scalar(select(Department).where(Department.name == "Logistik")) is None


def test_a_token_never_reaches_another_company(
    scim: Scim, db: Session, world: factories.World
) -> None:
    stranger = world.b.employees[0]
    other_department = world.b.departments[0]
    assert scim("GET", f"/Users/{stranger.id}").status_code == 404
    assert scim.patch(f"/Users/{stranger.id}",
                      {"op": "replace", "path": "active", "value": False}).status_code == 404  # fmt: skip
    assert scim("DELETE", f"/Users/{stranger.id}").status_code == 404
    assert scim("PUT", f"/Users/{stranger.id}", {"userName": "x@y.example"}).status_code == 404
    assert scim("GET", f"/Groups/{other_department.id}").status_code == 404
    listed = scim("GET", f'/Users?filter=userName eq "{stranger.email}"').json
    assert listed["totalResults"] == 0
    all_ids = {r["id"] for r in scim("GET", "/Users?count=200").json["Resources"]}
    assert str(stranger.id) not in all_ids
    # A member of another company cannot be moved into one's own department.
    group = scim("POST", "/Groups", {"displayName": "Neu"}).json
    answer = scim.patch(f"/Groups/{group['id']}",
                        {"op": "add", "path": "members", "value": [{"value": str(stranger.id)}]})  # fmt: skip
    assert answer.status_code == 404
    db.refresh(stranger)
    assert stranger.is_active and stranger.department_id == world.b.employees[0].department_id


def test_requests_are_limited_per_token(
    app: Any, client: FlaskClient, db: Session, world: factories.World
) -> None:
    app.config["API_LIMIT_PER_TOKEN"] = "3 per minute"
    first = Scim(client, _token(db, world.a.company))
    second = Scim(client, _token(db, world.a.company))
    assert [first("GET", "/ServiceProviderConfig").status_code for _ in range(3)] == [200] * 3
    refused = first("GET", "/Users")
    assert refused.status_code == 429 and refused.json["status"] == "429"
    assert second("GET", "/Users").status_code == 200
