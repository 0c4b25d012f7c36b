"""Errors of the REST API as RFC 9457 problem details (application/problem+json).

Every refusal of the API answers with a `Problem`: a stable `type` URI naming the kind
of problem, a short `title`, the HTTP `status`, a `detail` for the person reading the
integration's log, the `instance` (the request's path) and, for invalid input, the
fields that were wrong. A 500 says nothing of the cause (it is logged).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, request, url_for
from werkzeug.exceptions import HTTPException

log = logging.getLogger("lms.api")

MEDIA_TYPE = "application/problem+json"

# status -> (type name, title): the titles are fixed English, as the type is.
KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "The request is malformed"),
    401: ("unauthorized", "A valid API token is needed"),
    403: ("forbidden", "The token may not do this"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "The request conflicts with the current state"),
    412: ("precondition-failed", "The resource has changed"),
    413: ("too-large", "The request body is too large"),
    415: ("unsupported-media-type", "Send JSON"),
    422: ("invalid", "The request has invalid fields"),
    429: ("too-many-requests", "Too many requests"),
    500: ("server-error", "Something went wrong"),
    503: ("unavailable", "Try again later"),
}


class ApiProblem(Exception):
    """Raised anywhere in the API to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(detail or KINDS.get(status, KINDS[500])[1])
        self.status = status
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})
        self.kind = kind


def type_uri(name: str) -> str:
    """The problem type's address: a section of the page that explains every type
    (`/api/v1/problems`, served without a token), as RFC 9457 recommends."""
    return url_for("api.problem_types", _external=True) + "#" + name


def body(problem: ApiProblem) -> dict[str, Any]:
    name, title = KINDS.get(problem.status, KINDS[500])
    document: dict[str, Any] = {
        "type": type_uri(problem.kind or name),
        "title": title,
        "status": problem.status,
        "detail": problem.detail or title,
        "instance": request.path,
    }
    if problem.errors is not None:
        document["errors"] = problem.errors
    return document


def response(problem: ApiProblem) -> Response:
    answer = Response(json.dumps(body(problem)), status=problem.status, mimetype=MEDIA_TYPE)
    for name, value in problem.headers.items():
        answer.headers[name] = value
    answer.headers["Cache-Control"] = "no-store"
    return answer


def from_http_error(error: HTTPException) -> ApiProblem:
    """Werkzeug's 404, 405, 413, … as a problem (their text is generic, no internals)."""
    status = error.code or 500
    headers = {}
    allowed = getattr(error, "valid_methods", None)
    if status == 405 and allowed:
        headers["Allow"] = ", ".join(allowed)
    detail = {
        404: "No such resource, or not visible to this token.",
        405: "This method is not allowed here.",
    }.get(status, "")
    return ApiProblem(status if status in KINDS else 400, detail, headers=headers)


def validation_errors(error: Any, where: str) -> list[dict[str, Any]]:
    """A pydantic ValidationError's fields: where (query, body), the field, the message."""
    fields = []
    for item in error.errors(include_context=False, include_url=False, include_input=False):
        fields.append(
            {
                "in": where,
                "field": ".".join(str(part) for part in item.get("loc", ())) or where,
                "message": str(item.get("msg", "")),
            }
        )
    return fields
