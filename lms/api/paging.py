"""Cursor pagination and the company scope of the API's queries."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import request, url_for
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from lms.api import token
from lms.api.problems import ApiProblem
from lms.db import db
from lms.input_checks import as_id
from lms.models import Company

T = TypeVar("T")


def encode_cursor(last_id: int) -> str:
    """The opaque cursor after the item `last_id` (the sort key is the id)."""
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    kind, _, value = raw.partition(":")
    # ASCII digits only: "²" is a digit to str.isdigit, not to int().
    if kind != "id" or as_id(value) is None:
        raise ApiProblem(
            400,
            "The cursor is not one this API gave; start again without it.",
            errors=[{"in": "query", "field": "cursor", "message": "unknown cursor"}],
        )
    return int(value)


def company_scope(requested: int | None) -> int | None:
    """The company whose rows a query may see: the token's own (404 if another is
    asked for), or for a provider token the one asked for (None: every company)."""
    own = token().company_id
    if own is not None:
        if requested is not None and requested != own:
            raise ApiProblem(404, "No such company, or not visible to this token.")
        return own
    if requested is not None and db.session.get(Company, requested) is None:
        raise ApiProblem(404, "No such company.")
    return requested


def scoped(stmt: Any, column: InstrumentedAttribute[Any], company_id: int | None) -> Any:
    return stmt if company_id is None else stmt.where(column == company_id)


class Page:
    """One page of a list: the rows, and where the next page begins."""

    def __init__(self, rows: Sequence[Any], next_cursor: str | None) -> None:
        self.rows = rows
        self.next_cursor = next_cursor

    @property
    def next_url(self) -> str | None:
        """This address with the next cursor. The query is copied as it came, not
        passed to url_for as keywords: a parameter named `_external`, `_anchor` or
        `endpoint` would bend (or break) the link."""
        if self.next_cursor is None:
            return None
        query = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
        query.append(("cursor", self.next_cursor))
        address = url_for(request.endpoint or "", **(request.view_args or {}), _external=True)
        return f"{address}?{urlencode(query)}"

    def headers(self) -> dict[str, str]:
        url = self.next_url
        return {"Link": f'<{url}>; rel="next"'} if url else {}


def page_of(
    stmt: Select[Any],
    id_column: InstrumentedAttribute[Any],
    cursor: str | None,
    limit: int,
    *,
    objects: bool = True,
) -> Page:
    """The rows of `stmt` after the cursor, in id order, at most `limit` of them: ORM
    objects, or (`objects=False`) the selected columns as rows with an `id`."""
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(id_column > after)
    stmt = stmt.order_by(id_column).limit(limit + 1)
    if objects:
        rows: list[Any] = list(db.session.scalars(stmt).unique().all())
    else:
        rows = list(db.session.execute(stmt).all())
    return _cut(rows, limit, lambda row: row.id)


def page_of_list(items: Sequence[T], key: Callable[[T], int], cursor: str | None,
                 limit: int) -> Page:  # fmt: skip
    """The same over a list already in memory (the catalogue: tens of items)."""
    after = decode_cursor(cursor)
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [item for item in ordered if key(item) > after]
    return _cut(ordered[: limit + 1], limit, key)


def _cut(rows: list[Any], limit: int, key: Callable[[Any], int]) -> Page:
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(key(rows[-1])) if more and rows else None)
