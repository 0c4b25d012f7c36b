"""The manager's view of the audit log: their company's entries only."""

from __future__ import annotations

from flask import abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lms.audit.views import entries_page
from lms.manage import bp


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    if current_user.company_id is None:
        abort(404)
    return entries_page([current_user.company_id], "manage.audit_log")
