"""The audit log's page, registered under the admin area (every company and the
platform) and the manager's (their own company only)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from lms.areas import Places
from lms.audit import labels
from lms.db import db
from lms.input_checks import number_arg
from lms.models import AuditEntry, Company

PAGE_SIZE = 100

bp = Blueprint("audit", __name__)

# The companies whose entries an area shows; None: every company and the platform.
scopes: Places[list[int] | None] = Places()


@scopes.register("admin")
def _everything() -> list[int] | None:
    return None


@scopes.register("manage")
def _own_company() -> list[int] | None:
    if current_user.company_id is None:
        abort(404)
    return [current_user.company_id]


@bp.get("")
def index() -> ResponseReturnValue:
    """Newest first, 100 a page."""
    company_ids = scopes.current()
    action = request.args.get("action", "").strip()[:40]
    page = max(request.args.get("page", 1, type=number_arg), 1)
    query = select(AuditEntry)
    if company_ids is not None:
        query = query.where(AuditEntry.company_id.in_(company_ids))
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    entries = db.session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    kinds = select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    if company_ids is not None:  # the kinds of the shown companies only
        kinds = kinds.where(AuditEntry.company_id.in_(company_ids))
    # The filter lists the kinds by their names in the reader's language.
    actions = sorted(
        ((kind, labels.action_label(kind)) for kind in db.session.scalars(kinds)),
        key=lambda pair: pair[1].casefold(),
    )
    names = {row.id: row.name for row in db.session.execute(select(Company.id, Company.name))}
    shown = entries[:PAGE_SIZE]
    return render_template(
        "audit/entries.html",
        entries=labels.shown_entries(
            shown, labels.names_for(db.session, shown, company_ids, names)
        ),
        more=len(entries) > PAGE_SIZE,
        page=page,
        action=action,
        actions=actions,
        company_names=names,
        show_company=company_ids is None,
    )
