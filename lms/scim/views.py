"""The SCIM 2.0 endpoints at /scim/v2/ (RFC 7644), one company per token.

No login session and no CSRF token: each request carries the company's SCIM token
(`Authorization: Bearer lw_scim_…`), and every row is looked up within that token's
company. Answers are `application/scim+json`; errors are SCIM Error documents.
Requests are counted per token (API_LIMIT_PER_TOKEN; 429 past it).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, json, request, url_for
from limits import parse_many
from pydantic import ValidationError
from scim2_models import Error, ListResponse, Meta, ResponseParameters
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_etags, unquote_etag

from lms.audit.trail import request_network
from lms.clock import now, today
from lms.db import db
from lms.input_checks import LARGEST_ID
from lms.models import Company, Department, TokenKind, User
from lms.permissions import public
from lms.scim import schemas, service
from lms.scim.service import ScimError
from lms.security import csrf, limiter
from lms.tokens import service as tokens

log = logging.getLogger(__name__)

bp = Blueprint("scim", __name__)
csrf.exempt(bp)

CONTENT_TYPE = "application/scim+json"


def _answer(document: Any, status: int = 200, etag: str | None = None) -> Response:
    response = Response(json.dumps(document), status=status, content_type=CONTENT_TYPE)
    if etag:
        response.headers["ETag"] = etag
    return response


def _error(status: int, detail: str, scim_type: str | None = None) -> Response:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    response = _answer(error.model_dump(scim_ctx=schemas.RESPONSE), status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="Lernwerk SCIM"'
    return response


@bp.errorhandler(ScimError)
def _scim_error(error: ScimError) -> Response:
    return _error(error.status, error.detail, error.scim_type)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    code = error.code or 500
    detail = {404: "Not found", 405: "Method not allowed", 429: "Too many requests"}
    return _error(code, detail.get(code, error.name))


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    log.exception("SCIM request %s %s failed", request.method, request.path)
    db.session.rollback()
    return _error(500, "Internal error; nothing was changed")


@bp.before_request
def _authenticate() -> Response | None:
    moment = now()
    with db.reading() as session:
        token = tokens.authenticate(
            session, TokenKind.SCIM, request.headers.get("Authorization"), moment
        )
    if token is None:
        return _error(401, "A valid SCIM token is required")
    refused = _count_request(token.id)
    if refused is not None:
        return refused
    if token.last_used_at is None or moment - token.last_used_at >= tokens.TOUCH_EVERY:
        with db.writing() as session:
            tokens.touch(session, token, moment)
    g.scim_token = token
    return None


def _count_request(token_id: int) -> Response | None:
    """Count the request against the token's limit (API_LIMIT_PER_TOKEN, in the
    limiter's storage, so every worker counts together): a 429 answer past it."""
    if not limiter.enabled:
        return None
    try:
        strategy = limiter.limiter
        for item in parse_many(current_app.config["API_LIMIT_PER_TOKEN"]):
            if not strategy.hit(item, "scim-token", str(token_id)):
                stats = strategy.get_window_stats(item, "scim-token", str(token_id))
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                response = _error(429, f"More than {item} requests; wait {wait} seconds.")
                response.headers["Retry-After"] = str(wait)
                return response
    except Exception:  # the counter's storage is down: serve rather than refuse
        log.warning("SCIM rate limit not checked: the limiter's storage failed", exc_info=True)
    return None


def _company() -> Company:
    company = db.session.get(Company, g.scim_token.company_id)
    if company is None:
        raise ScimError(401, "A valid SCIM token is required")
    return company


def _actor() -> Any:
    return tokens.actor_for(g.scim_token, request_network())


def _base() -> str:
    return url_for("scim.service_provider_config", _external=True).rsplit("/", 1)[0]


def _body() -> dict[str, Any]:
    """The request's JSON object (every SCIM request body is one)."""
    payload = request.get_json(force=True, silent=True)
    if not isinstance(payload, dict):
        raise ScimError(400, "The body must be a JSON object", "invalidSyntax")
    return payload


