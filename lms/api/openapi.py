"""The OpenAPI 3.1 document of the API, built from the code.

Spectree describes each decorated view: its path and path parameters, its query and
body models, its answers' models, its summary and description (the docstring). What
every operation shares is added here once: the problem answers (401, 404, 429, …) as
application/problem+json, the 304 and `If-None-Match` of every GET, the `ETag` and
`Link` headers, and the limits of the ids in paths.
"""

from __future__ import annotations

import copy
from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue

from lms.api import bp, spec
from lms.api.problems import KINDS, MEDIA_TYPE
from lms.input_checks import LARGEST_ID
from lms.permissions import public

# The standard reason phrases Spectree gives an answer it was told no description for.
_PHRASES = {status.phrase for status in HTTPStatus} | {"Unprocessable Content"}

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# The problems every operation may answer, and those of reading or writing ones.
COMMON = {
    "401": "No valid token (missing, unknown, expired or revoked).",
    "404": "No such resource, or not visible to this token.",
    "429": "Too many requests for this token; see Retry-After.",
}
READING = {"400": "A query parameter is invalid (see `errors`)."}
WRITING = {
    "403": "The token may only read.",
    "415": "The body is not JSON.",
    "422": "The body has invalid fields (see `errors`).",
}

TAG_DESCRIPTIONS = {
    "people": "The company's people (learners, managers).",
    "departments": "The company's departments.",
    "assignments": "Who must complete which module by when; create and withdraw.",
    "completions": "Completed modules and their certificates.",
    "training records": "Training done elsewhere (external proofs).",
    "catalogue": "Modules and learning paths open to the company.",
    "in-person sessions": "In-person sessions and the bookings of the company's people.",
}


def document(app: Flask) -> dict[str, Any]:
    """The document, built once per app (the routes do not change while it runs)."""
    built: dict[str, Any] | None = app.extensions.get("api.openapi")
    if built is None:
        with app.app_context():
            built = _complete(copy.deepcopy(spec.spec))
        app.extensions["api.openapi"] = built
    return built


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}}}


def _complete(doc: dict[str, Any]) -> dict[str, Any]:
    doc["tags"] = [
        {"name": tag["name"], "description": TAG_DESCRIPTIONS.get(tag["name"], "")}
        for tag in doc.get("tags", [])
    ]
    doc["info"]["description"] = spec.config.description
    for operations in doc["paths"].values():
        for method, operation in operations.items():
            _complete_operation(method, operation)
    return doc


def _complete_operation(method: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    for code, answer in responses.items():
        if int(code) >= 400 and "content" in answer:
            answer["content"] = {MEDIA_TYPE: answer["content"]["application/json"]}
    wanted = {**COMMON, **(READING if method == "get" else WRITING)}
    if method == "get" and not any(p["in"] == "query" for p in operation["parameters"]):
        wanted.pop("400")
    if method == "get" or "requestBody" not in operation:
        wanted.pop("422", None)
        wanted.pop("415", None)
    for code, description in wanted.items():
        answer = responses.setdefault(code, _problem(description))
        if answer["description"] in _PHRASES:  # Spectree's default: say what it means here
            answer["description"] = description
    for code in ("200", "201"):
        if code in responses:
            responses[code].setdefault("headers", {})
    if method == "get":
        ok = responses["200"]
        ok["headers"]["ETag"] = {
            "description": "A weak tag of this answer; send it as If-None-Match.",
            "schema": {"type": "string"},
        }
        if operation["operationId"].startswith("list"):
            ok["headers"]["Link"] = {
                "description": 'The next page: <address>; rel="next" (absent on the last).',
                "schema": {"type": "string"},
            }
        responses["304"] = {"description": "Not modified: the If-None-Match tag is current."}
        operation["parameters"].append(
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "The ETag of an earlier answer: 304 if nothing changed.",
            }
        )
    for parameter in operation["parameters"]:
        if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
            parameter["schema"] = {"type": "integer", "minimum": 0, "maximum": LARGEST_ID}
    operation["responses"] = dict(sorted(responses.items()))


@bp.get("/openapi.json")
@public
def openapi_document() -> ResponseReturnValue:
    """The OpenAPI 3.1 document (no token needed: it names no data)."""
    response = jsonify(document(current_app._get_current_object()))  # type: ignore[attr-defined]
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/problems")
@public
def problem_types() -> ResponseReturnValue:
    """What each problem `type` of the API's errors means (the types' addresses point
    here; no token needed)."""
    kinds = [(name, status, title) for status, (name, title) in sorted(KINDS.items())]
    return render_template("api/problems.html", kinds=kinds)
