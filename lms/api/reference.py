"""The admin's reference of the REST API: the OpenAPI document as a page.

Server-rendered from the same document `/api/v1/openapi.json` serves (no scripts,
nothing from a CDN): the resources (tags), each operation with its parameters,
request body and answers, the schemas, and an example curl line per operation. This
module turns the document into plain values; the template lays them out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from lms.api import PREFIX
from lms.api.openapi import document
from lms.clock import today

bp = Blueprint("api_reference", __name__)

REF = "#/components/schemas/"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str
    where: str = ""  # path, query, header (parameters only)
    link: str = ""  # the schema it names, for a link


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    media_type: str
    schema: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    parameters: list[Field]
    body: str  # the request body's schema, or ""
    answers: list[Answer]
    curl: str
    writes: bool


@dataclass
class Section:
    name: str
    description: str
    operations: list[Operation] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "tag-" + self.name.replace(" ", "-")


def type_of(schema: dict[str, Any]) -> tuple[str, str]:
    """A JSON schema's type in words ("integer", "list of Person", "string (date-time) or
    null") and the schema it names, if any."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(REF)
        return name, name
    if "anyOf" in schema:
        parts = [type_of(option) for option in schema["anyOf"]]
        link = next((link for _text, link in parts if link), "")
        return " or ".join(text for text, _link in parts), link
    kind = schema.get("type", "")
    if kind == "array":
        inner, link = type_of(schema.get("items", {}))
        return f"list of {inner}", link
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"]), ""
    if "const" in schema:
        return json.dumps(schema["const"]), ""
    text = str(kind or "any")
    if schema.get("format"):
        text += f" ({schema['format']})"
    limits = [f"≥ {schema['minimum']}" if "minimum" in schema else "",
              f"≤ {schema['maximum']}" if "maximum" in schema else "",
              f"≤ {schema['maxLength']} characters" if "maxLength" in schema else ""]  # fmt: skip
    limits = [limit for limit in limits if limit]
    return (f"{text}, {', '.join(limits)}" if limits else text), ""


def fields_of(schema: dict[str, Any]) -> list[Field]:
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        text, link = type_of(prop)
        out.append(Field(name, text, name in required, prop.get("description", ""), link=link))
    return out


def _example_value(schema: dict[str, Any], name: str) -> Any:
    kind = schema.get("type") or next(
        (o.get("type") for o in schema.get("anyOf", []) if o.get("type") != "null"), "string"
    )
    if schema.get("format") == "date" or name.endswith("_on") or name == "valid_until":
        # A day the API takes: done in the past, due (or valid until) in the future.
        offset = timedelta(days=-30 if name == "completed_on" else 90)
        return (today() + offset).isoformat()
    if kind == "integer":
        return 42
    if kind == "boolean":
        return False
    return "…"


def _curl(method: str, path: str, operation: dict[str, Any], schemas: dict[str, Any],
          base: str) -> str:  # fmt: skip
    url = base + path
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", "42")
    if method == "get" and any(p["name"] == "limit" for p in operation.get("parameters", [])):
        url += "?limit=200"
    line = f'curl -H "Authorization: Bearer $LERNWERK_TOKEN" "{url}"'
    if method != "get":
        line = line.replace("curl ", f"curl -X {method.upper()} ", 1)
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content:
            schema = schemas[content["schema"]["$ref"].removeprefix(REF)]
            example = {
                name: _example_value(prop, name)
                for name, prop in schema.get("properties", {}).items()
                if name in schema.get("required", [])
            }
            line += f" -H \"Content-Type: application/json\" -d '{json.dumps(example)}'"
    return line


def sections(doc: dict[str, Any], base: str) -> list[Section]:
    schemas = doc["components"]["schemas"]
    by_tag = {tag["name"]: Section(tag["name"], tag.get("description", "")) for tag in doc["tags"]}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            parameters = []
            for p in operation.get("parameters", []):
                text, link = type_of(p.get("schema", {}))
                parameters.append(Field(p["name"], text, p.get("required", False),
                                        p.get("description", ""), p["in"], link))  # fmt: skip
            body = ""
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                body = content["schema"]["$ref"].removeprefix(REF)
            answers = []
            for status, answer in operation["responses"].items():
                media, schema = "", ""
                for media_type, item in answer.get("content", {}).items():
                    media, schema = media_type, type_of(item["schema"])[0]
                answers.append(Answer(status, answer.get("description", ""), media, schema))
            tag = (operation.get("tags") or ["other"])[0]
            section = by_tag.setdefault(tag, Section(tag, ""))
            section.operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=operation["operationId"],
                    summary=operation.get("summary", ""),
                    description=operation.get("description", ""),
                    parameters=parameters,
                    body=body,
                    answers=answers,
                    curl=_curl(method, path, operation, schemas, base),
                    writes=method != "get",
                )
            )
    return [section for section in by_tag.values() if section.operations]


def schema_list(doc: dict[str, Any]) -> list[tuple[str, str, list[Field]]]:
    """(name, description, fields) of the schemas answers and bodies use (not queries:
    their fields are the operations' parameters)."""
    out = []
    for name, schema in sorted(doc["components"]["schemas"].items()):
        if name.endswith("Query"):
            continue
        out.append((name, schema.get("description", ""), fields_of(schema)))
    return out


@bp.get("/")
def index() -> ResponseReturnValue:
    doc = document(current_app._get_current_object())  # type: ignore[attr-defined]
    base = request.url_root.rstrip("/")
    return render_template(
        "api/reference.html",
        doc=doc,
        sections=sections(doc, base),
        schemas=schema_list(doc),
        document_url=base + PREFIX + "/openapi.json",
    )
