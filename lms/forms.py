"""The base of every Lernwerk form: fields nobody asked for are noticed, not only ignored.

A form takes only its own fields, so posting `role` or `company_id` to the profile
changes nothing. Someone who tries it is probing for mass assignment: such a post is
logged as a security event (logger `lms.security`) and, for a signed-in person, as
an audit entry `security.unexpected-fields` in the view's transaction, with the
field names only (never their values).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from flask import request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

log = logging.getLogger("lms.security")

# Posted by the browser or our templates beside a form's own fields.
EXPECTED_EXTRAS = frozenset({"csrf_token", "submit", "next"})


class Form(FlaskForm):
    """Flask-WTF's form (CSRF included), noticing posted fields it does not have.

    `extra_fields` names what its page posts besides the form's fields and the view
    reads itself (a button's name, a revision number).
    """

    extra_fields: ClassVar[frozenset[str]] = frozenset()

    def validate_on_submit(self, extra_validators: Any = None) -> bool:
        if self.is_submitted():
            expected = EXPECTED_EXTRAS | self.extra_fields | {field.name for field in self}
            unexpected = sorted(set(request.form) - expected)
            if unexpected:
                _notice(type(self).__name__, unexpected)
        return bool(super().validate_on_submit(extra_validators))


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (no multi-select box to hold Ctrl for)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _notice(form: str, fields: list[str]) -> None:
    from lms.audit import service as audit
    from lms.audit.trail import current_actor
    from lms.clock import now
    from lms.db import db

    names = [name[:40] for name in fields[:20]]
    who = f"user {current_user.id}" if current_user.is_authenticated else "an anonymous visitor"
    log.warning(
        "Unexpected fields %s posted to %s %s (%s) by %s",
        ", ".join(names),
        request.method,
        request.path,
        form,
        who,
    )
    if current_user.is_authenticated:
        audit.record(
            db.session,
            current_actor(),
            "security.unexpected-fields",
            current_user.company_id,
            now(),
            subject=f"{request.method} {request.path}"[:300],
            changes={"fields": [None, names]},
        )
