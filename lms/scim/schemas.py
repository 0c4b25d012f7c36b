"""The resources Lernwerk serves over SCIM, as scim2-models classes.

They hold only what Lernwerk keeps, so `/Schemas` tells a client exactly which
attributes round-trip: a User's userName (the address, or the personnel number of
someone without one), displayName, emails, active, preferredLanguage (de or en),
externalId, and of the enterprise extension employeeNumber and department; a Group
(a department) with displayName, externalId and members. Requests may carry more
(name, phoneNumbers, title, …, as Entra ID sends them): `lms.scim.service` reads
what it understands (name becomes the display name) and ignores the rest.

displayName and active are marked required: every person has a name and a state, so
neither can be removed (a client that leaves them out on creation gets the address
as name and an active account).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    Context,
    ETag,
    Extension,
    Filter,
    Meta,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_RESULTS = 200  # a page of a list holds at most this many resources


class UserEmail(ComplexAttribute):
    """The person's one address (Lernwerk keeps one, of type work)."""

    value: str | None = None
    type: str | None = Field(None, examples=["work"])


class EnterpriseUser(Extension):
    __schema__ = URN(ENTERPRISE_SCHEMA)

    employee_number: str | None = None
    """The personnel number (shown while the person has an address; without one it is
    their userName)."""

    department: str | None = None
    """The name of the person's department (created when it does not exist yet)."""


class User(Resource[EnterpriseUser]):
    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    display_name: Annotated[str | None, Required.true] = None
    active: Annotated[bool | None, Required.true] = None
    preferred_language: str | None = Field(None, examples=["de", "en"])
    emails: list[UserEmail] | None = None


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[Reference[User] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])


class Group(Resource[Any]):
    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Required.true] = None
    members: list[GroupMember] | None = None


RESPONSE = Context.RESOURCE_QUERY_RESPONSE


def schema_documents(base: str) -> list[Schema]:
    """The three schemas, named as RFC 7643 names them."""
    documents = []
    for model, name, description in (
        (User, "User", "A person of the company"),
        (Group, "Group", "A department of the company"),
        (EnterpriseUser, "EnterpriseUser", "Personnel number and department"),
    ):
        schema = model.to_schema()
        schema.name = name
        schema.description = description
        schema.meta = _meta("Schema", f"{base}/Schemas/{schema.id}")
        documents.append(schema)
    return documents


def resource_types(base: str) -> list[ResourceType]:
    user = ResourceType.model_validate(
        {
            "id": "User",
            "name": "User",
            "description": "A person of the company",
            "endpoint": "/Users",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False}],
        }
    )
    group = ResourceType.model_validate(
        {
            "id": "Group",
            "name": "Group",
            "description": "A department of the company",
            "endpoint": "/Groups",
            "schema": GROUP_SCHEMA,
        }
    )
    for item in (user, group):
        item.meta = _meta("ResourceType", f"{base}/ResourceTypes/{item.id}")
    return [user, group]


def _meta(kind: str, location: str) -> Meta:
    return Meta(resource_type=kind, location=location)


def service_provider_config(base: str, docs: str) -> ServiceProviderConfig:
    config = ServiceProviderConfig(
        documentation_uri=docs,  # type: ignore[arg-type]
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="The company's SCIM token, created by the provider's admin.",
                primary=True,
            )
        ],
    )
    config.meta = _meta("ServiceProviderConfig", f"{base}/ServiceProviderConfig")
    return config
