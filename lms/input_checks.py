"""What a request may bring in, checked once for every view.

- Ids and numbers in a URL (`<int:…>`) are whole numbers an INTEGER column holds;
  a larger one matches no route (404) instead of failing in the database (SQLite
  raises OverflowError above 2**63 - 1, PostgreSQL "integer out of range" above
  2**31 - 1, the limit of the INTEGER ids on PostgreSQL).
- Ids and page numbers in a query string or form are read with `number_arg` as the
  `type=` of `request.args.get(…)` / `request.form.getlist(…)`: anything else is as
  if it was not given.
- Dates typed into a form (`DateField`) lie between `EARLIEST_DATE` and
  `LATEST_DATE`, so that no date arithmetic leaves Python's years 1 to 9999.
- Text in a query string, a form and a URL holds no control characters but tab,
  line feed and carriage return: they are removed from query and form values
  (`Request`), and a URL part with one matches no route. PostgreSQL refuses NUL in
  text, and none of them belongs in a name or a comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from flask import Flask
from flask import Request as FlaskRequest
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import (
    IntegerConverter,
    Map,
    PathConverter,
    UnicodeConverter,
    ValidationError,
)
from wtforms import DateField as _WTFormsDateField  # noqa: TID251 (the one place it is used)

LARGEST_ID = 2**31 - 1
"""The largest number an id (INTEGER, 4 bytes on PostgreSQL) and a page number may be."""

EARLIEST_DATE = date(1900, 1, 1)
"""Old enough for any proof of training people still hold (a forklift licence of 1985)."""
LATEST_DATE = date(2100, 12, 31)
"""Far enough for any due date or expiry; far from the last day Python counts."""

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""C0 control characters but tab, line feed and carriage return."""


def number_arg(value: str) -> int:
    """`value` as an id or page number (digits only, at most `LARGEST_ID`).

    Raises ValueError otherwise, which `MultiDict.get(…, type=number_arg)` turns into
    the default and `getlist` into leaving the value out.
    """
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(LARGEST_ID)):
        raise ValueError(value)
    number = int(value)
    if number > LARGEST_ID:
        raise ValueError(value)
    return number


def as_id(value: Any) -> int | None:
    """`value` (an int or a string of digits) as an id a table may hold, or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= LARGEST_ID else None
    try:
        return number_arg(value) if isinstance(value, str) else None
    except ValueError:
        return None


def without_control_characters(text: str) -> str:
    """`text` without NUL and the other C0 control characters but tab and line breaks."""
    return CONTROL_CHARACTERS.sub("", text)


def date_in_range(value: date) -> bool:
    return EARLIEST_DATE <= value <= LATEST_DATE


def date_range_message() -> str:
    return _(
        "Please enter a date between %(first)s and %(last)s.",
        first=format_date(EARLIEST_DATE),
        last=format_date(LATEST_DATE),
    )


class DateField(_WTFormsDateField):
    """WTForms' date field, refusing a date outside `EARLIEST_DATE`..`LATEST_DATE` the
    way it refuses a date it cannot read: no data, and an error on the field."""

    data: date | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not date_in_range(self.data):
            self.data = None
            raise ValueError(date_range_message())


# --- URLs ---------------------------------------------------------------------------------


class IdConverter(IntegerConverter):
    """Werkzeug's `int`, up to `LARGEST_ID`: a larger number matches no route (404)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        largest = LARGEST_ID if max is None or max > LARGEST_ID else max
        super().__init__(map, fixed_digits, min, largest, signed)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(LARGEST_ID)) + 1:  # no int() of a thousand digits
            raise ValidationError()
        return super().to_python(value)


class TextConverter(UnicodeConverter):
    """Werkzeug's default converter; a part with a control character matches no route."""

    def to_python(self, value: str) -> str:
        if CONTROL_CHARACTERS.search(value):
            raise ValidationError()
        return value


class TextPathConverter(PathConverter):
    """Werkzeug's `path`; a path with a control character matches no route."""

    def to_python(self, value: str) -> str:
        if CONTROL_CHARACTERS.search(value):
            raise ValidationError()
        return value


# --- Query and form values ----------------------------------------------------------------


def _cleaned(
    mapping: MultiDict[str, Any] | Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
) -> list[tuple[str, Any]]:
    if mapping is None:
        return []
    if isinstance(mapping, MultiDict):
        pairs: Iterable[tuple[str, Any]] = mapping.items(multi=True)
    elif isinstance(mapping, Mapping):  # as MultiDict takes it: a list is several values
        pairs = [
            (key, item)
            for key, value in mapping.items()
            for item in (value if isinstance(value, list | tuple) else [value])
        ]
    else:
        pairs = mapping
    return [
        (key, without_control_characters(value) if isinstance(value, str) else value)
        for key, value in pairs
    ]


class TextParameters(ImmutableMultiDict[str, Any]):
    """The query's and the form's values without control characters (see the module)."""

    def __init__(self, mapping: Any = None) -> None:
        super().__init__(_cleaned(mapping))


class Request(FlaskRequest):
    """Flask's request; its `args`, `form` (and `values`) hold `TextParameters`."""

    parameter_storage_class = TextParameters


def init_app(app: Flask) -> None:
    """Before any route is added: the converters check as they convert."""
    app.request_class = Request
    app.url_map.converters.update(
        int=IdConverter, default=TextConverter, string=TextConverter, path=TextPathConverter
    )