def _query() -> dict[str, Any]:
    """The list and answer parameters: the SearchRequest of a POST to .search, else the
    query string (also of a POST, PUT or PATCH: `attributes` shape their answer too)."""
    if request.method == "POST" and request.path.endswith("/.search"):
        found = {str(k).lower(): v for k, v in _body().items()}
        names = ("filter", "startIndex", "count", "attributes", "excludedAttributes")
        query = {n: found[n.lower()] for n in names if found.get(n.lower()) is not None}
        for key in ("attributes", "excludedAttributes"):
            value = query.get(key)
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                query[key] = ",".join(value)
            elif value is not None and not isinstance(value, str):
                raise ScimError(400, f"{key} must be a list of attribute names", "invalidValue")
        if not isinstance(query.get("filter", ""), str):
            raise ScimError(400, "filter must be a string", "invalidFilter")
        return query
    return dict(request.args)


def _number(value: Any, default: int) -> int:
    """startIndex or count: an integer, or its digits in a query string."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ScimError(400, "startIndex and count must be numbers", "invalidValue")
    try:
        return int(value)
    except ValueError as error:
        raise ScimError(400, "startIndex and count must be numbers", "invalidValue") from error


def _paging() -> tuple[int, int]:
    query = _query()
    start = _number(query.get("startIndex"), 1)
    count = _number(query.get("count"), schemas.MAX_RESULTS)
    # Past the last row a page is empty; a larger offset would not fit the database.
    return min(max(start, 1), LARGEST_ID), min(max(count, 0), schemas.MAX_RESULTS)


def _parameters() -> ResponseParameters[Any] | None:
    query = _query()
    attributes = _names(query.get("attributes"))
    excluded = _names(query.get("excludedAttributes"))
    if not attributes and not excluded:
        return None
    try:
        return ResponseParameters(attributes=attributes, excluded_attributes=excluded)
    except ValidationError as error:
        raise ScimError(400, "attributes and excludedAttributes must name attributes",
                        "invalidValue") from error  # fmt: skip


def _names(value: str | None) -> list[Any] | None:
    """The attribute names of a comma-separated list (blank entries left out; pydantic
    makes them scim2-models' paths, refusing what is none)."""
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    return names or None


def _dump(resource: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = resource.model_dump(
        scim_ctx=schemas.RESPONSE, response_parameters=_parameters()
    )
    return dumped


def _matches(header: str, current: str) -> bool:
    """Whether an If-Match / If-None-Match list names the resource's (weak) ETag: `*`,
    or a tag equal to it compared weakly (with or without W/), as RFC 9110 compares."""
    tag, _weak = unquote_etag(current)
    return tag is not None and parse_etags(header).contains_weak(tag)


def _check_if_match(current: str) -> None:
    wanted = request.headers.get("If-Match")
    if wanted and not _matches(wanted, current):
        raise ScimError(412, "The resource changed since it was read (ETag differs)")


def _not_modified(current: str) -> bool:
    wanted = request.headers.get("If-None-Match")
    return bool(wanted) and _matches(wanted or "", current)


# --- Discovery -------------------------------------------------------------------------


@bp.get("/ServiceProviderConfig")
@public
def service_provider_config() -> Response:
    config = schemas.service_provider_config(_base(), url_for("main.index", _external=True))
    return _answer(config.model_dump(scim_ctx=schemas.RESPONSE))


def _list(items: list[Any]) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(items),
        "startIndex": 1,
        "itemsPerPage": len(items),
        "Resources": [item.model_dump(scim_ctx=schemas.RESPONSE) for item in items],
    }


_READ_ONLY = ["POST", "PUT", "PATCH", "DELETE"]


@bp.route("/ServiceProviderConfig", methods=_READ_ONLY, endpoint="spc_refused")
@bp.route("/ResourceTypes", methods=_READ_ONLY, endpoint="types_refused")
@bp.route("/Schemas", methods=_READ_ONLY, endpoint="schemas_refused")
@public
def discovery_refused() -> Response:
    """Discovery documents are read only (RFC 7644 §4)."""
    return _error(405, "Method not allowed")


@bp.get("/ResourceTypes")
@public
def resource_types() -> Response:
    return _answer(_list(schemas.resource_types(_base())))


@bp.get("/ResourceTypes/<path:name>")
@public
def resource_type(name: str) -> Response:
    for item in schemas.resource_types(_base()):
        if item.id == name:
            return _answer(item.model_dump(scim_ctx=schemas.RESPONSE))
    raise service.not_found("ResourceType", name)


@bp.get("/Schemas")
@public
def schema_list() -> Response:
    return _answer(_list(schemas.schema_documents(_base())))


@bp.get("/Schemas/<path:schema_id>")
@public
def schema(schema_id: str) -> Response:
    for item in schemas.schema_documents(_base()):
        if item.id == schema_id:
            return _answer(item.model_dump(scim_ctx=schemas.RESPONSE))
    raise service.not_found("Schema", schema_id)


# --- Users -----------------------------------------------------------------------------


def _user_resource(person: User) -> schemas.User:
    location = url_for("scim.user", user_id=person.id, _external=True)
    resource = schemas.User(
        id=str(person.id),
        external_id=person.external_id,
        user_name=person.email or person.personnel_number,
        display_name=person.display_name,
        active=person.is_active,
        preferred_language=person.language,
        emails=[schemas.UserEmail(value=person.email, type="work")] if person.email else None,
        meta=Meta(
            resource_type="User",
            created=person.created_at,
            last_modified=person.updated_at or person.created_at,
            location=location,
            version=service.user_version(person),
        ),
    )
    # Without an address the personnel number is the userName, not repeated here.
    number = person.personnel_number if person.email else None
    department = person.department.name if person.department else None
    if number or department:
        resource[schemas.EnterpriseUser] = schemas.EnterpriseUser(
            employee_number=number, department=department
        )
    return resource


def _user_answer(person: User, status: int = 200) -> Response:
    db.session.flush()
    db.session.refresh(person)
    resource = _user_resource(person)
    response = _answer(_dump(resource), status, resource.meta.version if resource.meta else None)
    if status == 201 and resource.meta:
        response.headers["Location"] = str(resource.meta.location)
    return response


@bp.get("/Users")
@bp.post("/Users/.search")
@public
def users() -> Response:
    start, count = _paging()
    company_id = g.scim_token.company_id
    stmt = service.filter_people(service.people(company_id), _query().get("filter"))
    stmt = stmt.options(selectinload(User.department))  # one query for the page's departments
    total, rows = service.page(db.session, stmt.order_by(User.id), start, count)
    listing = ListResponse[schemas.User](
        total_results=total,
        start_index=start,
        items_per_page=len(rows),
        resources=[_user_resource(person) for person in rows] or None,
    )
    return _answer(listing.model_dump(scim_ctx=schemas.RESPONSE, response_parameters=_parameters()))


@bp.post("/Users")
@public
def create_user() -> Response:
    payload = _body()
    state = service.user_document_state(payload)
    person = service.create_person(
        db.session, _actor(), _company(), state, now(), today(),
        timedelta(days=current_app.config["INVITE_TOKEN_DAYS"]),
    )  # fmt: skip
    return _user_answer(person, 201)


@bp.get("/Users/<user_id>")
@public
def user(user_id: str) -> Response:
    person = service.person(db.session, g.scim_token.company_id, user_id)
    current = service.user_version(person)
    if _not_modified(current):
        return Response(status=304, headers={"ETag": current})
    return _user_answer(person)


@bp.put("/Users/<user_id>")
@public
def replace_user(user_id: str) -> Response:
    person = service.person(db.session, g.scim_token.company_id, user_id)
    _check_if_match(service.user_version(person))
    state = service.user_document_state(_body())
    service.update_person(db.session, _actor(), person, state, now(), today())
    return _user_answer(person)


@bp.patch("/Users/<user_id>")
@public
def patch_user(user_id: str) -> Response:
    person = service.person(db.session, g.scim_token.company_id, user_id)
    _check_if_match(service.user_version(person))
    state = service.patch_user(service.state_of(person), service.operations(_body()))
    service.update_person(db.session, _actor(), person, state, now(), today())
    return _user_answer(person)


@bp.delete("/Users/<user_id>")
@public
def delete_user(user_id: str) -> Response:
    person = service.person(db.session, g.scim_token.company_id, user_id)
    _check_if_match(service.user_version(person))
    service.remove_person(db.session, _actor(), person, now())
    return Response(status=204)


# --- Groups ----------------------------------------------------------------------------


def _group_resource(department: Department, member_ids: list[int]) -> schemas.Group:
    return schemas.Group(
        id=str(department.id),
        external_id=department.external_id,
        display_name=department.name,
        members=[
            schemas.GroupMember(
                value=str(key),
                ref=url_for("scim.user", user_id=key, _external=True),  # type: ignore[arg-type]
                type="User",
            )
            for key in member_ids
        ]
        or None,
        meta=Meta(
            resource_type="Group",
            created=department.created_at,
            last_modified=department.updated_at or department.created_at,
            location=url_for("scim.group", group_id=department.id, _external=True),
            version=service.group_version(department, member_ids),
        ),
    )


def _group_answer(department: Department, status: int = 200) -> Response:
    db.session.flush()
    db.session.refresh(department)
    members = service.members_of(db.session, department.company_id, [department.id])
    resource = _group_resource(department, members[department.id])
    response = _answer(_dump(resource), status, resource.meta.version if resource.meta else None)
    if status == 201 and resource.meta:
        response.headers["Location"] = str(resource.meta.location)
    return response


@bp.get("/Groups")
@bp.post("/Groups/.search")
@public
def groups() -> Response:
    start, count = _paging()
    company_id = g.scim_token.company_id
    stmt = service.filter_departments(service.departments(company_id), _query().get("filter"))
    total, rows = service.page(db.session, stmt.order_by(Department.id), start, count)
    members = service.members_of(db.session, company_id, [d.id for d in rows])
    listing = ListResponse[schemas.Group](
        total_results=total,
        start_index=start,
        items_per_page=len(rows),
        resources=[_group_resource(d, members[d.id]) for d in rows] or None,
    )
    return _answer(listing.model_dump(scim_ctx=schemas.RESPONSE, response_parameters=_parameters()))


@bp.post("/Groups")
@public
def create_group() -> Response:
    state = service.group_document_state(_body())
    department = service.save_group(db.session, _actor(), _company(), None, state, now(), today())
    return _group_answer(department, 201)


@bp.get("/Groups/<group_id>")
@public
def group(group_id: str) -> Response:
    department = service.department(db.session, g.scim_token.company_id, group_id)
    members = service.members_of(db.session, department.company_id, [department.id])
    current = service.group_version(department, members[department.id])
    if _not_modified(current):
        return Response(status=304, headers={"ETag": current})
    return _group_answer(department)


def _change_group(
    group_id: str, change: Callable[[service.GroupState], service.GroupState]
) -> Response:
    department = service.department(db.session, g.scim_token.company_id, group_id)
    state = service.group_state(db.session, department)
    _check_if_match(service.group_version(department, sorted(state.member_ids)))
    service.save_group(db.session, _actor(), _company(), department, change(state), now(), today())
    return _group_answer(department)


@bp.put("/Groups/<group_id>")
@public
def replace_group(group_id: str) -> Response:
    payload = _body()
    return _change_group(group_id, lambda _state: service.group_document_state(payload))


@bp.patch("/Groups/<group_id>")
@public
def patch_group(group_id: str) -> Response:
    ops = service.operations(_body())
    return _change_group(group_id, lambda state: service.patch_group(state, ops))


@bp.delete("/Groups/<group_id>")
@public
def delete_group(group_id: str) -> Response:
    department = service.department(db.session, g.scim_token.company_id, group_id)
    state = service.group_state(db.session, department)
    _check_if_match(service.group_version(department, sorted(state.member_ids)))
    service.delete_group(db.session, _actor(), department, now(), today())
    return Response(status=204)


@bp.post("/.search")
@public
def search_everything() -> Response:
    """Searching Users and Groups at once is not offered (search each endpoint)."""
    return _error(501, "Search /Users/.search and /Groups/.search separately")


@bp.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@public
def unknown(anything: str) -> Response:
    raise service.not_found("Endpoint", anything[:100])
